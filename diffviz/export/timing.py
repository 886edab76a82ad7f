"""Which step each video frame shows (no Qt here): uniform in steps, or uniform in log-SNR so the steps where
structure forms are not rushed.

Frames index the trajectory's steps 0..K (K = the final sample x_0). Step k is taken at noise level ᾱ_k; the
sample x_0 at ᾱ = 1 (log-SNR +∞) is always the last frame.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

TimeMapping = Literal["steps", "log-snr"]
TIME_MAPPINGS: tuple[str, ...] = ("steps", "log-snr")
MAX_FRAMES = 100_000


def step_log_snr(alpha_bar: np.ndarray, alpha_bar_prev: np.ndarray) -> np.ndarray:
    """log SNR = log(ᾱ/(1−ᾱ)) of the steps 0..K.

    The sample x_0 (index K) sits at ᾱ = 1, log-SNR +∞: it is placed one step past the last, at the last step's
    own spacing, so it gets one step's share of the frames and not all of them.
    """
    levels = np.clip(np.asarray(alpha_bar, np.float64), 1e-300, 1 - 1e-12)
    log_snr = np.log(levels) - np.log1p(-levels)
    last = log_snr[-1] + (log_snr[-1] - log_snr[-2] if len(log_snr) > 1 else 1.0)
    return np.append(log_snr, last)


def frame_steps(
    alpha_bar: np.ndarray,
    alpha_bar_prev: np.ndarray,
    num_frames: int,
    *,
    mapping: TimeMapping = "steps",
    start: int = 0,
    end: int | None = None,
) -> np.ndarray:
    """The step (0..K) each of ``num_frames`` frames shows, from ``start`` to ``end`` (default K) inclusive.

    ``steps``: evenly spaced step indices. ``log-snr``: evenly spaced in log-SNR between the two ends, each frame
    showing the first step at or past its level, so a stretch of steps that crosses little log-SNR gets few
    frames and the low-noise end, where the data's structure appears, gets many.
    """
    K = len(alpha_bar)
    end = K if end is None else end
    if not 0 <= start <= end <= K:
        raise ValueError(f"the step range {start}..{end} is outside 0..{K} or reversed")
    if not 1 <= num_frames <= MAX_FRAMES:
        raise ValueError(f"{num_frames} frames: a video has 1 to {MAX_FRAMES}")
    if num_frames == 1:
        return np.array([end])
    if mapping == "steps":
        return np.rint(np.linspace(start, end, num_frames)).astype(np.int64)
    if mapping != "log-snr":
        raise ValueError(f"unknown time mapping {mapping!r}; valid: {', '.join(TIME_MAPPINGS)}")
    log_snr = step_log_snr(alpha_bar, alpha_bar_prev)[start : end + 1]  # increasing along the run
    targets = np.linspace(log_snr[0], log_snr[-1], num_frames)
    index = np.searchsorted(np.maximum.accumulate(log_snr), targets, side="left")
    return np.minimum(start + index, end).astype(np.int64)
