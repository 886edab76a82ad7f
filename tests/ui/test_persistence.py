"""Window layout, last settings and recent files persist in an isolated settings file; a corrupt one is ignored."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from diffviz.session import SamplerSettings, ScheduleSettings, ViewSettings
from diffviz.ui.main_window import MainWindow
from diffviz.ui.settings_store import SettingsStore
from tests.helpers import ui_models as um
from tests.helpers.ui_helpers import make_window, wait_finished


def test_the_store_round_trips_settings_and_recent_files(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "s.ini")
    sched, sampler, view = (
        ScheduleSettings(beta_end=0.03),
        SamplerSettings("pc", {"target_snr": 0.3}, seed=9),
        ViewSettings(trails=False),
    )
    store.save_settings("moons", sched, sampler, view)
    for p in ("a.onnx", "b.onnx", "a.onnx"):
        store.add_recent(p)
    store.sync()
    again = SettingsStore(tmp_path / "s.ini")
    assert again.load_settings() == ("moons", sched, sampler, view)
    assert again.recent_files() == ["a.onnx", "b.onnx"]
    assert again.notice == ""


def test_a_corrupt_store_is_moved_aside_and_defaults_are_used(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    path.write_bytes(b"[General\n\x00\xff garbage = = =\n")
    store = SettingsStore(path)
    assert "could not be read" in store.notice and (tmp_path / "s.ini.corrupt").exists()
    assert store.load_settings() == (None, None, SamplerSettings(), ViewSettings())
    store.save_settings(None, ScheduleSettings(), SamplerSettings(seed=5), ViewSettings())
    store.sync()
    assert SettingsStore(path).load_settings()[2].seed == 5  # and the fresh store works


def test_values_of_the_wrong_type_are_ignored_one_by_one(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "s.ini")
    store.qs.setValue(
        "settings",
        '{"sampler": {"seed": "x", "name": "ddim", "options": {"eta": 7, "clip_sample": true}},'
        ' "schedule": 7, "view": []}',
    )
    store.qs.setValue("recent", "not json [")
    store.qs.setValue("geometry", "not bytes")
    assert store.load_settings() == (None, None, SamplerSettings("ddim", {"clip_sample": True}), ViewSettings())
    assert store.recent_files() == [] and store.bytes("geometry") is None


def test_a_store_from_before_the_session_keeps_its_settings(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "s.ini")
    store.qs.setValue(
        "settings",
        '{"model": "moons", "schedule": {"num_train_steps": 500, "num_steps": 20, '
        '"spacing": "leading"}, "sampler": {"kind": "pc", "n": 300, "snr": 0.3}}',
    )
    model, schedule, sampler, _ = store.load_settings()
    assert schedule is not None and (schedule.num_train_timesteps, schedule.num_inference_steps) == (500, 20)
    assert schedule.timestep_spacing == "leading" and model == "moons"
    assert (sampler.name, sampler.num_particles, sampler.options["target_snr"]) == ("pc", 300, 0.3)


def test_the_env_var_picks_the_settings_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DIFFVIZ_SETTINGS", str(tmp_path / "from_env.ini"))
    assert SettingsStore().path == str(tmp_path / "from_env.ini")


def test_the_window_restores_settings_layout_and_recent_files(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = SettingsStore(tmp_path / "s.ini")
    model = um.shrink_model(tmp_path / "shrink.onnx")
    first = make_window(qtbot, store)
    wait_finished(qtbot, first, lambda: first.open_model(model))
    wait_finished(qtbot, first, lambda: first.state.update_sampler(seed=42, name="ddim", eta=0.5))
    first.state.update_schedule(beta_end=0.025)
    first.state.update_view(trails=False)
    sampler_dock = first.findChild(QDockWidget, "sampler_dock")
    first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, sampler_dock)  # the user moved a panel
    first.close()  # saves

    second = MainWindow(SettingsStore(tmp_path / "s.ini"))
    qtbot.addWidget(second)
    assert second.dockWidgetArea(second.findChild(QDockWidget, "sampler_dock")) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert second.state.sampler_settings.seed == 42 and second.state.sampler_settings.name == "ddim"
    assert second.sampler_panel.seed.value() == 42 and not second.timeline.trails.isChecked()
    recent = [a.toolTip() for a in second.menus.recent_menu.actions()]
    assert recent == [str(model.resolve())]
    wait_finished(qtbot, second, lambda: second.menus.recent_menu.actions()[0].trigger())
    assert second.state.schedule_settings.beta_end == 0.025  # the last schedule of this very model
    second.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    "junk",
    [
        b"[General\n\x00\xff garbage = = =\n",
        np.random.default_rng(0).bytes(3000),
        b'[General]\nsettings="{unclosed\ngeometry=12\nwindow_state=@Invalid()\n',
    ],
)
def test_a_corrupt_store_does_not_stop_the_window(qtbot, tmp_path: Path, junk: bytes) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.ini"
    path.write_bytes(junk)
    window = make_window(qtbot, SettingsStore(path))
    assert window.state.sampler_settings == SamplerSettings() and window.state.view_settings == ViewSettings()
    wait_finished(qtbot, window, lambda: window.open_model("analytic:8gaussians"))
    window.state.update_sampler(seed=8)
    window.close()
    assert SettingsStore(path).load_settings()[2].seed == 8  # and from now on it persists


@pytest.mark.parametrize(
    "junk",
    [
        np.random.default_rng(0).bytes(3000),  # QSettings reads it without an error: random bytes become keys
        bytes(range(1, 256)) * 4,
        b'[General]\nsettings="{unclosed\ngeometry=12\n',  # the quote swallows the rest: settings is not JSON
        b'[General]\nsettings={\\"model\\": 1\n',  # settings is not JSON
        "[General]\nrecent=caf\xe9\n".encode("latin-1"),  # not UTF-8
        b"this is not an INI file\nat all\n",
    ],
    ids=["random", "every byte", "unclosed quote", "bad JSON", "latin-1", "prose"],
)
def test_garbage_that_qsettings_reads_without_an_error_is_moved_aside(tmp_path: Path, junk: bytes) -> None:
    path = tmp_path / "s.ini"
    path.write_bytes(junk)
    store = SettingsStore(path)
    assert "could not be read" in store.notice and (tmp_path / "s.ini.corrupt").read_bytes() == junk
    assert store.load_settings() == (None, None, SamplerSettings(), ViewSettings()) and store.recent_files() == []


def test_a_store_written_with_every_byte_and_non_ascii_paths_is_not_taken_for_garbage(tmp_path: Path) -> None:
    from PySide6.QtCore import QByteArray

    store = SettingsStore(tmp_path / "s.ini")
    store.set_bytes("geometry", QByteArray(bytes(range(256)) * 3))
    store.save_settings("/tmp/mödel ünïcode.onnx", ScheduleSettings(), SamplerSettings(seed=3), ViewSettings())
    store.add_recent("/tmp/dätä, with = signs; and [brackets].npz")
    assert store.sync() == ""
    again = SettingsStore(tmp_path / "s.ini")
    assert again.notice == "" and not (tmp_path / "s.ini.corrupt").exists()
    assert again.load_settings()[0] == "/tmp/mödel ünïcode.onnx" and again.load_settings()[2].seed == 3
    assert again.recent_files() == ["/tmp/dätä, with = signs; and [brackets].npz"]
    geometry = again.bytes("geometry")
    assert geometry is not None and geometry.data() == bytes(range(256)) * 3


def _unwritable_locations(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A settings path whose folder is a regular file (root can write anywhere else but there)."""
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file")
    return blocker / "diffviz" / "s.ini"


