"""The four views in one GraphicsLayoutWidget (2×2, axes linked), switching between 2D and image views."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal

from diffviz.core import Trajectory
from diffviz.session import ViewSettings

from .model_info import ModelInfo
from .view_base import DEFAULT_RANGE, View
from .view_colors import BACKGROUND
from .view_frame import Frame
from .view_images import image_views
from .view_particles import ParticleStyle
from .view_points import EpsView, ScoreView, X0View, XtView


class ViewGrid(pg.GraphicsLayoutWidget):
    """Shows one frame of one run in all views; ``frameDrawn(index)`` after each drawn frame."""

    frameDrawn = Signal(int)
    cameraChanged = Signal(object)  # (x0, x1, y0, y1) of the linked 2D views after the user zoomed or panned

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.setBackground(BACKGROUND)
        self.layout: str | None = None
        self.views: list[View] = []
        self.settings = ViewSettings()
        self.trajectory: Trajectory | None = None
        self.style: ParticleStyle | None = None
        self.index = -1

    def view(self, key: str) -> View:
        return next(v for v in self.views if v.key == key)

    def set_model(self, info: ModelInfo) -> None:
        if info.layout != self.layout:
            self._build(info.layout)
        for v in self.views:
            v.set_model(info)

    def _build(self, layout: str) -> None:
        self.clear()
        self.layout = layout
        self.views = [XtView(), ScoreView(), EpsView(), X0View()] if layout == "points" else list(image_views())
        for i, v in enumerate(self.views):
            self.addItem(v.plot, row=i // 2, col=i % 2)
            v.set_view_settings(self.settings)
            if i:  # the others follow the first in x and y; only the first locks its aspect (no feedback loop)
                v.plot.setXLink(self.views[0].plot)
                v.plot.setYLink(self.views[0].plot)
            else:
                v.plot.setAspectLocked(True)
        if layout == "points":
            for v in self.views:  # a zoom in any view moves them all (linked): the first one's range is the camera
                v.vb.sigRangeChangedManually.connect(self._on_user_range)
            self.set_camera(self.settings.camera)
        self.trajectory, self.index, self.style = None, -1, None

    def camera(self) -> tuple[float, float, float, float] | None:
        """The shown range of the linked 2D views (None for image models)."""
        if self.layout != "points" or not self.views:
            return None
        (x0, x1), (y0, y1) = self.views[0].vb.viewRange()
        return tuple(round(float(v), 4) for v in (x0, x1, y0, y1))  # type: ignore[return-value]

    def set_camera(self, camera: tuple[float, float, float, float] | None) -> None:
        """Show ``camera`` (None: the default range) in the linked 2D views, unless they already do."""
        if self.layout != "points" or not self.views:
            return
        want = camera if camera is not None else (*DEFAULT_RANGE, *DEFAULT_RANGE)
        now = self.camera()
        if now is not None and np.allclose(now, want, atol=1e-3):
            return
        self.views[0].plot.setRange(xRange=want[:2], yRange=want[2:], padding=0)

    def _on_user_range(self, *_: object) -> None:
        self.cameraChanged.emit(self.camera())

    def set_run(self, trajectory: Trajectory) -> None:
        """A new run: particle colours from its x_T (fixed for the whole run)."""
        style = ParticleStyle(trajectory.x[0])
        if self.style is None or not np.array_equal(style.hue, self.style.hue):  # same seed: same colours
            self.style = style
            for v in self.views:
                v.set_style(style)
        self.trajectory, self.index = trajectory, -1

    def set_view_settings(self, settings: ViewSettings) -> None:
        self.settings = settings
        for v in self.views:
            v.set_view_settings(settings)
        self.set_camera(settings.camera)

    def set_frame(self, trajectory: Trajectory, index: int) -> None:
        if trajectory is not self.trajectory:
            self.set_run(trajectory)
        frame = Frame(trajectory, index)
        for v in self.views:
            v.set_frame(frame)
        self.index = index
        self.frameDrawn.emit(index)
