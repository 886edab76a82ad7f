"""Output files are never lost: an existing file needs --force, a link/device/pipe is never replaced, and a command
killed by SIGTERM or SIGHUP mid-save leaves no temporary file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diffviz.cli import main

SAMPLE = ["sample", "analytic:8gaussians", "--n", "20", "--num-train-timesteps", "20"]


def test_sample_refuses_to_replace_an_existing_run_without_force(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run.npz"
    out.write_bytes(b"an earlier run")
    assert main([*SAMPLE, "-o", str(out)]) == 2
    assert "exists; add --force" in capsys.readouterr().err
    assert out.read_bytes() == b"an earlier run"
    assert main([*SAMPLE, "-o", str(out), "--force"]) == 0
    assert out.read_bytes()[:2] == b"PK"  # a new run (.npz is a zip file)


@pytest.mark.parametrize("kind", ["fifo", "symlink", "dangling symlink"])
def test_outputs_that_are_not_regular_files_are_never_replaced(tmp_path: Path, kind: str, capsys) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "keep.txt"
    target.write_text("precious")
    out = tmp_path / "run.npz"
    if kind == "fifo":
        os.mkfifo(out)
    else:
        out.symlink_to(target if kind == "symlink" else tmp_path / "nowhere")
    before = os.lstat(out)
    for force in ([], ["--force"]):
        assert main([*SAMPLE, "-o", str(out), *force]) == 2
        assert "not a regular file" in capsys.readouterr().err
    after = os.lstat(out)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino) and target.read_text() == "precious"


@pytest.mark.parametrize("command", [["train", "moons"], ["--screenshot"]])
def test_other_commands_also_need_force_to_replace_a_file(tmp_path: Path, command: list[str], capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / ("out.png" if command == ["--screenshot"] else "out.onnx")
    out.write_bytes(b"keep")
    args = [*command, str(out)] if command == ["--screenshot"] else [*command, "-o", str(out)]
    assert main(args) == 2
    assert "exists; add --force" in capsys.readouterr().err and out.read_bytes() == b"keep"


def _writing(folder: Path) -> bool:
    for p in folder.iterdir():
        try:
            if p.name.endswith(".tmp") and p.stat().st_size > 0:
                return True
        except FileNotFoundError:
            pass
    return False


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_the_save_leaves_no_temporary_file(tmp_path: Path, sig: signal.Signals) -> None:
    """The run is large enough (~130 MB) that its save takes a while; the signal arrives while the hidden temporary
    file is being written."""
    out = tmp_path / "big.npz"
    command = [sys.executable, "-m", "diffviz", "sample", "analytic:8gaussians", "-o", str(out), "--n", "80000"]
    command += ["--num-train-timesteps", "100"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not _writing(tmp_path):  # not the empty probe file of the early writability check: the run's data
        assert proc.poll() is None, f"diffviz sample ended before saving: {proc.communicate()}"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    assert f"interrupted ({sig.name})" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # neither the run nor its temporary file
