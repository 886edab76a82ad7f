"""The CUDA path (IOBinding with device buffers) against the CPU path: same model, same x_T and noise.

Marked ``cuda``: they run where the CUDA execution provider really starts (``benchmarks/gpu_check.sh`` on a GPU
machine) and are skipped everywhere else, so the normal suite never depends on a GPU.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from diffviz.core import Schedule, sample
from diffviz.runtime import OnnxDenoiser, default_model_name, load_model
from diffviz.runtime.providers import CPU, CUDA, ENV_VAR

pytestmark = pytest.mark.cuda


def _load(name: str, provider: str, monkeypatch: pytest.MonkeyPatch) -> OnnxDenoiser:
    with monkeypatch.context() as m:
        m.setenv(ENV_VAR, "cuda" if provider == CUDA else "cpu")
        model = load_model(name)
    assert isinstance(model, OnnxDenoiser)
    return model


@pytest.fixture(scope="module")
def model_path() -> str:
    """The bundled default model (an ONNX network, not an analytic one)."""
    return default_model_name()


@pytest.fixture
def on_cuda(model_path: str, monkeypatch: pytest.MonkeyPatch) -> OnnxDenoiser:
    try:
        model = _load(model_path, CUDA, monkeypatch)
    except Exception as exc:  # no GPU, no CUDA 13 / cuDNN 9, or a CPU-only onnxruntime
        if os.environ.get("DIFFVIZ_CUDA_REQUIRED") == "1":  # benchmarks/gpu_check.sh on a GPU machine
            raise
        pytest.skip(f"the CUDA execution provider does not run here ({exc})")
    assert model.provider == CUDA
    return model


def test_one_call_on_cuda_matches_cpu_and_reuses_its_device_buffers(
    on_cuda: OnnxDenoiser, model_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_cpu = _load(model_path, CPU, monkeypatch)
    x = np.random.default_rng(0).standard_normal((4096, 2)).astype(np.float32)
    for t in (999.0, 500.0, 0.0):
        got = on_cuda(x, t)
        assert got.dtype == np.float32 and got.shape == x.shape
        np.testing.assert_allclose(got, on_cpu(x, t), atol=1e-4)
    assert on_cuda._runner.io_binding and len(on_cuda._runner._buffers) == 1  # one shape, bound once


def test_a_ddpm_run_on_cuda_matches_the_cpu_run_of_the_same_noise(
    on_cuda: OnnxDenoiser, model_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_cpu = _load(model_path, CPU, monkeypatch)
    schedule = Schedule.from_name("linear", 1000).subsample(100, "trailing")
    gpu = sample(on_cuda, schedule, "ddpm", n=2000, seed=3)
    cpu = sample(on_cpu, schedule, "ddpm", n=2000, seed=3)  # the seed fixes x_T and every z (numpy, on the host)
    assert np.isfinite(gpu.x).all()
    assert float(np.abs(gpu.x - cpu.x).max()) <= 1e-3


def test_a_million_particles_in_one_call(on_cuda: OnnxDenoiser, model_path: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    x = np.random.default_rng(1).standard_normal((1_000_000, 2)).astype(np.float32)
    out = on_cuda(x, 250.0)
    assert out.shape == x.shape and np.isfinite(out).all()
    on_cpu = _load(model_path, CPU, monkeypatch)
    np.testing.assert_allclose(out[::1000], on_cpu(x[::1000], 250.0), atol=1e-4)
