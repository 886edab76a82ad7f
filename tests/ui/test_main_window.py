"""The real window, driven like a user would: open, move sliders, scrub, open bad files, cancel."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QThreadPool, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest

from diffviz.ui.main_window import MainWindow
from diffviz.views.frame import Frame
from diffviz.views.model_info import default_model_spec
from tests.helpers import ui_models as um
from tests.helpers.ui_helpers import differs, shown, wait_finished


def test_opens_on_the_default_model_and_shows_the_finished_run(window: MainWindow) -> None:
    state = window.state
    assert state.model is not None and state.model.spec == default_model_spec()
    traj = state.trajectory
    assert traj is not None and traj.complete and traj.num_particles == state.sampler_settings.num_particles
    assert window.grid.index == traj.num_steps  # the playhead followed the run to x_0
    x_view = window.grid.view("x_t")
    np.testing.assert_array_equal(shown(x_view)[0], Frame(traj, traj.num_steps).x)
    status = " ".join(label.text() for label in window.status_labels.values())
    assert "provider: " in status and "ms/step" in status and f"{traj.num_particles} particles" in status


@pytest.mark.slow
def test_moving_beta_max_changes_the_beta_plot_and_brings_a_new_trajectory(qtbot, window: MainWindow) -> None:
    panel = window.schedule_panel
    before = window.state.trajectory
    curve = panel.plots.user["beta"]
    assert math.isclose(curve.getOriginalDataset()[1].max(), 0.02, rel_tol=1e-9)
    with qtbot.waitSignal(window.state.runStarted, timeout=5000):
        panel.beta_end.slider.setValue(math.log10(0.04))  # what a drag to β_max = 0.04 does
    betas = curve.getOriginalDataset()[1]
    assert math.isclose(betas.max(), 0.04, rel_tol=1e-6) and math.isclose(betas.min(), 1e-4, rel_tol=1e-6)
    after = wait_finished(qtbot, window)
    assert after is not before
    assert math.isclose(after.params.schedule_config["beta_end"], 0.04, rel_tol=1e-6)
    assert not np.allclose(after.x[-1], before.x[-1])  # the same x_T, another schedule, another sample
    np.testing.assert_array_equal(after.x[0], before.x[0])


@pytest.mark.slow
def test_a_slider_drag_is_throttled_not_queued(qtbot, window: MainWindow) -> None:
    started: list[object] = []
    window.state.runStarted.connect(started.append)
    values = np.linspace(math.log10(0.021), math.log10(0.05), 40)
    for v in values:  # one burst, no event processing in between: a fast drag
        window.schedule_panel.beta_end.slider.setValue(float(v))
    wait_finished(qtbot, window)
    qtbot.wait(200)  # let any late trailing call land
    assert 1 <= len(started) <= 2  # the first move at once, then only the last value
    assert math.isclose(window.state.schedule_settings.beta_end, 10 ** values[-1], rel_tol=1e-6)
    assert math.isclose(window.state.trajectory.params.schedule_config["beta_end"], 10 ** values[-1], rel_tol=1e-6)


def test_an_invalid_schedule_is_explained_inline_and_not_sampled(qtbot, window: MainWindow) -> None:
    errors: list[tuple[str, str]] = []
    window.errorShown.connect(lambda *e: errors.append(e))
    before = window.state.trajectory
    panel = window.schedule_panel
    panel.beta_start.setValue(0.05)
    panel.beta_end.setValue(0.01)
    panel.apply()
    qtbot.wait(100)
    assert panel.message.isVisible() and "larger than beta_end" in panel.message.text()
    assert window.state.trajectory is before and errors == []


def test_scrubbing_changes_what_every_view_shows(qtbot, window: MainWindow) -> None:
    traj = window.state.trajectory
    frames = {}
    for step in (10, 60):
        window.timeline.slider.setValue(step)
        qtbot.waitUntil(lambda s=step: window.grid.index == s, timeout=2000)
        frames[step] = [shown(v) for v in window.grid.views]
        assert window.grid.view("eps_hat").particles.scatter is not None
        np.testing.assert_array_equal(shown(window.grid.view("eps_hat"))[0], Frame(traj, step).eps)
        np.testing.assert_array_equal(shown(window.grid.view("x0_hat"))[0], Frame(traj, step).x0)
    for view, a, b in zip(window.grid.views, frames[10], frames[60], strict=True):
        assert differs(a, b), f"view {view.key} did not change between steps 10 and 60"
    assert "step 60/" in window.timeline.readout.text()


@pytest.mark.slow
def test_a_corrupt_model_shows_an_error_and_keeps_the_previous_model(qtbot, window: MainWindow, tmp_path: Path) -> None:
    previous, run = window.state.model, window.state.trajectory
    bad = um.random_bytes_file(tmp_path / "broken.onnx")
    with qtbot.waitSignal(window.errorShown, timeout=5000) as blocker:
        assert not window.open_path(bad)
    title, message = blocker.args
    assert "broken.onnx" in message and "not an ONNX model" in message
    assert window.state.model is previous and window.state.trajectory is run
    # still usable: a change re-samples with the previous model
    after = wait_finished(qtbot, window, lambda: window.state.update_sampler(seed=7))
    assert after.params.model.name == previous.name


def test_a_model_breaking_the_contract_is_refused_by_name(qtbot, window: MainWindow, tmp_path: Path) -> None:
    previous = window.state.model
    with qtbot.waitSignal(window.errorShown, timeout=5000) as blocker:
        window.open_path(um.wrong_inputs_model(tmp_path / "named.onnx"))
    assert "'input', 'time'" in blocker.args[1] and "'x' and 't'" in blocker.args[1]
    assert window.state.model is previous


@pytest.mark.slow
def test_a_model_failing_during_sampling_reverts_to_the_previous_one(qtbot, window: MainWindow, tmp_path: Path) -> None:
    previous = window.state.model
    with qtbot.waitSignal(window.errorShown, timeout=30000) as blocker:
        assert window.open_path(um.late_inf_model(tmp_path / "late.onnx"))  # loads: the probe passes
    assert "NaN/Inf" in blocker.args[1] and previous.name in blocker.args[1]
    assert window.state.model is previous
    traj = wait_finished(qtbot, window)
    assert traj.params.model.name == previous.name


def test_cancel_during_a_run_leaves_no_thread_behind(qtbot, window: MainWindow) -> None:
    window.state.update_schedule(num_inference_steps=1000)
    traj = window.state.trajectory
    qtbot.waitUntil(lambda: traj.steps_done >= 3, timeout=10000)
    assert window.controller.running
    assert window.shutdown(wait_ms=10000)
    assert QThreadPool.globalInstance().activeThreadCount() == 0
    done = traj.steps_done
    assert done < traj.num_steps
    qtbot.wait(100)
    assert traj.steps_done == done  # nothing is still filling it


def test_a_new_setting_cancels_the_running_run(qtbot, window: MainWindow) -> None:
    window.state.update_schedule(num_inference_steps=1000)
    first = window.state.trajectory
    qtbot.waitUntil(lambda: first.steps_done >= 2, timeout=10000)
    second = wait_finished(qtbot, window, lambda: window.state.update_schedule(num_inference_steps=20))
    assert second.num_steps == 20
    assert first.steps_done < first.num_steps  # stopped, never finished


def test_save_and_open_a_run(qtbot, window: MainWindow, tmp_path: Path) -> None:
    saved = window.state.trajectory
    path = tmp_path / "run.npz"
    assert window.save_run(path)
    wait_finished(qtbot, window, lambda: window.state.update_sampler(seed=3, num_particles=100))
    assert window.open_path(path)
    loaded = window.state.trajectory
    np.testing.assert_array_equal(loaded.x, saved.x)
    assert window.state.sampler_settings.seed == saved.params.seed
    assert window.sampler_panel.num_particles.value() == saved.num_particles  # the panels mirror the run's settings
    assert not window.controller.running  # showing a saved run starts no sampling


def test_a_file_that_is_not_a_run_is_refused(qtbot, window: MainWindow, tmp_path: Path) -> None:
    bad = tmp_path / "notes.npz"
    bad.write_text("hello")
    with qtbot.waitSignal(window.errorShown, timeout=5000) as blocker:
        assert not window.open_path(bad)
    assert "notes.npz" in blocker.args[1] and "not a diffviz run" in blocker.args[1]


def test_drag_and_drop_opens_a_model(qtbot, window: MainWindow, tmp_path: Path) -> None:
    path = um.shrink_model(tmp_path / "dropped.onnx", name="dropped")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    traj = wait_finished(qtbot, window, lambda: window.dropEvent(event))
    assert window.state.model.name == "dropped" and traj.params.model.name == "dropped"
    assert "provider: CPU" in window.status_labels["provider"].text()


def test_keyboard_steps_and_plays(qtbot, window: MainWindow) -> None:
    window.state.set_step(50)
    QTest.keyClick(window, Qt.Key.Key_Right)
    assert window.state.step == 51
    QTest.keyClick(window, Qt.Key.Key_Left)
    QTest.keyClick(window, Qt.Key.Key_Left)
    assert window.state.step == 49
    QTest.keyClick(window, Qt.Key.Key_Space)
    assert window.timeline.playing
    qtbot.waitUntil(lambda: window.state.step > 52, timeout=5000)
    QTest.keyClick(window, Qt.Key.Key_Space)
    assert not window.timeline.playing


@pytest.mark.slow
def test_same_noise_keeps_each_particles_noise_when_the_count_changes(qtbot, window: MainWindow) -> None:
    def run(n: int, lock: bool) -> np.ndarray:
        if (window.state.sampler_settings.num_particles, window.state.sampler_settings.same_noise) != (n, lock):
            wait_finished(qtbot, window, lambda: window.state.update_sampler(num_particles=n, same_noise=lock))
        return window.state.trajectory.x.copy()

    locked_small, locked_big = run(300, True), run(600, True)
    np.testing.assert_allclose(locked_big[:, :300], locked_small, rtol=1e-5, atol=1e-5)
    free_small, free_big = run(300, False), run(600, False)
    np.testing.assert_array_equal(free_big[0, :300], free_small[0])  # x_T agrees either way
    assert not np.allclose(free_big[-1, :300], free_small[-1])  # but not the noise of later steps


def test_the_seed_is_frozen_while_the_noise_is_locked(window: MainWindow) -> None:
    panel = window.sampler_panel
    assert panel.seed.isEnabled()
    panel.same_noise.setChecked(True)
    panel.apply.flush()
    assert window.state.sampler_settings.same_noise and not panel.seed.isEnabled()


@pytest.mark.slow
def test_a_run_too_large_to_record_is_refused_with_its_size(qtbot, window: MainWindow) -> None:
    previous = window.state.trajectory
    with qtbot.waitSignal(window.errorShown, timeout=5000) as blocker:
        window.state.update_schedule(num_inference_steps=1000)
        window.state.update_sampler(num_particles=200_000)
    assert "200000 particles × 1000 steps" in blocker.args[1] and "GiB" in blocker.args[1]
    assert not window.controller.running
    traj = wait_finished(qtbot, window, lambda: window.state.update_sampler(num_particles=500))  # and it recovers
    assert traj.num_particles == 500 and previous is not traj
