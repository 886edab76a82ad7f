"""Slow loads off the GUI thread: the call runs on a worker thread while the window stays live and shows a busy
bar with Cancel (or Esc). Cancelling drops the result, whenever the worker finishes; the caller keeps its state.

ONNX Runtime releases the GIL while it builds a session, so the window keeps painting during a model load.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QMainWindow, QProgressBar, QPushButton, QWidget

T = TypeVar("T")
SHOW_AFTER_MS = 250  # a fast load never flashes the bar


class Cancelled(Exception):
    """The user cancelled the load; nothing was changed."""


class _Relay(QObject):
    """One per call: the worker's "finished" crosses to the GUI thread (a late worker never ends a newer call)."""

    done = Signal()


class Busy(QObject):
    """One blocking call at a time, run on a worker thread with a busy bar in ``window``'s status bar."""

    started = Signal(str)  # the label, as soon as a call starts (before the bar shows)
    ended = Signal()

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.label = ""
        self._cancelled = False
        self._running = False
        self._cursor = False
        self._relay: _Relay | None = None
        self.bar = QWidget()
        layout = QHBoxLayout(self.bar)
        layout.setContentsMargins(0, 0, 0, 0)
        self.text = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(120)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop waiting and keep the current model (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        for w in (self.text, self.progress, self.cancel_button):
            layout.addWidget(w)
        window.statusBar().insertPermanentWidget(0, self.bar)  # a temporary message never covers it
        self.bar.hide()
        self.escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), window, self.cancel)
        self.escape.setEnabled(False)
        self._show_timer = QTimer(self, singleShot=True, interval=SHOW_AFTER_MS)
        self._show_timer.timeout.connect(self._show)

    @property
    def running(self) -> bool:
        return self._running

    def cancel(self) -> None:
        """Give up on the running call (its result is dropped when it arrives)."""
        if self._running and self._relay is not None:
            self._cancelled = True
            self._relay.done.emit()

    def run(self, label: str, fn: Callable[[], T]) -> T:
        """``fn()`` on a worker thread; the GUI keeps running until it returns. Raises what ``fn`` raised, or
        :class:`Cancelled`; a call while another runs raises :class:`Cancelled` at once (one load at a time)."""
        if self._running:
            raise Cancelled(f"still {self.label}; cancel it first (Esc)")
        self._running, self._cancelled, self.label = True, False, label
        outcome: dict[str, Any] = {}
        loop = QEventLoop()
        relay = self._relay = _Relay()
        relay.done.connect(loop.quit, Qt.ConnectionType.QueuedConnection)

        def work() -> None:
            try:
                outcome["value"] = fn()
            except BaseException as exc:  # handed to the GUI thread, raised there
                outcome["error"] = exc
            finally:
                relay.done.emit()

        worker = threading.Thread(target=work, name="diffviz-load", daemon=True)
        try:
            self.started.emit(label)
            self.text.setText(label + "…")
            self._show_timer.start()
            self.escape.setEnabled(True)
            worker.start()
            if not self._cancelled:
                loop.exec()
        finally:
            relay.done.disconnect(loop.quit)
            self._relay = None
            self._show_timer.stop()
            self.bar.hide()
            self.escape.setEnabled(False)
            if self._cursor:
                QApplication.restoreOverrideCursor()
            self._cursor = False
            self._running = False
            self.ended.emit()
        if self._cancelled:
            raise Cancelled(f"{label}: cancelled")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]  # type: ignore[no-any-return]

    def _show(self) -> None:
        if self._running:
            self.window.statusBar().clearMessage()
            self.bar.show()
            QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
            self._cursor = True
