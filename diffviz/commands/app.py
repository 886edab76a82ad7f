"""Bare ``diffviz [--screenshot out.png] [MODEL]``: the desktop app.

Before Qt is imported, Linux gets two checks whose failure Qt itself answers with a core dump (an abort): that
there is a display to open the window on, and that the system libraries Qt's xcb (X11) platform plugin links are
installed. Either failure is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

HELP = (
    "Open the diffviz window on a model, a saved run (.npz) or a scene (.toml) — default: the bundled default "
    "model — and start sampling at once: linked views of x_t, the score field, ε̂ and Tweedie's x̂_0, with a live "
    "β schedule."
)

# The system libraries (soname → Debian/Ubuntu package) that Qt 6's xcb platform plugin links: the NEEDED entries
# of PySide6's Qt/plugins/platforms/libqxcb.so and Qt/lib/libQt6XcbQpa.so.6 (PySide6 6.11), less Qt's own and the
# C/C++ runtime. A fresh Debian or Ubuntu lacks libxcb-icccm4 and libxcb-keysyms1 in particular, and Qt's message
# then names libxcb-cursor0.
XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libGL.so.1": "libgl1",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}
# What QtGui itself links besides those (on any platform, offscreen included): a missing one fails the import.
GUI_LIBRARIES = {
    **XCB_LIBRARIES,
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
}


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(sonames: Iterable[str], loadable: Callable[[str], bool] | None = None) -> list[str]:
    """The sonames the dynamic linker cannot load (``loadable`` defaults to trying ``ctypes.CDLL``)."""
    loadable = loadable or _loadable
    return [s for s in sonames if not loadable(s)]


def missing_libraries_message(missing: Iterable[str], needed_by: str = "Qt's xcb (X11) platform plugin") -> str:
    """One line naming the missing libraries and the Debian/Ubuntu packages that hold them."""
    missing = list(missing)
    packages = list(dict.fromkeys(GUI_LIBRARIES[s] for s in missing if s in GUI_LIBRARIES))
    line = f"diffviz: {needed_by} needs {', '.join(missing)}, not installed here"
    if packages:
        line += f"; on Debian/Ubuntu: apt-get install {' '.join(packages)}"
    return line + " (QT_QPA_PLATFORM=offscreen runs diffviz headless)"


def _xcb_plugin_loads() -> bool | None:
    """Whether Qt's xcb plugin itself loads (its own library search path has the last word over the soname
    check); None when it cannot be found."""
    try:
        from PySide6.QtCore import QLibraryInfo

        plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    except ImportError:
        return None
    plugin = plugins / "platforms" / "libqxcb.so"
    return _loadable(str(plugin)) if plugin.is_file() else None


def qt_platform(environ: Mapping[str, str]) -> str | None:
    """The platform plugin Qt will use on Linux, where that is certain: QT_QPA_PLATFORM's first entry, else xcb
    under X11 alone; None where Qt may pick Wayland or has no display."""
    explicit = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if explicit:
        return explicit
    if environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        return "xcb"
    return None


def display_problem(
    environ: Mapping[str, str] | None = None, platform: str | None = None, screenshot: Path | None = None
) -> str | None:
    """Why the window cannot open here, as one line for stderr, or None. Decided before a QApplication exists, as
    Qt aborts the process (a core dump) when it has no display or its platform plugin misses a library. Linux
    only: macOS and Windows have no DISPLAY and need none."""
    environ = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux"):
        return None
    name = qt_platform(environ)
    if (name is None and not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY")) or (
        name == "xcb" and not environ.get("DISPLAY")
    ):
        unset = "DISPLAY is not set" if name == "xcb" else "neither DISPLAY nor WAYLAND_DISPLAY is set"
        headless = f"diffviz --screenshot {screenshot if screenshot is not None else 'out.png'}"
        return (
            f"diffviz: no display to open the window on ({unset}); QT_QPA_PLATFORM=offscreen runs it headless "
            f"(QT_QPA_PLATFORM=offscreen {headless}), and `diffviz render` needs no display"
        )
    if name == "xcb":
        missing = missing_libraries(XCB_LIBRARIES)
        if missing and not _xcb_plugin_loads():
            return missing_libraries_message(missing)
    return None


def _import_problem(exc: ImportError) -> str | None:
    """A Qt import that failed for a missing system library, as one line naming its package, or None."""
    if not sys.platform.startswith("linux"):
        return None
    named = re.findall(r"(lib[\w.+-]+\.so[\d.]*): cannot open shared object file", str(exc))
    missing = missing_libraries(dict.fromkeys([*named, *GUI_LIBRARIES]))
    return missing_libraries_message(missing, needed_by="Qt") if missing else None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model",
        nargs="?",
        default=None,
        metavar="SOURCE",
        help="a scene (.toml), a saved run (.npz), an .onnx file, a bundled model name, "
        "analytic:8gaussians or ideal:<data set>",
    )
    parser.add_argument(
        "--screenshot",
        metavar="OUT.png",
        type=Path,
        default=None,
        help="open the window, wait for the first finished run, save a PNG of it and exit",
    )
    parser.add_argument(
        "--at",
        type=float,
        default=0.95,
        metavar="FRACTION",
        help="with --screenshot: the step shown, as a fraction from x_T (0) to x_0 (1); default 0.95",
    )
    parser.add_argument("--force", action="store_true", help="with --screenshot: replace OUT.png if it exists")
    parser.add_argument(
        "--size",
        type=_size,
        default=None,
        metavar="WxH",
        help="with --screenshot: the window's size in pixels (default 1280x800)",
    )
    parser.add_argument(
        "--presenter",
        action="store_true",
        help="start in presenter mode: full screen, controls hidden (H shows them), text sized for the back of the "
        "room; with --screenshot: the window as a projector of --size shows it",
    )
    parser.add_argument(
        "--lesson",
        metavar="NAME",
        help="open a lesson (a bundled name or a lesson .toml) at its first cue; PageDown / PageUp move through it",
    )


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{2,5})[xX×](\d{2,5})", text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 1280x720")
    width, height = int(match[1]), int(match[2])
    if not (320 <= width <= 7680 and 240 <= height <= 4320):
        raise argparse.ArgumentTypeError(f"{text} is outside 320x240 … 7680x4320")
    return width, height


def run(args: argparse.Namespace) -> int:
    if args.screenshot is not None:
        if not 0.0 <= args.at <= 1.0:
            print(f"diffviz: --at {args.at} is outside [0, 1]", file=sys.stderr)
            return 2
        from diffviz.core.atomic import OutputPathError, check_output

        try:
            check_output(args.screenshot, force=args.force)
        except OutputPathError as exc:
            print(f"diffviz: {exc}", file=sys.stderr)
            return 2
    if args.lesson is not None:
        from diffviz.session.lesson import lesson_path, read_lesson
        from diffviz.session.scene import SceneError

        try:
            read_lesson(lesson_path(args.lesson))
        except SceneError as exc:
            print(f"diffviz: {exc}", file=sys.stderr)
            return 2
    problem = display_problem(screenshot=args.screenshot)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    try:
        from diffviz.ui.app import SCREENSHOT_SIZE, QtBindingError, run_window, screenshot
    except ImportError as exc:
        problem = _import_problem(exc)
        if problem is None:
            raise
        print(problem, file=sys.stderr)
        return 2

    try:
        if args.screenshot is not None:
            size = args.size or SCREENSHOT_SIZE
            return screenshot(
                args.screenshot, args.model, at=args.at, lesson=args.lesson, size=size, presenter=args.presenter
            )
        return run_window(args.model, lesson=args.lesson, presenter=args.presenter)
    except QtBindingError as exc:
        print(f"diffviz: {exc}", file=sys.stderr)
        return 3
