"""``diffviz info`` and ``diffviz sample`` on real ONNX files: exit codes, messages, the saved run, Ctrl-C."""

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
from diffviz.core import Schedule, Trajectory, rerun, sample
from diffviz.runtime import load_model
from tests.helpers import onnx_models as om

# A child inherits an ignored SIGINT (pytest started in the background or under nohup); this launcher restores the
# default and then execs the command, so that Python in it turns a Ctrl-C into KeyboardInterrupt as in a terminal.
DEFAULT_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"
)


@pytest.fixture(scope="module")
def mlp_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "mlp.onnx"
    meta = om.schedule_metadata(T=50, beta_end=0.3, name="cli-mlp")
    return om.export_torch_mlp(path, om.make_torch_mlp(hidden=32, emb=8), metadata=meta)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "diffviz", *args], capture_output=True, text=True, timeout=300)


# ---- info ---------------------------------------------------------------------------------------------------------
def test_info_on_a_valid_model(mlp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(mlp_path), "--n", "200"]) == 0
    out = capsys.readouterr().out
    for text in (
        "cli-mlp",
        "valid",
        "epsilon",
        "linear T=50, β 0.0001→0.3",
        "(N, 2)",
        "index",
        "ExecutionProvider",
        "diffviz.num_train_timesteps = 50",
        "ms per call at N=200",
    ):
        assert text in out, text


def test_info_lists_notices_of_a_bare_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = om.scale_model(tmp_path / "bare.onnx", 1.0, x_shape=(8, 2))
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "no diffviz metadata" in out and "fixed batch size 8" in out and "(none in the file)" in out


def test_info_refuses_a_bad_model_without_traceback(tmp_path: Path) -> None:
    path = om.echo_t_model(tmp_path / "model.onnx", t_dtype=om.DOUBLE)
    proc = cli("info", str(path))
    assert proc.returncode == 2
    assert "model.onnx: input 't' has dtype float64" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_info_on_a_text_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.onnx"
    path.write_text("not a model")
    assert main(["info", str(path)]) == 2
    assert "notes.onnx: not an ONNX model" in capsys.readouterr().err


# ---- sample -------------------------------------------------------------------------------------------------------
def test_sample_writes_a_run_that_reruns_bit_for_bit(mlp_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.npz"
    proc = cli(
        "sample",
        str(mlp_path),
        "-o",
        str(out),
        "--n",
        "300",
        "--seed",
        "4",
        "--sampler",
        "ddim",
        "--eta",
        "0.5",
        "--num-inference-steps",
        "20",
        "--spacing",
        "trailing",
    )
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout and "20/20" in proc.stderr  # tqdm's bar went to stderr
    saved = Trajectory.load(out)
    assert saved.complete and saved.x.shape == (21, 300, 2)
    model = load_model(mlp_path)
    expected = sample(model, model.train_schedule.subsample(20, "trailing"), "ddim", n=300, seed=4, eta=0.5)
    again = rerun(saved, model)
    for name in ("x", "eps_hat", "field_eps", "model_time", "alpha_bar"):
        np.testing.assert_array_equal(getattr(saved, name), getattr(expected, name))
        np.testing.assert_array_equal(getattr(again, name), getattr(saved, name))
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]


