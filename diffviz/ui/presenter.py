"""Presenter mode (F11): the views fill the screen, the controls are hidden; one key (H) brings them back.

Only the window's chrome changes: the docks (schedule, sampler), the timeline, the menu bar and the status bar.
The keyboard shortcuts are actions of the window itself, so Space, ←/→, Home/End, F11 and H work while the menu bar
is hidden.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget


class Presenter:
    """Full screen with the controls hidden, and back to how the window was."""

    def __init__(self, window: QMainWindow, controls: list[QWidget]) -> None:
        self.window = window
        self.controls = controls  # shown and hidden together besides the docks, menu bar and status bar
        self.active = False
        self._was_maximized = False

    def _chrome(self) -> list[QWidget]:
        docks: list[QWidget] = list(self.window.findChildren(QDockWidget))
        return [*docks, *self.controls, self.window.menuBar(), self.window.statusBar()]

    def toggle(self) -> None:
        """F11: into presenter mode (full screen, controls hidden) or back out (controls shown, window restored)."""
        self.active = not self.active
        if self.active:
            self._was_maximized = self.window.isMaximized()
            self.window.showFullScreen()
            self.set_controls(False)
        else:
            self.set_controls(True)
            self.window.showMaximized() if self._was_maximized else self.window.showNormal()

    def set_controls(self, visible: bool) -> None:
        for widget in self._chrome():
            widget.setVisible(visible)

    @property
    def controls_visible(self) -> bool:
        return not self.window.statusBar().isHidden()

    def toggle_controls(self) -> None:
        """H: the controls in or out, in presenter mode or not."""
        self.set_controls(not self.controls_visible)
