"""The app state, the settings dataclasses and the noise lock, without a window."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest

from diffviz.core import SAMPLERS, GaussianMixture, SamplingRun, Schedule, sample
from diffviz.session import DEFAULT_IMAGES, SamplerSettings, ScheduleSettings, ViewSettings
from diffviz.session.noise_lock import locked_noise, locked_x_T
from diffviz.session.scene import lenient, settings_to_dict
from diffviz.ui.state import AppState, frontier
from diffviz.views.model_info import describe


def _traj(steps: int = 10, n: int = 20, run_steps: int | None = None):  # type: ignore[no-untyped-def]
    run = SamplingRun(GaussianMixture.eight_gaussians(), Schedule.from_name("linear", steps), "ddim", n=n)
    for k in run:
        if run_steps is not None and k + 1 >= run_steps:
            break
    return run.trajectory


# ---- settings ------------------------------------------------------------------------------------------------
def test_matching_settings_rebuild_the_training_schedule_exactly() -> None:
    train = Schedule.from_name("scaled_linear", 400, 2e-4, 0.03)
    s = ScheduleSettings.matching(train, num_inference_steps=400)
    np.testing.assert_array_equal(s.build().betas, train.betas)
    assert ScheduleSettings.matching(None) == ScheduleSettings()  # DDPM's linear 1e-4 → 0.02, T = 1000


def test_fewer_sampling_steps_subsample_the_full_schedule() -> None:
    s = ScheduleSettings(num_train_timesteps=1000, num_inference_steps=50, timestep_spacing="trailing")
    built, full = s.build(), s.full()
    assert built.num_steps == 50 and full.num_steps == 1000
    np.testing.assert_allclose(built.alpha_bars, full.alpha_bars[built.timesteps])  # same noise levels, fewer


@pytest.mark.parametrize("kind", list(SAMPLERS))
def test_every_sampler_takes_the_options_the_panel_gives(kind: str) -> None:
    settings = SamplerSettings(kind, {"clip_sample": True, "eta": 0.5, "clip_sample_range": 2.5})
    traj = sample(
        GaussianMixture.eight_gaussians(), Schedule.from_name("linear", 20), kind, n=10, **settings.active_options()
    )
    assert traj.complete and np.all(np.isfinite(traj.x))


def test_stored_settings_survive_garbage() -> None:
    assert lenient(SamplerSettings, "nonsense") == SamplerSettings()
    mixed = lenient(
        SamplerSettings, {"name": "ddim", "options": {"eta": 0.3, "bogus": 1}, "num_particles": "many", "seed": -4}
    )
    assert mixed == SamplerSettings("ddim", {"eta": 0.3})  # each bad entry falls back to its default, alone
    assert lenient(ScheduleSettings, {"beta_start": 0.5, "beta_end": 0.1}).beta_end == 0.1  # β_start refused
    assert lenient(ScheduleSettings, {"name": "wiggly"}) == ScheduleSettings()
    v = ViewSettings(trails=False, trail_length=3, segments=True, camera=(-1.0, 1.0, -2.0, 2.0))
    assert lenient(ViewSettings, settings_to_dict(v)) == v


# ---- the noise lock -------------------------------------------------------------------------------------------
def test_locked_x_T_is_what_the_sampler_draws_from_the_seed() -> None:
    run = SamplingRun(GaussianMixture.eight_gaussians(), Schedule.from_name("linear", 5), n=7, seed=11)
    np.testing.assert_array_equal(locked_x_T(11, 7, (2,)), run.trajectory.x[0])


def test_locked_noise_of_a_step_does_not_depend_on_the_sampler_or_the_run_length() -> None:
    one = locked_noise(3, 50, (2,), 10, 1)
    two = locked_noise(3, 50, (2,), 10, 2)
    longer = locked_noise(3, 80, (2,), 30, 1)
    assert one.shape == (10, 50, 2) and two.shape == (10, 2, 50, 2)
    np.testing.assert_array_equal(two[:, 0], one)  # the predictor's draw is the same for PC
    np.testing.assert_array_equal(longer[:10, :50], one)  # more steps, more particles: a superset
    assert locked_noise(3, 50, (2,), 10, 0) is None
    assert abs(float(one.std()) - 1) < 0.05 and not np.array_equal(one[0], one[1])


def test_with_locked_noise_ddpm_and_ddim_eta_1_give_the_same_run() -> None:
    # math.md: DDIM with η = 1 has σ_t² = β̃_t and the posterior mean, i.e. it *is* DDPM (fixed_small)
    model, sched = GaussianMixture.eight_gaussians(), Schedule.from_name("linear", 200).subsample(40)
    x_T, noise = locked_x_T(0, 64, (2,)), locked_noise(0, 64, (2,), 40, 1)
    a = sample(model, sched, "ddpm", x_T=x_T, noise=noise)
    b = sample(model, sched, "ddim", x_T=x_T, noise=noise, eta=1.0)
    np.testing.assert_allclose(a.x, b.x, atol=2e-4)


# ---- the state ------------------------------------------------------------------------------------------------
def test_frontier_is_the_last_step_with_x_and_predictions() -> None:
    assert frontier(None) == -1
    part = _traj(10, run_steps=4)
    assert part.steps_done == 4 and frontier(part) == 3
    full = _traj(10)
    assert frontier(full) == 10


def test_the_playhead_stays_at_the_end_or_keeps_its_place(qtbot) -> None:  # type: ignore[no-untyped-def]
    state = AppState()
    steps: list[int] = []
    state.stepChanged.connect(steps.append)
    sched = Schedule.from_name("linear", 10)
    state.start_run(_traj(10), sched)
    assert state.step == 10  # a first run is followed to x_0
    state.start_run(_traj(20), Schedule.from_name("linear", 20))
    assert state.step == 20  # at the end it stays at the end
    state.set_step(5)
    state.start_run(_traj(40), Schedule.from_name("linear", 40))
    assert state.step == 10  # elsewhere it keeps its place in the run (a quarter of the way)
    state.set_step(99)
    assert state.step == 40 and steps[-1] == 40


def test_the_shown_step_waits_for_the_computation(qtbot) -> None:  # type: ignore[no-untyped-def]
    state = AppState()
    part = _traj(10, run_steps=4)
    state.start_run(part, Schedule.from_name("linear", 10))
    assert state.step == 10 and state.shown_index == 3


def test_each_kind_of_model_keeps_its_particle_count(qtbot) -> None:  # type: ignore[no-untyped-def]
    state = AppState()
    points = describe(GaussianMixture.eight_gaussians(), "analytic:8gaussians")
    images = describe(GaussianMixture.from_points(np.zeros((3, 4)), data_shape=(1, 2, 2)), "img")
    state.set_model(points)
    state.update_sampler(num_particles=1234)
    state.set_model(images)
    assert state.sampler_settings.num_particles == DEFAULT_IMAGES
    state.update_sampler(num_particles=16)
    state.set_model(points)
    assert state.sampler_settings.num_particles == 1234
    state.set_model(images)
    assert state.sampler_settings.num_particles == 16


def test_setters_emit_only_on_a_change(qtbot) -> None:  # type: ignore[no-untyped-def]
    state = AppState()
    seen: list[object] = []
    state.scheduleChanged.connect(seen.append)
    state.update_schedule(**asdict(state.schedule_settings))
    assert seen == []
    state.update_schedule(beta_end=0.03)
    assert len(seen) == 1 and seen[0].beta_end == 0.03


def test_a_model_the_app_cannot_draw_is_refused_by_describe() -> None:
    with pytest.raises(ValueError, match="D = 3"):
        describe(GaussianMixture.from_points(np.zeros((4, 3))), "three-d")


def test_sampling_without_any_view_still_finishes(qtbot) -> None:  # type: ignore[no-untyped-def]
    # the worker waits for the first frame to be drawn, but only briefly: no window, no stall
    from diffviz.ui.sampling_controller import SamplingController

    state = AppState()
    controller = SamplingController(state)
    state.update_schedule(num_inference_steps=10)
    with qtbot.waitSignal(state.runFinished, timeout=10_000):
        state.set_model(describe(GaussianMixture.eight_gaussians(), "analytic:8gaussians"))
    assert state.trajectory.complete and not controller.running
    assert controller.cancel(wait_ms=5000)