def test_sample_schedule_options(mlp_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "cos.npz"
    code = main(
        [
            "sample",
            str(mlp_path),
            "-o",
            str(out),
            "--n",
            "20",
            "--schedule",
            "squaredcos_cap_v2",
            "--num-train-timesteps",
            "30",
            "--variance-type",
            "fixed_large",
        ]
    )
    assert code == 0
    run = Trajectory.load(out)
    want = Schedule.from_name("squaredcos_cap_v2", 30)
    np.testing.assert_array_equal(run.alpha_bar, want.alpha_bars[::-1])
    assert run.params.options["variance_type"] == "fixed_large"


def test_sample_defaults_to_the_models_training_schedule(mlp_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "own.npz"
    assert main(["sample", str(mlp_path), "-o", str(out), "--n", "10", "--sampler", "euler"]) == 0
    run = Trajectory.load(out)
    np.testing.assert_array_equal(run.alpha_bar, np.cumprod(1 - np.linspace(1e-4, 0.3, 50))[::-1])
    np.testing.assert_array_equal(run.model_time, np.arange(49, -1, -1))


@pytest.mark.parametrize(
    "args, words",
    [
        (["--beta-start", "2"], ["beta_start = 2.0", "outside (0, 1)"]),
        (["--beta-start", "0.1", "--beta-end", "0.01"], ["larger than beta_end"]),
        (["--num-train-timesteps", "0"], ["--num-train-timesteps", "≥ 2"]),
        (["--num-inference-steps", "500"], ["num_inference_steps", "[1, 50]"]),
        (["--sampler", "ddpm", "--eta", "1"], ["--eta does not apply to the ddpm sampler"]),
        (["--n", "0"], ["--n must be ≥ 1"]),
        (["--steps", "10"], ["--steps was renamed", "--num-train-timesteps", "--num-inference-steps"]),
        (["--sampler", "pc", "--target-snr", "5"], ["--target-snr 5.0 is invalid", "[0, 2]"]),
        (["--sampler", "ddim", "--corrector-steps", "2"], ["--corrector-steps does not apply to the ddim sampler"]),
    ],
)
def test_sample_refuses_bad_options(
    mlp_path: Path, tmp_path: Path, args: list[str], words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.npz"
    assert main(["sample", str(mlp_path), "-o", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert all(w in err for w in words), err
    assert not out.exists()


def test_unknown_sampler(mlp_path: Path, tmp_path: Path) -> None:
    proc = cli("sample", str(mlp_path), "-o", str(tmp_path / "r.npz"), "--sampler", "euler_ancestral")
    assert proc.returncode == 2 and "invalid choice: 'euler_ancestral'" in proc.stderr and "ddim" in proc.stderr


@pytest.mark.parametrize("where", ["missing folder", "folder", "under a file"])
def test_unwritable_output_is_refused_before_sampling(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = {
        "missing folder": tmp_path / "nope" / "run.npz",
        "folder": tmp_path,
        "under a file": tmp_path / "file.txt" / "run.npz",
    }[where]
    (tmp_path / "file.txt").write_text("x")
    # A model that would fail if it were ever loaded: the output check comes first.
    assert main(["sample", str(tmp_path / "absent.onnx"), "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {target}" in err and "absent.onnx" not in err


def test_sample_bad_model(tmp_path: Path) -> None:
    proc = cli("sample", str(om.nan_model(tmp_path / "nan.onnx")), "-o", str(tmp_path / "r.npz"))
    assert proc.returncode == 2 and "nan.onnx: the probe run" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "r.npz").exists()


@pytest.mark.skipif(os.name != "posix", reason="SIGINT delivery")
def test_ctrl_c_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "run.npz"
    command = [
        sys.executable,
        "-m",
        "diffviz",
        "sample",
        "analytic:8gaussians",
        "-o",
        str(out),
        "--n",
        "20000",
        "--num-train-timesteps",
        "1000",
    ]
    proc = subprocess.Popen([sys.executable, "-c", DEFAULT_SIGINT, *command], stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    seen = ""
    while "step" not in seen:  # wait for the progress bar: sampling has started
        char = proc.stderr.read(1)
        assert char, f"diffviz sample ended before sampling: {seen}"
        seen += char
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130 and "interrupted" in rest
    assert list(tmp_path.iterdir()) == []


def test_cli_sample_analytic_model(tmp_path: Path) -> None:
    out = tmp_path / "a.npz"
    assert main(["sample", "analytic:8gaussians", "-o", str(out), "--n", "50", "--num-train-timesteps", "40"]) == 0
    run = Trajectory.load(out)
    assert run.params.model.name == "analytic:8gaussians" and np.all(np.isfinite(run.sample))


def test_sample_says_when_a_new_T_leaves_the_schedule_short_of_pure_noise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.npz"
    assert (
        main(
            [
                "sample",
                "analytic:8gaussians",
                "-o",
                str(out),
                "--n",
                "5",
                "--num-train-timesteps",
                "100",
                "--sampler",
                "ddim",
            ]
        )
        == 0
    )
    assert "far from pure noise" in capsys.readouterr().err
    assert (
        main(
            [
                "sample",
                "analytic:8gaussians",
                "-o",
                str(out),
                "--n",
                "5",
                "--num-train-timesteps",
                "100",
                "--rescale",
                "--force",
                "--sampler",
                "ddim",
            ]
        )
        == 0
    )
    assert "far from pure noise" not in capsys.readouterr().err
    run = Trajectory.load(out)
    # rescaled: β endpoints × 1000/T, so the run still starts near pure noise
    assert run.params.schedule_config["rescale"] is True and run.alpha_bar[0] < 1e-3


def test_sample_reports_clamped_steps(mlp_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.npz"
    assert main(["sample", str(mlp_path), "-o", str(out), "--n", "5", "--schedule", "squaredcos_cap_v2"]) == 0
    run = Trajectory.load(out)
    assert run.clamped.any()
    out = capsys.readouterr().out
    assert f"{int(run.clamped.sum())} of {run.num_steps} steps (step" in out and "lie outside" in out


# ---- bounds and messages before sampling ---------------------------------------------------------------------------
@pytest.fixture
def no_sampling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sampling fails the test: every case below must be refused before it starts (and must not hang or OOM)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("sampling started")

    monkeypatch.setattr("diffviz.core.sample", refuse)


@pytest.mark.parametrize(
    "args, words",
    [
        # x, ε̂ and x̂_0: (3·1000 + 1) × 3e6 particles × 2 floats × 4 B = 67.1 GiB (plus the small field grid)
        (["--n", "3000000"], ["3000000 particles × 1000 steps would record 67.1 GiB", "limit 2 GiB"]),
        (["--n", "20000", "--num-train-timesteps", "20000"], ["20000 particles × 20000 steps", "GiB"]),
        (["--num-train-timesteps", "10000000"], ["--num-train-timesteps 10000000 is above the limit of 100000"]),
        (["--seed", "-1"], ["--seed must be an integer in [0, 2**63 − 1], got -1"]),
        (["--seed", str(2**63)], [f"--seed must be an integer in [0, 2**63 − 1], got {2**63}"]),
        (["--seed", str(2**64 + 5)], ["--seed", str(2**64 + 5)]),
        (
            ["--schedule", "linear", "--beta-start", "0.5", "--beta-end", "0.999"],
            ["the schedule's ᾱ_T = 1.4e-731 underflows", "t=637 of 1000", "--beta-end", "--rescale"],
        ),
        (
            ["--num-train-timesteps", "100000", "--num-inference-steps", "10"],
            ["the schedule's ᾱ_T = 3.9e-440 underflows", "--num-train-timesteps", "--rescale"],
        ),
        (
            ["--num-train-timesteps", "50000", "--num-inference-steps", "10"],
            ["keeping 10 of the 50000 steps", "rounds to 1", "pure noise", "--num-inference-steps"],
        ),
    ],
)
def test_sample_refuses_before_allocating_or_sampling(
    tmp_path: Path, args: list[str], words: list[str], capsys: pytest.CaptureFixture[str], no_sampling: None
) -> None:
    out = tmp_path / "run.npz"
    assert main(["sample", "analytic:8gaussians", "-o", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert all(w in err for w in words), err
    assert "NaN" not in err.replace("gives NaN", "") and "beta[" not in err and "model" not in err
    assert not out.exists()


def test_a_large_T_with_rescale_samples(tmp_path: Path) -> None:
    out = tmp_path / "run.npz"
    args = ["--num-train-timesteps", "100000", "--rescale", "--num-inference-steps", "10", "--n", "5"]
    assert main(["sample", "analytic:8gaussians", "-o", str(out), *args]) == 0
    assert Trajectory.load(out).num_steps == 10


def test_sample_with_too_many_threads(mlp_path: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "diffviz", "sample", str(mlp_path), "-o", str(tmp_path / "r.npz"), "--n", "5"]
    env = {**os.environ, "DIFFVIZ_THREADS": "100000"}
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)  # unbounded, ORT hangs
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "DIFFVIZ_THREADS=100000 is more threads than a session can use (at most 1024" in proc.stderr


# ---- diffviz WORD: a command, or a model to open the window on ---------------------------------------------------
@pytest.fixture
def window(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """What the window was asked to open (it is not opened)."""
    import argparse

    opened: list[str | None] = []

    def fake_run(args: argparse.Namespace) -> int:
        opened.append(args.model)
        return 0

    monkeypatch.setattr("diffviz.commands.app.run", fake_run)
    return opened


@pytest.mark.parametrize("word, hint", [("frobnicate", None), ("smaple", "did you mean 'sample'?")])
def test_an_unknown_command_is_not_opened_as_a_model(
    word: str, hint: str | None, window: list[str | None], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([word]) == 2
    err = capsys.readouterr().err
    assert f"diffviz: unknown command {word!r}" in err
    assert "commands: info, sample, render, train, import-diffusers" in err and "analytic:8gaussians" in err
    assert hint is None or hint in err
    assert window == []


def test_unknown_command_exits_2_from_the_shell() -> None:
    proc = cli("frobnicate")
    assert proc.returncode == 2 and "unknown command 'frobnicate'" in proc.stderr and "display" not in proc.stderr


def test_models_and_files_still_open_the_window(
    mlp_path: Path, tmp_path: Path, window: list[str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = sample(load_model("analytic:8gaussians"), Schedule.from_name("linear", 5), "ddim", n=3)
    saved = run.save(tmp_path / "run.npz")
    scene = tmp_path / "scene.toml"
    scene.write_text("")
    bare = tmp_path / "plainfile"
    bare.write_text("")
    monkeypatch.chdir(tmp_path)
    sources = [
        "moons",
        "analytic:8gaussians",
        "ideal:moons",
        "ideal:nope",  # the window says what is wrong with it
        str(mlp_path),
        str(saved),
        str(scene),
        "plainfile",  # an existing file, even with no suffix
        "missing.npz",  # a file name: the window reports it missing
        "sub/dir",
    ]
    for source in sources:
        assert main([source]) == 0, source
    assert main([]) == 0
    assert main(["--screenshot", str(tmp_path / "s.png"), "moons"]) == 0
    assert window == [*sources, None, "moons"]


def test_sample_takes_diffusers_steps_offset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from diffviz.session import ModelRef, Scene, read_scene, write_scene
    from diffviz.session.run_files import run_settings

    out = tmp_path / "offset.npz"
    args = ["sample", "analytic:8gaussians", "-o", str(out), "--n", "4", "--num-inference-steps", "50"]
    assert main([*args, "--steps-offset", "1"]) == 0
    run = Trajectory.load(out)
    assert run.params.schedule_timesteps[-1] == 981 and run.params.schedule_timesteps[0] == 1  # diffusers: 981…1
    schedule, _, notices = run_settings(run)
    assert schedule is not None and schedule.steps_offset == 1 and not notices
    assert np.array_equal(schedule.build().timesteps, run.params.schedule_timesteps)
    scene = tmp_path / "offset.toml"
    write_scene(scene, Scene(ModelRef("analytic:8gaussians"), schedule=schedule))
    assert read_scene(scene).schedule.steps_offset == 1
    assert main([*args, "--force", "--steps-offset", "1000"]) == 2
    assert "past the schedule's T = 1000" in capsys.readouterr().err
