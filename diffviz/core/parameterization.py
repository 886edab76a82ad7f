"""Exact conversions among the four things a model may predict (math.md: "Score, ε and Tweedie").

With x_t = √ᾱ x_0 + √(1−ᾱ) ε:
- score   s  = −ε / √(1−ᾱ)
- sample  x̂_0 = (x_t − √(1−ᾱ) ε̂) / √ᾱ            (Tweedie: (x_t + (1−ᾱ) s) / √ᾱ)
- v       v  = √ᾱ ε − √(1−ᾱ) x_0,  so ε̂ = √ᾱ v̂ + √(1−ᾱ) x_t.

Precision: a scalar ᾱ gives coefficients computed in float64 and applied in the arrays' own precision (float32 for
the models' outputs: NumPy would otherwise carry a float64 scalar's precision into every array, at twice the memory
traffic); an array of ᾱ computes in float64. :func:`prediction_from` computes x̂_0 in float64 where ε̂ is derived
(x̂_0-, v- and score-models): at ᾱ ≈ 1e-8 x_t − √(1−ᾱ) ε̂ cancels, and an ε̂ rounded to float32 on the way would
leave an x̂_0-model's own answer off by ~1e-3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

PredictionType = Literal["epsilon", "score", "sample", "v_prediction"]
PREDICTION_TYPES: tuple[str, ...] = get_args(PredictionType)


@dataclass(frozen=True)
class Prediction:
    """A model output seen as all three quantities the views show."""

    eps_hat: np.ndarray
    score: np.ndarray
    x0_hat: np.ndarray


def _sqrt(value: Any) -> Any:
    """√ of a scalar as a Python float (which keeps a float32 array float32 in arithmetic), or of an array."""
    return math.sqrt(value) if np.ndim(value) == 0 else np.sqrt(value)


def check_prediction_type(prediction_type: str) -> PredictionType:
    if prediction_type not in PREDICTION_TYPES:
        raise ValueError(f"unknown prediction type {prediction_type!r}; valid: {', '.join(PREDICTION_TYPES)}")
    return prediction_type  # type: ignore[return-value]


def eps_from(prediction_type: str, output: np.ndarray, x_t: np.ndarray, alpha_bar: float) -> np.ndarray:
    """ε̂ from a model output of the given prediction type."""
    a, sigma = _sqrt(alpha_bar), _sqrt(1.0 - alpha_bar)
    if prediction_type == "epsilon":
        return output
    if prediction_type == "score":
        return -sigma * output  # ε = −√(1−ᾱ) s
    if prediction_type == "sample":
        return (x_t - a * output) / sigma  # invert x̂_0 = (x_t − √(1−ᾱ) ε̂)/√ᾱ
    if prediction_type == "v_prediction":
        return a * output + sigma * x_t  # ε̂ = √ᾱ v̂ + √(1−ᾱ) x_t
    check_prediction_type(prediction_type)
    raise AssertionError("unreachable")


def score_from_eps(eps_hat: np.ndarray, alpha_bar: float) -> np.ndarray:
    """s = −ε̂ / √(1−ᾱ)."""
    return -eps_hat / _sqrt(1.0 - alpha_bar)


def x0_from_eps(eps_hat: np.ndarray, x_t: np.ndarray, alpha_bar: float) -> np.ndarray:
    """x̂_0 = (x_t − √(1−ᾱ) ε̂) / √ᾱ."""
    return (x_t - _sqrt(1.0 - alpha_bar) * eps_hat) / _sqrt(alpha_bar)


def tweedie_x0(score: np.ndarray, x_t: np.ndarray, alpha_bar: float) -> np.ndarray:
    """Tweedie's estimate x̂_0 = (x_t + (1−ᾱ) s) / √ᾱ."""
    return (x_t + (1.0 - alpha_bar) * score) / _sqrt(alpha_bar)


def eps_from_x0(x0_hat: np.ndarray, x_t: np.ndarray, alpha_bar: float) -> np.ndarray:
    """ε̂ consistent with a (possibly clipped) x̂_0: ε̂ = (x_t − √ᾱ x̂_0) / √(1−ᾱ)."""
    return (x_t - _sqrt(alpha_bar) * x0_hat) / _sqrt(1.0 - alpha_bar)


def v_from_eps(eps_hat: np.ndarray, x_t: np.ndarray, alpha_bar: float) -> np.ndarray:
    """v̂ = √ᾱ ε̂ − √(1−ᾱ) x̂_0."""
    return _sqrt(alpha_bar) * eps_hat - _sqrt(1.0 - alpha_bar) * x0_from_eps(eps_hat, x_t, alpha_bar)


def convert(type_in: str, output: np.ndarray, x_t: np.ndarray, alpha_bar: float, type_out: str) -> np.ndarray:
    """Re-express a prediction of type ``type_in`` as type ``type_out``."""
    eps = eps_from(type_in, output, x_t, alpha_bar)
    check_prediction_type(type_out)
    if type_out == "epsilon":
        return eps
    if type_out == "score":
        return score_from_eps(eps, alpha_bar)
    if type_out == "sample":
        return x0_from_eps(eps, x_t, alpha_bar)
    return v_from_eps(eps, x_t, alpha_bar)


def prediction_through(
    prediction_type: str, output: np.ndarray, x_t: np.ndarray, alpha_bar: float, alpha_bar_model: float
) -> Prediction:
    """ε̂, s, x̂_0 at the real noise level ᾱ from a model queried at another level ᾱ_m (a level outside the trained
    range, clamped to its end): x̂_0 is read at the model's ᾱ_m, where the output means what it was trained to mean,
    and ε̂ = (x_t − √ᾱ x̂_0)/√(1−ᾱ) re-derived at ᾱ. Reading ε̂ at ᾱ directly would divide its error by √ᾱ in x̂_0
    (ᾱ → 0 at the noisy end of a cosine schedule)."""
    x_exact = x_t.astype(np.float64)
    eps_model = eps_from(prediction_type, output.astype(np.float64), x_exact, alpha_bar_model)
    x0 = x0_from_eps(eps_model, x_exact, alpha_bar_model)
    eps = eps_from_x0(x0, x_exact, alpha_bar).astype(output.dtype)
    return Prediction(eps, score_from_eps(eps, alpha_bar), x0.astype(output.dtype))


def prediction_from(prediction_type: str, output: np.ndarray, x_t: np.ndarray, alpha_bar: float) -> Prediction:
    """ε̂, s and x̂_0 from one model output, in its precision; x̂_0 computed in float64 where ε̂ is derived from the
    output (see the module's note). For an ε-model x̂_0 comes from its float32 ε̂ directly: at ᾱ ≈ 1e-8 the output's
    own rounding already moves x̂_0 by ~1e-3, and the float64 passes were a quarter of a step outside the model."""
    if prediction_type == "epsilon":
        return Prediction(output, score_from_eps(output, alpha_bar), x0_from_eps(output, x_t, alpha_bar))
    x_exact = x_t.astype(np.float64)
    eps_exact = eps_from(prediction_type, output.astype(np.float64), x_exact, alpha_bar)
    eps = eps_exact.astype(output.dtype)
    x0 = x0_from_eps(eps_exact, x_exact, alpha_bar).astype(output.dtype)
    return Prediction(eps, score_from_eps(eps, alpha_bar), x0)
