"""``diffviz train``: a model and its loss curve on success; a clear message, exit code 2 and no files on error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from diffviz.cli import main
from diffviz.runtime import load_model


def _train(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["train", *args, "--no-progress"])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.slow
def test_trains_and_writes_a_model_and_its_loss_curve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.onnx"
    rc, out, err = _train(
        capsys,
        "rings",
        "-o",
        str(path),
        "--steps",
        "120",
        "--prediction-type",
        "score",
        "--schedule",
        "squaredcos_cap_v2",
        "--num-train-timesteps",
        "250",
        "--seed",
        "3",
    )
    assert rc == 0, err
    assert "wrote" in out
    model = load_model(path)
    assert model.prediction_type == "score" and model.data_shape == (2,)
    assert model.train_schedule.num_steps == 250 and model.train_schedule.config["name"] == "squaredcos_cap_v2"
    curve = np.loadtxt(tmp_path / "model.loss.csv", delimiter=",", skiprows=1)
    assert curve.shape == (120, 3)
    np.testing.assert_array_equal(curve[:, 0], np.arange(1, 121))
    assert np.all(np.isfinite(curve[:, 1])) and curve[-20:, 1].mean() < curve[:20, 1].mean()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.loss.csv", "model.onnx"]


@pytest.mark.slow
def test_same_seed_gives_the_same_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outs = []
    for name in ("a", "b"):
        rc, _, err = _train(capsys, "moons", "-o", str(tmp_path / f"{name}.onnx"), "--steps", "40", "--seed", "5")
        assert rc == 0, err
        outs.append(load_model(tmp_path / f"{name}.onnx"))
    x = np.random.default_rng(0).standard_normal((50, 2)).astype(np.float32)
    np.testing.assert_array_equal(outs[0](x, 500.0), outs[1](x, 500.0))


def _assert_refused(capsys, tmp_path: Path, args: list[str], *phrases: str) -> None:  # type: ignore[no-untyped-def]
    before = set(tmp_path.rglob("*"))
    rc, out, err = _train(capsys, *args)
    assert rc == 2
    assert err.startswith("diffviz train: ") and "Traceback" not in err
    for phrase in phrases:
        assert phrase in err
    assert set(tmp_path.rglob("*")) == before  # nothing written, no temporary file left


def test_unknown_data_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _assert_refused(
        capsys, tmp_path, ["mnist", "-o", str(tmp_path / "m.onnx")], "unknown data set 'mnist'", "moons", "digits"
    )


@pytest.mark.parametrize(
    "where, phrase",
    [("missing/m.onnx", "does not exist"), ("afile/m.onnx", "is a file, not a folder"), (".", "is a folder")],
)
def test_unwritable_output_path(tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, phrase: str) -> None:
    (tmp_path / "afile").write_text("x")
    _assert_refused(
        capsys, tmp_path, ["moons", "-o", str(tmp_path / where)], "cannot write" if "/" in where else "folder", phrase
    )


def test_nan_loss_stops_and_leaves_no_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _assert_refused(
        capsys,
        tmp_path,
        ["moons", "-o", str(tmp_path / "m.onnx"), "--steps", "300", "--lr", "1e12"],
        "diverged",
        "smaller --lr",
        "nothing was written",
    )


def test_bad_schedule_values_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _assert_refused(capsys, tmp_path, ["moons", "-o", str(tmp_path / "m.onnx"), "--beta-end", "1.5"], "beta_end = 1.5")
    _assert_refused(capsys, tmp_path, ["moons", "-o", str(tmp_path / "m.onnx"), "--steps", "0"], "steps")


def _run_cli(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )


def test_without_torch_it_says_how_to_install_it(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from diffviz.cli import main; sys.exit(main(['train', 'moons', '-o', 'm.onnx']))"
    )
    proc = _run_cli(code, tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "needs torch" in proc.stderr and 'pip install "diffviz[train]"' in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_installed_command_exits_2_without_a_traceback(tmp_path: Path) -> None:
    proc = _run_cli(
        "import sys; from diffviz.cli import main; sys.exit(main(['train', 'nope', '-o', 'm.onnx']))", tmp_path
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "unknown data set 'nope'" in proc.stderr
