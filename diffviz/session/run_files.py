"""A saved run (.npz) back into session settings: its schedule and the settings that made it (no Qt here)."""

from __future__ import annotations

from diffviz.core import SCHEDULE_NAMES, Schedule, Trajectory

from .settings import SamplerSettings, ScheduleSettings


def run_schedule(trajectory: Trajectory) -> Schedule:
    """The schedule the run was sampled with, exactly (its recorded β and timesteps)."""
    try:
        return trajectory.params.schedule()
    except ValueError as exc:
        raise ValueError(f"the run's recorded schedule is invalid ({exc})") from exc


def run_model_name(trajectory: Trajectory) -> str:
    return trajectory.params.model.name


def run_settings(
    trajectory: Trajectory, previous: SamplerSettings | None = None
) -> tuple[ScheduleSettings | None, SamplerSettings]:
    """The settings that reproduce the run; the schedule only where it was made with named settings (else None).

    Options of samplers other than the run's keep their ``previous`` values.
    """
    p = trajectory.params
    cfg = p.schedule_config
    schedule = None
    if cfg.get("name") in SCHEDULE_NAMES and not cfg.get("rescale"):
        T = int(cfg["num_steps"])
        sub = cfg.get("subsample") or {}
        schedule = ScheduleSettings(
            name=cfg["name"],
            num_train_timesteps=T,
            beta_start=float(cfg["beta_start"]),
            beta_end=float(cfg["beta_end"]),
            cosine_s=float(cfg.get("cosine_s", 0.008)),
            num_inference_steps=int(sub.get("num_steps", T)),
            timestep_spacing=str(sub.get("spacing", "trailing")),
        )
    base = previous or SamplerSettings()
    sampler = SamplerSettings(
        name=p.sampler,
        options={**base.options, **p.options},
        num_particles=p.n,
        seed=p.seed,
        same_noise=p.x_T_injected,  # the lock injects x_T
    )
    return schedule, sampler
