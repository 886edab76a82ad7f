"""Labels with typeset math for the panels: form-row labels and check boxes whose text is rich text.

A QCheckBox shows no HTML, and a hat (x̂) renders only in the italic math font (see :mod:`diffviz.views.typeset`),
so a check box whose text has math gets an empty text and a rich-text :class:`BuddyLabel` beside it (or as its
form-row label) that toggles it when clicked. Every helper sets the tooltip on the label and on its control alike.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QHBoxLayout, QLabel, QWidget

from diffviz.views import typeset


def math_text(text: str) -> str:
    """Plain text with math written the ASCII way (``Clip x̂_0``, ``β_min``, ``η``) as rich text
    (:func:`typeset.rich`, lone Greek letters included); text without math comes back unchanged, so a check box
    without math keeps its own text."""
    return typeset.rich(text, greek=True) if typeset.has_math(text, greek=True) else text


def is_rich(text: str) -> bool:
    return "<" in text


class BuddyLabel(QLabel):
    """A label for one control (its buddy): rich text when it has markup; a click on it clicks a check box buddy."""

    def __init__(self, text: str, buddy: QWidget, tip: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setTextFormat(Qt.TextFormat.RichText if is_rich(text) else Qt.TextFormat.PlainText)
        self.setBuddy(buddy)
        if tip:
            self.setToolTip(tip)
            buddy.setToolTip(tip)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        buddy = self.buddy()
        if (
            event.button() == Qt.MouseButton.LeftButton
            and isinstance(buddy, QAbstractButton)
            and buddy.isCheckable()
            and self.rect().contains(event.position().toPoint())
        ):
            buddy.click()  # does nothing while the box is disabled
            event.accept()
            return
        super().mouseReleaseEvent(event)


def form_label(text: str, field: QWidget, tip: str) -> BuddyLabel:
    """A form row's label (rich text for math), with the row's tooltip on both the label and its field."""
    return BuddyLabel(text, field, tip)


def check_box(text: str, tip: str) -> tuple[QCheckBox, QWidget]:
    """A check box with a rich-text label beside it (clicking either toggles it): (the box, the widget to lay out).
    Text without math stays the box's own text."""
    if not is_rich(text):
        box = QCheckBox(text)
        box.setToolTip(tip)
        return box, box
    box = QCheckBox()
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    label = BuddyLabel(text, box, tip)
    layout.addWidget(box)
    layout.addWidget(label, 1)
    return box, row
