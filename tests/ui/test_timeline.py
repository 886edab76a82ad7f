"""The timeline: readouts checked against closed forms, playback, and never running ahead of the computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from diffviz.core import GaussianMixture, SamplingRun, Schedule
from diffviz.ui.main_window import MainWindow
from diffviz.ui.readouts import readout_html
from tests.helpers.ui_helpers import wait_finished


def test_readouts_at_the_first_and_last_step_of_a_full_linear_schedule() -> None:
    T, b0, b1 = 50, 1e-3, 0.2
    sched = Schedule.from_name("linear", T, b0, b1)
    run = SamplingRun(GaussianMixture.eight_gaussians(), sched, "ddim", n=4)
    for _ in run:
        pass
    first = readout_html(run.trajectory, sched, 0)
    abar_T = float(np.prod(1 - np.linspace(b0, b1, T)))  # ᾱ_T = ∏ (1 − β_t), independently
    assert f"t = {T}</b>" in first and f"β<sub>t</sub> = {b1:.3g}" in first
    assert f"ᾱ<sub>t</sub> = {abar_T:.3g}" in first and f"SNR = {abar_T / (1 - abar_T):.3g}" in first
    last = readout_html(run.trajectory, sched, T - 1)
    assert "t = 1</b>" in last and f"β<sub>t</sub> = {b0:.3g}" in last and f"ᾱ<sub>t</sub> = {1 - b0:.3g}" in last
    assert "the sample x<sub>0</sub>" in readout_html(run.trajectory, sched, T)


def test_a_clamped_model_time_is_flagged(qtbot, window: MainWindow) -> None:
    traj = window.state.trajectory
    traj.clamped[3] = True  # as a model outside its trained range would record it
    assert "clamped" in readout_html(traj, window.state.schedule, 3)
    assert "clamped" not in readout_html(traj, window.state.schedule, 4)


@pytest.mark.slow
def test_play_advances_and_stops_at_x_0(qtbot, window: MainWindow) -> None:
    tl = window.timeline
    tl.speed.setCurrentIndex(tl.speed.findData(300))
    window.state.set_step(window.state.num_steps - 20)
    tl.play()
    qtbot.waitUntil(lambda: not tl.playing, timeout=5000)
    assert window.state.step == window.state.num_steps
    tl.play()  # at the end, play starts again from x_T
    assert window.state.step < 20
    tl.loop.setChecked(True)
    qtbot.waitUntil(lambda: window.state.step >= window.state.num_steps - 10, timeout=5000)
    qtbot.waitUntil(lambda: window.state.step < 20, timeout=5000)  # looped back
    assert tl.playing
    tl.pause()


@pytest.mark.slow
def test_the_playhead_never_runs_ahead_of_the_computation(qtbot, window: MainWindow) -> None:
    tl = window.timeline
    tl.speed.setCurrentIndex(tl.speed.findData(1000))
    ahead: list[tuple[int, int]] = []
    window.state.stepChanged.connect(
        lambda s: s > max(window.state.frontier, 0) and ahead.append((s, window.state.frontier))
    )
    window.state.set_step(0)
    tl.play()
    traj = wait_finished(qtbot, window, lambda: window.state.update_schedule(num_inference_steps=400))
    tl.pause()
    assert ahead == [] and traj.num_steps == 400


def test_the_schedule_plot_cursor_follows_the_shown_step(qtbot, window: MainWindow) -> None:
    state, plots = window.state, window.schedule_panel.plots
    state.set_step(0)
    assert math.isclose(plots.cursors[0].value(), 1.0)  # x_T: t = T
    state.set_step(state.num_steps)
    assert math.isclose(plots.cursors[0].value(), 0.0)
