"""Reverse samplers, one short generator each (math.md: "Reverse samplers").

Every sampler has the same shape::

    sampler(predict, x, plan, noise, **options) -> Iterator[x_{t-1}]

- ``predict(x, alpha_bar) -> Prediction`` evaluates the model at noise level ᾱ (ε̂, s, x̂_0 all at once);
- ``plan`` holds ᾱ_t and ᾱ_{t−1} for each step, in sampling order (noisiest first);
- ``noise(k, j)`` hands out the j-th standard normal draw of step k; it is only called when a draw is used.

Coefficients are Python floats (computed in float64) and the arrays keep the model's float32: a NumPy float64
scalar would turn every update into float64 arithmetic and a cast back, ~40 % of a step's time outside the model at
10,000 particles.

Each step yields a :class:`Step`: x_{t−1} and the prediction at (x_t, ᾱ_t) that the step stands for. The driver
records that prediction, whatever order the sampler made its model calls in (a corrector-first or multistep
sampler says which one is the step's). Options are declared once per sampler in :data:`SAMPLERS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from . import options as opt
from .options import Option, OptionValue, validate_options
from .parameterization import Prediction, eps_from_x0
from .schedule import Schedule

Predict = Callable[[np.ndarray, float], Prediction]
Noise = Callable[[int, int], np.ndarray]
VarianceType = Literal["fixed_small", "fixed_large"]


@dataclass(frozen=True)
class Step:
    """What one sampler step yields: x_{t−1}, and the model's prediction at (x_t, ᾱ_t) (what the run records)."""

    x: np.ndarray
    prediction: Prediction


@dataclass(frozen=True)
class Plan:
    """ᾱ_t and ᾱ_{t−1} per sampling step k = 0..K−1 (k = 0 is the noisiest)."""

    alpha_bar: np.ndarray
    alpha_bar_prev: np.ndarray

    @classmethod
    def from_schedule(cls, schedule: Schedule) -> Plan:
        return cls(schedule.alpha_bars[::-1].copy(), schedule.alpha_bars_prev[::-1].copy())

    @property
    def num_steps(self) -> int:
        return int(self.alpha_bar.size)


def ddpm_variance(plan: Plan, k: int, variance_type: VarianceType) -> float:
    """σ_t² of step k: β̃_t (``fixed_small``) or β_t (``fixed_large``).

    As in the original DDPM code, ``fixed_large`` uses β̃ of the following step in place of β at the step that
    ends at ᾱ = 1; that step adds no noise, so it shows only in the plotted variances.
    """
    a_t, a_prev = plan.alpha_bar[k], plan.alpha_bar_prev[k]
    beta_t = 1.0 - a_t / a_prev
    beta_tilde = (1.0 - a_prev) / (1.0 - a_t) * beta_t
    if variance_type == "fixed_small":
        return float(beta_tilde)
    if variance_type == "fixed_large":
        if a_prev >= 1.0 and k > 0:
            return ddpm_variance(plan, k - 1, "fixed_small")
        return float(beta_t)
    raise ValueError(f"unknown variance_type {variance_type!r}; valid: fixed_small, fixed_large")


def _is_last(plan: Plan, k: int) -> bool:
    return k == plan.num_steps - 1


def ddpm_step(
    predict: Predict,
    x: np.ndarray,
    plan: Plan,
    noise: Noise,
    k: int,
    *,
    variance_type: VarianceType = "fixed_small",
    clip_sample: bool = False,
    clip_sample_range: float = 1.0,
) -> Step:
    """One DDPM ancestral step x_t → x_{t−1} (seed eq. 6); no noise on the last step."""
    a_t, a_prev = float(plan.alpha_bar[k]), float(plan.alpha_bar_prev[k])
    alpha_t = a_t / a_prev
    beta_t = 1.0 - alpha_t
    pred = predict(x, a_t)
    if clip_sample:  # μ̃_t from the clipped x̂_0 (math.md: posterior mean)
        x0 = np.clip(pred.x0_hat, -clip_sample_range, clip_sample_range)
        mean = math.sqrt(a_prev) * beta_t / (1 - a_t) * x0 + math.sqrt(alpha_t) * (1 - a_prev) / (1 - a_t) * x
    else:  # μ_θ = x_t/√α_t + (1−α_t)/√α_t · s_θ
        mean = (x + beta_t * pred.score) / math.sqrt(alpha_t)
    if not _is_last(plan, k):
        mean = mean + math.sqrt(ddpm_variance(plan, k, variance_type)) * noise(k, 0)
    return Step(mean.astype(x.dtype, copy=False), pred)


