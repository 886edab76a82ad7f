"""Mirrors the app state into the view grid, redrawing at most ~30 times a second (superqt throttle).

A redraw happens when what is shown changes: a new run, the playhead, or (while the playhead waits ahead of the
computation) a newly computed step. The first request after a quiet spell draws at once, so the first frame of a
new run appears as soon as its first step lands.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from superqt.utils import qthrottled

from diffviz.views.grid import ViewGrid

from .state import AppState

FRAME_INTERVAL_MS = 33
PROGRESS_INTERVAL_MS = 100
# no in-between frame of a run that will have finished within this: its last frame follows (a β drag's re-sample
# of 2,000 particles takes ~0.2 s; a frame drawn meanwhile is ~12–25 ms of GUI time taken from it on 2 cores)
FINISHING_MS = 2 * PROGRESS_INTERVAL_MS


def field_square(camera: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The square around the centre of ``camera`` (x0, x1, y0, y1) that covers it (field cells stay square)."""
    x0, x1, y0, y1 = camera
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) / 2
    return tuple(round(v, 4) for v in (cx - half, cx + half, cy - half, cy + half))  # type: ignore[return-value]


class FrameThrottle(QObject):
    frameShown = Signal(object)  # the trajectory of the frame just painted

    def __init__(self, state: AppState, grid: ViewGrid, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state, self.grid = state, grid
        self._shown: tuple[object, int] | None = None  # (trajectory, index) last drawn
        self._unpainted: object = None  # the trajectory of a frame set but not yet painted (frameShown follows)
        self.prepare: Callable[[object, int], None] = lambda trajectory, index: None  # before a frame is drawn
        self._throttled_draw = qthrottled(self._draw_if_changed, timeout=FRAME_INTERVAL_MS, leading=True, parent=self)
        state.modelChanged.connect(grid.set_model)
        state.runStarted.connect(self._on_run)
        # while a run computes, its newest steps are drawn at ~10 frames a second, each at the end of its 100 ms
        # (each frame of four views is ~12 ms of GUI time taken from the run; the first frame was just drawn);
        # playback and the finished run draw at the full rate
        self._progress_draw = qthrottled(self._draw_progress, timeout=PROGRESS_INTERVAL_MS, leading=False, parent=self)
        state.runProgress.connect(self._on_progress)
        state.runFinished.connect(self.request)
        state.stepChanged.connect(self.request)
        state.viewChanged.connect(self._on_view)
        state.followedChanged.connect(grid.set_followed)
        state.playbackChanged.connect(lambda playback: grid.set_pieces(playback.pieces))
        grid.set_followed(state.session.followed)
        grid.particleClicked.connect(self.pick)
        grid.cameraChanged.connect(self.camera_moved)
        grid.painted.connect(self._painted)
        self.compare_grid: ViewGrid | None = None  # side by side: drawn at the same step as ``grid``

    def _wanted(self) -> tuple[object, int] | None:
        """(trajectory, index) that should be on screen, or None when nothing new is drawable."""
        traj, index = self.state.trajectory, self.state.shown_index
        if traj is None or index < 0 or self.state.model is None:
            return None
        if traj.data_shape != self.state.model.card.data_shape:  # the last model's run, before the new one starts
            return None
        if self._shown is not None and self._shown[0] is traj and self._shown[1] == index:
            return None
        return traj, index

    def request(self, *_: object) -> None:
        """Ask for a redraw; only a real change uses up the throttle's slot, so the first frame is never held back."""
        if self._wanted() is not None:
            self._throttled_draw()

    def _on_progress(self, *_: object) -> None:
        wanted = self._wanted()
        if wanted is None:
            return
        if self._shown is None or self._shown[0] is not wanted[0]:
            self._throttled_draw()  # a new run's first frame: at once (that latency is what a slider drag feels)
        elif not self._finishing_ms() <= FINISHING_MS:
            self._progress_draw()

    def _draw_progress(self) -> None:
        if not self._finishing_ms() <= FINISHING_MS:  # asked for 100 ms ago: is the run about to end by now?
            self._draw_if_changed()

    def _finishing_ms(self) -> float:
        """How long the running run still needs, at its pace so far (NaN, which draws, before it has one)."""
        state = self.state
        return (state.num_steps - state.frontier) * state.ms_per_step

    def _on_run(self, trajectory: object) -> None:
        self.grid.set_run(trajectory)  # type: ignore[arg-type]
        self._shown = None
        self.request()

    def pick(self, index: int, add: bool) -> None:
        """A click on a particle follows it (Shift: also it, or no longer it); a click on a followed one alone
        stops following."""
        followed = self.state.session.followed
        if add:
            new = tuple(i for i in followed if i != index) if index in followed else (*followed, index)
        else:
            new = () if followed == (index,) else (index,)
        self.state.session.followed = new

    def camera_moved(self, camera: tuple[float, float, float, float] | None) -> None:
        """The user zoomed or panned: remember the camera, and lay the score field's grid over what is shown, so
        zooming in gives a finer field and zooming out a field over the whole view."""
        if camera is None:
            return
        self.state.update_view(camera=camera, field_extent=field_square(camera))

    def redraw(self) -> None:
        """Draw the shown frame again (its data changed in place, e.g. a moved score field)."""
        self._shown = None
        self.request()

    def _on_view(self, settings: object) -> None:
        self.grid.set_view_settings(settings)  # type: ignore[arg-type]

    def _draw_if_changed(self, *_: object) -> None:
        wanted = self._wanted()
        if wanted is None:
            return
        self._shown = wanted
        traj, index = wanted
        self.prepare(traj, index)
        self.grid.set_frame(traj, index)  # type: ignore[arg-type]
        other = self.state.compare_trajectory
        if self.compare_grid is not None and other is not None:  # side by side: the same step of the other run
            self.prepare(other, index)
            self.compare_grid.set_frame(other, min(index, other.num_steps))
        # Qt paints the views once, at its next turn: a repaint() here painted them, and then the scene's own
        # update (queued by the items' new data) painted them a second time, 10–15 ms of the GUI thread each
        if self.grid.isVisible():
            self._unpainted = traj
        else:
            self.frameShown.emit(traj)

    def _painted(self) -> None:
        if self._unpainted is not None:
            traj, self._unpainted = self._unpainted, None
            self.frameShown.emit(traj)
