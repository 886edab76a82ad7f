"""Sliced Wasserstein distance against closed forms and scipy's exact 1D Wasserstein distance."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from diffviz.core.metrics import sliced_wasserstein


def test_one_dimensional_case_is_the_exact_wasserstein_distance() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(300, 1)), rng.exponential(size=(170, 1))  # different sizes on purpose
    # In 1D every projection is ±1, so SW_1 is W_1 itself.
    assert sliced_wasserstein(a, b, p=1) == pytest.approx(wasserstein_distance(a[:, 0], b[:, 0]), rel=1e-12)


def test_translation_by_c_gives_the_rms_projection_of_c() -> None:
    # W_2(θ·a, θ·a + θ·c) = |θ·c|, and E_θ (θ·c)² = |c|²/d for θ uniform on the sphere.
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2000, 2))
    c = np.array([0.6, -0.8])
    got = sliced_wasserstein(a, a + c, n_projections=4000, p=2)
    assert got == pytest.approx(np.linalg.norm(c) / np.sqrt(2), rel=0.03)


def test_distance_is_zero_for_equal_sets_and_symmetric() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(500, 3)), rng.uniform(size=(400, 3))
    assert sliced_wasserstein(a, a[::-1]) == pytest.approx(0.0, abs=1e-12)
    assert sliced_wasserstein(a, b) == pytest.approx(sliced_wasserstein(b, a), rel=1e-12)
    assert sliced_wasserstein(a, b) > 0.1


def test_images_are_flattened() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(50, 1, 4, 4)), rng.normal(size=(60, 1, 4, 4))
    assert sliced_wasserstein(a, b) == sliced_wasserstein(a.reshape(50, -1), b.reshape(60, -1))


@pytest.mark.parametrize(
    "a, b, match",
    [
        (np.zeros((5, 2)), np.zeros((5, 3)), "different dimensions"),
        (np.zeros((0, 2)), np.zeros((5, 2)), "non-empty"),
        (np.full((5, 2), np.nan), np.zeros((5, 2)), "NaN"),
    ],
)
def test_bad_inputs_are_refused(a: np.ndarray, b: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sliced_wasserstein(a, b)
