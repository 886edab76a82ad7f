"""The exact score of known data, and how far a learned score and its samples are from it (math.md: "Exact scores").

When the data a model learned is known — an analytic mixture, an ideal denoiser, or a 2D network trained on one of
the toy data sets — the true score s*(x, t) = ∇ log p_t(x) is computable in closed form, and a learned s_θ can be
measured against it:

- a :class:`~diffviz.core.mixture.GaussianMixture` p_0 = Σ_k π_k N(μ_k, Σ_k) is its own ground truth
  (p_t = Σ_k π_k N(√ᾱ μ_k, ᾱ Σ_k + (1 − ᾱ) I));
- an empirical data set {x_i}, i = 1..n, diffuses to q_t = (1/n) Σ_i N(√ᾱ x_i, (1 − ᾱ) I), the mixture of deltas
  of :meth:`GaussianMixture.from_points` (the "ideal denoiser"). Its cost is O(n) per evaluated point, so a data set
  of more than :data:`MAX_DATA` points is replaced by :data:`MAX_DATA` of them drawn without replacement with the
  fixed seed :data:`SUBSAMPLE_SEED` (the same subset every time).

Pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mixture import GaussianMixture
from .trajectory import Trajectory

MAX_DATA = 2000  # data points the exact score of an empirical set uses at most (a fixed-seed subset beyond)
SUBSAMPLE_SEED = 0
MAX_PARTICLES = 512  # particles a step's error is measured on (particles are i.i.d.: the first ones are a sample)
DISTANCE_BUDGET = 32 * 1024**2  # bytes of the (rows × data) distance block nearest_distances holds at once
MIN_DISTANCE = 1e-9  # the left edge of the log-x histogram (a sample exactly on a data point counts here)


DataOrMixture = np.ndarray | GaussianMixture


def exact_mixture(
    data_or_mixture: DataOrMixture, max_points: int = MAX_DATA, seed: int = SUBSAMPLE_SEED
) -> GaussianMixture:
    """The law whose score is the ground truth: a mixture as it is, or the empirical distribution of ``data`` (N, …)
    — at most ``max_points`` of its points, a subset drawn without replacement with ``seed`` when there are more."""
    if isinstance(data_or_mixture, GaussianMixture):
        return data_or_mixture
    data = np.asarray(data_or_mixture, dtype=np.float64)
    if data.ndim < 2 or len(data) == 0:
        raise ValueError(f"data must be a non-empty array of shape (N, …), got shape {data.shape}")
    if not np.all(np.isfinite(data)):
        raise ValueError("data contains NaN or Inf")
    if len(data) > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(len(data), size=max_points, replace=False))
        data = data[keep]
    return GaussianMixture.from_points(data, name="data")


def exact_field(data_or_mixture: DataOrMixture, points: np.ndarray, alpha_bar: float) -> np.ndarray:
    """s*(x, ᾱ) = ∇ log p_t(x) at ``points`` (N, D), float64 (N, D).

    For a mixture: Σ_k w_k(x) · (−C_k⁻¹ (x − √ᾱ μ_k)), C_k = ᾱ Σ_k + (1 − ᾱ) I, w_k the responsibilities under p_t.
    For data {x_i} (Σ_k = 0, π_k = 1/n): s*(x) = −(x − √ᾱ Σ_i w_i(x) x_i) / (1 − ᾱ),
    w_i(x) ∝ exp(−‖x − √ᾱ x_i‖² / (2 (1 − ᾱ))). ᾱ must lie in [0, 1) for data (p_0 has no density at ᾱ = 1).
    """
    pts = np.asarray(points, dtype=np.float64)
    pts = pts.reshape(len(pts), -1)
    return exact_mixture(data_or_mixture).score(pts, float(alpha_bar))  # deltas: GaussianMixture's fast path


@dataclass(frozen=True)
class ScoreError:
    """How far a learned score is from the exact one over a set of points.

    - ``per_point``: ‖s_θ(x_j) − s*(x_j)‖ for each point (N,);
    - ``relative``: the relative RMS error  e = √(Σ_j ‖s_θ(x_j) − s*(x_j)‖² / Σ_j ‖s*(x_j)‖²).

    Why this summary: |s*| itself grows like 1/σ_t = 1/√(1 − ᾱ_t) as t → 0, so an absolute error does too even for a
    model equally good at every t. With ε = −σ_t s (math.md) the σ_t cancels in the ratio,

        e² = Σ ‖ε̂ − ε*‖² / Σ ‖ε*‖²,   ε* = −σ_t s* = E[ε | x_t],

    and the numerator is, over points drawn from p_t, the excess of the training loss at t over its minimum
    (E‖ε̂ − ε‖² = E‖ε̂ − ε*‖² + E‖ε* − ε‖², since ε* is the conditional mean): the error the model could still lose,
    as a fraction of the size of what it predicts — comparable across t. 0 is exact; 1 is as large as s* itself.
    """

    per_point: np.ndarray
    relative: float

    @property
    def rms(self) -> float:
        """√(mean ‖s_θ − s*‖²), in the units of the score (1/units of x)."""
        return float(np.sqrt(np.mean(self.per_point**2))) if self.per_point.size else 0.0


def score_error(learned: np.ndarray, exact: np.ndarray) -> ScoreError:
    """:class:`ScoreError` of ``learned`` s_θ against ``exact`` s* (both (N, D), same points)."""
    a = np.asarray(learned, dtype=np.float64)
    b = np.asarray(exact, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"learned and exact scores differ in shape: {a.shape} and {b.shape}")
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    per_point = np.linalg.norm(a - b, axis=1)
    denominator = float(np.sum(b * b))
    numerator = float(np.sum(per_point**2))
    relative = float(np.sqrt(numerator / denominator)) if denominator > 0 else (0.0 if numerator == 0 else np.inf)
    return ScoreError(per_point, relative)


def step_error(
    trajectory: Trajectory, data_or_mixture: DataOrMixture, k: int, max_particles: int = MAX_PARTICLES
) -> ScoreError:
    """The error of step ``k``'s learned score at the particles x_t themselves, s_θ(x_t, t) (recorded in the run,
    no model call) against s*(x_t, ᾱ_t), over the first ``max_particles`` particles.

    Measured at the particles rather than on the view's grid, the summary weights x by (the model's own) p_t, as the
    training loss does, and does not depend on where the window is zoomed."""
    if not 0 <= k < trajectory.steps_done:
        raise IndexError(f"step {k} has not been sampled (the run has {trajectory.steps_done} steps done)")
    n = min(trajectory.num_particles, max_particles)
    x = trajectory.x[k, :n]
    learned = trajectory.score_at(k)[:n]
    exact = exact_field(data_or_mixture, x.reshape(n, -1), float(trajectory.alpha_bar[k]))
    return score_error(learned.reshape(n, -1), exact)


def nearest_distances(samples: np.ndarray, data: np.ndarray, max_bytes: int = DISTANCE_BUDGET) -> np.ndarray:
    """min_i ‖y_j − x_i‖ for each sample y_j (N, …) over the data x_i (M, …): float64 (N,).

    Blocks of rows × columns of the N × M distance matrix are formed one at a time, each of at most ``max_bytes``
    (the squared distances ‖y‖² − 2 y·x + ‖x‖² in float64), so N = 200,000 samples × M = 10,000 data points never
    hold N × M numbers. The nearest point found there is then measured again directly, ‖y_j − x_i*‖, so a sample
    sitting on a data point gets its true tiny distance, not the expansion's cancellation error.
    """
    y = np.asarray(samples, dtype=np.float64)
    x = np.asarray(data, dtype=np.float64)
    if y.ndim < 2 or x.ndim < 2 or len(x) == 0:
        raise ValueError(f"samples (N, …) and data (M ≥ 1, …) are needed, got shapes {y.shape} and {x.shape}")
    y, x = y.reshape(len(y), -1), x.reshape(len(x), -1)
    if y.shape[1] != x.shape[1]:
        raise ValueError(f"samples and data differ in dimension: {y.shape[1]} and {x.shape[1]}")
    cells = max(1, int(max_bytes) // 8)
    cols = min(len(x), cells)
    rows = max(1, cells // cols)
    x_sq = np.einsum("ij,ij->i", x, x)
    out = np.empty(len(y))
    for r in range(0, len(y), rows):
        yr = y[r : r + rows]
        y_sq = np.einsum("ij,ij->i", yr, yr)
        best = np.full(len(yr), np.inf)
        arg = np.zeros(len(yr), np.intp)
        for c in range(0, len(x), cols):
            block = yr @ x[c : c + cols].T  # (rows, cols): the only block of this size alive
            block *= -2.0
            block += x_sq[c : c + cols][None]
            block += y_sq[:, None]
            j = np.argmin(block, axis=1)
            d = block[np.arange(len(yr)), j]
            better = d < best
            best[better], arg[better] = d[better], j[better] + c
            del block
        out[r : r + rows] = np.linalg.norm(yr - x[arg], axis=1)
    return out


def log_histogram(distances: np.ndarray, bins: int = 30, floor: float = MIN_DISTANCE) -> tuple[np.ndarray, np.ndarray]:
    """(edges (bins + 1,), counts (bins,)) of ``distances`` in bins equal in log10: from the smallest distance (at
    least ``floor``; smaller ones, exact zeros included, fall in the first bin) to the largest."""
    d = np.maximum(np.asarray(distances, dtype=np.float64).ravel(), floor)
    if d.size == 0:
        return np.array([floor, 10 * floor]), np.zeros(1, np.int64)
    lo, hi = float(np.log10(d.min())), float(np.log10(d.max()))
    if hi - lo < 1e-6:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.logspace(lo, hi, bins + 1)
    counts, _ = np.histogram(np.clip(d, edges[0], edges[-1]), bins=edges)
    return edges, counts
