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

from .readouts import readout_html
from .state import AppState

TICK_MS = 33


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
        self.play_button.setToolTip("Play / pause (Space)")
        self.back_button.setToolTip("One step back (←)")
        self.back_button.setIcon(icon(QStyle.StandardPixmap.SP_MediaSeekBackward))
        self.next_button.setToolTip("One step on (→)")
        self.next_button.setIcon(icon(QStyle.StandardPixmap.SP_MediaSeekForward))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Step: x_T (pure noise) on the left, the sample x_0 on the right")
        self.speed = QComboBox()
        self.speed.setToolTip("Playback speed")
        for s in SPEEDS:
            self.speed.addItem(f"{s} steps/s", s)
        self.loop = QCheckBox("Loop")
        self.trails = QCheckBox("Trails")
        self.trail_length = QSpinBox()
        self.trail_length.setRange(1, 200)
        self.trail_length.setToolTip("Trail length in steps")
        self.segments = QCheckBox("x_t → x̂_0")
        self.segments.setToolTip("Draw a segment from each particle to its Tweedie estimate")
        self.readout = QLabel()
        self.readout.setTextFormat(Qt.TextFormat.RichText)

        row = QHBoxLayout()
        for button in (self.back_button, self.play_button, self.next_button):
            row.addWidget(button)
        row.addWidget(QLabel("x<sub>T</sub>"))
        row.addWidget(self.slider, 1)
        row.addWidget(QLabel("x<sub>0</sub>"))
        for w in (self.speed, self.loop, self.trails, self.trail_length, self.segments):
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
        for w in (self.trails, self.trail_length, self.segments):  # 2D layers only
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
