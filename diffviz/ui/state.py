"""The Qt side of the session: its events as Qt signals, the loaded model, the displayed run and its playhead.

All settings live in the Qt-free :class:`~diffviz.session.Session` (``state.session``); this object forwards its
events as Qt signals (so widgets connect the Qt way and stay on the GUI thread) and holds what is not saved: the
loaded model (:class:`ModelInfo`), the run being shown and its timing. Widgets mirror it and write to the session
through the setters here; setters emit only on a real change, so a widget can write back a mirrored value.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from diffviz.core import Schedule, Trajectory
from diffviz.session import DEFAULT_IMAGES, DEFAULT_POINTS, ModelRef, ScheduleSettings, Session
from diffviz.session.settings import ALL_PIECES, Playback, SamplerSettings, ViewSettings
from diffviz.views.model_info import ModelInfo


def frontier(trajectory: Trajectory | None) -> int:
    """The last step index whose x_t *and* predictions are filled: K when complete, else steps_done − 1.

    −1 when nothing is drawable yet. Index K is the final sample x_0 (views show the last step's predictions).
    """
    if trajectory is None:
        return -1
    return trajectory.num_steps if trajectory.complete else trajectory.steps_done - 1


class AppState(QObject):
    """See the module docstring."""

    modelChanged = Signal(object)  # ModelInfo
    scheduleChanged = Signal(object)  # ScheduleSettings
    samplerChanged = Signal(object)  # SamplerSettings
    viewChanged = Signal(object)  # ViewSettings
    playbackChanged = Signal(object)  # Playback
    captionChanged = Signal(str)
    followedChanged = Signal(object)  # tuple[int, ...]
    settingsChanged = Signal(object)  # frozenset of the session fields changed by one edit or one batch
    runStarted = Signal(object)  # Trajectory (being filled)
    compareChanged = Signal(object)  # the side-by-side run's Trajectory (being filled), or None: one run
    runProgress = Signal(int)  # frontier
    runFinished = Signal(object)  # Trajectory
    stepChanged = Signal(int)  # playhead, 0..K
    timingChanged = Signal(float)  # ms per step of the running run
    errorRaised = Signal(str, str)  # title, message

    def __init__(self, parent: QObject | None = None, session: Session | None = None) -> None:
        super().__init__(parent)
        self.session = session if session is not None else Session()
        self.model: ModelInfo | None = None
        self.trajectory: Trajectory | None = None
        self.compare_trajectory: Trajectory | None = None  # side by side: the second sampler's run, same x_T, noise
        self.schedule: Schedule | None = None  # the schedule of the displayed run
        self.ms_per_step = float("nan")
        self._particles = {"points": DEFAULT_POINTS, "image": DEFAULT_IMAGES}
        self._step = self.session.playback.step
        events = self.session.events
        events.schedule.connect(self.scheduleChanged.emit)
        events.sampler.connect(self.samplerChanged.emit)
        events.view.connect(self.viewChanged.emit)
        events.playback.connect(self._on_playback)
        events.caption.connect(self.captionChanged.emit)
        events.followed.connect(self.followedChanged.emit)
        self.session.changed.connect(self.settingsChanged.emit)

    def _on_playback(self, playback: Playback) -> None:
        self.playbackChanged.emit(playback)
        if playback.step != self._step:
            self._step = playback.step
            self.stepChanged.emit(playback.step)

    # ---- the session's settings ---------------------------------------------------------------------------------
    @property
    def schedule_settings(self) -> ScheduleSettings:
        return self.session.schedule

    @property
    def sampler_settings(self) -> SamplerSettings:
        return self.session.sampler

    @property
    def view_settings(self) -> ViewSettings:
        return self.session.view

    @property
    def playback(self) -> Playback:
        return self.session.playback

    @property
    def step(self) -> int:
        return self.session.playback.step

    def set_model(self, info: ModelInfo, schedule: ScheduleSettings | None = None) -> None:
        """Switch model; ``schedule`` (e.g. the model's training schedule) is applied in the same change."""
        old_modality = self.model.modality if self.model is not None else "points"
        self._particles[old_modality] = self.session.sampler.num_particles
        self.model = info
        with self.session.batch():
            self.session.model = ModelRef(info.spec, info.card.sha256)
            self.session.card = info.card
            if info.modality != old_modality:
                self.session.update_sampler(num_particles=self._particles[info.modality])
            if schedule is not None:
                self.session.schedule = schedule
        self.modelChanged.emit(info)

    def update_schedule(self, **changes: Any) -> None:
        self.session.update_schedule(**changes)

    def update_sampler(self, **changes: Any) -> None:
        self.session.update_sampler(**changes)

    def update_view(self, **changes: Any) -> None:
        self.session.update_view(**changes)

    def update_playback(self, **changes: Any) -> None:
        self.session.update_playback(**changes)

    # ---- runs ---------------------------------------------------------------------------------------------
    @property
    def num_steps(self) -> int:
        return self.trajectory.num_steps if self.trajectory is not None else 0

    @property
    def frontier(self) -> int:
        return frontier(self.trajectory)

    @property
    def shown_index(self) -> int:
        """The step the views show: the playhead, held back to what has been computed."""
        return min(self.step, self.frontier)

    def start_run(
        self, trajectory: Trajectory, schedule: Schedule, step: int | None = None, compare: Trajectory | None = None
    ) -> None:
        """A new run (possibly still empty), shown at ``step``; by default a playhead at the end stays at the end
        and elsewhere keeps its place. ``compare``: the side-by-side run, sampled in step with it."""
        old_K = self.num_steps
        at_end = self.trajectory is None or self.step >= old_K
        self.trajectory, self.schedule = trajectory, schedule
        if compare is not None or self.compare_trajectory is not None:
            self.compare_trajectory = compare
            self.compareChanged.emit(compare)
        K = trajectory.num_steps
        self.runStarted.emit(trajectory)
        if step is None:
            step = K if at_end else round(self.step / max(old_K, 1) * K)
        self.set_step(step)
        self.runProgress.emit(self.frontier)
        if trajectory.complete:
            self.runFinished.emit(trajectory)

    def progress(self, ms_per_step: float) -> None:
        """The running trajectory has filled more steps (called by the sampling controller)."""
        self.ms_per_step = ms_per_step
        self.timingChanged.emit(ms_per_step)
        self.runProgress.emit(self.frontier)

    def finish_run(self) -> None:
        self.runProgress.emit(self.frontier)
        self.runFinished.emit(self.trajectory)

    def set_step(self, step: int) -> None:
        """Move the playhead (the step from there is drawn whole)."""
        step = max(0, min(int(step), self.num_steps))
        if step != self.step:
            self.session.update_playback(step=step, pieces=ALL_PIECES)

    def next_piece(self) -> None:
        """One step taken apart, a piece per call (key N): the drift x_t → μ_θ, then the noise σ_t z, then on to
        x_{t−1} with nothing drawn yet. Follows particle 0 when none is followed (the pieces are drawn for those)."""
        if not self.session.followed:
            self.session.followed = (0,)
        pieces = self.playback.pieces
        if pieces < ALL_PIECES:
            self.session.update_playback(pieces=pieces + 1, playing=False)
        elif self.step < min(self.frontier, self.num_steps):
            self.session.update_playback(step=self.step + 1, pieces=0, playing=False)

    def report_error(self, title: str, message: str) -> None:
        self.errorRaised.emit(title, message)
