"""2D toy data sets, deterministic by seed.

Coordinates (the bundled 2D models are trained in exactly these): every set is centred near the origin and
lies inside the square [-2.5, 2.5]², with a spread close to unit standard deviation, so that x_T ~ N(0, I)
and the data share one plot.

- ``moons``        two interleaved half circles (noise σ = 0.05), centred, scaled by (1.3, 1.6): x ∈ [-2.2, 2.2]
- ``swiss_roll``   2D swiss roll (u cos u, u sin u)/7, u ∈ [1.5π, 4.5π], noise σ = 0.3/7
- ``8gaussians``   8 isotropic Gaussians (σ = 0.1) at radius 2, angles k·π/4
- ``checkerboard`` 8 black squares of side 1 on a 4×4 board over [-2, 2]²
- ``rings``        two concentric circles, radii 1 and 2, with Gaussian jitter σ = 0.04
- ``spiral``       a two-armed spiral out to radius 2
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

EIGHT_GAUSSIANS_RADIUS = 2.0
EIGHT_GAUSSIANS_STD = 0.1


def eight_gaussian_means() -> np.ndarray:
    """Centres of ``8gaussians``: radius 2, angles k·π/4, k = 0..7."""
    angles = np.arange(8) * np.pi / 4
    return EIGHT_GAUSSIANS_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _moons(n: int, rng: np.random.Generator) -> np.ndarray:
    n1 = n // 2
    theta = rng.uniform(0, np.pi, n)
    outer = np.stack([np.cos(theta[:n1]), np.sin(theta[:n1])], 1)
    inner = np.stack([1 - np.cos(theta[n1:]), 0.5 - np.sin(theta[n1:])], 1)
    x = np.concatenate([outer, inner]) + rng.normal(0, 0.05, (n, 2))
    return (x - [0.5, 0.25]) * [1.3, 1.6]


def _swiss_roll(n: int, rng: np.random.Generator) -> np.ndarray:
    u = 1.5 * np.pi * (1 + 2 * rng.uniform(0, 1, n))
    x = np.stack([u * np.cos(u), u * np.sin(u)], 1) + rng.normal(0, 0.3, (n, 2))
    return x / 7.0


def _eight_gaussians(n: int, rng: np.random.Generator) -> np.ndarray:
    k = rng.integers(0, 8, n)
    return eight_gaussian_means()[k] + rng.normal(0, EIGHT_GAUSSIANS_STD, (n, 2))


def _checkerboard(n: int, rng: np.random.Generator) -> np.ndarray:
    # Pick one of the 8 black cells of a 4x4 board over [-2, 2]², then a uniform point inside it.
    cells = np.array([(i, j) for i in range(4) for j in range(4) if (i + j) % 2 == 0], dtype=np.float64)
    c = cells[rng.integers(0, 8, n)]
    return c - 2 + rng.uniform(0, 1, (n, 2))


def _rings(n: int, rng: np.random.Generator) -> np.ndarray:
    # Points split in proportion to circumference, so density along each ring is equal.
    radius = np.where(rng.uniform(0, 1, n) < 1 / 3, 1.0, 2.0)
    theta = rng.uniform(0, 2 * np.pi, n)
    x = radius[:, None] * np.stack([np.cos(theta), np.sin(theta)], 1)
    return x + rng.normal(0, 0.04, (n, 2))


def _spiral(n: int, rng: np.random.Generator) -> np.ndarray:
    r = np.sqrt(rng.uniform(0, 1, n))
    arm = rng.integers(0, 2, n)
    theta = 3 * np.pi * r + np.pi * arm
    x = 2 * r[:, None] * np.stack([np.cos(theta), np.sin(theta)], 1)
    return x + rng.normal(0, 0.05, (n, 2))


DATASETS: dict[str, Callable[[int, np.random.Generator], np.ndarray]] = {
    "moons": _moons,
    "swiss_roll": _swiss_roll,
    "8gaussians": _eight_gaussians,
    "checkerboard": _checkerboard,
    "rings": _rings,
    "spiral": _spiral,
}


def make_dataset(name: str, n: int, seed: int = 0) -> np.ndarray:
    """``n`` points of the named 2D data set, shape (n, 2), float64; the same seed gives the same points."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; valid: {', '.join(DATASETS)}")
    if n < 1:
        raise ValueError(f"n must be ≥ 1, got {n}")
    return DATASETS[name](int(n), np.random.default_rng(seed))
