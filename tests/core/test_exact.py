"""The exact score of known data, the learned-vs-exact error, and nearest training-point distances."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from diffviz.core import GaussianMixture, Schedule, sample
from diffviz.core.datasets import make_dataset
from diffviz.core.exact import (
    MAX_DATA,
    exact_field,
    exact_mixture,
    log_histogram,
    nearest_distances,
    score_error,
    step_error,
)


@pytest.mark.parametrize("alpha_bar", [0.0, 0.3, 0.9, 0.9999])
def test_two_point_score_is_the_formula(alpha_bar: float) -> None:
    """q_t = ½ N(√ᾱ x_1, (1−ᾱ) I) + ½ N(√ᾱ x_2, (1−ᾱ) I):
    s*(x) = −(x − √ᾱ (w_1 x_1 + w_2 x_2)) / (1 − ᾱ),  w_i = e^{−‖x − √ᾱ x_i‖²/(2(1−ᾱ))} / Σ_j e^{…}."""
    data = np.array([[1.0, -0.5], [-2.0, 0.25]])
    x = np.random.default_rng(0).normal(0, 1.5, (50, 2))
    a, c = np.sqrt(alpha_bar), 1.0 - alpha_bar
    d2 = ((x[:, None, :] - a * data[None]) ** 2).sum(-1)  # (50, 2)
    logw = -d2 / (2 * c)
    w = np.exp(logw - logw.max(1, keepdims=True))
    w /= w.sum(1, keepdims=True)
    want = -(x - a * (w @ data)) / c
    got = exact_field(data, x, alpha_bar)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    # and it is the mixture of deltas' own score (the ideal denoiser's)
    np.testing.assert_allclose(GaussianMixture.from_points(data).score(x, alpha_bar), want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("alpha_bar", [1e-4, 0.5, 0.99, 0.99999])
def test_the_fast_delta_path_matches_the_textbook_formula(alpha_bar: float) -> None:
    """s*(x) = −(x − √ᾱ Σ_i w_i x_i)/(1 − ᾱ), w_i ∝ exp(−‖x − √ᾱ x_i‖²/(2(1 − ᾱ))), with the (N, n, D) differences
    written out here (the library never forms them)."""
    data = make_dataset("swiss_roll", 700, seed=3)
    x = np.random.default_rng(1).normal(0, 3, (300, 2))
    a, c = np.sqrt(alpha_bar), 1.0 - alpha_bar
    log_w = -0.5 * ((x[:, None, :] - a * data[None]) ** 2).sum(-1) / c
    w = np.exp(log_w - log_w.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    want = -(x - a * (w @ data)) / c
    np.testing.assert_allclose(exact_field(data, x, alpha_bar), want, rtol=1e-9, atol=1e-9 * np.abs(want).max())
    np.testing.assert_allclose(GaussianMixture.from_points(data).posterior_mean(x, alpha_bar), w @ data, atol=1e-9)


def test_data_has_no_score_at_alpha_bar_one() -> None:
    with pytest.raises(ValueError, match="alpha_bar"):
        exact_field(np.zeros((3, 2)), np.zeros((1, 2)), 1.0)


def test_large_data_is_subsampled_with_a_fixed_seed() -> None:
    data = make_dataset("moons", 5 * MAX_DATA, seed=0)
    a, b = exact_mixture(data), exact_mixture(data)
    assert a.means.shape == (MAX_DATA, 2)
    np.testing.assert_array_equal(a.means, b.means)  # the same subset every time
    rows = {tuple(r) for r in data.astype(np.float64)}
    assert all(tuple(m) in rows for m in a.means)  # points of the data, not new ones
    small = make_dataset("moons", 100, seed=0)
    np.testing.assert_array_equal(exact_mixture(small).means, small)  # a small set is used whole


def test_a_mixture_is_its_own_ground_truth() -> None:
    gm = GaussianMixture.eight_gaussians()
    x = np.random.default_rng(0).normal(0, 2, (40, 2))
    np.testing.assert_array_equal(exact_field(gm, x, 0.4), gm.score(x, 0.4))


def test_error_is_zero_for_the_analytic_model_against_itself() -> None:
    gm = GaussianMixture.eight_gaussians()
    schedule = Schedule.from_name("linear", 1000).subsample(50)
    traj = sample(gm, schedule, "ddpm", n=300, seed=1)
    x = traj.x[10].reshape(300, -1)
    exact = exact_field(gm, x, float(traj.alpha_bar[10]))
    assert score_error(gm.score(x, float(traj.alpha_bar[10])), exact).relative == 0.0
    # the run records ε̂ in float32: zero up to its rounding, at every step
    errors = [step_error(traj, gm, k).relative for k in range(traj.num_steps)]
    assert max(errors) < 1e-5


def test_score_error_is_the_relative_rms_and_the_same_in_eps_units() -> None:
    rng = np.random.default_rng(2)
    exact = rng.normal(size=(100, 2))
    learned = exact + rng.normal(0, 0.1, (100, 2))
    err = score_error(learned, exact)
    np.testing.assert_allclose(err.per_point, np.linalg.norm(learned - exact, axis=1))
    want = np.sqrt(np.sum((learned - exact) ** 2) / np.sum(exact**2))
    assert err.relative == pytest.approx(want)
    sigma = 0.03  # ε = −σ s: the same ratio in ε units, so it compares steps with different σ_t
    assert score_error(-sigma * learned, -sigma * exact).relative == pytest.approx(err.relative)
    assert err.rms == pytest.approx(np.sqrt(np.mean(err.per_point**2)))
    with pytest.raises(ValueError, match="shape"):
        score_error(learned, exact[:5])


def test_nearest_distances_match_brute_force() -> None:
    rng = np.random.default_rng(3)
    samples, data = rng.normal(size=(137, 3)), rng.normal(size=(59, 3))
    brute = np.sqrt(((samples[:, None, :] - data[None]) ** 2).sum(-1)).min(1)
    np.testing.assert_allclose(nearest_distances(samples, data), brute, rtol=1e-12)
    # tiny blocks (a few rows and columns at a time) give the same answer
    np.testing.assert_allclose(nearest_distances(samples, data, max_bytes=8 * 7), brute, rtol=1e-12)
    # a sample on a data point is at its true tiny distance, not the expansion's cancellation error
    on = data[:5] + 1e-9
    np.testing.assert_allclose(nearest_distances(on, data), np.full(5, np.sqrt(3) * 1e-9), rtol=1e-6)


def test_nearest_distances_never_hold_n_by_m() -> None:
    rng = np.random.default_rng(4)
    samples = rng.normal(size=(20_000, 2)).astype(np.float32)
    data = rng.normal(size=(4_000, 2))
    budget = 1024**2
    tracemalloc.start()
    try:
        d = nearest_distances(samples, data, max_bytes=budget)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    full = 20_000 * 4_000 * 8  # 640 MB: what an N × M matrix would take
    assert peak < 3 * budget + 2 * samples.nbytes * 4, f"peak {peak / 1e6:.1f} MB"
    assert peak < full / 50
    check = rng.choice(20_000, 50, replace=False)
    brute = np.sqrt(((samples[check, None, :].astype(np.float64) - data[None]) ** 2).sum(-1)).min(1)
    np.testing.assert_allclose(d[check], brute, rtol=1e-10)


def test_log_histogram() -> None:
    d = np.array([0.0, 1e-7, 1e-3, 1e-3, 0.1, 2.0])
    edges, counts = log_histogram(d, bins=10)
    assert counts.sum() == len(d)
    np.testing.assert_allclose(np.diff(np.log10(edges)), np.diff(np.log10(edges))[0])  # equal in log
    assert edges[0] == pytest.approx(1e-9) and edges[-1] == pytest.approx(2.0)
    assert counts[0] == 1  # the exact zero, floored into the first bin
    edges, counts = log_histogram(np.full(4, 0.5))  # one value: a bin around it
    assert counts.sum() == 4 and edges[0] < 0.5 < edges[-1]
