"""Execution provider choice: CUDA only when it really runs, CPU otherwise, quietly; DIFFVIZ_PROVIDER forces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from diffviz.runtime import ProviderError, load_model
from diffviz.runtime.providers import CUDA, ENV_VAR, cuda_listed, session_options

REPORT = """
import json, sys
from diffviz.runtime import load_model
from diffviz.runtime.providers import cuda_probe_result
first = load_model(sys.argv[1])
second = load_model(sys.argv[1])
print(json.dumps(dict(provider=first.provider, again=second.provider, probe=cuda_probe_result(),
                      notices=first.notices)))
"""


def run_report(path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", REPORT, str(path)], capture_output=True, text=True, env=environ, timeout=120
    )


def test_auto_ends_on_a_provider_that_runs_without_ort_noise(echo_onnx: Path) -> None:
    proc = run_report(echo_onnx)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no red "Failed to load library" from ORT, no preload_dlls chatter
    report = json.loads(proc.stdout)  # stdout holds only our line: preload_dlls' prints were swallowed
    assert report["provider"] == report["again"]
    if cuda_listed() and report["probe"]:
        assert report["provider"] == CUDA
    else:
        assert report["provider"] == "CPUExecutionProvider"
    if cuda_listed() and not report["probe"]:
        assert any("does not start here" in n for n in report["notices"])


def test_forced_cpu(echo_onnx: Path) -> None:
    proc = run_report(echo_onnx, **{ENV_VAR: "cpu"})
    report = json.loads(proc.stdout)
    assert proc.stderr == ""
    assert report["provider"] == "CPUExecutionProvider" and report["probe"] is None  # no CUDA attempt at all


def test_forced_cuda_where_it_cannot_run(echo_onnx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if json.loads(run_report(echo_onnx).stdout)["provider"] == CUDA:
        pytest.skip("CUDA runs on this machine")
    monkeypatch.setenv(ENV_VAR, "cuda")
    with pytest.raises(ProviderError, match=f"{ENV_VAR}=cuda"):
        load_model(echo_onnx)


def test_bad_provider_value(echo_onnx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "tpu")
    with pytest.raises(ProviderError, match="'tpu' is not understood"):
        load_model(echo_onnx)


def test_sessions_spin_headless_and_sleep_for_the_window() -> None:
    from diffviz.runtime.providers import prefer_spinning_threads

    so = session_options()
    assert so.get_session_config_entry("session.intra_op.allow_spinning") == "1"  # headless: back-to-back calls
    assert so.get_session_config_entry("session.inter_op.allow_spinning") == "0"
    assert str(so.graph_optimization_level).endswith("ORT_ENABLE_ALL")
    prefer_spinning_threads(False)  # what the window's application() says
    try:
        assert session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"
    finally:
        prefer_spinning_threads(True)


def test_the_window_process_leaves_the_gui_its_core() -> None:
    """A fresh process that starts the app's QApplication makes sessions whose threads sleep between calls."""
    import subprocess
    import sys

    code = (
        "import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from diffviz.ui.app import application; application()\n"
        "from diffviz.runtime.providers import session_options\n"
        "print(session_options().get_session_config_entry('session.intra_op.allow_spinning'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0"


def test_thread_count_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIFFVIZ_THREADS", raising=False)
    assert session_options().intra_op_num_threads == 0  # ORT's default: one per physical core
    monkeypatch.setenv("DIFFVIZ_THREADS", "1")
    assert session_options().intra_op_num_threads == 1
    monkeypatch.setenv("DIFFVIZ_THREADS", "many")
    with pytest.raises(ProviderError, match="DIFFVIZ_THREADS='many'"):
        session_options()
