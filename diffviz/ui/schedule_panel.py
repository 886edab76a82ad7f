"""Schedule controls (type, β_min/β_max log sliders, T, sampling steps, cosine offset) over the live plots.

Every widget change reads *all* widgets and writes the whole settings to the state, throttled (superqt
``qthrottled``, leading edge): a slider drag re-samples at most every THROTTLE_MS, never queues stale values, and
the first move acts at once. An invalid combination (β_min > β_max) is shown inline and not applied.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import asdict

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget
from superqt import QLabeledDoubleSlider
from superqt.utils import qthrottled, signals_blocked

from diffviz.core import SCHEDULE_NAMES, Schedule, ScheduleError
from diffviz.core.schedule import SPACINGS
from diffviz.session import ScheduleSettings
from diffviz.session.settings import MAX_TRAIN_TIMESTEPS
from diffviz.views.model_info import ModelInfo

from .log_slider import LogSlider
from .schedule_plots import SchedulePlots
from .state import AppState

THROTTLE_MS = 50
SCHEDULE_LABELS = {
    "linear": "linear (DDPM)",
    "scaled_linear": "scaled linear",
    "squaredcos_cap_v2": "cosine (squaredcos_cap_v2)",
    "sigmoid": "sigmoid",
}


CURSOR_INTERVAL_MS = 100


class SchedulePanel(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        s = state.schedule_settings
        self.name = QComboBox()
        for name in SCHEDULE_NAMES:
            self.name.addItem(SCHEDULE_LABELS.get(name, name), name)
        self.beta_start = LogSlider(1e-6, 1e-1, s.beta_start)
        self.beta_end = LogSlider(1e-3, 0.9, s.beta_end)
        # PySide6 takes any Qt property as a keyword; its stubs list only the class's own (hence the ignores)
        self.T = QSpinBox(  # type: ignore[call-arg]
            minimum=2, maximum=MAX_TRAIN_TIMESTEPS, keyboardTracking=False, toolTip="Length T of the schedule"
        )
        self.steps = QSpinBox(  # type: ignore[call-arg]
            minimum=1,
            maximum=MAX_TRAIN_TIMESTEPS,
            keyboardTracking=False,
            toolTip="Sampling steps: a subset of the T steps (fewer = faster)",
        )
        self.spacing = QComboBox(  # type: ignore[call-arg]
            toolTip="Which steps a shorter run keeps (diffusers' timestep_spacing)"
        )
        for name in SPACINGS:
            self.spacing.addItem(name, name)
        self.cosine_s = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.cosine_s.setRange(0.0, 0.2)
        self.cosine_s.setDecimals(3)
        self.reset = QPushButton("Use the model's training schedule")
        self.message = QLabel(styleSheet="color: #ff7b5c")  # type: ignore[call-overload]
        self.message.setWordWrap(True)
        self.message.hide()
        self.notice = QLabel(styleSheet="color: #ffc857")  # type: ignore[call-overload]
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.plots = SchedulePlots()
        self.plots.setMinimumHeight(180)

        form = QFormLayout()
        form.addRow("Schedule", self.name)
        form.addRow("β_min", self.beta_start)
        form.addRow("β_max", self.beta_end)
        form.addRow("cosine s", self.cosine_s)
        form.addRow("T", self.T)
        form.addRow("Steps", self.steps)
        form.addRow("Spacing", self.spacing)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addWidget(self.reset)
        layout.addWidget(self.message)
        layout.addWidget(self.notice)
        layout.addWidget(self.plots, 1)

        self.apply = qthrottled(self._apply, timeout=THROTTLE_MS, leading=True, parent=self)
        self.name.currentIndexChanged.connect(self.apply)
        self.spacing.currentIndexChanged.connect(self.apply)
        for w in (self.beta_start, self.beta_end, self.cosine_s, self.T, self.steps):
            w.valueChanged.connect(self.apply)
        self.reset.clicked.connect(self._reset)
        state.scheduleChanged.connect(self._mirror)
        state.modelChanged.connect(self._on_model)
        state.runStarted.connect(self._move_cursor)
        state.stepChanged.connect(self._move_cursor)
        # while a run computes, the cursor follows it at ~10 frames a second: each move repaints three plots, and
        # a repaint per computed step took GUI time from the run (25 repaints, 110 ms, in a 100-step β_max drag)
        self._cursor_on_progress = qthrottled(self._move_cursor, timeout=CURSOR_INTERVAL_MS, leading=True, parent=self)
        state.runProgress.connect(self._cursor_on_progress)
        self._mirror(s)

    def read(self) -> ScheduleSettings:
        """The settings the widgets show; a step count at its cap (T) keeps a larger count asked for earlier."""
        steps = self.steps.value()
        if steps >= self.T.value():
            steps = max(steps, self.state.schedule_settings.num_inference_steps)
        return ScheduleSettings(
            name=self.name.currentData(),
            num_train_timesteps=self.T.value(),
            beta_start=self.beta_start.value(),
            beta_end=self.beta_end.value(),
            cosine_s=float(self.cosine_s.value()),
            num_inference_steps=steps,
            timestep_spacing=self.spacing.currentData(),
            steps_offset=self.state.schedule_settings.steps_offset,  # no widget: carried from the scene or model
        )

    def _apply(self, *_: object) -> None:
        settings = self.read()
        try:
            settings.build()
        except ScheduleError as exc:
            self.message.setText(str(exc))
            self.message.show()
            return
        self.message.hide()
        self.state.update_schedule(**asdict(settings))

    def _reset(self) -> None:
        info = self.state.model
        train = info.model.train_schedule if info is not None else None
        steps = self.state.schedule_settings.num_inference_steps
        card = info.card if info is not None else None
        spacing = (card.timestep_spacing, card.steps_offset) if card is not None else (None, 0)
        self.state.update_schedule(**asdict(ScheduleSettings.matching(train, steps, *spacing)))

    # ---- mirror the state -------------------------------------------------------------------------------------
    def _mirror(self, s: ScheduleSettings) -> None:
        with ExitStack() as stack:
            for w in (self.name, self.spacing, self.cosine_s, self.T, self.steps):
                stack.enter_context(signals_blocked(w))
            self.name.setCurrentIndex(max(self.name.findData(s.name), 0))
            self.spacing.setCurrentIndex(max(self.spacing.findData(s.timestep_spacing), 0))
            self.cosine_s.setValue(s.cosine_s)
            self.T.setValue(s.num_train_timesteps)
            self.steps.setMaximum(s.num_train_timesteps)
            self.steps.setValue(min(s.num_inference_steps, s.num_train_timesteps))
        self.beta_start.setValue(s.beta_start)
        self.beta_end.setValue(s.beta_end)
        cosine = s.name == "squaredcos_cap_v2"
        self.cosine_s.setEnabled(cosine)
        self.beta_start.setEnabled(not cosine)
        self.beta_end.setEnabled(not cosine)
        self._replot()

    def _on_model(self, info: ModelInfo) -> None:
        self.reset.setEnabled(info.model.train_schedule is not None)
        self._replot()

    def _replot(self) -> None:
        settings = self.state.schedule_settings
        try:
            full, sampled = settings.full(), settings.build()
        except ScheduleError:
            return
        info = self.state.model
        if info is None:
            train, clamped = None, np.zeros(sampled.num_steps, bool)
        else:
            train = info.model.train_schedule
            clamped = np.array([info.model.model_time(float(a))[1] for a in sampled.alpha_bars], dtype=bool)
        self.plots.set_schedules(full, sampled, train, clamped)
        self._set_notice(sampled, clamped)
        self._move_cursor()

    def _set_notice(self, sampled: Schedule, clamped: np.ndarray) -> None:
        """A schedule outside what the model was trained on still samples; say what that means, without an error."""
        count = int(clamped.sum())
        if not count:
            self.notice.hide()
            return
        self.notice.setText(
            f"{count} of {sampled.num_steps} steps lie beyond the model's trained noise range (ᾱ_T = "
            f"{float(sampled.alpha_bars[-1]):.2g}; red marks on the ᾱ and log-SNR plots): the model is asked at its "
            "nearest trained level there, and x̂_0 is read at that level"
        )
        self.notice.show()

    def _move_cursor(self, *_: object) -> None:
        schedule: Schedule | None = self.state.schedule
        index = self.state.shown_index
        if schedule is None or index < 0:
            return
        K = schedule.num_steps
        T = int(schedule.config.get("num_steps", K))
        self.plots.set_cursor(0.0 if index >= K else float(schedule.timesteps[K - 1 - index] + 1) / T)
