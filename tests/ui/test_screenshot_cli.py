"""``diffviz --screenshot`` in a real subprocess: the exit code, no crash at exit, and a PNG of the window."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

TIMEOUT_S = 300


def _diffviz(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "diffviz", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=TIMEOUT_S
    )


def _pixels(path: Path) -> np.ndarray:
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGBA8888)
    buf = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return buf.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width()].copy()


@pytest.mark.slow
def test_screenshot_saves_the_whole_window_and_exits_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    result = _diffviz("--screenshot", str(out), "analytic:8gaussians", cwd=tmp_path)
    assert result.returncode == 0, result.stderr  # a segfault at exit would be −11
    assert "propagateSizeHints" not in result.stderr  # Qt's offscreen chatter is filtered out
    pixels = _pixels(out)
    assert pixels.shape[:2] == (800, 1280)
    views = pixels[40:700, 20:880, :3]  # the four views: many colours, not an empty panel
    assert len(np.unique(views.reshape(-1, 3), axis=0)) > 200
    assert [p.name for p in tmp_path.iterdir()] == ["shot.png"]  # no temporary file left behind


def test_screenshot_of_a_missing_model_fails_with_a_message(tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    result = _diffviz("--screenshot", str(out), str(tmp_path / "nope.onnx"), cwd=tmp_path)
    assert result.returncode == 2
    assert "nope.onnx" in result.stderr and not out.exists()


def test_screenshot_into_a_missing_folder_is_refused_before_starting(tmp_path: Path) -> None:
    result = _diffviz("--screenshot", str(tmp_path / "no" / "shot.png"), cwd=tmp_path)
    assert result.returncode == 2 and "does not exist" in result.stderr


@pytest.mark.slow
def test_the_interactive_app_exits_cleanly_when_its_window_closes(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom PySide6.QtCore import QTimer\nfrom PySide6.QtWidgets import QApplication\n"
        "from diffviz.ui import app\napp.application()\n"
        "QTimer.singleShot(1500, QApplication.closeAllWindows)\n"
        "sys.exit(app.run_window('analytic:8gaussians'))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=TIMEOUT_S
    )
    assert result.returncode == 0, result.stderr
    assert "settings" in Path(os.environ["DIFFVIZ_SETTINGS"]).read_text()  # it saved, to the isolated file
