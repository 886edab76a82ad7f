"""Presenter mode (F11): the views fill the screen, the controls are hidden; one key (H) brings them back.

The window's chrome is hidden: the docks (schedule, sampler), the timeline, the menu bar and the status bar. The
keyboard shortcuts are actions of the window itself, so Space, ←/→, Home/End, F11 and H work while the menu bar is
hidden. The text grows to what the back of a room can read (:func:`presenter_scale`): titles ≥ 28 px and tick labels
≥ 18 px tall on a 720-line projector, in proportion on larger screens; leaving restores the size it had.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

if TYPE_CHECKING:
    from .state import AppState

PRESENTER_SCALE = 2.5  # the UI scale on a 720-line screen
MAX_SCALE = 4.0


def presenter_scale(screen_height: int) -> float:
    """The UI scale for a screen ``screen_height`` pixels tall: text a fixed share of the screen's height."""
    return round(min(MAX_SCALE, max(1.0, PRESENTER_SCALE * screen_height / 720)), 2)


class Presenter:
    """Full screen with the controls hidden and the text grown, and back to how the window was."""

    def __init__(self, window: QMainWindow, controls: list[QWidget], state: AppState | None = None) -> None:
        self.window = window
        self.controls = controls  # shown and hidden together besides the docks, menu bar and status bar
        self.state = state
        self.active = False
        self._was_maximized = False
        self._scales: tuple[float, float] | None = None  # (before, in presenter mode)
        self._hidden: list[QWidget] = []  # what the controls' last hiding hid

    def _grow_text(self, screen_height: int) -> None:
        if self.state is None:
            return
        before = self.state.view_settings.ui_scale
        want = presenter_scale(screen_height)
        self._scales = (before, max(before, want))
        if want > before:
            self.state.update_view(ui_scale=want)

    def _restore_text(self) -> None:
        """Back to the size before, unless the presenter changed it meanwhile (then theirs stays)."""
        if self.state is not None and self._scales is not None:
            before, shown = self._scales
            if self.state.view_settings.ui_scale == shown:
                self.state.update_view(ui_scale=before)
        self._scales = None

    def present(self, height: int) -> None:
        """Presenter mode inside the window as it is (no full screen), the text sized for ``height`` pixels: what
        a projector of that height shows (screenshots)."""
        self.active = True
        self.set_controls(False)
        self._grow_text(height)

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
            screen = self.window.screen()
            self._grow_text(screen.size().height() if screen is not None else 720)
        else:
            self.set_controls(True)
            self._restore_text()
            self.window.showMaximized() if self._was_maximized else self.window.showNormal()

    def set_controls(self, visible: bool) -> None:
        """Hide the chrome that is showing, or show again what was hidden (a dock the user had closed stays closed)."""
        if not visible:
            shown = [w for w in self._chrome() if w.isVisible()]
            if shown:
                self._hidden = shown
            for widget in shown:
                widget.hide()
            return
        for widget in self._hidden or self._chrome():
            widget.show()
        self._hidden = []

    @property
    def controls_visible(self) -> bool:
        return not self.window.statusBar().isHidden()

    def toggle_controls(self) -> None:
        """H: the controls in or out, in presenter mode or not."""
        self.set_controls(not self.controls_visible)
