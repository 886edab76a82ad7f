"""The one observable app state: model, schedule and sampler settings, the displayed run and the playhead.

Widgets mirror it (connect to its signals) and write to it (call its setters); nothing else holds app state.
Setters emit only on a real change, so a widget that mirrors a value can write it back without a loop.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

from diffviz.core import Schedule, Trajectory

from .model_info import ModelInfo
from .settings import DEFAULT_IMAGES, DEFAULT_POINTS, SamplerSettings, ScheduleSettings, ViewSettings


def frontier(trajectory: Trajectory | None) -> int:
    """The last step index whose x_t *and* predictions are filled: K when complete, else steps_done − 1.

    −1 when nothing is drawable yet. Index K is the final sample x_0 (views show the last step's predictions).
    """
    if trajectory is None:
        return -1
    return trajectory.num_steps if trajectory.complete else trajectory.steps_done - 1


class AppState(QObject):
    """Everything the window shows; see the module docstring."""

    modelChanged = Signal(object)  # ModelInfo
    scheduleChanged = Signal(object)  # ScheduleSettings
    samplerChanged = Signal(object)  # SamplerSettings
    viewChanged = Signal(object)  # ViewSettings
    runStarted = Signal(object)  # Trajectory (being filled)
    runProgress = Signal(int)  # frontier
    runFinished = Signal(object)  # Trajectory
    stepChanged = Signal(int)  # playhead, 0..K
    timingChanged = Signal(float)  # ms per step of the running run
    errorRaised = Signal(str, str)  # title, message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model: ModelInfo | None = None
        self.schedule_settings = ScheduleSettings()
        self.sampler_settings = SamplerSettings()
        self.view_settings = ViewSettings()
        self.trajectory: Trajectory | None = None
        self.schedule: Schedule | None = None  # the schedule of the displayed run
        self.step = 0
        self.ms_per_step = float("nan")
        self._particles = {"points": DEFAULT_POINTS, "image": DEFAULT_IMAGES}

    # ---- settings -----------------------------------------------------------------------------------------
    def set_model(self, info: ModelInfo, schedule: ScheduleSettings | None = None) -> None:
        """Switch model; ``schedule`` (e.g. the model's training schedule) is applied in the same change."""
        old_kind = self.model.kind if self.model is not None else "points"
        self._particles[old_kind] = self.sampler_settings.n
        self.model = info
        if info.kind != old_kind:
            self.update_sampler(n=self._particles[info.kind])
        if schedule is not None:
            self.update_schedule(**asdict(schedule))
        self.modelChanged.emit(info)

    def update_schedule(self, **changes: Any) -> None:
        self._update("schedule_settings", self.scheduleChanged, changes)

    def update_sampler(self, **changes: Any) -> None:
        self._update("sampler_settings", self.samplerChanged, changes)

    def update_view(self, **changes: Any) -> None:
        self._update("view_settings", self.viewChanged, changes)

    def _update(self, attr: str, signal: SignalInstance, changes: dict[str, Any]) -> None:
        old = getattr(self, attr)
        new = replace(old, **changes)
        if new != old:
            setattr(self, attr, new)
            signal.emit(new)

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

    def start_run(self, trajectory: Trajectory, schedule: Schedule) -> None:
        """A new run (possibly still empty). A playhead at the end stays at the end; elsewhere it keeps its place."""
        old_K = self.num_steps
        at_end = self.trajectory is None or self.step >= old_K
        self.trajectory, self.schedule = trajectory, schedule
        K = trajectory.num_steps
        self.runStarted.emit(trajectory)
        self.set_step(K if at_end else round(self.step / max(old_K, 1) * K))
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
        step = max(0, min(int(step), self.num_steps))
        if step != self.step:
            self.step = step
            self.stepChanged.emit(step)

    def report_error(self, title: str, message: str) -> None:
        self.errorRaised.emit(title, message)
