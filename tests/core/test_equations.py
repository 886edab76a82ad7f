"""The equation panel's numbers: each checked against the schedule formulas written out here, from the run's own
arrays (never from the code under test), and the sampler's update pieces against the recorded x_{t−1} and the very
noise the step drew (injected)."""

from __future__ import annotations

import numpy as np
import pytest

from diffviz.core import GaussianMixture, Schedule, sample
from diffviz.core.equations import step_numbers

GM = GaussianMixture.eight_gaussians()
SCHEDULE = Schedule.from_name("linear", 1000).subsample(40, "trailing")
K = SCHEDULE.num_steps
N = 50
STEPS = (0, 7, 20, K - 2)
PARTICLES = (0, 13, 49)


def _run(sampler: str, draws: int = 1, **options: object):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    x_T = rng.standard_normal((N, 2)).astype(np.float32)
    shape = (K, N, 2) if draws == 1 else (K, draws, N, 2)
    noise = rng.standard_normal(shape).astype(np.float32) if draws else None
    return sample(GM, SCHEDULE, sampler, x_T=x_T, noise=noise, field_grid=0, **options), noise


def _common(run, k: int, i: int):  # type: ignore[no-untyped-def]
    """ᾱ_t, ᾱ_{t−1}, α_t, β_t, x_t, ε̂, s, Tweedie's x̂_0 and μ_θ, written out from the arrays."""
    a_t, a_prev = float(run.alpha_bar[k]), float(run.alpha_bar_prev[k])
    alpha = a_t / a_prev
    beta = 1 - alpha
    x_t = run.x[k][i].astype(np.float64)
    eps = run.eps_hat[k][i].astype(np.float64)
    s = -eps / np.sqrt(1 - a_t)
    x0 = (x_t + (1 - a_t) * s) / np.sqrt(a_t)
    mu = x_t / np.sqrt(alpha) + (1 - alpha) / np.sqrt(alpha) * s
    return a_t, a_prev, alpha, beta, x_t, eps, s, x0, mu


def _check_common(n, run, k: int, i: int) -> None:  # type: ignore[no-untyped-def]
    a_t, a_prev, alpha, beta, x_t, eps, s, x0, mu = _common(run, k, i)
    assert (n.k, n.particle) == (k, i)
    assert n.alpha_bar == pytest.approx(a_t, rel=1e-12)
    assert n.alpha_bar_prev == pytest.approx(a_prev, rel=1e-12)
    assert n.alpha == pytest.approx(alpha, rel=1e-12)
    assert n.beta == pytest.approx(beta, rel=1e-9)
    np.testing.assert_array_equal(n.x_t, x_t)
    np.testing.assert_array_equal(n.eps_hat, eps)
    np.testing.assert_allclose(n.s, s, rtol=1e-12)
    np.testing.assert_allclose(n.x0_hat, x0, rtol=1e-4, atol=1e-5)  # recorded in float32 from float64 math
    np.testing.assert_allclose(n.mean, mu, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(n.x_prev, run.x[k + 1][i].astype(np.float64))


@pytest.mark.parametrize("variance_type", ["fixed_small", "fixed_large"])
def test_ddpm_pieces_sum_to_the_recorded_step_and_z_is_the_drawn_noise(variance_type: str) -> None:
    run, noise = _run("ddpm", variance_type=variance_type)
    for k in STEPS:
        for i in PARTICLES:
            n = step_numbers(run, k, i)
            _check_common(n, run, k, i)
            a_t, a_prev, _, beta, *_ = _common(run, k, i)
            var = (1 - a_prev) / (1 - a_t) * beta if variance_type == "fixed_small" else beta
            assert n.sigma == pytest.approx(np.sqrt(var), rel=1e-9)
            assert n.z is not None
            np.testing.assert_allclose(n.mean + n.sigma * n.z, run.x[k + 1][i], atol=1e-6)
            np.testing.assert_allclose(n.z, noise[k][i], atol=2e-4)
            assert n.x0_clipped is None and n.mean_clipped is None and n.h is None
    last = step_numbers(run, K - 1, 3)
    assert last.last and last.sigma == 0 and last.z is None  # no noise on the last step
    np.testing.assert_allclose(last.mean, run.x[K][3], atol=1e-5)


def test_clipped_ddpm_uses_the_posterior_mean_of_the_clipped_estimate() -> None:
    run, noise = _run("ddpm", clip_sample=True, clip_sample_range=0.5)
    clipped_somewhere = False
    for k in STEPS:
        for i in PARTICLES:
            n = step_numbers(run, k, i)
            _check_common(n, run, k, i)
            a_t, a_prev, alpha, beta, x_t, *_ = _common(run, k, i)
            x0c = np.clip(run.x0_hat_at(k)[i].astype(np.float64), -0.5, 0.5)
            clipped_somewhere |= bool(np.any(np.abs(run.x0_hat_at(k)[i]) > 0.5))
            mu_tilde = np.sqrt(a_prev) * beta / (1 - a_t) * x0c + np.sqrt(alpha) * (1 - a_prev) / (1 - a_t) * x_t
            np.testing.assert_allclose(n.x0_clipped, x0c, atol=1e-7)
            np.testing.assert_allclose(n.mean_clipped, mu_tilde, atol=1e-7)
            assert n.z is not None
            np.testing.assert_allclose(n.mean_clipped + n.sigma * n.z, run.x[k + 1][i], atol=1e-6)
            np.testing.assert_allclose(n.z, noise[k][i], atol=2e-4)
    assert clipped_somewhere  # the test exercised the clip


def test_ddim_with_eta_zero_draws_no_noise_and_its_pieces_sum_up() -> None:
    run, _ = _run("ddim", draws=0, eta=0.0)
    for k in (*STEPS, K - 1):
        for i in PARTICLES:
            n = step_numbers(run, k, i)
            _check_common(n, run, k, i)
            a_t, a_prev, *_ = _common(run, k, i)
            assert n.sigma == 0 and n.z is None and n.eta == 0
            x0 = run.x0_hat_at(k)[i].astype(np.float64)
            eps = run.eps_hat[k][i].astype(np.float64)
            np.testing.assert_allclose(np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps, run.x[k + 1][i], atol=1e-5)


def test_ddim_with_eta_has_sigma_from_eta_and_z_is_the_drawn_noise() -> None:
    eta = 0.7
    run, noise = _run("ddim", eta=eta)
    for k in STEPS:
        for i in PARTICLES:
            n = step_numbers(run, k, i)
            _check_common(n, run, k, i)
            a_t, a_prev, *_ = _common(run, k, i)
            sigma = eta * np.sqrt((1 - a_prev) / (1 - a_t)) * np.sqrt(1 - a_t / a_prev)
            assert n.sigma == pytest.approx(sigma, rel=1e-9) and n.eta == eta
            x0 = run.x0_hat_at(k)[i].astype(np.float64)
            eps = run.eps_hat[k][i].astype(np.float64)
            assert n.z is not None
            pieces = np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev - sigma**2) * eps + sigma * n.z
            np.testing.assert_allclose(pieces, run.x[k + 1][i], atol=1e-6)
            np.testing.assert_allclose(n.z, noise[k][i], atol=5e-4)
    assert step_numbers(run, K - 1, 0).z is None  # σ = 0 on the step that ends at ᾱ = 1


