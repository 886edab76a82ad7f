"""Every control in the window's panels, timeline and export dialog says what it does when hovered, and math in their
labels is typeset (rich text), never written the ASCII way (β_min, x_0)."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from diffviz.ui.main_window import MainWindow
from diffviz.views import typeset

CONTROLS = (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit)
RAW_MATH = re.compile(r"_(min|max)\b|x\u0302?_[0tT]\b")


def _form_labels(root: QWidget) -> dict[int, QWidget]:
    """Each form row's field (by id) → its label."""
    labels: dict[int, QWidget] = {}
    for form in root.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            label_widget = label.widget() if label is not None else None
            field_widget = field.widget() if field is not None else None
            if label_widget is not None and field_widget is not None:
                labels[id(field_widget)] = label_widget
    return labels


def tooltip(widget: QWidget, root: QWidget, labels: dict[int, QWidget]) -> str:
    """The tooltip Qt shows over ``widget``: its own or, for a part of a compound control (a spin box's line edit, a
    labelled slider's slider), the nearest one of its parents inside ``root``; for a form row's field, its label's."""
    w: QWidget | None = widget
    while w is not None and w is not root:
        label = labels.get(id(w))
        for candidate in (w, label):
            if candidate is not None and candidate.toolTip().strip():
                return candidate.toolTip()
        w = w.parentWidget()
    return ""


def missing_tooltips(root: QWidget) -> list[str]:
    labels = _form_labels(root)
    return [
        f"{type(w).__name__} {w.objectName() or getattr(w, 'text', lambda: '')()!r}"
        for w in root.findChildren(QWidget)
        if isinstance(w, CONTROLS) and w.isEnabled() and not tooltip(w, root, labels)
    ]


def raw_math(root: QWidget) -> list[str]:
    """Label and button texts that write math the ASCII way, or hold markup shown as plain text."""
    bad = []
    for w in root.findChildren(QWidget):
        if not isinstance(w, (QLabel, QAbstractButton)):
            continue
        text = w.text()
        if RAW_MATH.search(text):
            bad.append(text)
        if isinstance(w, QLabel) and "<sub>" in text and w.textFormat() == Qt.TextFormat.PlainText:
            bad.append(text)
    return bad


def _roots(window: MainWindow) -> list[QWidget]:
    return [dock.widget() for dock in window.findChildren(QDockWidget)] + [window.timeline]


def test_every_control_has_a_tooltip(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    roots = _roots(window)
    assert {type(r).__name__ for r in roots} >= {"SchedulePanel", "SamplerPanel", "Timeline"}
    for name in ("ddpm", "ddim", "pc"):  # every option's widget, whichever rows are shown
        window.state.update_sampler(name=name)
        for root in roots:
            assert missing_tooltips(root) == [], type(root).__name__
    # the walk really checks: a control without a tooltip (nor a label with one) is reported
    steps = window.schedule_panel.steps
    labels = _form_labels(window.schedule_panel)
    saved = steps.toolTip(), labels[id(steps)].toolTip()
    steps.setToolTip("")
    labels[id(steps)].setToolTip("")
    missing = missing_tooltips(window.schedule_panel)
    assert [m.split()[0] for m in missing] == ["QSpinBox", "QLineEdit"]  # the box and the line edit inside it
    steps.setToolTip(saved[0])
    labels[id(steps)].setToolTip(saved[1])
    window.timeline.loop.setToolTip("")
    assert missing_tooltips(window.timeline) == ["QCheckBox 'Loop'"]


def test_option_widgets_use_the_options_help(window: MainWindow) -> None:
    panel = window.sampler_panel
    for name, option in panel.declared.items():
        assert option.help in panel.options[name].toolTip(), name


def test_the_schedule_plots_explain_their_marks(window: MainWindow) -> None:
    tip = window.schedule_panel.plots.toolTip()
    assert "Red dots" in tip and "trained noise range" in tip and "Shaded band" in tip and "trained on" in tip


def test_math_in_labels_is_typeset(window: MainWindow) -> None:
    for root in _roots(window):
        assert raw_math(root) == [], type(root).__name__
    labels = [label.text() for label in window.schedule_panel.findChildren(QLabel)]
    assert typeset.BETA_MIN in labels and typeset.BETA_MAX in labels
    timeline = [label.text() for label in window.timeline.findChildren(QLabel)]
    assert typeset.X_T_START in timeline and typeset.X_0 in timeline
    assert any(typeset.X0_HAT in text for text in timeline)  # the x_t → x̂_0 check box's label
    assert window.timeline.segments.text() == ""  # a check box shows no rich text: its label does
    bad = QLabel("β_min")
    assert raw_math(_parent_of(bad)) == ["β_min"]


def _parent_of(child: QWidget) -> QWidget:
    parent = QWidget()
    child.setParent(parent)
    return parent


def test_a_rich_label_toggles_its_check_box(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtTest import QTest

    box = window.timeline.segments
    label = next(w for w in window.timeline.findChildren(QLabel) if w.buddy() is box)
    before = box.isChecked()
    QTest.mouseClick(label, Qt.MouseButton.LeftButton)
    assert box.isChecked() != before and window.state.view_settings.segments != before


def test_the_export_dialog_explains_its_controls(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    dialog = window.export_video()
    assert dialog is not None
    try:
        assert missing_tooltips(dialog) == []
        assert raw_math(dialog) == []
    finally:
        dialog.close()
