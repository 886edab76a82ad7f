"""The numbers behind the equations the app draws, for one particle at one recorded step (math.md).

For particle i at sampling step k (0 = the noisiest) of a :class:`Trajectory`, with ᾱ_t, ᾱ_{t−1} the run's own:

- α_t = ᾱ_t/ᾱ_{t−1}, β_t = 1 − α_t                                    (sub-sampled steps: math.md, last bullet)
- s_θ = −ε̂/√(1−ᾱ_t)                                                   (score ↔ noise)
- x̂_0 = (x_t + (1−ᾱ_t) s_θ)/√ᾱ_t                                      (Tweedie)
- μ_θ = x_t/√α_t + (1−α_t)/√α_t · s_θ                                 (seed eq. 6)

and the run's sampler's own update, read back from the recorded x_{t−1}:

- ``ddpm``: x_{t−1} = μ_θ + σ_t z, σ_t² = β̃_t or β_t; with ``clip_sample`` μ is μ̃_t of the clipped x̂_0
- ``ddim``: x_{t−1} = √ᾱ_{t−1} x̂_0 + √(1−ᾱ_{t−1}−σ_t²) ε̂ + σ_t z, σ_t = η √((1−ᾱ_{t−1})/(1−ᾱ_t)) √(1−ᾱ_t/ᾱ_{t−1})
- ``euler``: x_{t−1} = x_t + h (x_t + s_θ), h = ½ log(ᾱ_{t−1}/ᾱ_t)  (probability-flow ODE in log ᾱ)
- ``heun``: x_{t−1} = x_t + h/2 (d_1 + d_2), d_1 = x_t + s_θ(x_t), d_2 = x̃ + s_θ(x̃, ᾱ_{t−1}), x̃ = x_t + h d_1
- ``pc``: the DDPM step (predictor), then Langevin x ← x + γ s + √(2γ) z (corrector)

z = (x_{t−1} − the update's noise-free part)/σ_t is the standard normal draw the step used. Everything is float64.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .decompose import can_decompose, ddpm_step_parts
from .parameterization import eps_from_x0, score_from_eps
from .samplers import Plan, ddpm_variance
from .trajectory import Trajectory


@dataclass(frozen=True)
class StepNumbers:
    """One particle's numbers at one step (vectors of the data's shape, float64).

    ``sigma`` is the σ_t of the sampler's noise (0 where it adds none: ODE, the last step, DDIM with η = 0);
    ``z`` is None where the step draws no noise, and for ``pc``, whose predictor draw the corrector hides.
    ``mean`` is always μ_θ of seed eq. 6; with ``clip_sample`` a DDPM step uses ``mean_clipped`` = μ̃_t of
    ``x0_clipped`` instead, and DDIM ``x0_clipped`` (and ``eps_used``, ε̂ re-derived from it, with
    ``use_clipped_model_output``); all None when not clipped. For the ODE samplers ``h`` = ½ log(ᾱ_{t−1}/ᾱ_t),
    ``d1`` = x_t + s_θ, ``x_euler`` = x_t + h d_1 and Heun's ``d2``, recovered from x_{t−1} (None elsewhere)."""

    sampler: str
    k: int
    particle: int
    x_t: np.ndarray
    alpha_bar: float
    alpha_bar_prev: float
    alpha: float
    beta: float
    sigma: float
    s: np.ndarray
    eps_hat: np.ndarray
    x0_hat: np.ndarray
    mean: np.ndarray
    z: np.ndarray | None
    x_prev: np.ndarray
    eta: float | None = None
    x0_clipped: np.ndarray | None = None
    mean_clipped: np.ndarray | None = None
    eps_used: np.ndarray | None = None
    h: float | None = None
    d1: np.ndarray | None = None
    x_euler: np.ndarray | None = None
    d2: np.ndarray | None = None

    @property
    def last(self) -> bool:
        """Whether this step ends at ᾱ = 1 (x_{t−1} is the sample x_0)."""
        return self.alpha_bar_prev >= 1.0


