"""Presenter mode and the Help menu: F11 fills the screen with the views, H brings the controls back, and the
shortcuts, the model card and the versions are one menu away."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDockWidget

from diffviz.ui.main_window import MainWindow
from diffviz.ui.menus import about_text, model_card_text, shortcuts


def _press(window: MainWindow, key: Qt.Key) -> None:
    QTest.keyClick(QApplication.focusWidget() or window, key)


def test_f11_enters_presenter_mode_and_h_brings_the_controls_back(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    docks = [d for d in window.findChildren(QDockWidget) if d.isVisible()]  # a closed dock stays closed
    assert len(docks) >= 2 and window.timeline.isVisible()
    _press(window, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen)
    assert not any(d.isVisible() for d in docks) and not window.timeline.isVisible()
    assert not window.menuBar().isVisible() and not window.statusBar().isVisible()
    step = window.state.step
    window.state.set_step(max(step - 5, 0))
    _press(window, Qt.Key.Key_Right)  # playback keys work with the menu bar hidden
    assert window.state.step == max(step - 5, 0) + 1
    _press(window, Qt.Key.Key_H)
    assert all(d.isVisible() for d in docks) and window.timeline.isVisible() and window.isFullScreen()
    _press(window, Qt.Key.Key_H)
    assert not window.timeline.isVisible()
    _press(window, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen())
    assert all(d.isVisible() for d in docks) and window.timeline.isVisible() and window.menuBar().isVisible()


def test_the_help_menu_lists_the_shortcuts_the_model_and_the_versions(window: MainWindow) -> None:
    keys = shortcuts(window)
    for key, what in (("Space", "Play / pause"), ("F11", "Presenter mode"), ("Ctrl+E", "Export Video")):
        assert any(line.startswith(key) and what in line for line in keys.splitlines()), (key, keys)
    card = model_card_text(window)
    assert window.state.model is not None and f"model: {window.state.model.name}" in card and "predicts:" in card
    assert "onnxruntime" in about_text(window) and "diffviz" in about_text(window)
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles[-1] == "Help"


def test_larger_text_grows_titles_and_ticks_together_and_is_saved_in_the_session(window: MainWindow) -> None:
    view = window.grid.view("x_t")
    before = window.state.view_settings.ui_scale
    window.menus.scale_text(1.25)
    window.menus.scale_text(1.25)
    after = window.state.view_settings.ui_scale
    assert after == round(before * 1.25 * 1.25, 3)
    for _ in range(20):
        window.menus.scale_text(1.25)
    assert window.state.view_settings.ui_scale == 4.0  # bounded as the settings allow
    tick_font = view.plot.getAxis("left").style["tickFont"]
    assert tick_font is not None and tick_font.pointSizeF() == 4.0 * 8  # TICK_PT × the scale
