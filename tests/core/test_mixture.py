"""Exact mixture scores: checked against an independent log-density (finite differences) and Tweedie's identity."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from diffviz.core.datasets import make_dataset
from diffviz.core.mixture import GaussianMixture
from diffviz.core.parameterization import tweedie_x0


def random_mixture(rng: np.random.Generator, K: int, D: int, zero_covs: bool = False) -> GaussianMixture:
    means = rng.normal(0, 2, (K, D))
    w = rng.dirichlet(np.ones(K))
    if zero_covs:
        return GaussianMixture(means, w, None)
    A = rng.normal(0, 0.5, (K, D, D))
    covs = A @ A.transpose(0, 2, 1)  # PSD, possibly near-singular
    return GaussianMixture(means, w, covs)


def log_p_t(gm: GaussianMixture, x: np.ndarray, a: float) -> np.ndarray:
    """log p_t with scipy: Σ_k π_k N(x; √ᾱ μ_k, ᾱ Σ_k + (1−ᾱ) I)."""
    D = gm.means.shape[1]
    covs = np.zeros((len(gm.weights), D, D)) if gm.covs is None else gm.covs
    terms = [
        np.log(w) + multivariate_normal(np.sqrt(a) * m, a * c + (1 - a) * np.eye(D)).logpdf(x)
        for w, m, c in zip(gm.weights, gm.means, covs, strict=True)
    ]
    return logsumexp(np.stack(terms, -1), axis=-1)


@pytest.mark.parametrize("zero_covs", [False, True])
@pytest.mark.parametrize("a", [0.05, 0.5, 0.95])
def test_score_is_the_gradient_of_the_log_density(zero_covs: bool, a: float) -> None:
    rng = np.random.default_rng(1)
    gm = random_mixture(rng, K=4, D=3, zero_covs=zero_covs)
    x = rng.normal(0, 2, (20, 3))
    h = 1e-5
    fd = np.stack([(log_p_t(gm, x + h * e, a) - log_p_t(gm, x - h * e, a)) / (2 * h) for e in np.eye(3)], -1)
    np.testing.assert_allclose(gm.score(x, a), fd, rtol=1e-5, atol=1e-5)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    a=st.floats(1e-4, 1 - 1e-4),
    zero_covs=st.booleans(),
    K=st.integers(1, 6),
    D=st.integers(1, 4),
)
def test_tweedie_with_exact_score_equals_posterior_mean(seed: int, a: float, zero_covs: bool, K: int, D: int) -> None:
    """math.md: Tweedie with the exact score must equal E[x_0 | x_t] to floating-point precision."""
    rng = np.random.default_rng(seed)
    gm = random_mixture(rng, K, D, zero_covs)
    x = rng.normal(0, 2, (32, D))
    lhs = tweedie_x0(gm.score(x, a), x, a)
    rhs = gm.posterior_mean(x, a)
    assert np.all(np.isfinite(lhs)) and np.all(np.isfinite(rhs))
    np.testing.assert_allclose(lhs, rhs, atol=1e-9 * (1 + np.abs(x).max()) / np.sqrt(a))


def test_posterior_mean_limits() -> None:
    gm = GaussianMixture.eight_gaussians()
    x = np.array([[2.05, 0.02], [0.0, -1.9]])
    # almost no noise: E[x_0|x_t] ≈ x_t; all noise: E[x_0|x_t] → E[x_0] = 0
    np.testing.assert_allclose(gm.posterior_mean(x, 1 - 1e-9), x, atol=1e-6)
    np.testing.assert_allclose(gm.posterior_mean(x, 1e-12), 0, atol=1e-5)


def test_ideal_denoiser_snaps_to_nearest_training_point_at_low_noise() -> None:
    pts = make_dataset("moons", 64, seed=3)
    gm = GaussianMixture.from_points(pts)
    a = 0.9999
    x_t = np.sqrt(a) * pts[:10] + np.sqrt(1 - a) * 0.1
    np.testing.assert_allclose(gm.posterior_mean(x_t, a), pts[:10], atol=1e-6)
    with pytest.raises(ValueError, match="alpha_bar = 1"):
        gm.score(x_t, 1.0)


def test_image_shaped_delta_mixture_keeps_its_shape() -> None:
    rng = np.random.default_rng(0)
    imgs = rng.uniform(-1, 1, (30, 1, 4, 4))
    gm = GaussianMixture.from_points(imgs)
    assert gm.data_shape == (1, 4, 4)
    x = rng.normal(size=(5, 1, 4, 4))
    assert gm(x.astype(np.float32), 0.3).shape == (5, 1, 4, 4)


def test_sample_data_matches_the_mixture_moments() -> None:
    gm = GaussianMixture.eight_gaussians()
    x = gm.sample_data(40000, np.random.default_rng(0))
    np.testing.assert_allclose(x.mean(0), 0, atol=0.03)
    # Var = E[Σ] + Var(μ): 0.01 + radius²/2 per axis
    np.testing.assert_allclose(x.var(0), 0.01 + 2.0, rtol=0.03)


def test_bad_mixtures_are_refused() -> None:
    with pytest.raises(ValueError, match="summing to 1"):
        GaussianMixture(np.zeros((2, 2)), np.array([0.5, 0.6]))
    with pytest.raises(ValueError, match=r"covs must be \(K, D, D\)"):
        GaussianMixture(np.zeros((2, 2)), np.array([0.5, 0.5]), np.zeros((2, 3, 3)))