def test_clipped_ddim_with_the_clipped_model_output() -> None:
    run, _ = _run("ddim", draws=0, clip_sample=True, clip_sample_range=0.5, use_clipped_model_output=True)
    for k in STEPS:
        i = 13
        n = step_numbers(run, k, i)
        a_t, a_prev, _, _, x_t, *_ = _common(run, k, i)
        x0c = np.clip(run.x0_hat_at(k)[i].astype(np.float64), -0.5, 0.5)
        eps_c = (x_t - np.sqrt(a_t) * x0c) / np.sqrt(1 - a_t)
        np.testing.assert_allclose(n.x0_clipped, x0c, atol=1e-7)
        np.testing.assert_allclose(n.eps_used, eps_c, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(np.sqrt(a_prev) * x0c + np.sqrt(1 - a_prev) * eps_c, run.x[k + 1][i], atol=1e-5)


def test_euler_is_the_probability_flow_step_in_log_alpha_bar() -> None:
    run, _ = _run("euler", draws=0)
    for k in (*STEPS, K - 1):
        for i in PARTICLES:
            n = step_numbers(run, k, i)
            _check_common(n, run, k, i)
            a_t, a_prev, _, _, x_t, _, s, *_ = _common(run, k, i)
            h = 0.5 * np.log(a_prev / a_t)
            assert n.h == pytest.approx(h, rel=1e-12)
            assert n.sigma == 0 and n.z is None and n.d2 is None
            np.testing.assert_allclose(x_t + h * (x_t + s), run.x[k + 1][i], rtol=1e-5, atol=1e-5)


def test_heun_second_slope_is_the_score_at_the_euler_point() -> None:
    run, _ = _run("heun", draws=0)
    for k in STEPS:
        for i in PARTICLES:
            n = step_numbers(run, k, i)
            _check_common(n, run, k, i)
            a_t, a_prev, _, _, x_t, _, s, *_ = _common(run, k, i)
            h = 0.5 * np.log(a_prev / a_t)
            d1 = x_t + s
            x_tilde = x_t + h * d1
            d2 = x_tilde + GM.score(x_tilde.astype(np.float32)[None], a_prev)[0]
            np.testing.assert_allclose(n.d1, d1, rtol=1e-12)
            np.testing.assert_allclose(n.x_euler, x_tilde, rtol=1e-12)
            assert n.d2 is not None
            np.testing.assert_allclose(n.d2, d2, rtol=2e-3, atol=2e-3)  # recovered from float32 x_{t−1}
    assert step_numbers(run, K - 1, 0).d2 is None  # the step that ends at ᾱ = 1 is Euler


def test_predictor_corrector_shows_the_predictor_and_no_z() -> None:
    run, _ = _run("pc", draws=2, corrector_steps=1)
    for k in STEPS:
        n = step_numbers(run, k, 13)
        _check_common(n, run, k, 13)
        a_t, a_prev, _, beta, *_ = _common(run, k, 13)
        assert n.sigma == pytest.approx(np.sqrt((1 - a_prev) / (1 - a_t) * beta), rel=1e-9)
        assert n.z is None  # the corrector moved x after the predictor's draw: it is not in the recording


def test_steps_and_particles_out_of_range_are_refused() -> None:
    run, _ = _run("ddpm")
    with pytest.raises(IndexError, match="step 40"):
        step_numbers(run, K, 0)
    with pytest.raises(IndexError, match="particle 50"):
        step_numbers(run, 0, N)
