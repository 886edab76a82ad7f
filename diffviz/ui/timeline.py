"""The timeline: a step slider from x_T to x_0, play/pause, ±1 step, speed, loop, and the step's readouts."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from diffviz.session.settings import SPEEDS, Playback
from diffviz.views import typeset

from .labels import BuddyLabel, check_box
from .readouts import readout_html
from .state import AppState

TICK_MS = 33

# What each control does and what it means (plain text: tooltips)
TIPS = {
    "play": "Play / pause (Space): run the reverse process from the noise x_T towards the sample x_0.",
    "back": "One step back, towards the noise x_T (, or ←; in a paused lesson ← goes to the previous cue).",
    "next": "One step on, towards the sample x_0 (. or →; in a paused lesson → goes to the next cue).",
    "slider": (
        "The playhead: the step of the reverse process the views show, from x_T (pure noise, left) to the sample "
        "x_0 (right). Drag to scrub; while a run is computing it stops at the last computed step."
    ),
    "start": "x_T: pure Gaussian noise, where sampling starts.",
    "end": "x_0: the finished sample, where sampling ends.",
    "speed": "Playback speed, in sampling steps per second.",
    "loop": "Loop: start again from x_T when playback reaches x_0.",
    "trails": "Trails (T): draw each particle's path over its latest steps (2D models only).",
    "trail_length": "Trail length: how many of the latest steps each trail shows.",
    "segments": (
        "x_t → x̂_0 segments (S): a line from each particle x_t to its Tweedie estimate "
        "x̂_0 = (x_t + (1 − ᾱ_t) s_θ)/√ᾱ_t, the clean sample the model expects it to become (2D models only)."
    ),
    "readout": (
        "The shown step: t, the noise level (1..T); model t, the time the model is asked at (clamped outside its "
        "trained range); β_t, the noise variance of this step; ᾱ_t, the signal left; SNR = ᾱ_t/(1 − ᾱ_t)."
    ),
}


class Timeline(QWidget):
    """Mirrors the session's playback (step, playing, speed, loop) and writes it; plays by advancing the playhead,
    never past what is computed."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._carry = 0.0  # fractional steps between ticks
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

        icon = self.style().standardIcon
        # made once: a fresh QIcon on every tick of playback put one more pixmap in Qt's QPixmapCache each time
        self._play_icons = {
            False: icon(QStyle.StandardPixmap.SP_MediaPlay),
            True: icon(QStyle.StandardPixmap.SP_MediaPause),
        }
        self.play_button, self.back_button, self.next_button = QToolButton(), QToolButton(), QToolButton()
        self.play_button.setToolTip(TIPS["play"])
        self.back_button.setToolTip(TIPS["back"])
        self.back_button.setIcon(icon(QStyle.StandardPixmap.SP_MediaSeekBackward))
        self.next_button.setToolTip(TIPS["next"])
        self.next_button.setIcon(icon(QStyle.StandardPixmap.SP_MediaSeekForward))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip(TIPS["slider"])
        self.speed = QComboBox()
        self.speed.setToolTip(TIPS["speed"])
        for s in SPEEDS:
            self.speed.addItem(f"{s} steps/s", s)
        self.loop = QCheckBox("Loop")
        self.loop.setToolTip(TIPS["loop"])
        self.trails = QCheckBox("Trails")
        self.trails.setToolTip(TIPS["trails"])
        self.trail_length = QSpinBox()
        self.trail_length.setRange(1, 200)
        self.trail_length.setToolTip(TIPS["trail_length"])
        typeset.register_fonts()
        self.segments, self._segments_row = check_box(f"{typeset.X_T} → {typeset.X0_HAT}", TIPS["segments"])
        self.readout = QLabel()
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setToolTip(TIPS["readout"])
        self.start_label = BuddyLabel(typeset.X_T_START, self.slider)
        self.start_label.setToolTip(TIPS["start"])
        self.end_label = BuddyLabel(typeset.X_0, self.slider)
        self.end_label.setToolTip(TIPS["end"])

        row = QHBoxLayout()
        for button in (self.back_button, self.play_button, self.next_button):
            row.addWidget(button)
        row.addWidget(self.start_label)
        row.addWidget(self.slider, 1)
        row.addWidget(self.end_label)
        for w in (self.speed, self.loop, self.trails, self.trail_length, self._segments_row):
            row.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addLayout(row)
        layout.addWidget(self.readout)

        self.play_button.clicked.connect(self.toggle_play)
        self.back_button.clicked.connect(lambda: self.step_by(-1))
        self.next_button.clicked.connect(lambda: self.step_by(1))
        self.slider.valueChanged.connect(self._on_slider)
        self.trails.toggled.connect(lambda on: state.update_view(trails=on))
        self.trail_length.valueChanged.connect(lambda n: state.update_view(trail_length=n))
        self.segments.toggled.connect(lambda on: state.update_view(segments=on))
        self.speed.currentIndexChanged.connect(lambda _: state.update_playback(speed=self.speed.currentData()))
        self.loop.toggled.connect(lambda on: state.update_playback(loop=on))
        state.playbackChanged.connect(self._on_playback)
        state.runStarted.connect(self._on_run)
        state.runProgress.connect(self._refresh)
        state.stepChanged.connect(self._on_step)
        state.viewChanged.connect(self._on_view)
        state.modelChanged.connect(self._on_model)
        self._on_view(state.view_settings)
        self._on_playback(state.playback)

    # ---- actions --------------------------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self.state.playback.playing

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        if self.state.step >= self.state.num_steps:
            self.state.set_step(0)  # replay from x_T
        self.state.update_playback(playing=True)

    def pause(self) -> None:
        self.state.update_playback(playing=False)

    def step_by(self, delta: int) -> None:
        self.pause()
        self.state.set_step(min(self.state.step + delta, max(self.state.frontier, 0)))

    def _tick(self) -> None:
        K = self.state.num_steps
        self._carry += self.state.playback.speed * TICK_MS / 1000
        advance, self._carry = int(self._carry), self._carry % 1
        step = self.state.step + advance
        if step >= K and self.state.frontier >= K:
            if self.state.playback.loop:
                step = 0
            else:
                self.state.set_step(K)
                self.pause()
                return
        self.state.set_step(min(step, max(self.state.frontier, 0)))  # wait for the computation

    # ---- mirror the state -------------------------------------------------------------------------------------
    def _on_slider(self, value: int) -> None:
        if value != self.state.step:
            self.pause()
            self.state.set_step(value)

    def _on_run(self, _: object) -> None:
        with signals_blocked(self.slider):
            self.slider.setRange(0, self.state.num_steps)
            self.slider.setValue(self.state.step)
        self._refresh()

    def _on_step(self, step: int) -> None:
        with signals_blocked(self.slider):
            self.slider.setValue(step)
        self._refresh()

    def _on_playback(self, playback: Playback) -> None:
        with signals_blocked(self.speed), signals_blocked(self.loop):
            self.speed.setCurrentIndex(max(self.speed.findData(playback.speed), 0))
            self.loop.setChecked(playback.loop)
        if playback.playing and not self.timer.isActive():
            self._carry = 0.0
            self.timer.start()
        elif not playback.playing:
            self.timer.stop()
        self._set_play_icon()

    def _on_model(self, info: object) -> None:
        points = not info.is_image  # type: ignore[attr-defined]
        for w in (self.trails, self.trail_length, self._segments_row):  # 2D layers only
            w.setEnabled(points)

    def _on_view(self, settings: object) -> None:
        with signals_blocked(self.trails), signals_blocked(self.segments), signals_blocked(self.trail_length):
            self.trails.setChecked(settings.trails)  # type: ignore[attr-defined]
            self.segments.setChecked(settings.segments)  # type: ignore[attr-defined]
            self.trail_length.setValue(settings.trail_length)  # type: ignore[attr-defined]

    def _refresh(self, *_: object) -> None:
        traj, schedule = self.state.trajectory, self.state.schedule
        index = self.state.shown_index
        if traj is None or schedule is None or index < 0:
            self.readout.setText("sampling…")
            return
        text = readout_html(traj, schedule, index)
        if not traj.complete:
            text += f" &nbsp; <i>computing: {traj.steps_done}/{traj.num_steps}</i>"
        self.readout.setText(text)

    def _set_play_icon(self) -> None:
        self.play_button.setIcon(self._play_icons[self.playing])
