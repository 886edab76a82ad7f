"""The benchmark scripts stay runnable (style.md: every script is run by a test). Only a smoke run: figures
are read by people, never asserted."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.slow
@pytest.mark.parametrize(
    "script, args, expect",
    [
        ("bench_engine.py", ["--quick", "--sizes", "1000", "--threads", "1"], "× notebook"),
        ("bench_gui.py", ["--quick"], "slider → last frame"),
        ("bench_export.py", ["--quick"], "fps ratio diffviz / matplotlib"),
        ("soak.py", ["--quick"], "after warm-up: "),
    ],
)
def test_benchmark_runs_and_prints_its_figures(script: str, args: list[str], expect: str) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, str(BENCH / script), *args], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert expect in result.stdout


@pytest.mark.slow
def test_the_gpu_check_runs_its_steps_on_the_cpu() -> None:
    """``gpu_check.sh --dry-run``: every step of the GPU check on the CPU (the CUDA tests skip), exit code 0."""
    env = dict(os.environ, PYTHON=sys.executable)
    result = subprocess.run(
        ["bash", str(BENCH / "gpu_check.sh"), "--dry-run"], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    for step in ("diffviz info on cpu", "CUDA-marked tests", "engine benchmark on cpu", "== done"):
        assert step in result.stdout
    assert "probe timing" in result.stdout and "× notebook" in result.stdout
