"""One DDPM step taken apart, from a recorded run (math.md: the reverse step, seed eq. 6):

    x_{t−1} = μ_θ(x_t, t) + σ_t z,        μ_θ = x_t/√α_t + (1 − α_t)/√α_t · s_θ(x_t, t)

so the step is a drift along the score, x_t → μ_θ, and then noise, μ_θ → x_{t−1}. Both pieces come from what the
run recorded (x_t, ε̂ and x_{t−1}); z = (x_{t−1} − μ_θ)/σ_t is the standard normal draw the step used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .parameterization import score_from_eps
from .samplers import Plan, ddpm_variance
from .trajectory import Trajectory


@dataclass(frozen=True)
class StepParts:
    """Step k of particles ``idx``: x_t, the mean μ_θ, the noise σ_t z, x_{t−1} (each (M, D)), and α_t, σ_t."""

    x_t: np.ndarray
    mean: np.ndarray
    noise: np.ndarray
    x_prev: np.ndarray
    alpha_t: float
    sigma_t: float

    @property
    def drift(self) -> np.ndarray:
        """μ_θ − x_t = ((1/√α_t − 1) x_t + (1 − α_t)/√α_t · s_θ): the pull along the score (and the rescaling)."""
        return self.mean - self.x_t

    @property
    def z(self) -> np.ndarray:
        """The standard normal draw of the step (zero on the last step, which adds no noise)."""
        return self.noise / self.sigma_t if self.sigma_t > 0 else np.zeros_like(self.noise)


def can_decompose(trajectory: Trajectory) -> bool:
    """Whether the run's steps are DDPM steps of the form μ_θ + σ_t z (not clipped: a clipped x̂_0 changes μ)."""
    p = trajectory.params
    return p.sampler == "ddpm" and not p.options.get("clip_sample", False)


def ddpm_step_parts(trajectory: Trajectory, k: int, idx: np.ndarray | None = None) -> StepParts:
    """The pieces of DDPM step ``k`` (0 = the noisiest) for particles ``idx`` (default all), in float64."""
    if not can_decompose(trajectory):
        raise ValueError("only unclipped DDPM steps split into μ_θ + σ_t z")
    if not 0 <= k < trajectory.steps_done:
        raise IndexError(f"step {k} is not sampled yet ({trajectory.steps_done} of {trajectory.num_steps})")
    sel = slice(None) if idx is None else idx
    a_t, a_prev = float(trajectory.alpha_bar[k]), float(trajectory.alpha_bar_prev[k])
    alpha_t = a_t / a_prev
    x_t = trajectory.x[k][sel].astype(np.float64)
    score = score_from_eps(trajectory.eps_hat[k][sel].astype(np.float64), a_t)
    mean = (x_t + (1.0 - alpha_t) * score) / np.sqrt(alpha_t)
    last = k == trajectory.num_steps - 1
    plan = Plan(trajectory.alpha_bar, trajectory.alpha_bar_prev)
    variance_type = str(trajectory.params.options.get("variance_type", "fixed_small"))
    sigma = 0.0 if last else float(np.sqrt(ddpm_variance(plan, k, variance_type)))  # type: ignore[arg-type]
    x_prev = trajectory.x[k + 1][sel].astype(np.float64)
    return StepParts(x_t, mean, x_prev - mean, x_prev, alpha_t, sigma)
