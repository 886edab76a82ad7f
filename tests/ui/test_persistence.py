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
