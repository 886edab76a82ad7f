"""Before Qt starts on Linux: no display, or a missing system library of Qt's xcb plugin, is one line on stderr and
exit code 2 — not Qt's abort (a core dump, exit code 134)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from diffviz.commands import app as app_command

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120
NO_DISPLAY = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the checks run on Linux only")


def _diffviz(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "diffviz", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=TIMEOUT_S
    )


def _without_display() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in NO_DISPLAY}


@linux_only
@pytest.mark.parametrize("screenshot", [False, True])
def test_without_a_display_the_app_says_so_and_exits_2(tmp_path: Path, screenshot: bool) -> None:
    out = tmp_path / "out.png"
    result = _diffviz(*(["--screenshot", str(out)] if screenshot else []), cwd=tmp_path, env=_without_display())
    assert result.returncode == 2, result.stderr  # Qt aborted: SIGABRT (134 in a shell)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no display" in lines[0] and "QT_QPA_PLATFORM=offscreen" in lines[0] and "diffviz render" in lines[0]
    assert not out.exists()


@pytest.mark.parametrize(
    ("environ", "platform", "refused"),
    [
        ({}, "linux", True),
        ({"XDG_SESSION_TYPE": "x11"}, "linux", True),
        ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),  # xcb named, no X server named
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, "linux", False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({}, "darwin", False),  # no DISPLAY is normal there
        ({}, "win32", False),
    ],
)
def test_the_display_check_reads_the_environment(environ: dict[str, str], platform: str, refused: bool) -> None:
    problem = app_command.display_problem(environ, platform)
    assert (problem is not None) == refused
    if problem is not None:
        assert "no display" in problem and "\n" not in problem


def test_the_message_names_the_missing_libraries_and_their_packages() -> None:
    line = app_command.missing_libraries_message(["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libfoo.so.1"])
    assert "\n" not in line and line.startswith("diffviz: ")
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1, libfoo.so.1" in line
    assert "apt-get install libxcb-icccm4 libxcb-keysyms1 (" in line  # a library it has no package for is only named
    assert "QT_QPA_PLATFORM=offscreen" in line


def test_missing_xcb_libraries_refuse_the_window_before_qt_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    gone = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1"}  # what a fresh Debian lacks
    monkeypatch.setattr(app_command, "_loadable", lambda soname: soname not in gone)
    monkeypatch.setattr(app_command, "_xcb_plugin_loads", lambda: False)
    assert app_command.missing_libraries(app_command.XCB_LIBRARIES) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    for environ in ({"DISPLAY": ":0"}, {"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}):
        problem = app_command.display_problem(environ, "linux")
        assert problem is not None and "apt-get install libxcb-icccm4 libxcb-keysyms1" in problem
    assert app_command.display_problem({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert app_command.display_problem({"DISPLAY": ":0", "WAYLAND_DISPLAY": "w"}, "linux") is None  # may be Wayland
    monkeypatch.setattr(app_command, "_xcb_plugin_loads", lambda: True)  # its own search path finds them
    assert app_command.display_problem({"DISPLAY": ":0"}, "linux") is None


def test_a_qt_import_that_misses_a_library_names_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_command, "_loadable", lambda soname: soname != "libEGL.so.1")
    monkeypatch.setattr(sys, "platform", "linux")
    error = ImportError("libEGL.so.1: cannot open shared object file: No such file or directory")
    problem = app_command._import_problem(error)
    assert problem is not None and "libEGL.so.1" in problem and "apt-get install libegl1" in problem
    monkeypatch.setattr(app_command, "_loadable", lambda soname: True)
    assert app_command._import_problem(ImportError("No module named 'PySide6'")) is None


def _xcb_plugin() -> Path:
    from PySide6.QtCore import QLibraryInfo

    plugin = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms" / "libqxcb.so"
    if not sys.platform.startswith("linux") or not plugin.is_file() or shutil.which("ldd") is None:
        pytest.skip("needs Linux, ldd and PySide6's xcb plugin")
    return plugin


def test_the_check_agrees_with_the_dynamic_linker_on_this_machine() -> None:
    """What ldd cannot find for the xcb plugin is exactly what the check reports missing; where nothing is
    missing (the libraries installed), the window is not refused."""
    ldd = subprocess.run(["ldd", str(_xcb_plugin())], capture_output=True, text=True, check=True).stdout
    not_found = set(re.findall(r"^\s*(\S+) => not found", ldd, re.MULTILINE))
    assert set(app_command.missing_libraries(app_command.XCB_LIBRARIES)) == not_found & set(app_command.XCB_LIBRARIES)
    assert app_command._xcb_plugin_loads() is (not not_found)
    if not not_found:
        assert app_command.display_problem({"DISPLAY": ":0"}, "linux") is None


def test_the_table_holds_every_system_library_the_xcb_plugin_links() -> None:
    plugin = _xcb_plugin()
    if shutil.which("readelf") is None:
        pytest.skip("needs readelf (binutils)")
    needed: set[str] = set()
    for lib in (plugin, plugin.parents[2] / "lib" / "libQt6XcbQpa.so.6"):
        if lib.is_file():
            dynamic = subprocess.run(["readelf", "-d", str(lib)], capture_output=True, text=True, check=True).stdout
            needed |= set(re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", dynamic))
    runtime = {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libpthread.so.0", "libdl.so.2"}
    system = {s for s in needed if not s.startswith("libQt6") and s not in runtime}
    assert system and system <= set(app_command.XCB_LIBRARIES), system - set(app_command.XCB_LIBRARIES)


def test_the_readme_lists_every_package_the_check_names() -> None:
    readme = (ROOT / "README.md").read_text()
    assert {p for p in app_command.GUI_LIBRARIES.values() if p not in readme} == set()


@pytest.mark.slow
@linux_only
def test_with_an_x_server_and_the_libraries_the_window_opens_under_xcb(tmp_path: Path) -> None:
    """Xvfb and the xcb plugin, for real: the checks let a working X11 set-up through."""
    if shutil.which("Xvfb") is None:
        pytest.skip("needs Xvfb (apt-get install xvfb)")
    if app_command.missing_libraries(app_command.XCB_LIBRARIES):
        pytest.skip("the xcb plugin's libraries are not installed here")
    display = f":{90 + os.getpid() % 500}"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"])
    try:
        socket = Path(f"/tmp/.X11-unix/X{display[1:]}")
        for _ in range(100):
            if socket.exists():
                break
            subprocess.run(["sleep", "0.1"])
        out = tmp_path / "shot.png"
        env = dict(_without_display(), DISPLAY=display)
        result = _diffviz("--screenshot", str(out), "analytic:8gaussians", cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        assert out.stat().st_size > 10_000
    finally:
        server.terminate()
        server.wait(10)
