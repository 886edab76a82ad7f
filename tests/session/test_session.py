"""The session without Qt: one event per real change, one for a batch, and no Qt module loaded."""

from __future__ import annotations

import subprocess
import sys

import pytest

from diffviz.core import SAMPLERS
from diffviz.session import SamplerSettings, ScheduleSettings, Session, SettingsError, ViewSettings
from diffviz.session.settings import Playback


def test_importing_the_session_loads_no_qt() -> None:
    code = (
        "import diffviz.session, diffviz.session.scene, diffviz.session.request, sys\n"
        "print(','.join(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'pyqtgraph', 'superqt', 'shiboken6', 'onnxruntime', 'torch')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_a_field_emits_its_new_value_only_on_a_real_change() -> None:
    session = Session()
    seen: list[ScheduleSettings] = []
    session.events.schedule.connect(seen.append)
    session.update_schedule(beta_end=session.schedule.beta_end)
    assert seen == []
    session.update_schedule(beta_end=0.03)
    assert [s.beta_end for s in seen] == [0.03]


def test_a_batch_emits_each_changed_field_once_and_one_change_for_all() -> None:
    session = Session()
    changes: list[frozenset[str]] = []
    schedules: list[float] = []
    session.changed.connect(changes.append)
    session.events.schedule.connect(lambda s: schedules.append(s.beta_end))
    with session.batch():
        session.update_schedule(beta_end=0.03)
        session.update_schedule(beta_end=0.04)
        session.update_sampler(name="ddim", eta=0.5)
        session.caption = "DDIM, η = 0.5"
        assert changes == [] and schedules == []  # nothing leaves the batch before it ends
    assert changes == [frozenset({"schedule", "sampler", "caption"})]
    assert schedules == [0.04]  # the last value, once
    session.update_playback(step=3)
    assert changes[-1] == frozenset({"playback"})


def test_nested_batches_emit_once_at_the_outer_end() -> None:
    session = Session()
    changes: list[frozenset[str]] = []
    session.changed.connect(changes.append)
    with session.batch():
        with session.batch():
            session.update_view(trails=False)
        assert changes == []
        session.update_sampler(seed=4)
    assert changes == [frozenset({"view", "sampler"})]


def test_sampler_options_are_one_value_per_name_and_the_active_ones_are_the_samplers() -> None:
    s = SamplerSettings("ddim", {"eta": 0.7, "variance_type": "fixed_large"})
    assert s.active_options() == {o.name: s.options[o.name] for o in SAMPLERS["ddim"].options}
    assert s.active_options()["eta"] == 0.7 and "variance_type" not in s.active_options()
    switched = SamplerSettings("pc", s.options)
    assert switched.active_options()["variance_type"] == "fixed_large"  # what the user chose carries over
    with pytest.raises(SettingsError, match="no sampler takes"):
        s.with_options(temperature=2.0)


@pytest.mark.parametrize(
    "settings, words",
    [
        (ScheduleSettings(num_train_timesteps=10**9), ["schedule.num_train_timesteps", "1000000000"]),
        (ScheduleSettings(beta_start=0.5, beta_end=0.1), ["beta_start"]),
        (ScheduleSettings(timestep_spacing="random"), ["schedule.timestep_spacing", "'random'"]),
        (SamplerSettings(seed=2**40), ["sampler.seed", str(2**40)]),
        (SamplerSettings(num_particles=10**12), ["sampler.num_particles"]),
        (SamplerSettings("ddim", {"eta": float("nan")}), ["sampler.options.eta", "nan"]),
        (ViewSettings(panels=("x_t", "sparkles")), ["view.panels", "sparkles"]),
        (ViewSettings(camera=(1.0, -1.0, 0.0, 1.0)), ["view.camera"]),
        (Playback(speed=7), ["playback.speed", "7"]),
    ],
)
def test_invalid_settings_are_refused_naming_the_field_and_value(settings: object, words: list[str]) -> None:
    with pytest.raises(SettingsError) as info:
        settings.validate()  # type: ignore[attr-defined]
    for word in words:
        assert word in str(info.value)
