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
from diffviz.views import typeset
from diffviz.views.model_info import ModelInfo

from .labels import form_label
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

# What each control does and what it means, for a lecturer hovering over it (plain text: tooltips).
TIPS = {
    "name": (
        "The noise schedule: how much noise β_t each of the T forward steps adds.\n"
        "linear (DDPM, Ho et al. 2020): β_t rises in a straight line from β_min to β_max.\n"
        "scaled linear: √β_t rises linearly (Stable Diffusion's schedule).\n"
        "cosine (Nichol & Dhariwal 2021): ᾱ_t follows a squared cosine, so the signal fades evenly and fewer "
        "steps are spent in near-pure noise.\n"
        "sigmoid: β_t follows an S-curve between β_min and β_max."
    ),
    "beta_start": (
        "β_min (diffusers' beta_start): the noise variance added by the first forward step, t = 1.\n"
        "Small, so the first steps barely change the data. Log scale; type an exact value in the box."
    ),
    "beta_end": (
        "β_max (diffusers' beta_end): the noise variance added by the last forward step, t = T.\n"
        "Together with T it sets ᾱ_T, the signal left at the end: ᾱ_T ≈ 0 means x_T is pure noise.\n"
        "Log scale; type an exact value in the box."
    ),
    "cosine_s": (
        "The cosine schedule's small offset s: ᾱ_t = f(t)/f(0) with f(t) = cos²((t/T + s)/(1 + s) · π/2).\n"
        "It keeps β_t from being vanishingly small near t = 0 (the default is 0.008). Used by the cosine "
        "schedule only."
    ),
    "T": (
        "T (diffusers' num_train_timesteps): how many small noising steps the forward process takes from the "
        "data x_0 to noise x_T.\nThe schedule is defined on these T levels; sampling visits some of them."
    ),
    "steps": (
        "Sampling steps (num_inference_steps): how many of the T noise levels the reverse sampler visits.\n"
        "Fewer steps are faster, but each jumps further and the samples blur (try 1000, 50, 10, 3)."
    ),
    "spacing": (
        "Which of the T levels a shorter run visits (diffusers' timestep_spacing):\n"
        "leading: every (T/steps)-th level counted from t = 0, so the noisiest level T may be skipped;\n"
        "trailing: counted back from t = T, so sampling starts from the noisiest level;\n"
        "linspace: evenly spread from T to 1, rounded."
    ),
    "reset": (
        "Set the schedule back to the one the model was trained with (type, β_min, β_max, T, spacing).\n"
        "Then every step asks the model at a noise level it has learned. Off for exact (analytic) scores."
    ),
}


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
        self.T = QSpinBox(minimum=2, maximum=MAX_TRAIN_TIMESTEPS, keyboardTracking=False)  # type: ignore[call-arg]
        self.steps = QSpinBox(minimum=1, maximum=MAX_TRAIN_TIMESTEPS, keyboardTracking=False)  # type: ignore[call-arg]
        self.spacing = QComboBox()
        for name in SPACINGS:
            self.spacing.addItem(name, name)
        self.cosine_s = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.cosine_s.setRange(0.0, 0.2)
        self.cosine_s.setDecimals(3)
        self.reset = QPushButton("Use the model's training schedule")
        self.reset.setToolTip(TIPS["reset"])
        self.message = QLabel(styleSheet="color: #ff7b5c")  # type: ignore[call-overload]
        self.message.setWordWrap(True)
        self.message.hide()
        self.notice = QLabel(styleSheet="color: #ffc857")  # type: ignore[call-overload]
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.RichText)  # typeset ᾱ_T and x̂_0
        self.notice.hide()
        self.plots = SchedulePlots()
        self.plots.setMinimumHeight(180)

        typeset.register_fonts()
        form = QFormLayout()
        for text, widget, tip in (
            ("Schedule", self.name, "name"),
            (typeset.BETA_MIN, self.beta_start, "beta_start"),
            (typeset.BETA_MAX, self.beta_end, "beta_end"),
            ("cosine " + typeset.sym("s"), self.cosine_s, "cosine_s"),
            (typeset.sym("T"), self.T, "T"),
            ("Steps", self.steps, "steps"),
            ("Spacing", self.spacing, "spacing"),
        ):
            form.addRow(form_label(text, widget, TIPS[tip]), widget)
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
            f"{count} of {sampled.num_steps} steps lie beyond the model's trained noise range "
            f"({typeset.sym('ᾱ', 'T')} = {float(sampled.alpha_bars[-1]):.2g}; red marks on the ᾱ and log-SNR plots): "
            f"the model is asked at its nearest trained level there, and {typeset.X0_HAT} is read at that level"
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
