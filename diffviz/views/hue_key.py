"""The key to the particles' colours: a small wheel in a corner of the x_t view, each wedge in the colour of the
particles whose start x_T points that way from the origin (``colors.hue_of``), with a one-line label."""

from __future__ import annotations

from pyqtgraph.graphicsItems.UIGraphicsItem import UIGraphicsItem
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen

from .colors import DARK, NUM_HUES, Theme, palette

RADIUS_PX = 16  # at UI scale 1
MARGIN_PX = 8
LABEL_PT = 8
LABEL = "colour: start direction"


class HueKey(UIGraphicsItem):
    """Drawn in view-box pixels in the top-right corner, whatever the zoom; call :meth:`set_look` on a theme or scale
    change."""

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(100)
        self.font = QFont()
        self.set_look(DARK, 1.0)

    def set_look(self, theme: Theme, scale: float) -> None:
        self.theme, self.scale = theme, scale
        self.font.setPointSizeF(LABEL_PT * max(scale, 1.0) ** 0.6)  # a key, not a title: it grows slower
        self.font.setItalic(True)
        self.update()

    def wedges(self) -> list[tuple[float, float, tuple[int, int, int]]]:
        """(start angle, span, RGB) in degrees, counter-clockwise from +x: hue i covers the x_T directions whose
        angle lies in [−180° + i·360°/NUM_HUES, −180° + (i+1)·360°/NUM_HUES) (``hue_of``)."""
        span = 360.0 / NUM_HUES
        colors = palette(self.theme.name)
        return [(-180.0 + i * span, span, tuple(int(c) for c in colors[i, :3])) for i in range(NUM_HUES)]  # type: ignore[misc]

    def paint(self, p: QPainter, *args: object) -> None:
        view = self.getViewBox()
        if view is None:
            return
        p.save()
        p.setTransform(view.sceneTransform())  # draw in the view box's pixels
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        grow = max(self.scale, 1.0) ** 0.5
        r, margin = RADIUS_PX * grow, MARGIN_PX * grow
        rect = view.rect()
        centre = QPointF(rect.right() - margin - r, rect.top() + margin + r)
        box = QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r)
        p.setPen(QPen(Qt.PenStyle.NoPen))
        for start, span, rgb in self.wedges():
            p.setBrush(QBrush(QColor(*rgb)))
            p.drawPie(box, int(round(start * 16)), int(round(span * 16)))  # Qt: 1/16 degree, counter-clockwise
        p.setBrush(QBrush(QColor(self.theme.background)))
        p.drawEllipse(centre, 0.35 * r, 0.35 * r)
        p.setPen(QPen(QColor(self.theme.text)))
        p.setFont(self.font)
        size = self.font.pointSizeF()
        width = 20 * size
        label = QRectF(rect.right() - margin - width, centre.y() + r + 2, width, 3 * size)
        flags = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextDontClip
        p.drawText(label, int(flags), LABEL)
        p.restore()
