"""Schedules against diffusers' schedulers (an independent implementation) and the closed forms of math.md."""

import numpy as np
import pytest
from diffusers import DDPMScheduler

from diffviz.core.schedule import SCHEDULE_NAMES, Schedule, ScheduleError


@pytest.mark.parametrize("name", SCHEDULE_NAMES)
@pytest.mark.parametrize("T", [10, 1000])
def test_betas_and_alpha_bars_match_diffusers(name: str, T: int) -> None:
    ours = Schedule.from_name(name, T, 1e-4, 0.02)
    ref = DDPMScheduler(num_train_timesteps=T, beta_schedule=name, beta_start=1e-4, beta_end=0.02)
    np.testing.assert_allclose(ours.betas, ref.betas.double().numpy(), rtol=1e-6, atol=1e-9)
    # diffusers keeps float32: compare to its float32 cumprod loosely, and to its β's exactly in float64
    np.testing.assert_allclose(ours.alpha_bars, ref.alphas_cumprod.double().numpy(), rtol=1e-4)
    np.testing.assert_allclose(ours.alpha_bars, np.cumprod(1 - ref.betas.double().numpy()), rtol=3e-5)


def test_closed_forms() -> None:
    s = Schedule.from_name("linear", 1000)
    # ᾱ_t is the product of α_s up to t; α = 1 − β
    np.testing.assert_allclose(s.alpha_bars[9], np.prod(1 - s.betas[:10]), rtol=1e-12)
    assert s.alpha_bars_prev[0] == 1.0 and s.alpha_bars_prev[5] == s.alpha_bars[4]
    # β̃_1 = 0 since ᾱ_0 = 1, and 0 < β̃_t < β_t afterwards
    assert s.beta_tilde[0] == 0.0
    assert np.all((s.beta_tilde[1:] > 0) & (s.beta_tilde[1:] < s.betas[1:]))
    np.testing.assert_allclose(np.exp(s.log_snr), s.snr, rtol=1e-9)
    assert np.all(np.diff(s.snr) < 0)


def test_cosine_offset_changes_the_start_of_the_schedule() -> None:
    a = Schedule.from_name("squaredcos_cap_v2", 100, cosine_s=0.008)
    b = Schedule.from_name("squaredcos_cap_v2", 100, cosine_s=0.1)
    assert b.betas[0] > a.betas[0]
    # f(T)=cos²(π/2)=0 makes the last β hit the 0.999 cap
    assert a.betas[-1] == pytest.approx(0.999)


def test_rescale_keeps_total_noise_when_T_changes() -> None:
    base = Schedule.from_name("linear", 1000)
    short = Schedule.from_name("linear", 100, rescale=True)
    unscaled = Schedule.from_name("linear", 100)
    # total noise: log ᾱ_T = Σ log(1 − β_t) ≈ −Σ β_t
    assert np.log(short.alpha_bars[-1]) == pytest.approx(np.log(base.alpha_bars[-1]), rel=0.1)
    assert np.log(unscaled.alpha_bars[-1]) > 0.2 * np.log(base.alpha_bars[-1])


@pytest.mark.parametrize("spacing", ["leading", "trailing", "linspace"])
@pytest.mark.parametrize("n", [1, 7, 50, 1000])
def test_inference_timesteps_match_diffusers(spacing: str, n: int) -> None:
    ref = DDPMScheduler(num_train_timesteps=1000, timestep_spacing=spacing)
    ref.set_timesteps(n)
    ours = Schedule.from_name("linear", 1000).inference_timesteps(n, spacing)  # type: ignore[arg-type]
    np.testing.assert_array_equal(ours, ref.timesteps.numpy())


def test_subsample_keeps_alpha_bars_of_the_kept_steps() -> None:
    full = Schedule.from_name("linear", 1000)
    sub = full.subsample(50, "leading")
    np.testing.assert_array_equal(sub.timesteps, np.arange(0, 1000, 20))
    np.testing.assert_allclose(sub.alpha_bars, full.alpha_bars[sub.timesteps], rtol=1e-12)
    assert sub.config["subsample"] == {"num_steps": 50, "spacing": "leading"}
    assert Schedule.from_config(sub.config).alpha_bars.tolist() == sub.alpha_bars.tolist()


@pytest.mark.parametrize(
    "betas, fragment",
    [
        ([0.1, 0.0, 0.2], "beta[1] = 0.0"),
        ([0.1, 1.0], "beta[1] = 1.0"),
        ([-0.1], "beta[0] = -0.1"),
        ([0.1, float("nan")], "beta[1] = nan"),
        ([], "T ≥ 1"),
    ],
)
def test_invalid_betas_are_refused_naming_the_value(betas: list, fragment: str) -> None:
    with pytest.raises(ScheduleError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        Schedule.from_betas(betas)


def test_invalid_names_and_values() -> None:
    with pytest.raises(ScheduleError, match="valid names: linear, scaled_linear"):
        Schedule.from_name("cosine", 10)
    with pytest.raises(ScheduleError, match="num_steps"):
        Schedule.from_name("linear", 0)
    with pytest.raises(ScheduleError, match="beta_end = 1.5"):
        Schedule.from_name("linear", 10, 1e-4, 1.5)
    with pytest.raises(ScheduleError, match="larger than beta_end"):
        Schedule.from_name("linear", 10, 0.1, 0.01)
    with pytest.raises(ScheduleError, match="rescale"):
        Schedule.from_name("linear", 10, 1e-4, 0.02, rescale=True)  # 0.02·100 ≥ 1
    with pytest.raises(ScheduleError, match="num_inference_steps"):
        Schedule.from_name("linear", 10).subsample(11)


def test_schedule_arrays_are_read_only() -> None:
    s = Schedule.from_name("linear", 10)
    with pytest.raises(ValueError):
        s.betas[0] = 0.5


@pytest.mark.parametrize("spacing", ["leading", "trailing", "linspace"])
@pytest.mark.parametrize("steps_offset", [0, 1, 3])
def test_steps_offset_picks_diffusers_timesteps(spacing: str, steps_offset: int) -> None:
    """diffusers adds ``steps_offset`` to ``leading`` steps only (Stable Diffusion's configs say 1: 981…1)."""
    diffusers = pytest.importorskip("diffusers")
    ref = diffusers.DDPMScheduler(num_train_timesteps=1000, steps_offset=steps_offset, timestep_spacing=spacing)
    ref.set_timesteps(50)
    full = Schedule.from_name("linear", 1000)
    assert np.array_equal(full.inference_timesteps(50, spacing, steps_offset), ref.timesteps.numpy())
    sub = full.subsample(50, spacing, steps_offset)
    np.testing.assert_allclose(sub.alpha_bars[::-1], full.alpha_bars[ref.timesteps.numpy()], rtol=1e-12)
    again = Schedule.from_config(sub.config)  # a saved run's schedule comes back with its offset
    assert np.array_equal(again.timesteps, sub.timesteps)
    assert ("steps_offset" in sub.config["subsample"]) == (steps_offset > 0 and spacing == "leading")


def test_a_steps_offset_past_T_is_refused() -> None:
    with pytest.raises(ScheduleError, match="past the schedule's T = 1000"):
        Schedule.from_name("linear", 1000).subsample(50, "leading", 20)
    with pytest.raises(ScheduleError, match="steps_offset must be a whole number"):
        Schedule.from_name("linear", 1000).subsample(50, "leading", -1)
