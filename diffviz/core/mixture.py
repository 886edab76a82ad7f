"""Gaussian mixtures with exact scores and posterior means (math.md: "Exact scores").

p_0 = Σ_k π_k N(μ_k, Σ_k) diffuses to p_t = Σ_k π_k N(√ᾱ μ_k, C_k) with C_k = ᾱ Σ_k + (1 − ᾱ) I. Zero covariances
(``covs=None``) make a mixture of deltas: the empirical distribution of a data set, whose exact denoiser is the
"ideal denoiser" that memorises its training points.

A mixture is a :class:`~diffviz.core.denoiser.Denoiser` predicting ``score`` whose model time *is* ᾱ, so it runs
through every sampler exactly like an ONNX model and is never out of its trained range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .card import ANALYTIC_PROVIDER, ModelCard
from .datasets import EIGHT_GAUSSIANS_STD, eight_gaussian_means, make_dataset
from .schedule import Schedule

_CHUNK = 4096
DELTA_BUDGET = 32 * 1024**2  # bytes of the (rows × components) weights a mixture of deltas holds at once


UNDERFLOW = -700.0  # log-weights are clamped here: e^−700 ≈ 1e−304 is a weight of 0, and exp of less is subnormal


def _log_softmax_weights(logits: np.ndarray) -> np.ndarray:
    """Responsibilities w = softmax(logits) along the last axis, computed stably (in place on a fresh array)."""
    logits = logits - logits.max(axis=-1, keepdims=True)
    np.maximum(logits, UNDERFLOW, out=logits)  # exp of very negative numbers is subnormal and ~10× slower
    w = np.exp(logits, out=logits)
    return w / w.sum(axis=-1, keepdims=True)


@dataclass(frozen=True, eq=False)
class GaussianMixture:
    """Σ_k π_k N(μ_k, Σ_k) over vectors of ``data_shape``; ``covs`` (K, D, D) or None for deltas."""

    means: np.ndarray
    weights: np.ndarray
    covs: np.ndarray | None = None
    name: str = "mixture"
    data_shape: tuple[int, ...] = ()
    prediction_type: str = "score"
    train_schedule: Schedule | None = field(default=None)

    def __post_init__(self) -> None:
        means = np.asarray(self.means, dtype=np.float64)
        if means.ndim != 2:
            raise ValueError(f"means must be (K, D), got shape {means.shape}")
        K, D = means.shape
        w = np.asarray(self.weights, dtype=np.float64)
        if w.shape != (K,) or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
            raise ValueError(f"weights must be {K} non-negative numbers summing to 1")
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "weights", w)
        if self.covs is not None:
            covs = np.asarray(self.covs, dtype=np.float64)
            if covs.shape != (K, D, D):
                raise ValueError(f"covs must be (K, D, D) = {(K, D, D)}, got {covs.shape}")
            object.__setattr__(self, "covs", covs)
        if not self.data_shape:
            object.__setattr__(self, "data_shape", (D,))
        if int(np.prod(self.data_shape)) != D:
            raise ValueError(f"data_shape {self.data_shape} does not hold D = {D} numbers")

    # ---- constructors -------------------------------------------------------------------------------------
    @classmethod
    def eight_gaussians(cls) -> GaussianMixture:
        """The exact law of the ``8gaussians`` data set."""
        means = eight_gaussian_means()
        covs = np.repeat((EIGHT_GAUSSIANS_STD**2 * np.eye(2))[None], 8, axis=0)
        return cls(means, np.full(8, 1 / 8), covs, name="analytic:8gaussians")

    @classmethod
    def from_points(cls, points: np.ndarray, name: str = "ideal", data_shape: tuple[int, ...] = ()) -> GaussianMixture:
        """The empirical distribution of ``points`` (N, …) as an equal-weight mixture of deltas."""
        pts = np.asarray(points, dtype=np.float64)
        shape = data_shape or pts.shape[1:]
        flat = pts.reshape(len(pts), -1)
        return cls(flat, np.full(len(flat), 1 / len(flat)), None, name=name, data_shape=tuple(shape))

    @classmethod
    def ideal(cls, dataset: str, n: int = 512, seed: int = 0) -> GaussianMixture:
        """The ideal denoiser of ``n`` points of a 2D toy data set."""
        return cls.from_points(make_dataset(dataset, n, seed), name=f"ideal:{dataset}")

    # ---- the math -----------------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self.means.shape[1])

    def _check_alpha_bar(self, alpha_bar: float) -> None:
        if not (0.0 <= alpha_bar <= 1.0):
            raise ValueError(f"alpha_bar = {alpha_bar!r} is outside [0, 1]")
        if self.covs is None and alpha_bar >= 1.0:
            raise ValueError("a mixture of deltas has no score at alpha_bar = 1 (p_0 has no density)")

    def _delta_weights(self, x: np.ndarray, alpha_bar: float) -> np.ndarray:
        """Responsibilities w (N, K) of a mixture of deltas, where every C_k = (1 − ᾱ) I:
        log w_k = log π_k − ‖x − √ᾱ μ_k‖²/(2(1 − ᾱ)) + const(x), and ‖x‖² is the same for every k (one matrix
        product per chunk; no (N, K, D) differences)."""
        a, c = np.sqrt(alpha_bar), 1.0 - alpha_bar
        logits = (a / c) * (x @ self.means.T)
        logits += (np.log(self.weights) - (0.5 * alpha_bar / c) * np.einsum("kd,kd->k", self.means, self.means))[None]
        return _log_softmax_weights(logits)

    def _components(self, x: np.ndarray, alpha_bar: float) -> tuple[np.ndarray, np.ndarray]:
        """Responsibilities w (N, K) and C_k⁻¹(x − √ᾱ μ_k) (N, K, D) for one chunk of x (N, D); Gaussians only."""
        a = np.sqrt(alpha_bar)
        assert self.covs is not None
        K, D = self.means.shape
        C = alpha_bar * self.covs + (1.0 - alpha_bar) * np.eye(D)[None]
        C_inv = np.linalg.inv(C)  # K small D×D inverses, shared by all points
        diff = x[:, None, :] - a * self.means[None]  # (N, K, D)
        sol = np.einsum("kde,nke->nkd", C_inv, diff)
        _, logdet = np.linalg.slogdet(C)
        logits = np.log(self.weights)[None] - 0.5 * (diff * sol).sum(-1) - 0.5 * logdet[None]
        return _log_softmax_weights(logits), sol

    def _chunked(self, x: np.ndarray, alpha_bar: float, fn) -> np.ndarray:  # type: ignore[no-untyped-def]
        self._check_alpha_bar(float(alpha_bar))
        flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        out = np.empty_like(flat)
        for s in range(0, len(flat), _CHUNK):
            xs = flat[s : s + _CHUNK]
            w, sol = self._components(xs, float(alpha_bar))
            out[s : s + _CHUNK] = fn(w, sol)
        return out.reshape(np.shape(x))

    def _delta_chunked(self, x: np.ndarray, alpha_bar: float, fn) -> np.ndarray:  # type: ignore[no-untyped-def]
        """``fn(x_chunk, Σ_k w_k μ_k)`` over chunks of x, for a mixture of deltas (chunks of ≤ 32 MiB of weights)."""
        self._check_alpha_bar(float(alpha_bar))
        flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        out = np.empty_like(flat)
        rows = max(1, min(_CHUNK, DELTA_BUDGET // 8 // len(self.means)))
        for s in range(0, len(flat), rows):
            xs = flat[s : s + rows]
            out[s : s + rows] = fn(xs, self._delta_weights(xs, float(alpha_bar)) @ self.means)
        return out.reshape(np.shape(x))

    def score(self, x: np.ndarray, alpha_bar: float) -> np.ndarray:
        """∇ log p_t(x) = Σ_k w_k(x) · (−C_k⁻¹ (x − √ᾱ μ_k)); for deltas −(x − √ᾱ Σ_k w_k μ_k)/(1 − ᾱ)."""
        if self.covs is None:
            a, c = np.sqrt(alpha_bar), 1.0 - alpha_bar
            return self._delta_chunked(x, alpha_bar, lambda xs, mean: -(xs - a * mean) / c)
        return self._chunked(x, alpha_bar, lambda w, sol: -np.einsum("nk,nkd->nd", w, sol))

    def posterior_mean(self, x: np.ndarray, alpha_bar: float) -> np.ndarray:
        """E[x_0 | x_t = x] = Σ_k w_k(x) · (μ_k + √ᾱ Σ_k C_k⁻¹ (x − √ᾱ μ_k)); for deltas Σ_k w_k μ_k."""
        if self.covs is None:
            return self._delta_chunked(x, alpha_bar, lambda xs, mean: mean)
        a, covs = np.sqrt(alpha_bar), self.covs

        def mean(w: np.ndarray, sol: np.ndarray) -> np.ndarray:
            cond = self.means[None] + a * np.einsum("kde,nke->nkd", covs, sol)
            return np.einsum("nk,nkd->nd", w, cond)

        return self._chunked(x, alpha_bar, mean)

    def sample_data(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw n points of p_0, shape (n, *data_shape)."""
        k = rng.choice(len(self.weights), size=n, p=self.weights)
        x = self.means[k].copy()
        if self.covs is not None:
            L = np.linalg.cholesky(self.covs + 1e-12 * np.eye(self.dim)[None])
            x += np.einsum("nde,ne->nd", L[k], rng.standard_normal((n, self.dim)))
        return x.reshape(n, *self.data_shape)

    # ---- Denoiser protocol --------------------------------------------------------------------------------
    @cached_property
    def card(self) -> ModelCard:
        """An analytic model's card: no file, no metadata, model time ᾱ (``time_input`` None), run by numpy."""
        return ModelCard.create(
            name=self.name,
            prediction_type=self.prediction_type,
            data_shape=self.data_shape,
            train_schedule=self.train_schedule,
            provider=ANALYTIC_PROVIDER,
        )

    def model_time(self, alpha_bar: float) -> tuple[float, bool]:
        """The model time of an analytic mixture is ᾱ itself: exact at every noise level."""
        return float(alpha_bar), False

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        return self.score(x, t).astype(np.asarray(x).dtype, copy=False)
