"""The four linked views of a 2D model: x_t, the score field, ε̂ and Tweedie's x̂_0."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt

from diffviz.core.decompose import can_decompose, ddpm_step_parts
from diffviz.session import ViewSettings

from .base import PointsView
from .colors import CIRCLE_COLOR, DATA_COLOR, dim_magnitude_lut
from .follow import ARROW_CELLS, DIMMED, FollowLayer, StepLayer
from .frame import Frame
from .lines import ArrowsLayer, SegmentsLayer, TrailsLayer
from .model_info import ModelInfo
from .particles import ParticleLayer, ParticleStyle

FAINT = 70  # alpha of the particles over the score field


class FollowingView(PointsView):
    """What the four point views share for followed particles: their layer, the dimming of the others, the redraw.
    Subclasses create ``particles`` and ``follow`` in ``__init__``."""

    follow: FollowLayer
    particles: ParticleLayer

    def set_followed(self, indices: np.ndarray, hues: np.ndarray) -> None:
        self.follow.set_followed(indices, hues)
        for item in (self.particles.scatter, self.particles.image):
            item.setOpacity(DIMMED if len(indices) else 1.0)
        if self.frame is not None:
            self.set_frame(self.frame)

    def set_scale(self, scale: float) -> None:
        super().set_scale(scale)
        self.follow.set_scale(scale)


class XtView(FollowingView):
    """The particles x_t, each in its fixed colour, with trails of the last k steps."""

    title = "particles x<sub>t</sub>"
    key = "x_t"

    def __init__(self) -> None:
        super().__init__()
        self.trails = TrailsLayer(self.plot)
        self.particles = ParticleLayer(self.plot)
        self.follow = FollowLayer(self.plot, path=True)
        self.step_parts = StepLayer(self.plot)
        self.settings = ViewSettings()

    def set_style(self, style: ParticleStyle) -> None:
        self.trails.set_style(style)
        self.particles.set_style(style)

    def set_view_settings(self, settings: ViewSettings) -> None:
        self.settings = settings
        self.trails.set_visible(settings.trails)
        if self.frame is not None:
            self.set_frame(self.frame)

    def set_frame(self, frame: Frame) -> None:
        super().set_frame(frame)
        self.particles.set_points(frame.x)
        if self.settings.trails:
            self.trails.set_history(frame.history(self.settings.trail_length, self.trails.particles))
        idx = self.follow.indices
        if len(idx):
            self.follow.show(frame.x[idx], history=frame.history(frame.index, idx))
        traj = frame.trajectory
        if len(idx) and frame.index < traj.steps_done and can_decompose(traj):
            parts = ddpm_step_parts(traj, frame.index, idx)  # the step from here: drift, then noise
            self.step_parts.show(parts.x_t, parts.mean, parts.x_prev)
        else:
            self.step_parts.clear()


LEVEL_QUANTILES = (0.02, 0.98)


class ScoreView(FollowingView):
    """s_θ(·, t) on the field grid: arrows of equal length coloured by log|s|, over a map of log|s|."""

    title = "score field s<sub>θ</sub>(·, t)"
    key = "score"

    def __init__(self) -> None:
        super().__init__()
        self.map = pg.ImageItem(axisOrder="row-major")
        self.map.setLookupTable(dim_magnitude_lut())
        self.map.setZValue(-10)
        self.plot.addItem(self.map, ignoreBounds=True)
        self.arrows = ArrowsLayer(self.plot)
        self.particles = ParticleLayer(self.plot, alpha=FAINT)
        self.follow = FollowLayer(self.plot, arrow=True)
        self.levels = (0.0, 1.0)
        self.fixed_levels: tuple[float, float] | None = None  # the session's score_levels; None: per frame

    def set_view_settings(self, settings: ViewSettings) -> None:
        if settings.score_levels != self.fixed_levels:
            self.fixed_levels = settings.score_levels
            if self.frame is not None:
                self.set_frame(self.frame)

    def set_style(self, style: ParticleStyle) -> None:
        self.particles.set_style(style)

    def set_frame(self, frame: Frame) -> None:
        super().set_frame(frame)
        self.particles.set_points(frame.x)
        field = frame.field_score
        points = frame.trajectory.field_points
        idx = self.follow.indices
        if len(idx):  # the particle's own score s_θ(x_t, t), from x_t
            cell = float(points[1, 0] - points[0, 0]) if points is not None else 0.25
            self.follow.show(frame.x_pred[idx], vectors=frame.score[idx], arrow_length=ARROW_CELLS * cell)
        if field is None or points is None:
            return
        grid = int(round(np.sqrt(len(points))))
        log_mag = np.log10(np.maximum(np.linalg.norm(field, axis=1), 1e-30)).astype(np.float32)
        lo, hi = float(log_mag.min()), float(log_mag.max())
        # colours span the 2nd–98th percentile of log|s|: far from the data |s| grows like distance/(1−ᾱ), and
        # min–max levels would paint almost every arrow the top colour
        c_lo, c_hi = (float(v) for v in np.quantile(log_mag, LEVEL_QUANTILES))
        self.levels = self.fixed_levels or (c_lo, max(c_hi, c_lo + 1e-6))
        self.map.setImage(log_mag.reshape(grid, grid), autoLevels=False, levels=self.levels)
        cell = float(points[1, 0] - points[0, 0])
        x0, y0 = float(points[0, 0]) - cell / 2, float(points[0, 1]) - cell / 2
        self.map.setRect(QRectF(x0, y0, grid * cell, grid * cell))
        self.arrows.set_arrows(points, field, cell, self.levels)
        self.set_title(f"{self.title} &nbsp; |s| {10**lo:.2g} … {10**hi:.2g}")


class EpsView(FollowingView):
    """Each particle's noise estimate ε̂, with the 1σ and 2σ circles of N(0, I)."""

    title = "noise estimate ε̂ &nbsp;(circles: 1σ, 2σ of N(0, I))"
    key = "eps_hat"

    def __init__(self) -> None:
        super().__init__()
        theta = np.linspace(0, 2 * np.pi, 181, dtype=np.float32)
        for r in (1.0, 2.0):
            pen = pg.mkPen(CIRCLE_COLOR, width=1, style=Qt.PenStyle.DashLine)
            circle = pg.PlotCurveItem(r * np.cos(theta), r * np.sin(theta), pen=pen)
            circle.setZValue(20)  # over the particles
            self.plot.addItem(circle, ignoreBounds=True)
        self.particles = ParticleLayer(self.plot)
        self.follow = FollowLayer(self.plot)

    def set_style(self, style: ParticleStyle) -> None:
        self.particles.set_style(style)

    def set_frame(self, frame: Frame) -> None:
        super().set_frame(frame)
        self.particles.set_points(frame.eps)
        if len(self.follow.indices):
            self.follow.show(frame.eps[self.follow.indices])


