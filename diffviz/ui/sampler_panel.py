"""Sampler controls, built from the samplers' declared options (``diffviz.core.options``): one widget per option
name, shown for the samplers that take it; the particle count, the seed and the "same noise" lock.

Every change reads all widgets and writes the whole sampler settings to the session, throttled like the schedule
panel; the panel mirrors the session back.
"""

from __future__ import annotations

import math
from contextlib import ExitStack

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QSpinBox, QWidget
from superqt import QLabeledDoubleSlider
from superqt.utils import qthrottled, signals_blocked

from diffviz.core import SAMPLERS, Option
from diffviz.core.options import OptionValue
from diffviz.core.samplers import all_options
from diffviz.session import SamplerSettings
from diffviz.session.settings import MAX_PARTICLES, MAX_SEED
from diffviz.views import typeset

from .labels import check_box, form_label, math_text
from .state import AppState

THROTTLE_MS = 50
SLIDER_SPAN = 10.0  # a bounded float option up to this wide is a slider; wider ones are spin boxes

OptionWidget = QCheckBox | QComboBox | QSpinBox | QDoubleSpinBox | QLabeledDoubleSlider

# What each control does and what it means (plain text: tooltips); the options' own come from their ``help``.
SAMPLER_TIP = (
    "The reverse sampler: how each step goes from x_t to the less noisy x_{t−1}, using the model's estimate x̂_0.\n"
    "DDPM (ancestral): a step towards x̂_0 plus fresh noise σ_t z: stochastic, trails wander.\n"
    "DDIM (η): the same marginals with less noise; η = 0 is deterministic, η = 1 is DDPM.\n"
    "Probability-flow ODE (Euler, Heun): the deterministic ODE whose solutions have the same distribution at "
    "every t, solved with Euler's or Heun's (second-order) method.\n"
    "Predictor–corrector: a predictor step, then Langevin corrector steps along the score (Song et al. 2021)."
)
PARTICLES_TIP = (
    "How many samples are drawn at once; each starts as its own x_T ~ N(0, I). More particles show the "
    "distribution better and take longer."
)
SEED_TIP = (
    "The random seed: it fixes x_T and every step's noise z, so the same settings give the same run again. "
    "Frozen while “same noise” is on."
)
SAME_NOISE_TIP = (
    "Same noise: x_T and the noise z of every step are locked to the seed, so a change of sampler, schedule or "
    "particle count is compared on identical random numbers — any difference is the setting's own."
)


def option_tip(option: Option) -> str:
    """An option's tooltip: its label and help, and the name it has in scenes and on the command line."""
    return f"{option.label}: {option.help}\n(scene key {option.name}; diffviz sample {option.flag})"


def option_widget(option: Option) -> OptionWidget:
    """The widget that edits one declared option: a check box, a choice, a slider or a spin box."""
    widget: OptionWidget
    if option.type is bool:
        widget = QCheckBox()  # its label is the form row's (rich text: a check box shows no HTML)
    elif option.type is str:
        widget = QComboBox()
        for choice in option.choices:
            widget.addItem(choice, choice)
    elif option.type is int:
        widget = QSpinBox()
        widget.setKeyboardTracking(False)
        widget.setRange(
            int(option.low if option.low is not None else -(2**31)),
            int(option.high if option.high is not None else 2**31 - 1),
        )
    elif option.low is not None and option.high is not None and option.high - option.low <= SLIDER_SPAN:
        widget = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        low = option.low + (0.01 if option.low_open else 0.0)
        widget.setRange(low, option.high)
        widget.setDecimals(2)
    else:
        widget = QDoubleSpinBox()
        widget.setKeyboardTracking(False)
        widget.setDecimals(3)
        widget.setRange(
            option.low if option.low is not None else -math.inf, option.high if option.high is not None else math.inf
        )
        if option.low_open:
            widget.setMinimum((option.low or 0.0) + 1e-3)
    widget.setToolTip(option_tip(option))
    return widget


