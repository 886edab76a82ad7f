"""Sampler controls: DDPM (variance, clip), DDIM η, probability-flow ODE (Euler / Heun), predictor–corrector;
particle count, seed and the "same noise" lock. Written to the state like the schedule panel (throttled)."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import asdict

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QSpinBox, QWidget
from superqt import QLabeledDoubleSlider
from superqt.utils import qthrottled, signals_blocked

from .settings import SAMPLER_LABELS, VARIANCE_TYPES, SamplerSettings
from .state import AppState

THROTTLE_MS = 50
MAX_PARTICLES = 200_000


def _slider(lo: float, hi: float, decimals: int) -> QLabeledDoubleSlider:
    slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
    slider.setRange(lo, hi)
    slider.setDecimals(decimals)
    return slider


class SamplerPanel(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.kind = QComboBox()
        for name, label in SAMPLER_LABELS.items():
            self.kind.addItem(label, name)
        self.variance = QComboBox(toolTip="σ_t² = β̃_t (fixed_small) or β_t (fixed_large)")
        for name in VARIANCE_TYPES:
            self.variance.addItem(name, name)
        self.clip = QCheckBox("clip x̂_0 to the data range (clip_sample)")
        self.eta = _slider(0.0, 1.0, 2)
        self.eta.setToolTip("η = 0: deterministic DDIM; η = 1: DDPM's noise")
        self.snr = _slider(0.01, 1.0, 2)
        self.snr.setToolTip("Target signal-to-noise ratio r of the Langevin corrector")
        self.n = QSpinBox(minimum=1, maximum=MAX_PARTICLES, keyboardTracking=False, singleStep=500)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, keyboardTracking=False)
        self.same_noise = QCheckBox("same noise: lock x_T and every z to the seed")
        self.same_noise.setToolTip("Compare two settings on identical x_T and identical noise at every step")

        self.form = QFormLayout(self)
        self.form.setContentsMargins(4, 4, 4, 4)
        self.form.addRow("Sampler", self.kind)
        self.form.addRow("Variance", self.variance)
        self.form.addRow("η", self.eta)
        self.form.addRow("PC r", self.snr)
        self.form.addRow(self.clip)
        self.form.addRow("Particles", self.n)
        self.form.addRow("Seed", self.seed)
        self.form.addRow(self.same_noise)

        self.apply = qthrottled(self._apply, timeout=THROTTLE_MS, leading=True, parent=self)
        for combo in (self.kind, self.variance):
            combo.currentIndexChanged.connect(self.apply)
        for box in (self.clip, self.same_noise):
            box.toggled.connect(self.apply)
        for w in (self.eta, self.snr, self.n, self.seed):
            w.valueChanged.connect(self.apply)
        state.samplerChanged.connect(self._mirror)
        self._mirror(state.sampler_settings)

    def read(self) -> SamplerSettings:
        return SamplerSettings(
            kind=self.kind.currentData(), variance_type=self.variance.currentData(), clip_sample=self.clip.isChecked(),
            eta=round(float(self.eta.value()), 4), snr=round(float(self.snr.value()), 4), n=self.n.value(),
            seed=self.seed.value(), same_noise=self.same_noise.isChecked(),
        )

    def _apply(self, *_: object) -> None:
        self.state.update_sampler(**asdict(self.read()))

    def _mirror(self, s: SamplerSettings) -> None:
        widgets = (self.kind, self.variance, self.clip, self.eta, self.snr, self.n, self.seed, self.same_noise)
        with ExitStack() as stack:
            for w in widgets:
                stack.enter_context(signals_blocked(w))
            self.kind.setCurrentIndex(max(self.kind.findData(s.kind), 0))
            self.variance.setCurrentIndex(max(self.variance.findData(s.variance_type), 0))
            self.clip.setChecked(s.clip_sample)
            self.eta.setValue(s.eta)
            self.snr.setValue(s.snr)
            self.n.setValue(s.n)
            self.seed.setValue(s.seed)
            self.same_noise.setChecked(s.same_noise)
        self.seed.setEnabled(not s.same_noise)  # the lock freezes the random numbers, seed included
        for widget, used in ((self.variance, s.kind in ("ddpm", "pc")), (self.eta, s.kind == "ddim"),
                             (self.snr, s.kind == "pc"), (self.clip, s.kind in ("ddpm", "ddim"))):
            self.form.setRowVisible(widget, used)

