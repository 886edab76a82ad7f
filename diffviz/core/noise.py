"""How a run's generator becomes the standard normal noise z of its steps.

The method is recorded with each run (``RunParams.noise_method``), so a saved run re-runs bit for bit whichever
method made it:

- ``box_muller`` (runs from run format 3 on): z = √(−2 ln u₁) · (cos 2πu₂, sin 2πu₂), with u₁ a float64 uniform
  (tails to ~8.5σ) and u₂ a float32 one, vectorised: ~2.5× NumPy's own float32 draw at 10,000 particles, whose
  per-sample ziggurat was half of a sampling step's time outside the model;
- ``ziggurat``: NumPy's ``Generator.standard_normal(dtype=float32)``, what every run of format 1 and 2 used.
"""

from __future__ import annotations

import math

import numpy as np

NOISE_METHODS = ("box_muller", "ziggurat")
DEFAULT_NOISE_METHOD = "box_muller"


def box_muller(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal float32 draws of ``shape``: z = √(−2 ln u₁) (cos 2πu₂, sin 2πu₂), the pairs' cosines first."""
    n = math.prod(shape)
    half = (n + 1) // 2
    radius = np.sqrt(-2.0 * np.log1p(-rng.random(half))).astype(np.float32)  # 1 − u₁ ∈ (0, 1]: ln is finite
    angle = np.float32(2 * math.pi) * rng.random(half, dtype=np.float32)
    z = np.empty(2 * half, np.float32)
    np.multiply(radius, np.cos(angle), out=z[:half])
    np.multiply(radius, np.sin(angle), out=z[half:])
    return z[:n].reshape(shape)


def check_method(method: str) -> str:
    """``method`` if it is one of :data:`NOISE_METHODS`, else ValueError naming the valid ones."""
    if method not in NOISE_METHODS:
        raise ValueError(f"unknown noise method {method!r}; valid: {', '.join(NOISE_METHODS)}")
    return method


def standard_normal(rng: np.random.Generator, shape: tuple[int, ...], method: str) -> np.ndarray:
    """Float32 N(0, I) draws of ``shape`` from ``rng`` by ``method`` (one of :data:`NOISE_METHODS`)."""
    if method == "box_muller":
        return box_muller(rng, shape)
    check_method(method)
    return rng.standard_normal(shape, dtype=np.float32)  # ziggurat
