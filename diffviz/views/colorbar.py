"""A colour bar drawn inside a view's corner: it takes no room from the plot, so linked aspect-locked views keep
equal view boxes (pyqtgraph's ColorBarItem would sit beside the plot and shrink this one view)."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QPainter, QPen

from .colors import Theme

BAR_PX = (12, 90)  # width, height at UI scale 1
LABEL_PT = 8


def number(value: float) -> str:
    """A magnitude as a reader says it: 240, 12, 3.5, 0.42, 0.0031 (no exponents between 0.001 and 100,000)."""
    if not 1e-3 <= abs(value) < 1e5:
        return f"{value:.1e}"
    if abs(value) >= 10:
        return f"{value:.0f}"
    return f"{value:.2g}"


def _value(log10_value: float) -> str:
    return number(10**log10_value)


def decade_labels(levels: tuple[float, float], title: str) -> dict[str, float]:
    """{text: position 0..1} for a bar over log10 ``levels``: the ends, and whole decades between when there is room
    (at most 3), the title at the top end."""
    lo, hi = levels
    span = max(hi - lo, 1e-12)
    labels = {_value(lo): 0.0, f"{_value(hi)}  {title}": 1.0}
    decades = list(range(math.ceil(lo + 0.25 * span), math.floor(hi - 0.25 * span) + 1))  # clear of the ends
    step = max(1, math.ceil(len(decades) / 3))
    for d in decades[::step]:
        labels[_value(d)] = (d - lo) / span
    return labels


class ColorLegend(pg.GradientLegend):
    """A gradient with value labels in the top-left corner of a view box, scaled with the UI, in the theme."""

    def __init__(self) -> None:
        super().__init__(BAR_PX, (8, 8))
        self.font = QFont()
        self.set_look(None, 1.0)

    def set_look(self, theme: Theme | None, scale: float) -> None:
        grow = max(scale, 1.0) ** 0.5  # the bar grows slower than its labels: it must not cover the field
        self.size = (BAR_PX[0] * grow, BAR_PX[1] * grow)
        self.offset = (8 * grow, 8 * grow + LABEL_PT * scale)
        self.font.setPointSizeF(LABEL_PT * scale)
        if theme is not None:
            text = QColor(theme.text)
            back = QColor(theme.background)
            back.setAlpha(200)
            self.brush = pg.mkBrush(back)
            self.pen = QPen(QColor(0, 0, 0, 0))
            self.textPen = QPen(text)
        self.update()

    def paint(self, p: QPainter, *args: object) -> None:
        p.setFont(self.font)
        super().paint(p, *args)
