"""Upper bounds the runtime checks before allocating: the metadata's T, its schedule's range, DIFFVIZ_THREADS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from diffviz.core.schedule import MAX_TRAIN_TIMESTEPS
from diffviz.runtime import MetadataError, ProviderError, load_model
from diffviz.runtime.providers import MAX_THREADS, THREADS_ENV_VAR, intra_op_threads, session_options
from tests.helpers import onnx_models as om


def test_metadata_with_a_huge_T_names_the_value(tmp_path: Path) -> None:
    path = om.echo_t_model(tmp_path / "long.onnx", metadata=om.schedule_metadata(T=50_000_000))
    with pytest.raises(MetadataError) as info:
        load_model(path)
    message = str(info.value)
    assert message.startswith("long.onnx: ")
    assert "diffviz.num_train_timesteps = '50000000'" in message and f"limit of {MAX_TRAIN_TIMESTEPS}" in message


def test_metadata_at_the_limit_still_loads(tmp_path: Path) -> None:
    meta = om.schedule_metadata(T=MAX_TRAIN_TIMESTEPS, beta_start=1e-6, beta_end=2e-4)
    model = load_model(om.echo_t_model(tmp_path / "limit.onnx", metadata=meta))
    assert model.train_schedule.num_steps == MAX_TRAIN_TIMESTEPS


def test_metadata_whose_schedule_underflows(tmp_path: Path) -> None:
    meta = om.schedule_metadata(beta_start=0.5, beta_end=0.999)
    with pytest.raises(MetadataError, match=r"training schedule in its metadata is invalid: the schedule's ᾱ_T"):
        load_model(om.echo_t_model(tmp_path / "under.onnx", metadata=meta))


@pytest.mark.parametrize("value", ["100000", str(MAX_THREADS + 1), "99999999999999999999999"])
def test_too_many_threads_are_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(THREADS_ENV_VAR, value)
    with pytest.raises(ProviderError) as info:
        session_options()
    assert f"{THREADS_ENV_VAR}={value}" in str(info.value) and f"at most {MAX_THREADS}" in str(info.value)


def test_thread_counts_within_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, threads in (("0", 0), ("4", 4), (str(MAX_THREADS), MAX_THREADS), (" 2 ", 2)):
        monkeypatch.setenv(THREADS_ENV_VAR, value)
        assert intra_op_threads() == threads


def test_a_non_ascii_digit_is_not_a_thread_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THREADS_ENV_VAR, "²")  # str.isdigit() says yes, int() says no
    with pytest.raises(ProviderError, match="not a whole number of threads"):
        session_options()


def test_too_many_threads_fail_the_model_load_with_the_message(tmp_path: Path) -> None:
    # in a child process with a time limit: without the bound, ORT sets out to start 100000 threads
    path = om.echo_t_model(tmp_path / "echo.onnx", metadata=om.schedule_metadata(T=100, beta_end=0.2))
    env = {**os.environ, "DIFFVIZ_PROVIDER": "cpu", THREADS_ENV_VAR: "100000"}
    code = "import sys; from diffviz.runtime import load_model; load_model(sys.argv[1])"
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode != 0 and "ProviderError: DIFFVIZ_THREADS=100000" in proc.stderr