def _assert_reports_unsaved(qtbot, store: SettingsStore, reason: str) -> None:  # type: ignore[no-untyped-def]
    assert "will not be saved" in store.notice and reason in store.notice  # said at start, in the status bar
    window = make_window(qtbot, store)
    window.state.update_sampler(seed=11)
    problem = window.save_settings()
    assert "not saved" in problem and reason in problem and store.save_error == problem
    assert window.statusBar().currentMessage() == problem
    assert not Path(store.path).exists()


def test_a_settings_folder_that_is_a_file_is_reported_not_silently_ignored(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = SettingsStore(_unwritable_locations(tmp_path))
    _assert_reports_unsaved(qtbot, store, "is a file, not a folder")


def test_a_read_only_settings_location_is_reported_not_silently_ignored(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.ui.tmpfs import tmpfs

    written = tmp_path / "ro" / "s.ini"
    with tmpfs(tmp_path / "ro", "ro,size=64k"):
        store = SettingsStore(written)
        _assert_reports_unsaved(qtbot, store, "Read-only file system")
        store.save_settings(None, ScheduleSettings(), SamplerSettings(seed=12), ViewSettings())
        assert "Read-only file system" in store.sync()


def test_a_writable_store_reports_nothing(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = SettingsStore(tmp_path / "new" / "folder" / "s.ini")  # folders made on the first save
    assert store.notice == ""
    window = make_window(qtbot, store)
    assert window.save_settings() == "" and store.save_error == ""
    assert (tmp_path / "new" / "folder" / "s.ini").is_file()


@pytest.mark.slow
def test_the_app_prints_a_failed_save_when_its_window_closes(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    code = (
        "import sys\nfrom PySide6.QtCore import QTimer\nfrom PySide6.QtWidgets import QApplication\n"
        "from diffviz.ui import app\napp.application()\n"
        "QTimer.singleShot(1500, QApplication.closeAllWindows)\n"
        "sys.exit(app.run_window('analytic:8gaussians'))\n"
    )
    settings = _unwritable_locations(tmp_path)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DIFFVIZ_SETTINGS=str(settings))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "diffviz: The settings were not saved" in result.stderr and "is a file, not a folder" in result.stderr
