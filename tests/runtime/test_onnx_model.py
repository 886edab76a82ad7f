"""Valid models run through real ONNX Runtime sessions: the t they receive, chunked fixed batches, IOBinding, a torch
export against torch itself, and whole sampling runs against an exact reference."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

import diffviz
from diffviz.core import GaussianMixture, Schedule, rerun
from diffviz.core.parameterization import score_from_eps
from diffviz.runtime import OnnxDenoiser, load_model
from diffviz.runtime.providers import session_threads
from diffviz.runtime.runner import CPU_VECTOR_ROWS, SessionRunner
from tests.helpers import onnx_models as om

RNG = np.random.default_rng(7)


def test_index_model_gets_int64_t_rounded(echo_onnx: Path) -> None:
    model = OnnxDenoiser(echo_onnx)
    x = RNG.standard_normal((5, 2)).astype(np.float32)
    out = model(x, 41.6)
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_array_equal(out, np.full_like(x, 42.0))


def test_continuous_model_gets_fractional_t(tmp_path: Path) -> None:
    model = OnnxDenoiser(
        om.echo_t_model(tmp_path / "c.onnx", t_dtype=om.FLOAT, metadata=om.schedule_metadata(T=100, beta_end=0.2))
    )
    assert model.time_input == "continuous"
    np.testing.assert_array_equal(model(np.zeros((3, 2), np.float32), 41.25), np.full((3, 2), 41.25, np.float32))


def test_model_time_between_two_training_steps(tmp_path: Path) -> None:
    """A noise level 30 % of the way (in log-SNR) from step 40 to 41 is model time 40.3 (continuous), 40 (index)."""
    meta = om.schedule_metadata(T=100, beta_end=0.2)
    cont = OnnxDenoiser(om.echo_t_model(tmp_path / "c.onnx", t_dtype=om.FLOAT, metadata=meta))
    index = OnnxDenoiser(om.echo_t_model(tmp_path / "i.onnx", metadata=meta))
    betas = np.linspace(1e-4, 0.2, 100)
    alpha_bar = np.cumprod(1 - betas)
    log_snr = np.log(alpha_bar / (1 - alpha_bar))
    target = 0.7 * log_snr[40] + 0.3 * log_snr[41]
    level = 1 / (1 + np.exp(-target))
    t, clamped = cont.model_time(level)
    assert t == pytest.approx(40.3, abs=1e-6) and not clamped
    assert index.model_time(level) == (40.0, False)
    assert cont.model_time(0.99999)[1]  # beyond ᾱ_1: clamped and flagged


def test_image_shaped_model(tmp_path: Path) -> None:
    model = OnnxDenoiser(
        om.echo_t_model(
            tmp_path / "img.onnx",
            x_shape=("N", 1, 4, 4),
            metadata={**om.schedule_metadata(T=50), "diffviz.data_range": "-1,1", "diffviz.data": "digits"},
        )
    )
    assert model.data_shape == (1, 4, 4) and model.data == "digits" and model.data_range == (-1.0, 1.0)
    run = diffviz.sample(model, model.train_schedule, "ddim", n=3, seed=0)
    assert run.x.shape == (51, 3, 1, 4, 4) and run.field_eps is None
    np.testing.assert_array_equal(run.eps_hat[:, 0, 0, 0, 0], np.arange(49, -1, -1, dtype=np.float32))


def test_fixed_batch_runs_in_padded_chunks(tmp_path: Path) -> None:
    model = OnnxDenoiser(om.scale_model(tmp_path / "fixed.onnx", 2.0, x_shape=(8, 2)))
    assert model.batch_size == 8
    assert any("fixed batch size 8" in n for n in model.notices)
    for n in (1, 8, 20):
        x = RNG.standard_normal((n, 2)).astype(np.float32)
        np.testing.assert_array_equal(model(x, 3.0), 2 * x)


def test_fixed_batch_model_samples(tmp_path: Path) -> None:
    model = OnnxDenoiser(om.scale_model(tmp_path / "fixed.onnx", 0.5, x_shape=(8, 2)))
    run = diffviz.sample(model, Schedule.from_name("linear", 20, 1e-3, 0.2), "ddpm", n=13, seed=1)
    assert run.complete and np.all(np.isfinite(run.x))


@pytest.mark.parametrize("time_input", ["index", "continuous"])
def test_io_binding_matches_plain_run(tmp_path: Path, time_input: str) -> None:
    """The IOBinding path (used on CUDA) reuses buffers; exercised here on CPU against the plain path."""
    meta = om.schedule_metadata(T=100)
    if time_input == "index":
        path = om.gaussian_eps_model(tmp_path / "g.onnx", np.linspace(0.99, 0.01, 100), 0.5, meta)
    else:
        path = om.echo_t_model(tmp_path / "e.onnx", t_dtype=om.FLOAT, metadata=meta)
    model = OnnxDenoiser(path)
    assert model.time_input == time_input and not model._runner.io_binding
    plain = model._runner
    bound = SessionRunner(model.session, "out", model.t_dtype, None, io_binding=True)
    first = bound(np.ones((6, 2), np.float32), 10)
    kept = first.copy()
    for n, t in [(6, 10), (6, 50.5), (9, 50), (6, 99), (9, 0), (7, 3), (8, 4), (10, 5), (6, 10)]:
        x = RNG.standard_normal((n, 2)).astype(np.float32)
        np.testing.assert_array_equal(bound(x, t), plain(x, t))
    np.testing.assert_array_equal(first, kept)  # earlier results are not overwritten by buffer reuse


def test_onnx_matches_torch(torch_mlp, mlp_onnx: Path) -> None:  # type: ignore[no-untyped-def]
    import torch

    model = OnnxDenoiser(mlp_onnx)
    x = RNG.standard_normal((257, 2)).astype(np.float32)
    for t in (0, 37, 99):
        with torch.inference_mode():
            want = torch_mlp(torch.from_numpy(x), torch.full((257,), t, dtype=torch.int64)).numpy()
        np.testing.assert_allclose(model(x, t), want, rtol=1e-5, atol=1e-6)


def test_torch_mlp_samples_and_reruns_bit_for_bit(mlp_onnx: Path) -> None:
    model = load_model(mlp_onnx)
    assert isinstance(model, OnnxDenoiser)
    assert (model.name, model.data, model.train_schedule.num_steps) == ("tiny-mlp", "moons", 100)
    assert model.sha256 == hashlib.sha256(mlp_onnx.read_bytes()).hexdigest()
    assert model.provider in ("CPUExecutionProvider", "CUDAExecutionProvider")
    run = diffviz.sample(model, model.train_schedule, "ddpm", n=300, seed=3)
    assert run.complete and np.all(np.isfinite(run.x)) and np.all(np.isfinite(run.field_eps))
    np.testing.assert_array_equal(run.model_time, np.arange(99, -1, -1))  # own schedule: the exact indices
    assert not run.clamped.any()
    assert run.params.model.sha256 == model.sha256
    again = rerun(run, load_model(mlp_onnx))
    for name in ("x", "eps_hat", "field_eps", "model_time"):
        np.testing.assert_array_equal(getattr(again, name), getattr(run, name))


@pytest.mark.parametrize("sampler, options", [("ddpm", {}), ("ddim", {"eta": 0.0}), ("heun", {})])
def test_exact_gaussian_model_matches_analytic_mixture(tmp_path: Path, sampler: str, options: dict) -> None:
    """An ONNX graph of the exact ε̂ for N(0, v·I) data samples like the float64 analytic mixture of that law."""
    v = 0.3
    schedule = Schedule.from_name("linear", 200, 1e-4, 0.1)
    onnx_model = OnnxDenoiser(
        om.gaussian_eps_model(
            tmp_path / "gauss.onnx", schedule.alpha_bars, v, om.schedule_metadata(T=200, beta_end=0.1)
        )
    )
    exact = GaussianMixture(np.zeros((1, 2)), np.ones(1), v * np.eye(2)[None])
    x = RNG.standard_normal((50, 2)).astype(np.float32)
    for i in (0, 80, 199):
        a = schedule.alpha_bars[i]
        np.testing.assert_allclose(score_from_eps(onnx_model(x, i), a), exact(x, a), rtol=2e-5, atol=1e-6)
    sampling = schedule.subsample(40, "trailing")
    ours = diffviz.sample(onnx_model, sampling, sampler, n=2000, seed=5, **options)
    ref = diffviz.sample(exact, sampling, sampler, n=2000, seed=5, **options)
    np.testing.assert_allclose(ours.x, ref.x, atol=2e-4)
    sample_var = ours.sample.var(axis=0)
    assert np.all(np.abs(sample_var - v) < 0.1)  # the samples follow the data law


def test_call_checks_data_shape(echo_onnx: Path) -> None:
    model = OnnxDenoiser(echo_onnx)
    with pytest.raises(ValueError, match=r"takes \(N, 2\)"):
        model(np.zeros((4, 3), np.float32), 5)


def test_protocol(echo_onnx: Path) -> None:
    model = OnnxDenoiser(echo_onnx)
    assert isinstance(model, diffviz.core.Denoiser)
    assert load_model(model) is model


def test_large_vector_batches_run_in_chunks_with_the_same_result(tmp_path: Path) -> None:
    model = OnnxDenoiser(
        om.gaussian_eps_model(tmp_path / "g.onnx", np.linspace(0.99, 0.01, 100), 0.5, om.schedule_metadata(T=100))
    )
    rows = model._runner.max_rows
    if model.provider == "CPUExecutionProvider":
        assert rows == CPU_VECTOR_ROWS * session_threads()
    whole = SessionRunner(model.session, "out", "int64", None)
    for n in (rows, rows + 1, 2 * rows + 1):
        x = RNG.standard_normal((n, 2)).astype(np.float32)
        np.testing.assert_array_equal(model(x, 30), whole(x, 30))
