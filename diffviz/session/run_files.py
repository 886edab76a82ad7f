"""A saved run (.npz) back into session settings: its schedule and the settings that made it (no Qt here)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from diffviz.core import SCHEDULE_NAMES, Schedule, Trajectory

from .settings import SamplerSettings, ScheduleSettings, SettingsError


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
) -> tuple[ScheduleSettings | None, SamplerSettings, list[str]]:
    """The settings that reproduce the run, and notices; the schedule only where it was made with named settings
    that the window can take (else None).

    Options of samplers other than the run's keep their ``previous`` values. A value the window cannot re-sample
    with (a seed or particle count from ``diffviz sample`` above the window's limits, an option out of range) keeps
    the previous value, with a notice: the run itself is shown as recorded.
    """
    p = trajectory.params
    cfg = p.schedule_config
    notices: list[str] = []
    schedule = None
    if cfg.get("name") in SCHEDULE_NAMES and not cfg.get("rescale"):
        try:  # the description is hand-editable: the exact β are in the run, this only names them
            T = int(cfg["num_steps"])
            sub = cfg.get("subsample") or {}
            candidate = ScheduleSettings(
                name=cfg["name"],
                num_train_timesteps=T,
                beta_start=float(cfg["beta_start"]),
                beta_end=float(cfg["beta_end"]),
                cosine_s=float(cfg.get("cosine_s", 0.008)),
                num_inference_steps=int(sub.get("num_steps", T)),
                timestep_spacing=str(sub.get("spacing", "trailing")),
                steps_offset=int(sub.get("steps_offset", 0)),
            )
            candidate.validate()
            schedule = candidate
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            reason = str(exc) if isinstance(exc, SettingsError) else f"its description is incomplete: {exc!r}"[:200]
            notices.append(
                f"the run's schedule cannot be set in the window ({reason}); the schedule panel keeps its own"
            )
    base = previous or SamplerSettings()
    sampler = base
    wanted: dict[str, Any] = {
        "name": p.sampler,
        "options": {**base.options, **p.options},
        "num_particles": p.n,
        "seed": p.seed,
    }
    for name, value in wanted.items():
        try:
            candidate_sampler = replace(sampler, **{name: value})
            candidate_sampler.validate()
            sampler = candidate_sampler
        except (SettingsError, TypeError, ValueError) as exc:
            kept = getattr(sampler, name)
            notices.append(f"re-sampling keeps {name} = {kept!r}: the run's value is not usable here ({exc})")
    sampler = replace(sampler, same_noise=p.x_T_injected)  # the lock injects x_T
    return schedule, sampler, notices
