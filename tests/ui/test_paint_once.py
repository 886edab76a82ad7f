"""The GUI thread's work per frame while a run computes: each frame paints the views once, and the sampling thread
reports at most ~30 times a second (every paint or report is GUI time taken from the run on a 2-core machine)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from diffviz.core import GaussianMixture, SamplingRun, Schedule
from diffviz.ui.main_window import MainWindow
from diffviz.ui.sampling_controller import REPORT_EVERY_S, _iterate
from tests.helpers import ui_models as um
from tests.helpers.ui_helpers import wait_finished


def test_each_frame_paints_the_views_once(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    paints: list[int] = []
    window.grid.painted.connect(lambda: paints.append(window.grid.index))
    shown: list[object] = []
    window.frames.frameShown.connect(shown.append)
    for k, step in enumerate((10, 40, 70), start=1):
        window.state.set_step(step)
        qtbot.waitUntil(lambda k=k: len(shown) == k, timeout=2000)
        qtbot.wait(80)  # longer than the frame throttle: any second paint of the frame would have come
        assert paints.count(step) == 1, paints
    assert shown == [window.state.trajectory] * 3  # frameShown follows the paint of each


def test_the_sampling_thread_reports_at_most_every_interval() -> None:
    """A 100-step run that takes longer than a report interval: the first step, then no more than one report per
    interval, then done (one per step was a signal queued to the GUI thread per step)."""
    gm = GaussianMixture.eight_gaussians()
    run = SamplingRun(gm, Schedule.from_name("linear", 1000).subsample(100, "trailing"), "ddpm", n=20_000, seed=0)
    first = threading.Event()
    first.set()
    events = list(_iterate(run, 7, first, threading.Event()))
    kinds = [kind for _, kind, _ in events]
    assert kinds[0] == "step" and kinds[-1] == "done" and run.trajectory.complete
    assert all(run_id == 7 for run_id, _, _ in events)
    assert len(events) < 100
    seconds = events[-1][2] * 100 / 1e3  # "done" carries ms per step
    assert len(events) <= 2 + seconds / REPORT_EVERY_S + 1


def test_a_set_stop_flag_ends_the_run_before_the_next_step() -> None:
    gm = GaussianMixture.eight_gaussians()
    run = SamplingRun(gm, Schedule.from_name("linear", 100), "ddpm", n=50, seed=0)
    first, stop = threading.Event(), threading.Event()
    first.set()
    events = _iterate(run, 1, first, stop)
    assert next(events)[1] == "step"  # the first step is reported at once
    stop.set()
    assert list(events) == []  # no further step, no "done"
    assert run.trajectory.steps_done == 1  # checked before each step: nothing computed after the flag
    assert np.isfinite(run.trajectory.x[:2]).all()


def _frames_painted_during_a_resample(qtbot, window: MainWindow) -> tuple[list[int], int]:  # type: ignore[no-untyped-def]
    """The steps of the new run painted while it was re-sampled (its first frame to its last), and K."""
    painted: list[tuple[object, int]] = []
    window.grid.painted.connect(lambda: painted.append((window.grid.trajectory, window.grid.index)))
    seed = window.state.session.sampler.seed
    run = wait_finished(qtbot, window, lambda: window.state.session.update_sampler(seed=seed + 1))
    qtbot.wait(150)  # any late frame would have been painted
    return [index for traj, index in painted if traj is run], run.num_steps


def test_a_run_about_to_end_gets_no_in_between_frame(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """A re-sample that ends within FINISHING_MS shows x_T and then its last frame: a frame in between would only
    take GUI time from the run (200 particles of the exact mixture: a few ms)."""
    wait_finished(qtbot, window, lambda: window.open_model("analytic:8gaussians"))
    wait_finished(qtbot, window, lambda: window.state.session.update_sampler(num_particles=200))
    steps, K = _frames_painted_during_a_resample(qtbot, window)
    assert steps[-1] == K and not [k for k in steps if 0 < k < K], steps


def test_a_long_run_shows_its_progress(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A run of ~1 s (a 512-wide, 2-layer model at 2,000 particles) is drawn as it computes, ~10 frames a second."""
    wait_finished(
        qtbot, window, lambda: window.open_model(str(um.heavy_model(tmp_path / "m.onnx", width=512, depth=2)))
    )
    steps, K = _frames_painted_during_a_resample(qtbot, window)
    in_between = {k for k in steps if 0 < k < K}
    assert steps[-1] == K and len(in_between) >= 3, steps
