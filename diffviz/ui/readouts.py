"""The numbers under the timeline: t, model time, β_t, ᾱ_t and SNR at the shown step (no Qt here)."""

from __future__ import annotations

from diffviz.core import Schedule, Trajectory

WARN = "#ff7b5c"


def readout_html(trajectory: Trajectory, schedule: Schedule, index: int) -> str:
    """Rich text for step ``index`` (0..K) of a run made with ``schedule`` (both in sampling order: k = 0 noisiest).

    The values come from the schedule's own arrays; index K is the sample x_0, after the last step.
    """
    K = trajectory.num_steps
    if index >= K:
        return f"step {K}/{K} &nbsp; <b>t = 0</b>: the sample x<sub>0</sub> (predictions of the last step)"
    i = schedule.num_steps - 1 - index  # the schedule's arrays run in increasing t
    t = int(schedule.timesteps[i]) + 1
    clamped = bool(trajectory.clamped[index])
    model_t = f"{trajectory.model_time[index]:.4g}"
    if clamped:
        model_t = f'<span style="color:{WARN}">{model_t} (clamped: outside the trained range)</span>'
    return (
        f"step {index}/{K} &nbsp; <b>t = {t}</b> &nbsp; model t = {model_t} &nbsp; "
        f"β<sub>t</sub> = {schedule.betas[i]:.3g} &nbsp; ᾱ<sub>t</sub> = {schedule.alpha_bars[i]:.3g} &nbsp; "
        f"SNR = {schedule.snr[i]:.3g}"
    )
