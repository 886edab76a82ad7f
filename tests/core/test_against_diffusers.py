"""DDPM and DDIM trajectories, step by step, against diffusers' ``DDPMScheduler`` / ``DDIMScheduler``.

One deterministic model (the exact ε of Gaussian data plus a fixed random linear map of x and t, re-expressed as
``epsilon``, ``v_prediction`` or ``sample``) drives both, from the same x_T with the same per-step noise; every
x_{t−1} and x̂_0 must agree to float32 precision (diffusers keeps ᾱ in float32, diffviz in float64).

Where the rules differ — DDIM with ``trailing`` spacing and T % K ≠ 0, or ``linspace`` spacing — the test
shows the difference is exactly the documented one (docs/model-format.md, "Sub-sampled steps and diffusers").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler
from diffusers.schedulers import scheduling_ddpm

from diffviz.core.card import ModelCard
from diffviz.core.denoiser import NoiseLevelTime
from diffviz.core.parameterization import Prediction, convert, prediction_from
from diffviz.core.samplers import Plan, ddim
from diffviz.core.sampling import sample
from diffviz.core.schedule import Schedule, Spacing
from diffviz.core.trajectory import Trajectory

T, N, D = 1000, 64, 4
BASE = Schedule.from_name("linear", T)
RTOL = 1e-5  # per step: max |ours − diffusers| ≤ RTOL · max(1, max |diffusers|)


class LinearModel:
    """ε̂(x, t) = exact ε of N(μ, Σ) data at ᾱ_t, plus a fixed random linear map of x and t; any prediction type.

    Linear in x, so float32 rounding is not amplified near decision boundaries; the perturbation keeps the model
    imperfect, so ε̂, x̂_0 and v̂ are not the same function of x up to a change of variables by chance.
    """

    name, data_shape, train_schedule = "linear-gaussian", (D,), None

    def __init__(self, prediction_type: str, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.prediction_type = prediction_type
        self.mu = rng.uniform(-1.5, 1.5, D)
        L = rng.normal(0, 0.4, (D, D))
        self.sigma = L @ L.T + 0.05 * np.eye(D)
        self.W = rng.normal(0, 0.05, (D, D))
        self.b = rng.normal(0, 0.05, D)
        self._time = NoiseLevelTime(BASE, "index")

    @property
    def card(self) -> ModelCard:
        return ModelCard.create(name=self.name, prediction_type=self.prediction_type, data_shape=self.data_shape)

    def model_time(self, alpha_bar: float) -> tuple[float, bool]:
        return self._time(alpha_bar)

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        a = float(BASE.alpha_bars[int(t)])
        x64 = np.asarray(x, dtype=np.float64)
        C = a * self.sigma + (1 - a) * np.eye(D)
        eps = np.sqrt(1 - a) * np.linalg.solve(C, (x64 - np.sqrt(a) * self.mu).T).T
        eps = eps + x64 @ self.W + self.b * (t / T)
        return convert("epsilon", eps, x64, a, self.prediction_type).astype(np.float32)


def inputs(steps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, D)).astype(np.float32), rng.standard_normal((steps, N, D)).astype(np.float32)


def diffusers_run(
    scheduler: DDPMScheduler | DDIMScheduler,
    model: LinearModel,
    x_T: np.ndarray,
    noise: np.ndarray,
    monkeypatch: pytest.MonkeyPatch,
    **step_kw: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """diffusers' x_{t−1} and x̂_0 at every step, with our noise: DDIM takes it as ``variance_noise``; DDPM draws
    its own through ``randn_tensor``, which is replaced by a function that hands out step k's noise."""
    current: dict[str, torch.Tensor] = {}
    monkeypatch.setattr(scheduling_ddpm, "randn_tensor", lambda shape, **kw: current["z"].reshape(shape))
    x = torch.from_numpy(x_T.copy())
    xs, x0s = [], []
    for k, t in enumerate(scheduler.timesteps):
        out = torch.from_numpy(model(x.numpy(), float(t)))
        z = torch.from_numpy(noise[k])
        if isinstance(scheduler, DDIMScheduler):
            result = scheduler.step(out, t, x, variance_noise=z, **step_kw)  # unused when η = 0
        else:
            current["z"] = z
            result = scheduler.step(out, t, x)
        x = result.prev_sample
        xs.append(x.numpy().copy())
        x0s.append(result.pred_original_sample.numpy().copy())
    return np.stack(xs), np.stack(x0s)


