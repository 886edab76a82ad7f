"""The window under awkward inputs: a slow model load stays live and can be cancelled, a short model does not cut
the steps of later ones, a run from the command line with values beyond the window's limits opens, and an export
asks before replacing a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from diffviz.cli import main
from diffviz.runtime import bundled_models
from diffviz.session.settings import MAX_PARTICLES, MAX_SEED
from diffviz.ui import export_dialog
from diffviz.ui.main_window import MainWindow
from tests.helpers import ui_models as um
from tests.helpers.ui_helpers import wait_finished


def test_a_slow_model_load_keeps_the_window_live(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    heavy = um.heavy_model(tmp_path / "heavy.onnx")
    ticks = []
    timer = QTimer(interval=0)
    timer.timeout.connect(lambda: ticks.append(1))
    seen_busy = []
    window.busy.started.connect(lambda label: seen_busy.append(label))
    timer.start()
    try:
        assert window.open_model(heavy)
    finally:
        timer.stop()
        window.controller.cancel(wait_ms=30_000)  # its run is slow (the weights cost time); not waited for
    assert seen_busy == ["loading heavy.onnx"] and ticks  # the event loop ran while the model loaded
    assert window.state.model is not None and window.state.model.name == "heavy"
    assert not window.busy.bar.isVisible() and not window.busy.running


def test_cancelling_a_load_keeps_the_current_model(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = window.state.model
    window.busy.started.connect(window.busy.cancel)  # the user presses Cancel (or Esc) as soon as it starts
    assert window.open_model(um.shrink_model(tmp_path / "other.onnx", name="other")) is False
    assert window.state.model is before and window.last_error is None
    assert "cancelled" in window.statusBar().currentMessage()
    window.busy.started.disconnect(window.busy.cancel)
    assert window.open_model(um.shrink_model(tmp_path / "other.onnx", name="other")) is True  # nothing stuck


def test_a_short_model_does_not_cut_the_steps_of_later_models(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    steps = window.state.num_steps
    assert steps > 4
    short = um.shrink_model(
        tmp_path / "short.onnx", name="short", metadata={"diffviz.num_train_timesteps": "3", "diffviz.beta_end": "0.5"}
    )
    run = wait_finished(qtbot, window, lambda: window.open_model(short))
    assert run.num_steps == 3
    window.schedule_panel.beta_end.setValue(0.6)  # a slider touched while the step count sits at its cap
    wait_finished(qtbot, window)
    run = wait_finished(qtbot, window, lambda: window.open_model(um.shrink_model(tmp_path / "long.onnx")))
    assert run.num_steps == steps and window.schedule_panel.steps.value() == steps


def test_a_run_beyond_the_window_limits_opens_with_a_notice(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_path = tmp_path / "big_seed.npz"
    seed = 2**40
    assert seed > MAX_SEED
    args = ["sample", "analytic:8gaussians", "-o", str(run_path), "--n", str(MAX_PARTICLES + 1)]
    assert main([*args, "--num-train-timesteps", "3", "--seed", str(seed)]) == 0
    before = window.state.sampler_settings
    assert window.open_path(run_path)
    assert window.state.trajectory is not None and window.state.trajectory.num_particles == MAX_PARTICLES + 1
    kept = window.state.sampler_settings
    assert (kept.seed, kept.num_particles) == (before.seed, before.num_particles)
    assert window.sampler_panel.seed.value() == before.seed
    message = window.statusBar().currentMessage()
    assert "seed" in message and "num_particles" in message
    run = wait_finished(qtbot, window, lambda: window.sampler_panel.seed.setValue(7))  # re-sampling still works
    assert run.params.seed == 7


def test_export_asks_before_replacing_a_typed_path(qtbot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "talk.mp4"
    out.write_bytes(b"last week's video")
    asked: list[str] = []
    answer = False
    monkeypatch.setattr(export_dialog, "confirm_replace", lambda parent, path: asked.append(path) or answer)
    dialog = window.export_video()
    assert dialog is not None
    dialog.output.setText(str(out))
    dialog.start_export()
    assert asked == [str(out)] and dialog.process is None
    assert "kept" in dialog.status.text() and out.read_bytes() == b"last week's video"
    answer = True
    dialog.start_export()
    assert len(asked) == 2 and dialog.process is not None and "--force" in dialog.process.arguments()
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000):
        dialog.cancel()
    dialog.close()


def test_a_settings_location_that_is_not_a_file_is_never_opened_or_moved(tmp_path: Path) -> None:
    """A pipe would block the app at start, /dev/zero never ends, a folder must not be renamed: each is left alone,
    said in the notice, and the app starts on defaults with settings kept in a private scratch file."""
    import os

    from diffviz.ui.settings_store import SettingsStore

    pipe, zero, folder = tmp_path / "pipe.ini", tmp_path / "zero.ini", tmp_path / "folder.ini"
    os.mkfifo(pipe)
    zero.symlink_to("/dev/zero")
    folder.mkdir()
    for path in (pipe, zero, folder):
        before = os.lstat(path)
        store = SettingsStore(path)
        assert "cannot be used" in store.notice and str(path) in store.notice
        _, schedule, sampler, view = store.load_settings()
        assert schedule is None and sampler.validate() is None and view.validate() is None
        store.add_recent("x.onnx")  # writes go to the scratch file
        assert store.sync() == ""
        after = os.lstat(path)
        assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.ini", "pipe.ini", "zero.ini"]


def test_a_notice_is_shown_once_not_on_every_model_load(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The CUDA provider's notice comes with every model it loads; a lecturer should read it once."""
    window.statusBar().clearMessage()
    window.show_notices(["the CUDA execution provider does not start here", "model A has a fixed batch"])
    first = window.statusBar().currentMessage()
    assert "CUDA" in first and "model A" in first
    window.statusBar().clearMessage()
    window.show_notices(["the CUDA execution provider does not start here", "model B has a fixed batch"])
    assert window.statusBar().currentMessage() == "model B has a fixed batch"


