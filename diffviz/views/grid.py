"""The four views in one GraphicsLayoutWidget (2×2, axes linked), switching between 2D and image views."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal

from diffviz.core import Trajectory
from diffviz.session import ViewSettings

from .base import DEFAULT_RANGE, View
from .colors import DARK, theme
from .forward import ForwardView
from .frame import Frame
from .images import image_views
from .model_info import ModelInfo
from .particles import ParticleStyle
from .points import EpsView, ScoreView, X0View, XtView

PICK_PX = 10  # a click this close to a particle (in screen pixels, × the UI scale) picks it


class ViewGrid(pg.GraphicsLayoutWidget):
    """Shows one frame of one run in all views; ``frameDrawn(index)`` after each drawn frame."""

    frameDrawn = Signal(int)
    cameraChanged = Signal(object)  # (x0, x1, y0, y1) of the linked 2D views after the user zoomed or panned
    particleClicked = Signal(int, bool)  # the particle nearest a click (within PICK_PX), and whether Shift was held
    panelDoubleClicked = Signal(str)  # the key of the view double-clicked (to fill the window with it, or back)
    painted = Signal()  # the views were painted on screen

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.setBackground(DARK.background)
        self.modality: str | None = None
        self.views: list[View] = []
        self.settings = ViewSettings()
        self.trajectory: Trajectory | None = None
        self.style: ParticleStyle | None = None
        self.index = -1
        self._arranged: tuple[tuple[str, ...], str] | None = None  # (panels, layout) placed in the grid
        self.followed: tuple[int, ...] = ()  # the session's followed particles
        self.scene().sigMouseClicked.connect(self._on_click)

    def view(self, key: str) -> View:
        return next(v for v in self.views if v.key == key)

    def set_model(self, info: ModelInfo) -> None:
        if info.modality != self.modality:
            self._build(info.modality)
        for v in self.views:
            v.set_model(info)

    def _build(self, modality: str) -> None:
        self.modality = modality
        points = modality == "points"
        self.views = [XtView(), ScoreView(), EpsView(), X0View(), ForwardView()] if points else list(image_views())
        for v in self.views:
            v.set_view_settings(self.settings)
            v.set_scale(self.settings.ui_scale)
            v.set_theme(theme(self.settings.theme))
            v.set_explaining(self.settings.explain)
            if modality == "points":  # a zoom in any view moves them all: the leader's range is the camera
                v.vb.sigRangeChangedManually.connect(self._on_user_range)
        self._arranged = None
        self._arrange()
        self.trajectory, self.index, self.style = None, -1, None
        self._push_followed()

    @property
    def shown_views(self) -> list[View]:
        """The views the session's panels name, in its order (``single``: the first of them); a panel this model has
        no view for (``forward`` for an image model) is left out, and the first view stands in when none is left."""
        keys = {v.key for v in self.views}
        panels = [key for key in self.settings.panels if key in keys] or [v.key for v in self.views[:1]]
        return [self.view(key) for key in (panels[:1] if self.settings.layout == "single" else panels)]

    def _arrange(self) -> None:
        """Place the shown views in the session's layout (2×2, 1×4 or single); the first shown one leads: it locks
        the aspect of the 2D views and the others follow it in x and y."""
        wanted = (self.settings.panels, self.settings.layout)
        if wanted == self._arranged or not self.views:
            return
        camera = self.camera()
        self.clear()
        shown = self.shown_views
        columns = {"2x2": 2, "1x4": 4, "single": 1}[self.settings.layout]
        for i, v in enumerate(shown):
            self.addItem(v.plot, row=i // columns, col=i % columns)
        leader = shown[0]
        for v in self.views:  # only the shown views follow the leader: a hidden one would outlive it
            follows = v is not leader and v in shown
            v.plot.setXLink(leader.plot if follows else None)
            v.plot.setYLink(leader.plot if follows else None)
            v.plot.setAspectLocked(v is leader and self.modality == "points")
        self._arranged = wanted
        self.set_camera(self.settings.camera or camera)

    def camera(self) -> tuple[float, float, float, float] | None:
        """The shown range of the linked 2D views (None for image models)."""
        if self.modality != "points" or not self.views:
            return None
        (x0, x1), (y0, y1) = self.shown_views[0].vb.viewRange()
        return tuple(round(float(v), 4) for v in (x0, x1, y0, y1))  # type: ignore[return-value]

    def set_camera(self, camera: tuple[float, float, float, float] | None) -> None:
        """Show ``camera`` (None: the default range) in the linked 2D views, unless they already do."""
        if self.modality != "points" or not self.views:
            return
        want = camera if camera is not None else (*DEFAULT_RANGE, *DEFAULT_RANGE)
        now = self.camera()
        if now is not None and np.allclose(now, want, atol=1e-3):
            return
        self.shown_views[0].plot.setRange(xRange=want[:2], yRange=want[2:], padding=0)

    def _on_user_range(self, *_: object) -> None:
        self.cameraChanged.emit(self.camera())

    def set_run(self, trajectory: Trajectory) -> None:
        """A new run: particle colours from its x_T (fixed for the whole run)."""
        style = ParticleStyle(trajectory.x[0], self.settings.theme)
        if not style.same_as(self.style):  # same seed (and theme): same colours
            self.style = style
            for v in self.views:
                v.set_style(style)
                v.frame = None  # the last run's frame no longer fits (another particle count): not redrawn
            self._push_followed()
        self.trajectory, self.index = trajectory, -1

    def set_pieces(self, pieces: int) -> None:
        """How much of the step from the shown one to draw for followed particles (one step taken apart)."""
        for v in self.views:
            if isinstance(v, XtView):
                v.set_pieces(pieces)

    def set_followed(self, followed: tuple[int, ...]) -> None:
        """Mark these particles in every view (those beyond the run's count are left out), the others dimmed."""
        self.followed = tuple(followed)
        self._push_followed()

    def _on_click(self, event: object) -> None:
        """A left click near a particle in a 2D view picks it (in that view's own coordinates: x_t, ε̂ or x̂_0); a
        double click on a view asks for it alone (or back to all)."""
        if event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        pos = event.scenePos()  # type: ignore[attr-defined]
        if event.double():  # type: ignore[attr-defined]
            for v in self.shown_views:
                if v.plot.sceneBoundingRect().contains(pos):
                    self.panelDoubleClicked.emit(v.key)
                    return
            return
        if self.modality != "points" or self.trajectory is None or self.index < 0:
            return
        for v in self.shown_views:
            if v.vb.sceneBoundingRect().contains(pos) and v.frame is not None and not isinstance(v, ForwardView):
                points = {"eps_hat": v.frame.eps, "x0_hat": v.frame.x0}.get(v.key, v.frame.x)
                where = v.vb.mapSceneToView(pos)
                pw, ph = v.vb.viewPixelSize()
                d2 = ((points[:, 0] - where.x()) / pw) ** 2 + ((points[:, 1] - where.y()) / ph) ** 2
                nearest = int(np.argmin(d2))
                if d2[nearest] <= (PICK_PX * self.settings.ui_scale) ** 2:
                    shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)  # type: ignore[attr-defined]
                    self.particleClicked.emit(nearest, shift)
                return

    def _push_followed(self) -> None:
        n = self.style.n if self.style is not None else 0
        idx = np.array([i for i in self.followed if 0 <= i < n], dtype=np.int64)
        colors = self.style.rgba(255)[idx] if self.style is not None else np.zeros((0, 4), np.uint8)
        for v in self.views:
            v.set_followed(idx, colors)

    def set_view_settings(self, settings: ViewSettings) -> None:
        new_theme = settings.theme != self.settings.theme
        self.settings = settings
        self.setBackground(theme(settings.theme).background)
        for v in self.views:
            v.set_view_settings(settings)
            v.set_scale(settings.ui_scale)
            v.set_theme(theme(settings.theme))
            v.set_explaining(settings.explain)
        if new_theme and self.trajectory is not None:  # the particles' palette is the theme's
            trajectory, index, self.style = self.trajectory, self.index, None
            self.set_run(trajectory)
            if index >= 0:
                self.set_frame(trajectory, index)
        self._arrange()
        self.set_camera(settings.camera)

    def paintEvent(self, event: object) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        self.painted.emit()

    def set_frame(self, trajectory: Trajectory, index: int) -> None:
        if trajectory is not self.trajectory:
            self.set_run(trajectory)
        frame = Frame(trajectory, index)
        for v in self.views:
            v.set_frame(frame)
        self.index = index
        self.frameDrawn.emit(index)
