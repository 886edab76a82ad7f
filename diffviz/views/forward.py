"""The forward process q(x_t | x_0): the model's training data noised to the playhead's noise level.

x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε (``diffviz.core.forward``), with ε drawn once per run from the run's seed, so the
points move continuously from frame to frame and the same scene always shows the same picture. At frame K (x_0)
it shows the data, at frame 0 (x_T) nearly N(0, I): beside the reverse x_t it shows the marginal the reverse
particles at t should match.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from diffviz.core.forward import forward_noise, forward_subset, frame_alpha_bar, q_sample

from .base import PointsView
from .colors import Theme
from .fast_scatter import FastScatter
from .frame import Frame
from .model_info import ModelInfo
from .particles import POINT_SIZE
from .typeset import ALPHA_BAR_T, X_0, X_T

NO_DATA = "this model does not say<br>what data it was trained on"
POINT_ALPHA = 190  # the noised data in the theme's data colour, more opaque (x̂_0's panel shows the data faintly)


class ForwardPoints:
    """The noised data points as one FastScatter, read like a :class:`~diffviz.views.particles.ParticleLayer`
    (``scatter``, ``splatting``), so what reads a view's points reads these too. They are not the run's particles:
    one grey, never splatted (at most FORWARD_POINTS), never picked or followed."""

    splatting = False

    def __init__(self, plot: pg.PlotItem) -> None:
        self.scatter = FastScatter(pen=None, size=POINT_SIZE, pxMode=True, antialias=False)
        self.scatter.setZValue(10)
        plot.addItem(self.scatter, ignoreBounds=True)


class ForwardView(PointsView):
    """The training data (a fixed subset of at most FORWARD_POINTS) noised to the frame's ᾱ; a centred message when
    the model does not say what its data is. No data is drawn behind: at t = T it would show a structure the noised
    points no longer have."""

    title = f"forward process q({X_T} | {X_0})"
    key = "forward"
    explain = "the data noised to this step: what x_t should look like"
    tooltip = (
        "The training data noised forward to this step's noise level: x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, one ε per point "
        "for the whole run. The reverse particles x_t should match this distribution at every t."
    )

    def __init__(self) -> None:
        super().__init__()
        self.particles = ForwardPoints(self.plot)
        self.points = self.particles.scatter
        self.message = pg.LabelItem(NO_DATA, color=self.theme.text, justify="center")
        self.message.setParentItem(self.vb)
        self.message.anchor(itemPos=(0.5, 0.5), parentPos=(0.5, 0.5))
        self.message.setVisible(False)
        self.x0: np.ndarray | None = None  # (M, 2) float64: the data points noised, or None (no known data)
        self.eps: np.ndarray | None = None  # (M, 2) float64: their ε, drawn from the run's seed
        self.seed: int | None = None  # the seed ε was drawn from
        self.alpha_bar: float | None = None  # ᾱ of the frame drawn
        self.brush = self._point_brush(self.theme)  # one object per theme (the symbol atlas keys on it)

    @staticmethod
    def _point_brush(theme: Theme) -> pg.QtGui.QBrush:
        return pg.mkBrush(*theme.data[:3], POINT_ALPHA)

    def _theme_changed(self) -> None:
        super()._theme_changed()
        self.brush = self._point_brush(self.theme)
        if len(self.points.data):  # through setData, so FastScatter.move keeps the new brush
            self.points.setData(pos=self.points.positions(), brush=self.brush)
        self.message.setText(NO_DATA, color=self.theme.text)

    def set_model(self, info: ModelInfo) -> None:
        pts = info.data_points
        if pts is None or pts.ndim != 2 or pts.shape[1] != 2 or not len(pts):
            self.x0 = None
        else:
            self.x0 = np.asarray(pts, np.float64)[forward_subset(len(pts))]
        self.eps, self.seed, self.alpha_bar = None, None, None
        self.points.setData(pos=np.zeros((0, 2), np.float32))
        self.message.setVisible(self.x0 is None)
        self.set_title(self.title)

    def set_frame(self, frame: Frame) -> None:
        super().set_frame(frame)
        if self.x0 is None:
            return
        traj = frame.trajectory
        seed = int(traj.params.seed)
        if self.eps is None or seed != self.seed:  # once per run (a new seed): the same ε for every frame
            self.eps, self.seed = forward_noise(seed, self.x0.shape), seed
            self.points.setData(pos=np.zeros(self.x0.shape, np.float32), brush=self.brush)
        self.alpha_bar = frame_alpha_bar(traj.alpha_bar, frame.index)
        self.points.move(q_sample(self.x0, self.alpha_bar, self.eps).astype(np.float32))
        self.set_title(f"{self.title} &nbsp; {ALPHA_BAR_T} = {self.alpha_bar:.3g}")

    def shown_points(self) -> np.ndarray:
        """The drawn forward points, (M, 2) float64 (empty before a frame or without data)."""
        return self.points.positions() if len(self.points.data) else np.zeros((0, 2))
