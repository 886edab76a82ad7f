"""``diffviz render`` and File → Export video: real offscreen frames, real ffmpeg encodes decoded back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from diffviz.cli import main
from diffviz.core import Schedule
from diffviz.export.timing import frame_steps

SIZE = (320, 180)
SCENE = """format_version = 1
caption = "DDIM on the exact 8-Gaussian score"
[model]
spec = "analytic:8gaussians"
[schedule]
num_inference_steps = 20
[sampler]
name = "ddim"
num_particles = 300
seed = 3
"""


def _scene(tmp_path: Path) -> Path:
    path = tmp_path / "scene.toml"
    path.write_text(SCENE, encoding="utf-8")
    return path


def _png(path: Path) -> np.ndarray:
    import imageio.v3 as iio

    return np.asarray(iio.imread(path))[..., :3]


def _video(path: Path) -> np.ndarray:
    import imageio.v3 as iio

    return np.stack([np.asarray(f)[..., :3] for f in iio.imiter(path, plugin="pyav")])


# ---- which step each frame shows --------------------------------------------------------------------------------
def test_frames_run_from_the_first_to_the_last_step_in_order() -> None:
    s = Schedule.from_name("linear", 1000).subsample(100)
    ab, abp = s.alpha_bars[::-1], s.alpha_bars_prev[::-1]
    for mapping in ("steps", "log-snr"):
        steps = frame_steps(ab, abp, 40, mapping=mapping)  # type: ignore[arg-type]
        assert len(steps) == 40 and steps[0] == 0 and steps[-1] == 100 and np.all(np.diff(steps) >= 0)
    uniform = frame_steps(ab, abp, 40, mapping="steps")
    by_snr = frame_steps(ab, abp, 40, mapping="log-snr")
    # uniform in log-SNR gives the low-noise end, where the data's structure forms, more of the frames
    assert np.sum(by_snr >= 75) > 2 * np.sum(uniform >= 75)
    with pytest.raises(ValueError, match="outside"):
        frame_steps(ab, abp, 10, start=50, end=20)


# ---- the command ------------------------------------------------------------------------------------------------
def _render(tmp_path: Path, out: str, *extra: str) -> int:
    args = ["render", str(_scene(tmp_path)), "-o", str(tmp_path / out), "--size", "x".join(map(str, SIZE)), *extra]
    return main(args)


def test_render_an_mp4_and_decode_it_back(tmp_path: Path) -> None:
    from diffviz.commands.render import add_arguments, load_source  # the frames the video should hold
    from diffviz.export.render import FrameRenderer

    assert _render(tmp_path, "run.mp4", "--fps", "10", "--hold", "0.5", "--scale", "0.8") == 0
    frames = _video(tmp_path / "run.mp4")
    assert frames.shape == (21 + 5, SIZE[1], SIZE[0], 3)  # one frame per step 0..20, plus half a second held
    assert np.abs(frames[1:].astype(int) - frames[:-1]).mean(axis=(1, 2, 3))[:20].min() > 0.1  # it moves
    assert np.abs(frames[-1].astype(int) - frames[-2]).mean() < 0.5  # the hold (within the codec)
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([str(tmp_path / "scene.toml"), "-o", "x.mp4"])
    source = load_source(args)
    from dataclasses import replace

    view = replace(source.view, ui_scale=0.8)
    renderer = FrameRenderer(
        source.info,
        source.trajectory,
        source.schedule,
        view,
        SIZE,
        steps=list(range(21)),
        title=source.caption,
        sampler_label=source.sampler_label,
    )
    try:
        first, last = renderer.render(0), renderer.render(20)
    finally:
        renderer.close()
    assert np.abs(frames[0].astype(int) - first).mean() < 6  # the same picture, within H.264's loss
    assert np.abs(frames[-1].astype(int) - last).mean() < 6
    assert np.abs(frames[0].astype(int) - last).mean() > 3 * np.abs(frames[-1].astype(int) - last).mean()


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".webm", ".gif"])
def test_webm_and_gif_decode_back_with_the_right_frames(tmp_path: Path, suffix: str) -> None:
    assert _render(tmp_path, "run" + suffix, "--fps", "10", "--hold", "0", "--steps-per-frame", "4") == 0
    frames = _video(tmp_path / ("run" + suffix))
    assert frames.shape[0] == 6 and frames.shape[1:3] == (SIZE[1], SIZE[0])  # steps 0, 4, …, 20
    assert np.abs(frames[-1].astype(int) - frames[0]).mean() > 1


def test_a_still_png_and_svg(tmp_path: Path) -> None:
    assert _render(tmp_path, "slide.png", "--frame", "10") == 0
    assert _png(tmp_path / "slide.png").shape == (SIZE[1], SIZE[0], 3)
    assert _render(tmp_path, "slide.svg", "--frame", "10") == 0
    assert (tmp_path / "slide.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")


@pytest.mark.parametrize(
    "out, extra, words",
    [
        ("run.avi", (), ["avi", "mp4"]),
        ("missing/run.mp4", (), ["missing"]),
        ("run.mp4", ("--frame", "3"), [".png or .svg"]),
        ("still.png", ("--frame", "99"), ["--frame 99", "0..20"]),
        ("run.mp4", ("--panels", "x_t,sparkles"), []),
    ],
)
def test_bad_outputs_and_options_are_one_line_messages(
    tmp_path: Path, out: str, extra: tuple[str, ...], words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = _render(tmp_path, out, *extra)
    except SystemExit as exc:  # argparse's own refusal (a bad --panels)
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2
    for word in words:
        assert word in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scene.toml"]  # nothing written


def test_a_model_source_takes_the_sample_flags_and_their_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ddim.png"
    assert (
        main(
            [
                "render",
                "analytic:8gaussians",
                "-o",
                str(out),
                "--frame",
                "5",
                "--size",
                "320x180",
                "--sampler",
                "ddim",
                "--eta",
                "0.5",
                "--num-train-timesteps",
                "40",
                "--n",
                "200",
            ]
        )
        == 0
    )
    assert _png(out).shape == (180, 320, 3)
    assert main(["render", "analytic:8gaussians", "-o", str(tmp_path / "x.png"), "--frame", "1", "--seed", "-1"]) == 2
    assert "--seed must be" in capsys.readouterr().err
    assert main(["render", str(_scene(tmp_path)), "-o", str(tmp_path / "y.png"), "--frame", "1", "--n", "5"]) == 2
    assert "--n applies when SOURCE is a model" in capsys.readouterr().err


def test_an_existing_file_needs_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "run.gif").write_bytes(b"keep me")
    assert _render(tmp_path, "run.gif", "--steps-per-frame", "10", "--hold", "0") == 2
    assert "--force" in capsys.readouterr().err and (tmp_path / "run.gif").read_bytes() == b"keep me"
    assert _render(tmp_path, "run.gif", "--steps-per-frame", "10", "--hold", "0", "--force") == 0
    assert (tmp_path / "run.gif").read_bytes()[:3] == b"GIF"


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_export_leaves_nothing(tmp_path: Path, sig: int) -> None:
    scene = _scene(tmp_path)
    out = tmp_path / "long.mp4"
    # render handles SIGINT itself, even when this test run ignores it (under nohup or in the background)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "diffviz",
            "render",
            str(scene),
            "-o",
            str(out),
            "--size",
            "640x360",
            "--duration",
            "600",
            "--progress-json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until frames are being encoded
        if line.startswith('{"frame": 20'):
            break
    time.sleep(0.3)
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scene.toml"]  # no video, no temporary file


# ---- the window's export ------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_window_export_gives_the_same_frames_as_the_command(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers.ui_helpers import make_window, wait_finished

    window = make_window(qtbot, None)
    scene = _scene(tmp_path)
    wait_finished(qtbot, window, lambda: window.open_path(scene))
    dialog = window.export_video()
    assert dialog is not None
    dialog.output.setText(str(tmp_path / "gui_frames"))
    dialog.frame_size.setCurrentText("x".join(map(str, SIZE)))
    dialog.duration.setValue(1.0)
    dialog.fps.setValue(8)
    with qtbot.waitSignal(dialog.finished_export, timeout=120_000) as blocker:
        dialog.start_export()
        assert dialog.process is not None and window.isEnabled()  # the window is not blocked meanwhile
    assert blocker.args[0] == 0, blocker.args[1]
    cli = ["render", str(scene), "-o", str(tmp_path / "cli_frames"), *dialog.render_args()]
    assert main(cli) == 0
    gui = sorted((tmp_path / "gui_frames").iterdir())
    assert len(gui) == 8 + 8 and [p.name for p in gui] == [p.name for p in sorted((tmp_path / "cli_frames").iterdir())]
    for a, b in zip(gui, sorted((tmp_path / "cli_frames").iterdir()), strict=True):
        assert np.array_equal(_png(a), _png(b)), a.name
    dialog.close()
    assert window.shutdown()


@pytest.mark.slow
def test_cancelling_the_window_export_leaves_nothing(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers.ui_helpers import make_window, wait_finished

    window = make_window(qtbot, None)
    wait_finished(qtbot, window, lambda: window.open_path(_scene(tmp_path)))
    dialog = window.export_video()
    assert dialog is not None
    out = tmp_path / "out" / "long.mp4"
    out.parent.mkdir()
    dialog.output.setText(str(out))
    dialog.duration.setValue(600)
    dialog.start_export()
    qtbot.waitUntil(lambda: dialog.progress.value() > 5, timeout=60_000)  # frames are being encoded
    with qtbot.waitSignal(dialog.finished_export, timeout=30_000) as blocker:
        dialog.cancel()
    assert blocker.args[0] != 0 and dialog.status.text() == "cancelled"
    assert list(out.parent.iterdir()) == []  # no video, no temporary file
    dialog.close()
    assert window.shutdown()


def test_a_side_by_side_scene_renders_its_main_run_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _scene(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + '\n[compare]\nname = "ddim"\n', encoding="utf-8")
    out = tmp_path / "still.png"
    assert main(["render", str(path), "-o", str(out), "--frame", "3", "--size", "320x240"]) == 0
    assert out.is_file() and _png(out).shape == (240, 320, 3)
    assert "side-by-side ddim run is not rendered" in capsys.readouterr().err
