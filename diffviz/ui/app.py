"""Starting the app: the QApplication, the window on a model, the event loop, a screenshot, and a clean teardown.

Widgets are closed and deleted before these functions return: pyqtgraph items left to Python's exit-time garbage
collection can crash the interpreter on the way out.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QBuffer, QEventLoop, QIODevice, QMessageLogContext, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication

from diffviz.runtime.providers import prefer_spinning_threads
from diffviz.views.model_info import default_model_spec

from ..core.atomic import atomic_write
from .main_window import MainWindow
from .settings_store import SettingsStore

SCREENSHOT_SIZE = (1280, 800)


class QtBindingError(RuntimeError):
    """The installed Qt binding is known to crash this app."""


def check_qt_binding() -> None:
    """Refuse PySide6 builds whose void methods drop a reference to None (6.12.0 on Python < 3.12): the app would
    crash after a few thousand calls. Checked by behaviour, not by version number."""
    if sys.version_info >= (3, 12):  # None is immortal there
        return
    from PySide6 import __version__
    from PySide6.QtCore import QPointF

    point, before = QPointF(), sys.getrefcount(None)
    for _ in range(64):
        point.setX(1.0)
    if sys.getrefcount(None) < before - 32:
        raise QtBindingError(
            f"PySide6 {__version__} drops a reference to None on every call of a void method under Python "
            f"{sys.version_info.major}.{sys.version_info.minor}, which crashes the app. Install another version: "
            f"pip install 'PySide6-Essentials>=6.6,!=6.12.0'"
        )


# Qt chatter that says nothing to a user: the offscreen platform's notice, printed for every window shown.
_QUIET = ("This plugin does not support propagateSizeHints()",)


def _qt_messages(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if not message.startswith(_QUIET):
        print(message, file=sys.stderr)


def application() -> QApplication:
    check_qt_binding()
    prefer_spinning_threads(False)  # ONNX Runtime's threads sleep between calls: the GUI thread keeps a core
    qInstallMessageHandler(_qt_messages)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("diffviz")
    app.setOrganizationName("diffviz")
    icon = resources.files("diffviz.assets") / "icons" / "diffviz.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))  # type: ignore[attr-defined]
    return app  # type: ignore[return-value]


def teardown(window: MainWindow) -> bool:
    """Stop sampling, close and delete the window; True when no worker thread is left."""
    clean = window.shutdown()
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, 0)
    QApplication.processEvents()
    return clean


def open_source(window: MainWindow, source: str | None, lesson: str | None = None) -> bool:
    """Open what the command line named: a lesson at its first cue, a scene (.toml), a saved run (.npz), or a model
    (default: the bundled one)."""
    if lesson is not None:
        return window.lessons.open(lesson)
    return window.open_path(source or default_model_spec())  # it dispatches on the suffix


def run_window(model: str | None = None, lesson: str | None = None, presenter: bool = False) -> int:
    app = application()
    store = SettingsStore()
    window = MainWindow(store)
    window.show()
    open_source(window, model, lesson)
    if presenter:
        window.presenter.toggle()
    code = app.exec()
    teardown(window)
    if store.save_error:  # the status bar that showed it closed with the window
        print(f"diffviz: {store.save_error}", file=sys.stderr)
    return int(code)


def wait_until(condition: Callable[[], object], timeout_ms: int) -> bool:
    """Run the event loop until ``condition()`` is true or the time is up."""
    loop, timer = QEventLoop(), QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    poll = QTimer()

    def check() -> None:
        if condition():
            loop.quit()

    poll.timeout.connect(check)
    timer.start(timeout_ms)
    poll.start(10)
    if not condition():
        loop.exec()
    poll.stop()
    return bool(condition())


def screenshot(
    out: str | Path,
    model: str | None = None,
    *,
    at: float = 0.95,
    timeout_s: float = 120.0,
    size: tuple[int, int] = SCREENSHOT_SIZE,
    lesson: str | None = None,
    presenter: bool = False,
) -> int:
    """Open the real window (default settings, nothing persisted), wait for the first finished run, show the step
    at fraction ``at`` of the way from x_T to x_0, and save a PNG of the whole window (``presenter``: as presenter
    mode shows it on a screen of ``size``). Exit code 0 on success."""
    application()
    window = MainWindow(store=None)
    errors: list[str] = []
    window.errorShown.connect(lambda title, message: errors.append(f"{title}: {message}"))
    window.resize(*size)
    window.show()
    try:
        if not open_source(window, model, lesson):
            print(f"diffviz: {errors[-1] if errors else 'cannot open the model'}", file=sys.stderr)
            return 2
        state = window.state
        if (
            not wait_until(
                lambda: errors or (state.trajectory is not None and state.trajectory.complete), int(timeout_s * 1000)
            )
            or errors
        ):
            print(f"diffviz: {errors[-1] if errors else f'no finished run within {timeout_s:g} s'}", file=sys.stderr)
            return 1
        if presenter:
            window.presenter.present(size[1])
        state.set_step(round(at * state.num_steps))
        wait_until(lambda: window.grid.index == state.shown_index, 5000)
        window.statusBar().clearMessage()  # transient notices would cover the status line in the image
        QApplication.processEvents()
        return 0 if _save_png(window.grab(), Path(out)) else 1
    finally:
        teardown(window)


def _save_png(pixmap: QPixmap, out: Path) -> bool:
    """Encode in memory, then write through a temporary file and rename, so no half-written image is left and a
    failed write (a full disk, say) is reported with the system's reason rather than as an encoding failure."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    encoded = pixmap.save(buffer, "PNG")
    buffer.close()
    if not encoded:
        print(f"diffviz: could not write {out}: Qt could not encode the PNG", file=sys.stderr)
        return False
    try:
        atomic_write(out.resolve(), bytes(buffer.data().data()))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        full = exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
        print(
            f"diffviz: could not write {out}: {'the disk is full' if full else 'the write failed'} ({reason})",
            file=sys.stderr,
        )
        return False
    return True
