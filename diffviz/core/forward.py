"""The forward process q(x_t | x_0): the training data noised to a step's noise level (math.md: "Forward process
and schedules").

    q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I),  i.e.  x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε,  ε ~ N(0, I).

The views show it at the playhead's step beside the reverse particles, so a class can compare the reverse x_t with
the forward marginal at the same t. Which ᾱ a frame index stands for is :func:`frame_alpha_bar`.
"""

from __future__ import annotations

import numpy as np

FORWARD_POINTS = 4000  # at most this many data points are noised and drawn (a fixed subset of larger data)
# The forward noise ε has its own random stream, ``default_rng([seed, FORWARD_STREAM])``: the sampler's x_T is
# drawn from ``default_rng(seed)`` and the locked noise of step k from ``default_rng([seed, k])`` (k < 10 000),
# so ε is independent of both.
FORWARD_STREAM = 0x666F7277


def q_sample(x0: np.ndarray, alpha_bar: float, eps: np.ndarray) -> np.ndarray:
    """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, a draw of q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) given the noise ε.

    ``alpha_bar`` must lie in [0, 1]: ᾱ = 1 gives the data itself, ᾱ = 0 pure noise. Computed in float64 and
    returned in ``x0``'s floating dtype (float64 for integer input)."""
    a = float(alpha_bar)
    if not 0.0 <= a <= 1.0:  # also NaN
        raise ValueError(f"alpha_bar = {alpha_bar!r}; a noise level ᾱ must lie in [0, 1]")
    x0 = np.asarray(x0)
    eps = np.asarray(eps)
    if x0.shape != eps.shape:
        raise ValueError(f"x0 has shape {x0.shape} but eps has shape {eps.shape}; they must match")
    out = np.sqrt(a) * x0.astype(np.float64) + np.sqrt(1.0 - a) * eps.astype(np.float64)
    dtype = x0.dtype if np.issubdtype(x0.dtype, np.floating) else np.float64
    return out.astype(dtype, copy=False)


def frame_alpha_bar(alpha_bar: np.ndarray, index: int) -> float:
    """ᾱ of frame ``index`` (0..K) of a run whose sampling steps have noise levels ``alpha_bar`` (K,).

    Frame k < K shows x[k], the input of sampling step k, which sits at that step's ᾱ_t = ``alpha_bar[k]`` (frame 0
    is x_T, the noisiest); frame K is the sample x_0, at ᾱ_0 = 1."""
    K = len(alpha_bar)
    if isinstance(index, bool) or not 0 <= int(index) <= K:
        raise IndexError(f"frame {index!r} is outside 0..{K}")
    return 1.0 if int(index) == K else float(alpha_bar[int(index)])


def forward_subset(n: int, cap: int = FORWARD_POINTS) -> np.ndarray:
    """Indices of the data points the forward process shows: all ``n`` of them, or a fixed random ``cap`` (sorted)."""
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(FORWARD_STREAM).choice(n, size=cap, replace=False))


def forward_noise(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """The forward process's ε for a run of this ``seed``: float64 N(0, I) of ``shape``, the same for the same seed
    (drawn once per run, so the points move continuously from frame to frame)."""
    return np.random.default_rng([int(seed), FORWARD_STREAM]).standard_normal(shape)
