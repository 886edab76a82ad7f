"""Scenes: the whole session as TOML; a round trip gives the same session and the same trajectory, bit for bit;
every bad scene is refused with one message naming the key and the value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from diffviz.core import GaussianMixture
from diffviz.session import (
    ModelRef,
    SamplerSettings,
    Scene,
    SceneError,
    ScheduleSettings,
    Session,
    ViewSettings,
    build_run,
    open_scene,
    read_scene,
    write_scene,
)
from diffviz.session.settings import Playback


def _session(spec: str = "analytic:8gaussians") -> Session:
    session = Session()
    with session.batch():
        session.model = ModelRef(spec)
        session.schedule = ScheduleSettings(
            "squaredcos_cap_v2", 400, cosine_s=0.02, num_inference_steps=25, timestep_spacing="leading"
        )
        session.sampler = SamplerSettings(
            "pc", {"target_snr": 0.3, "corrector_steps": 2, "variance_type": "fixed_large"}, num_particles=300, seed=17
        )
        session.view = ViewSettings(
            panels=("x_t", "x0_hat"),
            layout="1x4",
            trails=False,
            field_grid=12,
            field_extent=(-3.0, 3.0, -2.0, 2.0),
            camera=(-2.5, 2.5, -1.5, 1.5),
            score_levels=(-0.5, 1.25),
            ui_scale=1.5,
            theme="light",
        )
        session.playback = Playback(step=12, speed=60, loop=True)
        session.followed = (3, 41)
        session.caption = 'PC: one Langevin step per level — "snr" 0.3'
    return session


def _run(scene: Scene) -> object:
    model = GaussianMixture.eight_gaussians()
    run, _ = build_run(model, scene.schedule, scene.sampler, scene.view)
    for _ in run:
        pass
    return run.trajectory


def _same_state(a: Scene, b: Scene) -> None:
    for name in ("schedule", "sampler", "view", "playback", "followed", "caption"):
        assert getattr(a, name) == getattr(b, name), name


def test_save_and_open_give_the_same_session_and_the_same_trajectory_bit_for_bit(tmp_path: Path) -> None:
    session = _session()
    saved = Scene.of(session)
    path = write_scene(tmp_path / "lesson.toml", saved)
    text = path.read_text(encoding="utf-8")
    assert "format_version = 1" in text and "[sampler.options]" in text and "target_snr = 0.3" in text
    scene, model, notices = open_scene(path)
    _same_state(scene, saved)
    assert scene.model.spec == "analytic:8gaussians" and notices == []
    again = Session()
    scene.apply(again)
    assert Scene.of(again) == saved
    first, second = _run(saved), _run(scene)
    for name in ("x", "eps_hat", "field_eps", "model_time"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))


def test_the_locked_noise_is_reproduced_too(tmp_path: Path) -> None:
    session = _session()
    session.update_sampler(same_noise=True, name="ddim", eta=1.0)
    path = write_scene(tmp_path / "s.toml", Scene.of(session))
    np.testing.assert_array_equal(_run(Scene.of(session)).x, _run(read_scene(path)).x)  # type: ignore[attr-defined]


def test_a_model_file_is_named_relative_to_the_scene_and_its_hash_checked(tmp_path: Path) -> None:
    from diffviz.runtime import load_model
    from tests.helpers import ui_models

    folder = tmp_path / "lesson"
    folder.mkdir()
    model_path = ui_models.shrink_model(folder / "shrink.onnx")
    card = load_model(model_path).card
    session = _session(str(model_path.resolve()))
    session.model = ModelRef(str(model_path.resolve()), card.sha256)
    path = write_scene(folder / "scene.toml", Scene.of(session))
    assert 'spec = "shrink.onnx"' in path.read_text(encoding="utf-8")  # portable: the folder can move
    moved = tmp_path / "moved"
    folder.rename(moved)
    scene, model, notices = open_scene(moved / "scene.toml")
    assert Path(scene.model.spec) == (moved / "shrink.onnx").resolve() and notices == []
    ui_models.shrink_model(moved / "shrink.onnx", factor=0.25)  # the file changes under the scene
    _, _, notices = open_scene(moved / "scene.toml")
    assert len(notices) == 1 and "has changed since the scene was saved" in notices[0]


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD_HEAD = 'format_version = 1\n[model]\nspec = "analytic:8gaussians"\n'


@pytest.mark.parametrize(
    "body, words",
    [
        (GOOD_HEAD + "[view]\nsparkle = true\n", ["unknown key view.sparkle = True", "valid keys"]),
        ("colour = 'red'\n" + GOOD_HEAD, ["unknown key colour = 'red'"]),
        (GOOD_HEAD + "colour = 'red'\n", ["unknown key model.colour = 'red'"]),
        (
            GOOD_HEAD + "[schedule]\nnum_train_timesteps = 'many'\n",
            ["schedule.num_train_timesteps = 'many'", "expected an integer"],
        ),
        (GOOD_HEAD + "[schedule]\nbeta_end = 1.5\n", ["schedule.beta_end = 1.5"]),
        (GOOD_HEAD + "[schedule]\nnum_train_timesteps = 1000000000\n", ["schedule.num_train_timesteps = 1000000000"]),
        (GOOD_HEAD + "[sampler]\nseed = 1099511627776\n", ["sampler.seed = 1099511627776"]),
        (
            GOOD_HEAD + "[sampler]\nname = 'ddpm'\n[sampler.options]\neta = 0.5\n",
            ["unknown key sampler.options.eta = 0.5", "the ddpm sampler takes"],
        ),
        (GOOD_HEAD + "[sampler]\nname = 'ddim'\n[sampler.options]\neta = -1\n", ["sampler.options.eta = -1"]),
        (GOOD_HEAD + "[sampler]\nname = 'langevin'\n", ["sampler.name = 'langevin'"]),
        (GOOD_HEAD + "[view]\ncamera = [1, 2]\n", ["view.camera = [1, 2]", "four numbers"]),
        (GOOD_HEAD + "[playback]\nstep = -3\n", ["playback.step = -3"]),
        (GOOD_HEAD + "[view]\nscore_levels = [2, 1]\n", ["view.score_levels = (2.0, 1.0)", "low < high"]),
        (GOOD_HEAD + "[view]\nscore_levels = [1, 2, 3]\n", ["view.score_levels = [1, 2, 3]", "two numbers"]),
        ("followed = [5000]\n" + GOOD_HEAD, ["followed", "num_particles = 2000"]),
        ('format_version = 99\n[model]\nspec = "analytic:8gaussians"\n', ["format_version = 99", "newer diffviz"]),
        ('[model]\nspec = "analytic:8gaussians"\n', ["format_version = None"]),
        ("format_version = 1\n", ["a scene needs [model] spec"]),
        ('format_version = 1\n[model]\nspec = "missing/nowhere.onnx"\n', ["model.spec", "no such model file"]),
        ('format_version = 1\n[model]\nspec = "not-a-bundled-model"\n', ["model.spec = 'not-a-bundled-model'"]),
        ("format_version = 1\n[model\n", ["not a TOML scene"]),
    ],
)
def test_a_bad_scene_is_refused_with_one_message_naming_key_and_value(
    tmp_path: Path, body: str, words: list[str]
) -> None:
    with pytest.raises(SceneError) as info:
        open_scene(_write(tmp_path, body))
    message = str(info.value)
    assert message.startswith("bad.toml") and "\n" not in message
    for word in words:
        assert word in message


def test_a_minimal_hand_written_scene_takes_the_defaults(tmp_path: Path) -> None:
    scene = read_scene(_write(tmp_path, GOOD_HEAD + "[sampler]\nname = 'ddim'\n[sampler.options]\neta = 1\n"))
    assert scene.schedule == ScheduleSettings() and scene.view == ViewSettings()
    assert scene.sampler.active_options()["eta"] == 1.0 and isinstance(scene.sampler.options["eta"], float)


def test_saving_a_scene_never_replaces_something_that_is_not_a_file(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    with pytest.raises(OSError):
        write_scene(fifo, Scene.of(_session()))
    assert fifo.is_fifo()
