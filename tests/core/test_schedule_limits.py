"""Schedules that leave the range doubles hold are refused naming the cause, before anything is sampled."""

from __future__ import annotations

import numpy as np
import pytest

from diffviz.core import GaussianMixture, Schedule, ScheduleError, sample
from diffviz.core.schedule import MAX_TRAIN_TIMESTEPS, MIN_ALPHA_BAR, NoiseRangeError


def test_a_schedule_longer_than_the_limit_is_refused_before_allocating() -> None:
    with pytest.raises(ScheduleError, match=f"num_steps = 10000000000 is above the limit of {MAX_TRAIN_TIMESTEPS}"):
        Schedule.from_name("linear", 10**10)  # 80 GB of β, were it built
    with pytest.raises(ScheduleError, match="above the limit"):
        Schedule.from_betas(np.full(MAX_TRAIN_TIMESTEPS + 1, 1e-6))


def test_the_longest_schedule_works_when_rescaled() -> None:
    s = Schedule.from_name("linear", MAX_TRAIN_TIMESTEPS, rescale=True)
    assert 1e-5 < s.alpha_bars[-1] < 1e-4
    assert s.subsample(10).num_steps == 10


@pytest.mark.parametrize(
    "args, step",
    [
        (("linear", 1000, 0.5, 0.999), "t=637 of 1000"),  # ᾱ_T is exactly 0 in doubles
        (("linear", 100_000), "t=83641 of 100000"),  # ᾱ_T is a subnormal 1.2e-322 in doubles
    ],
)
def test_an_underflowing_alpha_bar_is_named_as_a_schedule_problem(args: tuple, step: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(NoiseRangeError) as info:
        Schedule.from_name(*args)
    message = str(info.value)
    assert message.startswith("the schedule's ᾱ_T = ") and "underflows" in message and step in message
    assert "beta[" not in message


def test_the_true_size_of_an_underflowed_alpha_bar_is_given() -> None:
    with pytest.raises(NoiseRangeError, match=r"ᾱ_T = 1\.4e-731 underflows"):
        Schedule.from_name("linear", 1000, 0.5, 0.999)


def test_a_schedule_just_above_the_limit_samples_without_nan() -> None:
    s = Schedule.from_name("linear", 70_000)  # ᾱ_T ≈ 2.6e-308: the smallest normal double is 2.2e-308
    assert s.alpha_bars[-1] >= MIN_ALPHA_BAR
    for sampler in ("ddpm", "ddim", "euler"):
        run = sample(GaussianMixture.eight_gaussians(), s.subsample(700, "trailing"), sampler, n=4, field_grid=0)
        assert np.all(np.isfinite(run.sample)), sampler


def test_a_large_T_subsampled_to_few_steps_names_the_real_cause() -> None:
    # T = 50000 without rescaling: ᾱ falls by 1e-20 between two kept steps, and β = 1 − ᾱ_t/ᾱ_prev rounds to 1
    with pytest.raises(NoiseRangeError) as info:
        Schedule.from_name("linear", 50_000).subsample(10)
    message = str(info.value)
    assert "beta[" not in message and "outside (0, 1)" not in message
    assert "keeping 10 of the 50000 steps" in message and "rounds to 1" in message and "pure noise" in message
    assert "(t=20001)" in message and "(t=25001)" in message


def test_an_underflow_is_a_schedule_error_where_settings_are_checked() -> None:
    from diffviz.session.settings import ScheduleSettings, SettingsError

    with pytest.raises(SettingsError, match="schedule: the schedule's ᾱ_T"):
        ScheduleSettings(beta_start=0.5, beta_end=0.999).validate()
