"""A saved run (.npz) back into what the app shows: its schedule and the settings that made it (no Qt here)."""

from __future__ import annotations

from typing import Any

import numpy as np

from diffviz.core import SAMPLERS, SCHEDULE_NAMES, Schedule, Trajectory

from .settings import SamplerSettings, ScheduleSettings


class RunFileError(ValueError):
    """A .npz that is not a diffviz run, or one whose recorded parameters are incomplete."""


def run_schedule(trajectory: Trajectory) -> Schedule:
    """The schedule the run was sampled with, exactly (its recorded β and timesteps)."""
    p = trajectory.params
    try:
        return Schedule(np.asarray(p["schedule_betas"]), np.asarray(p["schedule_timesteps"]), dict(p["schedule"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise RunFileError(f"the run does not record its schedule ({exc})") from exc


def run_model_name(trajectory: Trajectory) -> str | None:
    model = trajectory.params.get("model")
    return str(model["name"]) if isinstance(model, dict) and "name" in model else None


def run_settings(trajectory: Trajectory) -> tuple[ScheduleSettings | None, SamplerSettings | None]:
    """The panels' settings that reproduce the run, where the run was made with named settings (else None)."""
    p: dict[str, Any] = trajectory.params
    cfg = p.get("schedule") or {}
    schedule = None
    if cfg.get("name") in SCHEDULE_NAMES and not cfg.get("rescale"):
        T = int(cfg["num_steps"])
        sub = cfg.get("subsample") or {}
        schedule = ScheduleSettings(
            name=cfg["name"], num_train_steps=T, beta_start=float(cfg["beta_start"]), beta_end=float(cfg["beta_end"]),
            cosine_s=float(cfg.get("cosine_s", 0.008)), num_steps=int(sub.get("num_steps", T)),
            spacing=str(sub.get("spacing", "trailing")),
        )
    sampler = None
    if p.get("sampler") in SAMPLERS:
        opts = p.get("options") or {}
        defaults = SamplerSettings()
        sampler = SamplerSettings(
            kind=p["sampler"], variance_type=opts.get("variance_type", defaults.variance_type),
            clip_sample=bool(opts.get("clip_sample", False)), eta=float(opts.get("eta", defaults.eta)),
            snr=float(opts.get("snr", defaults.snr)), n=int(p.get("n", trajectory.num_particles)),
            seed=int(p.get("seed", 0)), same_noise=bool(p.get("x_T_injected", False)),  # the lock injects x_T
        )
    return schedule, sampler
