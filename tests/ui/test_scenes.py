"""Scenes and saved runs in the window: File → Save scene / Open scene, `diffviz scene.toml`, `diffviz run.npz`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from diffviz.core import Trajectory
from diffviz.session import SceneError, read_scene
from tests.helpers.ui_helpers import make_window, wait_finished

MODEL = "analytic:8gaussians"


def _set_up(qtbot, window) -> Trajectory:  # type: ignore[no-untyped-def]
    wait_finished(qtbot, window, lambda: window.open_model(MODEL))
    session = window.state.session

    def edit() -> None:
        with session.batch():
            session.update_schedule(name="squaredcos_cap_v2", num_train_timesteps=300, num_inference_steps=30)
            session.update_sampler(name="pc", target_snr=0.2, corrector_steps=2, num_particles=400, seed=5)
            session.update_view(trails=False, camera=(-3.0, 3.0, -2.0, 2.0))
            session.caption = "predictor–corrector on the cosine schedule"

    return wait_finished(qtbot, window, edit)


def test_save_and_open_a_scene_in_the_window_bit_for_bit(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = make_window(qtbot, None)
    before = _set_up(qtbot, first)
    first.state.set_step(12)
    assert first.save_scene(tmp_path / "pc.toml")
    assert first.caption.isVisible() and "cosine" in first.caption.text()

    second = make_window(qtbot, None)
    after = wait_finished(qtbot, second, lambda: second.open_path(tmp_path / "pc.toml"))
    a, b = first.state.session, second.state.session
    for name in ("model", "schedule", "sampler", "view", "followed", "caption"):
        assert getattr(a, name) == getattr(b, name), name
    assert second.state.step == 12 and second.timeline.slider.value() == 12  # the playhead where it was saved
    x0, x1, y0, y1 = second.grid.camera()  # the saved camera, widened along one axis to the view's aspect
    assert x0 <= -2.999 and x1 >= 2.999 and y0 <= -1.999 and y1 >= 1.999
    assert (x0, x1) == pytest.approx((-3.0, 3.0), abs=1e-3) or (y0, y1) == pytest.approx((-2.0, 2.0), abs=1e-3)
    np.testing.assert_array_equal(after.x, before.x)
    np.testing.assert_array_equal(after.eps_hat, before.eps_hat)
    assert second.sampler_panel.options["corrector_steps"].value() == 2  # the panel mirrors the scene
    for w in (first, second):
        assert w.shutdown()


def test_a_bad_scene_leaves_the_session_as_it_was(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, None)
    shown = _set_up(qtbot, window)
    bad = tmp_path / "bad.toml"
    bad.write_text('format_version = 1\n[model]\nspec = "analytic:8gaussians"\n[sampler]\nseed = -1\n')
    before = (window.state.session.sampler, window.state.session.schedule, window.state.session.view)
    with qtbot.waitSignal(window.errorShown, timeout=5000) as blocker:
        assert not window.open_path(bad)
    assert blocker.args[0] == "Cannot open scene" and "sampler.seed = -1" in blocker.args[1]
    assert (window.state.session.sampler, window.state.session.schedule, window.state.session.view) == before
    assert window.state.trajectory is shown and not window.controller.running
    assert window.shutdown()


def test_every_sampler_option_is_in_the_panel_and_on_the_command_line(qtbot) -> None:  # type: ignore[no-untyped-def]
    from diffviz.cli import build_parser
    from diffviz.core import SAMPLERS

    flags = {s for a in build_parser("sample")._actions for s in a.option_strings}
    window = make_window(qtbot, None)
    panel = window.sampler_panel
    for name, spec in SAMPLERS.items():
        window.state.update_sampler(name=name)
        assert panel.sampler.currentData() == name
        for option in spec.options:
            assert option.flag in flags, (name, option.name)
            widget = panel.options[option.name]
            assert not widget.isHidden(), (name, option.name)  # shown for this sampler
        others = set(panel.options) - {o.name for o in spec.options}
        assert all(panel.options[o].isHidden() for o in others)


def test_a_panel_option_writes_the_session_and_the_session_moves_the_panel(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, None)
    panel, session = window.sampler_panel, window.state.session
    session.update_sampler(name="pc", corrector_steps=4)
    assert panel.options["corrector_steps"].value() == 4
    panel.options["corrector_steps"].setValue(6)
    qtbot.waitUntil(lambda: session.sampler.options["corrector_steps"] == 6, timeout=2000)
    window.timeline.loop.setChecked(True)
    assert session.playback.loop
    session.update_playback(speed=120)
    assert window.timeline.speed.currentData() == 120


def _diffviz(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "diffviz", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


@pytest.mark.slow
def test_diffviz_opens_a_saved_run_and_a_scene_from_the_command_line(tmp_path: Path) -> None:
    from diffviz.cli import main

    run = tmp_path / "run.npz"
    assert main(["sample", MODEL, "-o", str(run), "--n", "300", "--num-train-timesteps", "50"]) == 0
    result = _diffviz(str(run), "--screenshot", str(tmp_path / "run.png"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run.png").stat().st_size > 10_000

    scene = tmp_path / "scene.toml"
    scene.write_text(
        'format_version = 1\ncaption = "a hand-written scene"\n[model]\nspec = "ideal:moons"\n'
        '[schedule]\nnum_inference_steps = 20\n[sampler]\nname = "ddim"\n'
    )
    result = _diffviz(str(scene), "--screenshot", str(tmp_path / "scene.png"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('format_version = 1\n[model]\nspec = "ideal:moons"\n[view]\nlayout = "3x3"\n')
    result = _diffviz(str(bad), "--screenshot", str(tmp_path / "bad.png"), cwd=tmp_path)
    assert result.returncode == 2 and "view.layout = '3x3'" in result.stderr
    with pytest.raises(SceneError):
        read_scene(bad)
