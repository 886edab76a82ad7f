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

from .state import AppState

THROTTLE_MS = 50
SLIDER_SPAN = 10.0  # a bounded float option up to this wide is a slider; wider ones are spin boxes

OptionWidget = QCheckBox | QComboBox | QSpinBox | QDoubleSpinBox | QLabeledDoubleSlider


def option_widget(option: Option) -> OptionWidget:
    """The widget that edits one declared option: a check box, a choice, a slider or a spin box."""
    widget: OptionWidget
    if option.type is bool:
        widget = QCheckBox(option.label)
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
    widget.setToolTip(f"{option.help} ({option.name})")
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
        self.sampler = QComboBox()
        self.sampler.setToolTip("The reverse sampler")
        for name, spec in SAMPLERS.items():
            self.sampler.addItem(spec.label, name)
        self.declared = all_options()
        self.options = {name: option_widget(o) for name, o in self.declared.items()}
        self.num_particles = spin_box(1, MAX_PARTICLES, "Number of particles sampled")
        self.num_particles.setSingleStep(500)
        self.seed = spin_box(0, MAX_SEED, "Random seed")
        self.same_noise = QCheckBox("same noise: lock x_T and every z to the seed")
        self.same_noise.setToolTip("Compare two settings on identical x_T and identical noise at every step")

        self.form = QFormLayout(self)
        self.form.setContentsMargins(4, 4, 4, 4)
        self.form.addRow("Sampler", self.sampler)
        for name, widget in self.options.items():
            if isinstance(widget, QCheckBox):
                self.form.addRow(widget)
            else:
                self.form.addRow(self.declared[name].label, widget)
        self.form.addRow("Particles", self.num_particles)
        self.form.addRow("Seed", self.seed)
        self.form.addRow(self.same_noise)

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
