"""The runs' Gaussian noise (Box–Muller since run format 3): the right distribution, reproducible from the seed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from diffviz.core.noise import NOISE_METHODS, box_muller, standard_normal


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0)))


def test_box_muller_draws_are_standard_normal() -> None:
    z = box_muller(np.random.default_rng(0), (500_000, 2)).ravel().astype(np.float64)
    assert abs(z.mean()) < 0.005 and abs(z.var() - 1.0) < 0.005
    grid = np.linspace(-4, 4, 161)
    empirical = np.searchsorted(np.sort(z), grid) / z.size
    assert np.abs(empirical - _normal_cdf(grid)).max() < 0.002  # Kolmogorov–Smirnov distance (1.36/√n ≈ 0.0014)
    assert 20 < np.sum(np.abs(z) > 4) < 150  # the tails are there: ~63 expected beyond 4σ in 10⁶ draws
    pairs = z.reshape(2, -1)  # cosines, then sines: uncorrelated
    assert abs(np.corrcoef(pairs)[0, 1]) < 0.005


@pytest.mark.parametrize("shape", [(1, 2), (7, 3), (5, 1, 4, 4)])
def test_any_shape_and_the_same_seed_gives_the_same_draws(shape: tuple[int, ...]) -> None:
    a = box_muller(np.random.default_rng(3), shape)
    b = box_muller(np.random.default_rng(3), shape)
    assert a.shape == shape and a.dtype == np.float32 and np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, box_muller(np.random.default_rng(4), shape))


def test_the_methods_by_name() -> None:
    assert set(NOISE_METHODS) == {"box_muller", "ziggurat"}
    np.testing.assert_array_equal(
        standard_normal(np.random.default_rng(1), (9, 2), "ziggurat"),
        np.random.default_rng(1).standard_normal((9, 2), dtype=np.float32),
    )
    with pytest.raises(ValueError, match="unknown noise method 'dice'"):
        standard_normal(np.random.default_rng(1), (9, 2), "dice")
