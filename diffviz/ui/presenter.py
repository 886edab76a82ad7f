"""Mirrors the app state into the view grid, redrawing at most ~30 times a second (superqt throttle).

A redraw happens when what is shown changes: a new run, the playhead, or (while the playhead waits ahead of the
computation) a newly computed step. The first request after a quiet spell draws at once, so the first frame of a
new run appears as soon as its first step lands.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from superqt.utils import qthrottled

from .state import AppState
from .view_grid import ViewGrid

FRAME_INTERVAL_MS = 33


class FramePresenter(QObject):
    def __init__(self, state: AppState, grid: ViewGrid, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state, self.grid = state, grid
        self._shown: tuple[int, int] | None = None  # (id of trajectory, index) last drawn
        self.request = qthrottled(self._draw_if_changed, timeout=FRAME_INTERVAL_MS, leading=True, parent=self)
        state.modelChanged.connect(grid.set_model)
        state.runStarted.connect(self._on_run)
        state.runProgress.connect(self.request)
        state.stepChanged.connect(self.request)
        state.viewChanged.connect(self._on_view)

    def _on_run(self, trajectory: object) -> None:
        self.grid.set_run(trajectory)  # type: ignore[arg-type]
        self._shown = None
        self.request()

    def _on_view(self, settings: object) -> None:
        self.grid.set_view_settings(settings)  # type: ignore[arg-type]

    def _draw_if_changed(self, *_: object) -> None:
        traj, index = self.state.trajectory, self.state.shown_index
        if traj is None or index < 0 or self.state.model is None:
            return
        if (id(traj), index) == self._shown:
            return
        self._shown = (id(traj), index)
        self.grid.set_frame(traj, index)
