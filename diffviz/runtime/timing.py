"""How long one model call takes: the probe timing ``diffviz info`` prints."""

from __future__ import annotations

import time

import numpy as np

from ..core.denoiser import Denoiser


def time_model_call(model: Denoiser, n: int = 1000, *, repeats: int = 10, alpha_bar: float = 0.5) -> float:
    """Median wall time of ``model(x, t)`` in milliseconds for ``n`` standard-normal x at noise level ᾱ.

    One untimed warm-up call first (ORT allocates its buffers on the first run of a shape).
    """
    x = np.random.default_rng(0).standard_normal((n, *model.data_shape), dtype=np.float32)
    t, _ = model.model_time(alpha_bar)
    model(x, t)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model(x, t)
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3
