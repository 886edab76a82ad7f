"""The forward process q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) and which ᾱ a frame of a run stands for."""

from __future__ import annotations

import math

import numpy as np
import pytest

from diffviz.core import Schedule
from diffviz.core.forward import FORWARD_POINTS, forward_noise, forward_subset, frame_alpha_bar, q_sample
from diffviz.core.samplers import Plan


def test_q_sample_is_the_formula_written_out() -> None:
    rng = np.random.default_rng(1)
    x0, eps = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    for a in (0.0, 1e-8, 0.3, 0.999, 1.0):
        want = np.empty_like(x0)
        for i in range(len(x0)):
            for d in range(2):
                want[i, d] = math.sqrt(a) * x0[i, d] + math.sqrt(1 - a) * eps[i, d]
        np.testing.assert_allclose(q_sample(x0, a, eps), want, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(q_sample(x0, 1.0, eps), x0)  # ᾱ = 1: the data, exactly
    np.testing.assert_array_equal(q_sample(x0, 0.0, eps), eps)  # ᾱ = 0: the noise, exactly


def test_q_sample_keeps_a_float_dtype_and_refuses_bad_input() -> None:
    x0 = np.ones((3, 2), np.float32)
    assert q_sample(x0, 0.5, np.zeros((3, 2))).dtype == np.float32
    assert q_sample(np.ones((3, 2), np.int64), 0.5, np.zeros((3, 2))).dtype == np.float64
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="alpha_bar"):
            q_sample(x0, bad, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="shape"):
        q_sample(x0, 0.5, np.zeros((4, 2)))


@pytest.mark.parametrize("a", [0.02, 0.5, 0.9])
def test_the_marginal_has_mean_sqrt_alpha_bar_x0_and_variance_one_minus_alpha_bar(a: float) -> None:
    """Many draws of ε for one x_0: x_t ~ N(√ᾱ x_0, (1 − ᾱ) I)."""
    n = 200_000
    x0 = np.array([1.5, -2.0])
    eps = np.random.default_rng(7).standard_normal((n, 2))
    xt = q_sample(np.broadcast_to(x0, (n, 2)), a, eps)
    se = math.sqrt((1 - a) / n)  # standard error of the mean
    np.testing.assert_allclose(xt.mean(0), math.sqrt(a) * x0, atol=5 * se)
    np.testing.assert_allclose(xt.var(0), 1 - a, rtol=0.02)
    assert abs(np.corrcoef(xt.T)[0, 1]) < 0.01  # isotropic: no correlation between the coordinates


def test_frame_alpha_bar_follows_the_runs_steps_and_is_one_at_x0() -> None:
    """Frame k < K is x[k], the input of sampling step k, at ᾱ[k]; frame K is the sample, at ᾱ = 1."""
    schedule = Schedule.from_name("linear", 1000).subsample(10, "trailing")
    plan = Plan.from_schedule(schedule)
    K = plan.num_steps
    assert [frame_alpha_bar(plan.alpha_bar, k) for k in range(K)] == list(plan.alpha_bar)
    assert frame_alpha_bar(plan.alpha_bar, 0) == float(schedule.alpha_bars[-1])  # x_T: the noisiest level
    assert frame_alpha_bar(plan.alpha_bar, K) == 1.0
    # frame k + 1 is where step k lands: its ᾱ is step k's ᾱ_{t−1}
    for k in range(K):
        assert frame_alpha_bar(plan.alpha_bar, k + 1) == pytest.approx(plan.alpha_bar_prev[k], rel=1e-12)
    levels = [frame_alpha_bar(plan.alpha_bar, k) for k in range(K + 1)]
    assert np.all(np.diff(levels) > 0)  # noise falls along the run
    for bad in (-1, K + 1, True):
        with pytest.raises(IndexError):
            frame_alpha_bar(plan.alpha_bar, bad)


def test_the_subset_is_fixed_and_capped() -> None:
    np.testing.assert_array_equal(forward_subset(10), np.arange(10))
    big = forward_subset(10 * FORWARD_POINTS)
    assert len(big) == FORWARD_POINTS == len(set(big.tolist()))
    np.testing.assert_array_equal(big, np.sort(big))
    np.testing.assert_array_equal(big, forward_subset(10 * FORWARD_POINTS))


def test_the_noise_is_the_seeds_and_not_the_samplers() -> None:
    a, b = forward_noise(3, (500, 2)), forward_noise(3, (500, 2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, forward_noise(4, (500, 2)))
    x_T = np.random.default_rng(3).standard_normal((500, 2))  # what a run of seed 3 starts from
    assert not np.allclose(a, x_T)