class X0View(FollowingView):
    """Tweedie's x̂_0 = (x_t + (1 − ᾱ_t) s_θ)/√ᾱ_t, optional x_t → x̂_0 segments, the training data behind."""

    title = "Tweedie x̂<sub>0</sub> = (x<sub>t</sub> + (1−ᾱ<sub>t</sub>) s<sub>θ</sub>) / √ᾱ<sub>t</sub>"
    key = "x0_hat"

    def __init__(self) -> None:
        super().__init__()
        self.data = pg.ScatterPlotItem(pen=None, brush=pg.mkBrush(DATA_COLOR), size=3, pxMode=True)
        self.data.setZValue(-5)
        self.plot.addItem(self.data, ignoreBounds=True)
        self.segments = SegmentsLayer(self.plot, pg.mkPen((220, 220, 220, 45), width=1))
        self.particles = ParticleLayer(self.plot)
        self.follow = FollowLayer(self.plot)
        self.settings = ViewSettings()
        self.set_view_settings(self.settings)

    def set_model(self, info: ModelInfo) -> None:
        pts = info.data_points
        self.data.setData(pos=np.zeros((0, 2)) if pts is None else pts)

    def set_style(self, style: ParticleStyle) -> None:
        self.particles.set_style(style)

    def set_view_settings(self, settings: ViewSettings) -> None:
        self.settings = settings
        self.segments.set_visible(settings.segments)
        self.data.setVisible(settings.data)
        if self.frame is not None:
            self.set_frame(self.frame)

    def set_frame(self, frame: Frame) -> None:
        super().set_frame(frame)
        self.particles.set_points(frame.x0)
        if self.settings.segments:
            self.segments.set_segments(frame.x_pred, frame.x0)
        if len(self.follow.indices):
            self.follow.show(frame.x0[self.follow.indices])
