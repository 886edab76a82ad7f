"""One DDPM step taken apart: μ_θ from the recorded ε̂ is the sampler's own mean, and (x_{t−1} − μ_θ)/σ_t is the very
noise the step drew (checked against injected noise), for both variance types."""

from __future__ import annotations

import numpy as np
import pytest

from diffviz.core import GaussianMixture, Schedule, sample
from diffviz.core.decompose import can_decompose, ddpm_step_parts

GM = GaussianMixture.eight_gaussians()
SCHEDULE = Schedule.from_name("linear", 1000).subsample(40, "trailing")


@pytest.mark.parametrize("variance_type", ["fixed_small", "fixed_large"])
def test_the_pieces_are_the_steps_own_mean_and_noise(variance_type: str) -> None:
    rng = np.random.default_rng(0)
    n, K = 300, SCHEDULE.num_steps
    x_T = rng.standard_normal((n, 2)).astype(np.float32)
    noise = rng.standard_normal((K, n, 2)).astype(np.float32)
    run = sample(GM, SCHEDULE, "ddpm", x_T=x_T, noise=noise, field_grid=0, variance_type=variance_type)
    idx = np.array([3, 77, 250])
    for k in (0, 5, 20, K - 2):
        parts = ddpm_step_parts(run, k, idx)
        np.testing.assert_allclose(parts.mean + parts.noise, run.x[k + 1][idx], atol=1e-6)  # the pieces sum up
        np.testing.assert_allclose(parts.z, noise[k][idx], atol=2e-4)  # and the noise is the step's own draw
        # μ_θ written out independently: x_t/√α_t + (1 − α_t)/√α_t · s, with s = −ε̂/√(1−ᾱ_t)
        a_t, a_prev = run.alpha_bar[k], run.alpha_bar_prev[k]
        alpha = a_t / a_prev
        s = -run.eps_hat[k][idx].astype(np.float64) / np.sqrt(1 - a_t)
        mu = run.x[k][idx] / np.sqrt(alpha) + (1 - alpha) / np.sqrt(alpha) * s
        np.testing.assert_allclose(parts.mean, mu, atol=1e-6)
    last = ddpm_step_parts(run, K - 1, idx)
    assert last.sigma_t == 0 and np.abs(last.noise).max() < 1e-5  # the last step adds no noise


def test_only_unclipped_ddpm_runs_decompose() -> None:
    assert can_decompose(sample(GM, SCHEDULE, "ddpm", n=4, field_grid=0))
    ddim = sample(GM, SCHEDULE, "ddim", n=4, field_grid=0)
    assert not can_decompose(ddim)
    with pytest.raises(ValueError, match="only unclipped DDPM"):
        ddpm_step_parts(ddim, 0)
