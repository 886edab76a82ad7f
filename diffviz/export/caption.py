"""The caption line under each video frame: step, t, ᾱ_t, β_t, SNR, sampler and schedule (no Qt here)."""

from __future__ import annotations

from diffviz.core import Schedule, Trajectory


def caption_text(trajectory: Trajectory, schedule: Schedule, index: int, sampler: str = "") -> str:
    """Two lines for step ``index`` (0..K) of a run made with ``schedule`` (index K is the sample x_0): the step's
    numbers, then the sampler and the schedule."""
    K = trajectory.num_steps
    how = "   ·   ".join(part for part in (sampler, schedule.describe()) if part)
    if index >= K:
        return f"step {K}/{K}   t = 0: the sample x₀\n{how}"
    i = schedule.num_steps - 1 - index  # the schedule's arrays run in increasing t
    t = int(schedule.timesteps[i]) + 1
    return (
        f"step {index}/{K}   t = {t}   ᾱₜ = {schedule.alpha_bars[i]:.3g}   βₜ = {schedule.betas[i]:.3g}   "
        f"SNR = {schedule.snr[i]:.3g}\n{how}"
    )