def test_playback_keys_work_again_after_a_number_is_entered(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    box = window.sampler_panel.seed
    box.setFocus()
    qtbot.waitUntil(box.hasFocus)
    box.selectAll()
    QTest.keyClicks(box, "7")
    run = wait_finished(qtbot, window, lambda: QTest.keyClick(box, Qt.Key.Key_Return))
    assert run.params.seed == 7 and not box.hasFocus()
    window.state.set_step(10)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)  # what the keyboard now reaches
    assert window.state.step == 11


def test_a_saved_window_run_has_the_whole_score_field(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The window evaluates the field only for the steps it draws; a saved run still holds every step's field."""
    import numpy as np

    from diffviz.core import Trajectory

    run = window.state.trajectory
    assert run is not None and run.field_eps is not None
    drawn = ~np.isnan(run.field_eps).any(axis=(1, 2))
    assert drawn.any() and not drawn.all()  # lazy: only what was shown
    assert window.save_run(tmp_path / "run.npz")
    saved = Trajectory.load(tmp_path / "run.npz")
    assert saved.field_eps is not None and np.isfinite(saved.field_eps).all()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(bundled_models()))
def test_beta_max_at_its_end_never_stops_the_demo(qtbot, window: MainWindow, name: str) -> None:  # type: ignore[no-untyped-def]
    """The β_max slider dragged to its right end, on every bundled model: never an error box. Where that schedule
    underflows (ᾱ_T below the smallest double) the panel says so inline and the last run stays on screen; a cosine
    model's β_max is not used (the slider is off)."""
    import math

    wait_finished(qtbot, window, lambda: window.open_model(name))
    panel, before = window.schedule_panel, window.state.trajectory
    slider = panel.beta_end
    slider.slider.setValue(math.log10(slider.maximum))  # as a drag does: the slider emits
    state = window.state
    qtbot.waitUntil(lambda: panel.message.isVisible() or not slider.isEnabled() or state.trajectory is not before)
    qtbot.wait(200)
    assert window.last_error is None
    if slider.isEnabled():
        assert panel.message.isVisible() and "underflows" in panel.message.text()
        assert window.state.trajectory is before and before is not None and before.complete


def test_a_schedule_beyond_the_trained_noise_range_is_said_not_refused(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Cosine on a linear-trained model reaches ᾱ below its trained ᾱ_T: the run samples, the panel says how."""
    panel = window.schedule_panel
    run = wait_finished(qtbot, window, lambda: panel.name.setCurrentIndex(panel.name.findData("squaredcos_cap_v2")))
    assert run.clamped.any() and window.last_error is None
    assert panel.notice.isVisible() and f"{int(run.clamped.sum())} of {run.num_steps} steps" in panel.notice.text()
