"""A labelled float slider on a log scale: superqt's QDoubleSlider over log10(value), and an editable label."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QWidget
from superqt import QDoubleSlider
from superqt.utils import signals_blocked


class LogSlider(QWidget):
    """``valueChanged(float)`` while dragging (throttle it downstream) and after an edit of the label."""

    valueChanged = Signal(float)

    def __init__(self, minimum: float, maximum: float, value: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.minimum, self.maximum = minimum, maximum
        self.slider = QDoubleSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(math.log10(minimum), math.log10(maximum))
        self.slider.setSingleStep(0.01)
        self.edit = QLineEdit()
        self.edit.setValidator(QDoubleValidator(minimum, maximum, 8))
        self.edit.setFixedWidth(64)
        self.edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.edit)
        self.slider.valueChanged.connect(self._on_slider)
        self.edit.editingFinished.connect(self._on_edit)
        self.setValue(value)

    def value(self) -> float:
        return float(10 ** self.slider.value())

    def setValue(self, value: float) -> None:
        """Move the slider without emitting (the app state already holds ``value``)."""
        value = min(max(float(value), self.minimum), self.maximum)
        with signals_blocked(self.slider):
            self.slider.setValue(math.log10(value))
        self.edit.setText(f"{value:.3g}")

    def _on_slider(self, log_value: float) -> None:
        value = float(10**log_value)
        self.edit.setText(f"{value:.3g}")
        self.valueChanged.emit(value)

    def _on_edit(self) -> None:
        try:
            value = float(self.edit.text())
        except ValueError:
            value = self.value()
        self.setValue(value)
        self.valueChanged.emit(min(max(value, self.minimum), self.maximum))