def ddpm(
    predict: Predict,
    x: np.ndarray,
    plan: Plan,
    noise: Noise,
    *,
    variance_type: VarianceType = "fixed_small",
    clip_sample: bool = False,
    clip_sample_range: float = 1.0,
) -> Iterator[Step]:
    """DDPM ancestral sampling, with diffusers' ``variance_type`` and ``clip_sample``."""
    for k in range(plan.num_steps):
        step = ddpm_step(
            predict,
            x,
            plan,
            noise,
            k,
            variance_type=variance_type,
            clip_sample=clip_sample,
            clip_sample_range=clip_sample_range,
        )
        x = step.x
        yield step


def ddim(
    predict: Predict,
    x: np.ndarray,
    plan: Plan,
    noise: Noise,
    *,
    eta: float = 0.0,
    clip_sample: bool = False,
    clip_sample_range: float = 1.0,
    use_clipped_model_output: bool = False,
) -> Iterator[Step]:
    """DDIM(η): x_{t−1} = √ᾱ_{t−1} x̂_0 + √(1 − ᾱ_{t−1} − σ_t²) ε̂ + σ_t z.

    ᾱ_{t−1} is the next planned step's (1 after the last), where diffusers' ``DDIMScheduler`` uses t − ⌊T/K⌋: the
    two differ for ``trailing`` spacing with T % K ≠ 0 and for ``linspace`` (docs/model-format.md).
    """
    if eta < 0:
        raise ValueError(f"eta must be ≥ 0, got {eta}")
    for k in range(plan.num_steps):
        a_t, a_prev = float(plan.alpha_bar[k]), float(plan.alpha_bar_prev[k])
        pred = predict(x, a_t)
        x0, eps = pred.x0_hat, pred.eps_hat
        if clip_sample:
            x0 = np.clip(x0, -clip_sample_range, clip_sample_range)
            if use_clipped_model_output:
                eps = eps_from_x0(x0, x, a_t)
        sigma = eta * math.sqrt((1 - a_prev) / (1 - a_t)) * math.sqrt(1 - a_t / a_prev)
        x_prev = math.sqrt(a_prev) * x0 + math.sqrt(max(1 - a_prev - sigma**2, 0.0)) * eps
        if sigma > 0:
            x_prev = x_prev + sigma * noise(k, 0)
        x = x_prev.astype(x.dtype, copy=False)
        yield Step(x, pred)


def _flow_step_size(plan: Plan, k: int) -> float:
    """½ Δlog ᾱ: the reverse probability-flow ODE dx/dt = −½ β(t)(x + s) in the variable log ᾱ (β dt = −d log ᾱ)."""
    return 0.5 * float(np.log(plan.alpha_bar_prev[k]) - np.log(plan.alpha_bar[k]))


def ode_euler(predict: Predict, x: np.ndarray, plan: Plan, noise: Noise) -> Iterator[Step]:
    """Probability-flow ODE, Euler: x ← x + ½Δlog ᾱ · (x + s(x, t)). Deterministic."""
    for k in range(plan.num_steps):
        h = _flow_step_size(plan, k)
        pred = predict(x, plan.alpha_bar[k])
        x = (x + h * (x + pred.score)).astype(x.dtype, copy=False)
        yield Step(x, pred)