def spin_box(low: int, high: int, tip: str) -> QSpinBox:
    """An integer box that applies on Enter or focus loss, not on every key."""
    box = QSpinBox()
    box.setRange(low, high)
    box.setKeyboardTracking(False)
    box.setToolTip(tip)
    return box


def read_option(option: Option, widget: OptionWidget) -> OptionValue:
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QComboBox):
        return str(widget.currentData())
    if isinstance(widget, QSpinBox):
        return int(widget.value())
    return round(float(widget.value()), 4)


def show_option(widget: OptionWidget, value: OptionValue) -> None:
    if isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QComboBox):
        widget.setCurrentIndex(max(widget.findData(value), 0))
    elif isinstance(widget, QSpinBox):
        widget.setValue(int(value))
    else:
        widget.setValue(float(value))


class SamplerPanel(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        typeset.register_fonts()
        self.sampler = QComboBox()
        for name, spec in SAMPLERS.items():
            self.sampler.addItem(spec.label, name)
        self.declared = all_options()
        self.options = {name: option_widget(o) for name, o in self.declared.items()}
        self.num_particles = spin_box(1, MAX_PARTICLES, PARTICLES_TIP)
        self.num_particles.setSingleStep(500)
        self.seed = spin_box(0, MAX_SEED, SEED_TIP)
        same_noise_text = f"same noise: lock {typeset.X_T_START} and every {typeset.sym('z')} to the seed"
        self.same_noise, same_noise_row = check_box(same_noise_text, SAME_NOISE_TIP)

        self.form = QFormLayout(self)
        self.form.setContentsMargins(4, 4, 4, 4)
        self.form.addRow(form_label("Sampler", self.sampler, SAMPLER_TIP), self.sampler)
        for name, widget in self.options.items():
            option = self.declared[name]
            self.form.addRow(form_label(math_text(option.label), widget, option_tip(option)), widget)
        self.form.addRow(form_label("Particles", self.num_particles, PARTICLES_TIP), self.num_particles)
        self.form.addRow(form_label("Seed", self.seed, SEED_TIP), self.seed)
        self.form.addRow(same_noise_row)

        self.apply = qthrottled(self._apply, timeout=THROTTLE_MS, leading=True, parent=self)
        self.sampler.currentIndexChanged.connect(self.apply)
        self.same_noise.toggled.connect(self.apply)
        for w in (self.num_particles, self.seed):
            w.valueChanged.connect(self.apply)
        for widget in self.options.values():
            if isinstance(widget, QCheckBox):
                widget.toggled.connect(self.apply)
            elif isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(self.apply)
            else:
                widget.valueChanged.connect(self.apply)
        state.samplerChanged.connect(self._mirror)
        self._mirror(state.sampler_settings)

    def read(self) -> SamplerSettings:
        return SamplerSettings(
            name=self.sampler.currentData(),
            options={name: read_option(self.declared[name], w) for name, w in self.options.items()},
            num_particles=self.num_particles.value(),
            seed=self.seed.value(),
            same_noise=self.same_noise.isChecked(),
        )

    def _apply(self, *_: object) -> None:
        self.state.session.sampler = self.read()

    def _mirror(self, s: SamplerSettings) -> None:
        widgets = (self.sampler, self.num_particles, self.seed, self.same_noise, *self.options.values())
        with ExitStack() as stack:
            for w in widgets:
                stack.enter_context(signals_blocked(w))
            self.sampler.setCurrentIndex(max(self.sampler.findData(s.name), 0))
            for name, widget in self.options.items():
                show_option(widget, s.options[name])
            self.num_particles.setValue(s.num_particles)
            self.seed.setValue(s.seed)
            self.same_noise.setChecked(s.same_noise)
        self.seed.setEnabled(not s.same_noise)  # the lock freezes the random numbers, seed included
        active = {o.name for o in SAMPLERS[s.name].options}
        for name, widget in self.options.items():
            self.form.setRowVisible(widget, name in active)