def step_numbers(trajectory: Trajectory, k: int, i: int) -> StepNumbers:
    """The numbers of particle ``i`` at step ``k`` of a recorded run (see the module docstring for the equations)."""
    if not 0 <= k < trajectory.steps_done:
        raise IndexError(f"step {k} is not sampled yet ({trajectory.steps_done} of {trajectory.num_steps})")
    if not 0 <= i < trajectory.num_particles:
        raise IndexError(f"particle {i} is not in the run ({trajectory.num_particles} particles)")
    params = trajectory.params
    sampler, options = params.sampler, params.options
    a_t, a_prev = float(trajectory.alpha_bar[k]), float(trajectory.alpha_bar_prev[k])
    alpha = a_t / a_prev
    beta = 1.0 - alpha
    x_t = trajectory.x[k][i].astype(np.float64)
    x_prev = trajectory.x[k + 1][i].astype(np.float64)
    eps_hat = trajectory.eps_hat[k][i].astype(np.float64)
    s = score_from_eps(eps_hat, a_t)
    x0_hat = trajectory.x0_hat_at(k)[i].astype(np.float64)  # recorded: exact even where ᾱ_t is tiny
    mean = (x_t + beta * s) / np.sqrt(alpha)  # μ_θ = x_t/√α_t + (1−α_t)/√α_t · s_θ
    base = StepNumbers(
        sampler, k, i, x_t, a_t, a_prev, alpha, beta, 0.0, s, eps_hat, x0_hat, mean, None, x_prev
    )  # no noise: what the ODE samplers are; the others replace σ_t, z (and μ) below
    clip = bool(options.get("clip_sample", False))
    clip_range = float(options.get("clip_sample_range", 1.0))  # type: ignore[arg-type]
    plan = Plan(trajectory.alpha_bar, trajectory.alpha_bar_prev)
    last = k == trajectory.num_steps - 1

    if sampler == "ddpm" and can_decompose(trajectory):
        parts = ddpm_step_parts(trajectory, k, np.array([i]))
        z = parts.z[0] if parts.sigma_t > 0 else None
        return replace(base, sigma=parts.sigma_t, mean=parts.mean[0], z=z)
    if sampler in ("ddpm", "pc"):
        variance_type = str(options.get("variance_type", "fixed_small"))
        sigma = 0.0 if last else float(np.sqrt(ddpm_variance(plan, k, variance_type)))  # type: ignore[arg-type]
        x0_clipped = mean_clipped = None
        used = mean
        if clip:  # μ̃_t = √ᾱ_{t−1} β_t/(1−ᾱ_t) · clip(x̂_0) + √α_t (1−ᾱ_{t−1})/(1−ᾱ_t) · x_t
            x0_clipped = np.clip(x0_hat, -clip_range, clip_range)
            used = mean_clipped = (
                np.sqrt(a_prev) * beta / (1 - a_t) * x0_clipped + np.sqrt(alpha) * (1 - a_prev) / (1 - a_t) * x_t
            )
        z = (x_prev - used) / sigma if sampler == "ddpm" and sigma > 0 else None  # pc: the corrector hides it
        return replace(base, sigma=sigma, z=z, x0_clipped=x0_clipped, mean_clipped=mean_clipped)
    if sampler == "ddim":
        eta = float(options.get("eta", 0.0))  # type: ignore[arg-type]
        sigma = eta * np.sqrt((1 - a_prev) / (1 - a_t)) * np.sqrt(1 - a_t / a_prev)
        x0, eps = x0_hat, eps_hat
        x0_clipped = eps_used = None
        if clip:
            x0 = x0_clipped = np.clip(x0_hat, -clip_range, clip_range)
            if options.get("use_clipped_model_output", False):
                eps = eps_used = eps_from_x0(x0, x_t, a_t)
        direction = np.sqrt(a_prev) * x0 + np.sqrt(max(1 - a_prev - sigma**2, 0.0)) * eps
        z = (x_prev - direction) / sigma if sigma > 0 else None
        return replace(base, sigma=float(sigma), z=z, eta=eta, x0_clipped=x0_clipped, eps_used=eps_used)
    if sampler in ("euler", "heun"):
        h = 0.5 * float(np.log(a_prev) - np.log(a_t))  # ½ Δlog ᾱ
        d1 = x_t + s
        x_euler = x_t + h * d1
        d2 = None
        if sampler == "heun" and a_prev < 1.0:  # x_{t−1} = x_t + h/2 (d_1 + d_2)  ⇒  d_2 = 2(x_{t−1} − x_t)/h − d_1
            d2 = 2.0 * (x_prev - x_t) / h - d1
        return replace(base, h=h, d1=d1, x_euler=x_euler, d2=d2)
    raise ValueError(f"no equations for sampler {sampler!r}")
