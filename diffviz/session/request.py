"""From a session to a sampling run: the schedule, the sampler's options, the locked noise, the size check.

The window's sampling controller, ``diffviz render`` and the tests all build runs here, so one session gives one
trajectory wherever it is sampled (bit for bit: the seed, or the locked noise, fixes every random number).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from diffviz.core import SAMPLERS, Denoiser, SamplingRun, Schedule
from diffviz.core.trajectory import MAX_RUN_BYTES, recorded_bytes

from .noise_lock import locked_noise, locked_x_T
from .settings import SamplerSettings, ScheduleSettings, ViewSettings

__all__ = ["MAX_RUN_BYTES", "build_pair", "build_run", "check_run_size"]


def check_run_size(n: int, num_steps: int, shape: tuple[int, ...], *, field_points: int = 0) -> None:
    """Refuse, with the numbers, a run whose recorded arrays would take more than MAX_RUN_BYTES (the bound
    ``Trajectory.load`` opens runs up to: what is sampled here can be opened again)."""
    size = recorded_bytes(n, num_steps, shape, field_points)
    if size > MAX_RUN_BYTES:
        raise MemoryError(
            f"{n} particles × {num_steps} steps would record {size / 1024**3:.1f} GiB "
            f"(limit {MAX_RUN_BYTES / 1024**3:.0f} GiB); use fewer particles or fewer steps"
        )


def build_run(
    model: Denoiser,
    schedule: ScheduleSettings,
    sampler: SamplerSettings,
    view: ViewSettings,
    *,
    field_lazy: bool = False,
) -> tuple[SamplingRun, Schedule]:
    """The run these settings describe (nothing sampled yet), and its schedule. ``field_lazy``: the score-field
    grid is evaluated only for the steps shown (:meth:`SamplingRun.ensure_field`; the window), not every step.

    Raises ``ValueError`` (bad settings or options) or ``MemoryError`` (too large to record) with a message.
    """
    built = schedule.build()
    options: dict[str, Any] = dict(sampler.active_options())  # the sampler's own options, passed through
    shape = tuple(model.data_shape)
    n = sampler.num_particles
    check_run_size(n, built.num_steps, shape, field_points=view.field_grid**2 if shape == (2,) else 0)
    x_T = noise = None
    if sampler.same_noise:
        x_T = locked_x_T(sampler.seed, n, shape)
        draws = SAMPLERS[sampler.name].draws_per_step(SAMPLERS[sampler.name].validate(sampler.name, options))
        noise = locked_noise(sampler.seed, n, shape, built.num_steps, draws)
    run = SamplingRun(
        model,
        built,
        sampler.name,
        n=n,
        seed=sampler.seed,
        x_T=x_T,
        noise=noise,
        field_grid=view.field_grid,
        field_extent=view.field_extent,
        field_lazy=field_lazy,
        **options,
    )
    return run, built


def build_pair(
    model: Denoiser,
    schedule: ScheduleSettings,
    sampler: SamplerSettings,
    compare: SamplerSettings,
    view: ViewSettings,
    *,
    field_lazy: bool = False,
) -> tuple[SamplingRun, SamplingRun, Schedule]:
    """Side by side: the run of ``sampler`` and the run of ``compare``'s sampler and options on the same schedule,
    particles, seed, x_T and noise (both through the noise lock, whose z_k of a step does not depend on the sampler:
    DDPM and DDIM(η) see the same draws). Returns (main run, compare run, schedule)."""
    locked = replace(sampler, same_noise=True)
    other = replace(locked, name=compare.name, options=compare.options)
    run, built = build_run(model, schedule, locked, view, field_lazy=field_lazy)
    compare_run, _ = build_run(model, schedule, other, view, field_lazy=field_lazy)
    return run, compare_run, built