def ode_heun(predict: Predict, x: np.ndarray, plan: Plan, noise: Noise) -> Iterator[Step]:
    """Probability-flow ODE, Heun (2nd order); the step that ends at ᾱ = 1, where s is undefined, is Euler."""
    for k in range(plan.num_steps):
        h = _flow_step_size(plan, k)
        pred = predict(x, plan.alpha_bar[k])
        d1 = x + pred.score
        x_euler = x + h * d1
        if plan.alpha_bar_prev[k] >= 1.0:
            x = x_euler.astype(x.dtype, copy=False)
        else:
            d2 = x_euler + predict(x_euler.astype(x.dtype), plan.alpha_bar_prev[k]).score
            x = (x + h * 0.5 * (d1 + d2)).astype(x.dtype, copy=False)
        yield Step(x, pred)


def _mean_norm(v: np.ndarray) -> float:
    return float(np.linalg.norm(v.reshape(len(v), -1), axis=1).mean())


def predictor_corrector(
    predict: Predict,
    x: np.ndarray,
    plan: Plan,
    noise: Noise,
    *,
    target_snr: float = 0.16,
    corrector_steps: int = 1,
    variance_type: VarianceType = "fixed_small",
) -> Iterator[Step]:
    """DDPM predictor, then Langevin corrector x ← x + γ s + √(2γ) z, γ = 2 α (r ‖z‖/‖s‖)² (Song et al. 2021).

    The step records the predictor's prediction at (x_t, ᾱ_t), not the corrector's later ones.
    """
    for k in range(plan.num_steps):
        step = ddpm_step(predict, x, plan, noise, k, variance_type=variance_type)
        x = step.x
        if not _is_last(plan, k):
            level = plan.alpha_bar_prev[k]
            alpha = float(plan.alpha_bar[k + 1] / plan.alpha_bar_prev[k + 1])  # α at the level being corrected
            for j in range(corrector_steps):
                s = predict(x, level).score
                z = noise(k, 1 + j)
                gamma = 2 * alpha * (target_snr * _mean_norm(z) / max(_mean_norm(s), 1e-12)) ** 2
                x = (x + gamma * s + math.sqrt(2 * gamma) * z).astype(x.dtype, copy=False)
        yield Step(x, step.prediction)


@dataclass(frozen=True)
class SamplerSpec:
    """A sampler and its declaration: the function, its label, its options (declared once) and its noise draws."""

    fn: Callable[..., Iterator[Step]]
    label: str
    options: tuple[Option, ...]
    draws_per_step: Callable[[dict[str, Any]], int]

    def validate(self, name: str, given: dict[str, Any]) -> dict[str, OptionValue]:
        """Every option, defaults filled in and each value checked (``OptionError`` naming a bad one)."""
        return validate_options(name, self.options, given)


_CLIP = (opt.CLIP_SAMPLE, opt.CLIP_SAMPLE_RANGE)
SAMPLERS: dict[str, SamplerSpec] = {
    "ddpm": SamplerSpec(ddpm, "DDPM (ancestral)", (opt.VARIANCE_TYPE, *_CLIP), lambda o: 1),
    "ddim": SamplerSpec(ddim, "DDIM (η)", (opt.ETA, *_CLIP, opt.USE_CLIPPED_MODEL_OUTPUT), lambda o: 1),
    "euler": SamplerSpec(ode_euler, "Probability-flow ODE (Euler)", (), lambda o: 0),
    "heun": SamplerSpec(ode_heun, "Probability-flow ODE (Heun)", (), lambda o: 0),
    "pc": SamplerSpec(
        predictor_corrector,
        "Predictor–corrector",
        (opt.TARGET_SNR, opt.CORRECTOR_STEPS, opt.VARIANCE_TYPE),
        lambda o: 1 + int(o.get("corrector_steps", opt.CORRECTOR_STEPS.default)),
    ),
}


def get_sampler(name: str) -> SamplerSpec:
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; valid: {', '.join(SAMPLERS)}")
    return SAMPLERS[name]


def all_options() -> dict[str, Option]:
    """Every option any sampler declares, by name (a name means the same thing in every sampler that takes it):
    the sampler panel's widgets, ``diffviz sample``'s flags and the session's option values come from this."""
    out: dict[str, Option] = {}
    for spec in SAMPLERS.values():
        for option in spec.options:
            out.setdefault(option.name, option)
    return out
