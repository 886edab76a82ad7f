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


def _noisy_pixmap(width: int = 400, height: int = 300):  # type: ignore[no-untyped-def]
    """A pixmap whose PNG is far larger than 64 KiB (noise does not compress)."""
    from PySide6.QtGui import QPixmap

    noise = np.random.default_rng(0).integers(0, 256, (height, width, 4), dtype=np.uint8)
    noise[..., 3] = 255
    image = QImage(noise.tobytes(), width, height, 4 * width, QImage.Format.Format_RGBA8888)
    return QPixmap.fromImage(image.copy())


def test_a_full_disk_is_reported_as_a_full_disk_not_as_an_encoding_failure(qapp, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from diffviz.ui.app import _save_png
    from tests.ui.tmpfs import tmpfs

    with tmpfs(tmp_path / "tiny", "size=64k") as disk:
        out = disk / "shot.png"
        out.write_bytes(b"the old picture")
        assert not _save_png(_noisy_pixmap(), out)
        message = capsys.readouterr().err
        assert "disk is full" in message and "No space left on device" in message and str(out) in message
        assert "encode" not in message
        assert out.read_bytes() == b"the old picture"  # the old file is kept whole
        assert [p.name for p in disk.iterdir()] == ["shot.png"]  # and no temporary file is left


def test_a_failed_write_names_the_reason(qapp, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from diffviz.ui.app import _save_png

    assert not _save_png(_noisy_pixmap(8, 8), tmp_path / "missing" / "shot.png")
    message = capsys.readouterr().err
    assert "could not write" in message and "does not exist" in message and "encode" not in message
    assert _save_png(_noisy_pixmap(8, 8), tmp_path / "shot.png") and (tmp_path / "shot.png").stat().st_size > 0


@pytest.mark.slow
def test_screenshot_onto_a_full_disk_says_the_disk_is_full(tmp_path: Path) -> None:
    from tests.ui.tmpfs import tmpfs

    with tmpfs(tmp_path / "tiny", "size=64k") as disk:
        result = _diffviz("--screenshot", str(disk / "shot.png"), "analytic:8gaussians", cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert "disk is full" in result.stderr and "No space left on device" in result.stderr
        assert list(disk.iterdir()) == []
