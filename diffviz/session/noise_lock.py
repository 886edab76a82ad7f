"""The "same noise" lock: x_T and every step's noise z fixed by the seed alone (no Qt here).

x_T is drawn exactly as :class:`~diffviz.core.SamplingRun` draws it from the seed, so locking does not change the
current run. The noise of step k comes from its own generator ``default_rng([seed, k])``, so it does not depend on
the sampler, the number of draws per step or what earlier steps used: DDPM, DDIM(η) and the predictor of PC see the
same z_k, and the corrector's draws come after it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def locked_x_T(seed: int, n: int, shape: tuple[int, ...]) -> np.ndarray:
    """x_T ~ N(0, I) as SamplingRun draws it for this seed."""
    return np.random.default_rng(seed).standard_normal((n, *shape), dtype=np.float32)


@lru_cache(maxsize=4)
def _bank(seed: int, n: int, shape: tuple[int, ...], num_steps: int, draws: int) -> np.ndarray:
    bank = np.empty((num_steps, draws, n, *shape), dtype=np.float32)
    for k in range(num_steps):
        bank[k] = np.random.default_rng([seed, k]).standard_normal((draws, n, *shape), dtype=np.float32)
    bank.setflags(write=False)
    return bank


def locked_noise(seed: int, n: int, shape: tuple[int, ...], num_steps: int, draws: int) -> np.ndarray | None:
    """The injected noise SamplingRun takes: (K, N, …) for one draw per step, (K, draws, N, …) for more, or None."""
    if draws == 0:
        return None
    bank = _bank(int(seed), int(n), tuple(shape), int(num_steps), int(draws))
    return bank[:, 0] if draws == 1 else bank