def step_errors(ours: np.ndarray, theirs: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
    """Per step: max |ours − theirs| / max(1, max |scale|), ``scale`` being ``theirs`` unless given."""
    axes = tuple(range(1, ours.ndim))
    scale = theirs if scale is None else scale
    return np.abs(ours - theirs).max(axis=axes) / np.maximum(1.0, np.abs(scale).max(axis=axes))


def our_x0(run: Trajectory) -> np.ndarray:
    """x̂_0 at every step, from what the run recorded (ε̂ at x_t)."""
    return np.stack([(run.x[k] - np.sqrt(1 - a) * run.eps_hat[k]) / np.sqrt(a) for k, a in enumerate(run.alpha_bar)])


def check_same_noise_levels(run: Trajectory, scheduler: DDPMScheduler | DDIMScheduler) -> None:
    """Our ᾱ_t per step are diffusers' ᾱ at its timesteps (float32 apart)."""
    theirs = scheduler.alphas_cumprod.double().numpy()[scheduler.timesteps.numpy()]
    np.testing.assert_allclose(run.alpha_bar, theirs, rtol=1e-5)


def compare(
    scheduler: DDPMScheduler | DDIMScheduler,
    sampler: str,
    prediction_type: str,
    spacing: Spacing,
    steps: int,
    monkeypatch: pytest.MonkeyPatch,
    step_kw: dict[str, Any],
    **options: Any,
) -> None:
    scheduler.set_timesteps(steps)
    model = LinearModel(prediction_type)
    x_T, noise = inputs(steps, seed=steps)
    run = sample(model, BASE.subsample(steps, spacing), sampler, x_T=x_T, noise=noise, field_grid=0, **options)
    check_same_noise_levels(run, scheduler)
    xs, x0s = diffusers_run(scheduler, model, x_T, noise, monkeypatch, **step_kw)
    assert step_errors(run.x[1:], xs).max() < RTOL
    x0 = our_x0(run)  # clipped as the sampler clipped it; the error scales with x̂_0 before clipping
    clipped = np.clip(x0, -1, 1) if options.get("clip_sample") else x0
    assert step_errors(clipped, x0s, scale=x0).max() < RTOL


PREDICTIONS = ["epsilon", "v_prediction", "sample"]
SPACINGS = ["leading", "trailing"]


@pytest.mark.parametrize("spacing", SPACINGS)
@pytest.mark.parametrize("prediction_type", PREDICTIONS)
def test_ddpm_trajectory_matches_diffusers(
    prediction_type: str, spacing: Spacing, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = DDPMScheduler(T, prediction_type=prediction_type, timestep_spacing=spacing, clip_sample=False)
    compare(ref, "ddpm", prediction_type, spacing, 50, monkeypatch, {})


@pytest.mark.parametrize("spacing", SPACINGS)
@pytest.mark.parametrize("eta", [0.0, 1.0])
@pytest.mark.parametrize("prediction_type", PREDICTIONS)
def test_ddim_trajectory_matches_diffusers(
    prediction_type: str, eta: float, spacing: Spacing, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = DDIMScheduler(T, prediction_type=prediction_type, timestep_spacing=spacing, clip_sample=False)
    compare(ref, "ddim", prediction_type, spacing, 50, monkeypatch, {"eta": eta}, eta=eta)


@pytest.mark.parametrize("spacing", SPACINGS)
@pytest.mark.parametrize("sampler", ["ddpm", "ddim"])
def test_clipped_sample_prediction_matches_diffusers(
    sampler: str, spacing: Spacing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``clip_sample`` on a ``sample`` model: x̂_0 is clipped to [−1, 1] (the data reach |x| ≈ 2)."""
    cls = DDPMScheduler if sampler == "ddpm" else DDIMScheduler
    ref = cls(num_train_timesteps=T, prediction_type="sample", timestep_spacing=spacing, clip_sample=True)
    step_kw, options = ({"eta": 1.0}, {"eta": 1.0}) if sampler == "ddim" else ({}, {})
    compare(ref, sampler, "sample", spacing, 50, monkeypatch, step_kw, clip_sample=True, **options)


@pytest.mark.parametrize("spacing", ["trailing", "linspace"])
def test_ddpm_matches_diffusers_when_steps_do_not_divide_T(spacing: Spacing, monkeypatch: pytest.MonkeyPatch) -> None:
    """DDPMScheduler steps to the next kept timestep, as diffviz does, so DDPM agrees for every spacing."""
    ref = DDPMScheduler(T, timestep_spacing=spacing, clip_sample=False)
    compare(ref, "ddpm", "epsilon", spacing, 30, monkeypatch, {})


def diffusers_ddim_plan(scheduler: DDIMScheduler) -> Plan:
    """diffusers' DDIM rule as a plan: each step goes from t to t − ⌊T/K⌋ (ᾱ = 1 below 0, set_alpha_to_one)."""
    ts = scheduler.timesteps.numpy()
    prev = ts - T // len(ts)
    a = BASE.alpha_bars
    return Plan(a[ts], np.where(prev >= 0, a[np.maximum(prev, 0)], 1.0))


@pytest.mark.parametrize("steps", [30, 60])
def test_ddim_trailing_with_T_not_divisible_by_K_differs_exactly_as_documented(
    steps: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T=1000 trailing: diffusers' DDIM steps from t to t − ⌊T/K⌋; diffviz to the next kept timestep, and its last
    step ends at ᾱ = 1. With diffusers' plan, diffviz's DDIM reproduces diffusers; with its own, it does not."""
    ref = DDIMScheduler(T, timestep_spacing="trailing", clip_sample=False)
    ref.set_timesteps(steps)
    ts = ref.timesteps.numpy()
    ours = Plan.from_schedule(BASE.subsample(steps, "trailing"))
    theirs = diffusers_ddim_plan(ref)
    # the same timesteps: ᾱ_t agree; ᾱ_prev is ᾱ at the next kept timestep (1 after the last) for diffviz
    np.testing.assert_allclose(ours.alpha_bar, BASE.alpha_bars[ts], rtol=1e-12)
    np.testing.assert_allclose(ours.alpha_bar_prev, np.append(BASE.alpha_bars[ts[1:]], 1.0), rtol=1e-12)
    assert ours.alpha_bar_prev[-1] == 1.0
    differs = ts[1:] != ts[:-1] - T // steps  # where the next kept timestep is not t − ⌊T/K⌋
    assert differs.any()
    same = np.isclose(ours.alpha_bar_prev[:-1], theirs.alpha_bar_prev[:-1], rtol=1e-12, atol=0)
    np.testing.assert_array_equal(~same, differs)
    if steps == 30:  # 966 → 932 here, 966 → 933 in diffusers; both end at ᾱ = 1 (last t = 32, 32 − 33 < 0)
        assert (ts[1], ts[2]) == (966, 932) and ts[-1] == 32 and theirs.alpha_bar_prev[-1] == 1.0
    else:  # last t = 16 = ⌊1000/60⌋: diffusers ends at t = 0, ᾱ_0 = 1 − β_1, not at 1
        assert ts[-1] == 16 and theirs.alpha_bar_prev[-1] == pytest.approx(1 - 1e-4, rel=1e-12)

    model = LinearModel("epsilon")
    x_T, noise = inputs(steps, seed=1)
    xs, _ = diffusers_run(ref, model, x_T, noise, monkeypatch, eta=0.0)

    def predict(x: np.ndarray, alpha_bar: float) -> Prediction:
        return prediction_from("epsilon", model(x, model.model_time(alpha_bar)[0]), x, alpha_bar)

    mimic = np.stack([step.x for step in ddim(predict, x_T.copy(), theirs, lambda k, j: noise[k])])
    assert step_errors(mimic, xs).max() < RTOL
    run = sample(model, BASE.subsample(steps, "trailing"), "ddim", x_T=x_T, field_grid=0, eta=0.0)
    assert step_errors(run.x[1:], xs).max() > 100 * RTOL  # a real difference, not rounding


def test_ddpm_fixed_large_trailing_differs_only_by_diffusers_last_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    """DDPMScheduler adds noise whenever t > 0; the last trailing timestep is t = 19, so with ``fixed_large`` its
    last step adds √β z with β = 1 − ᾱ_19 (ᾱ_prev = 1). diffviz adds no noise on the last step (math.md)."""
    ref = DDPMScheduler(T, timestep_spacing="trailing", variance_type="fixed_large", clip_sample=False)
    ref.set_timesteps(50)
    t_last = int(ref.timesteps[-1])
    model = LinearModel("epsilon")
    x_T, noise = inputs(50, seed=50)
    run = sample(
        model, BASE.subsample(50, "trailing"), "ddpm", x_T=x_T, noise=noise, field_grid=0, variance_type="fixed_large"
    )
    xs, _ = diffusers_run(ref, model, x_T, noise, monkeypatch)
    assert t_last == 19
    assert step_errors(run.x[1:-1], xs[:-1]).max() < RTOL
    assert step_errors(run.x[-1:], xs[-1:]).max() > 100 * RTOL
    with_their_noise = run.x[-1] + np.sqrt(1 - BASE.alpha_bars[t_last]) * noise[-1]
    assert step_errors(with_their_noise[None], xs[-1:]).max() < RTOL
