"""Persistence of the window layout, the last settings and the recent files (QSettings, INI format).

Where: ``DIFFVIZ_SETTINGS`` (a file path) or the ``path`` argument, else the user's diffviz settings file. A store
that cannot be parsed is moved aside to ``<file>.corrupt`` and the app starts from defaults; a value of the wrong
type or out of range is ignored, one by one. Nothing here can stop the app from starting.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from diffviz.session import SamplerSettings, ScheduleSettings, ViewSettings
from diffviz.session.scene import lenient, settings_to_dict

ENV_VAR = "DIFFVIZ_SETTINGS"
MAX_RECENT = 10


# names of settings before the session (kept so an older store's settings carry over)
_RENAMED = {
    "schedule": {
        "num_train_steps": "num_train_timesteps",
        "num_steps": "num_inference_steps",
        "spacing": "timestep_spacing",
    },
    "sampler": {"kind": "name", "n": "num_particles"},
}


def _migrate(data: dict[str, Any]) -> dict[str, Any]:
    for section, renames in _RENAMED.items():
        table = data.get(section)
        if isinstance(table, dict):
            for old, new in renames.items():
                if old in table and new not in table:
                    table[new] = table.pop(old)
            if section == "sampler":  # options were flat fields; the PC's `snr` is `target_snr` now
                options = table.setdefault("options", {}) if isinstance(table.get("options", {}), dict) else {}
                for key in ("variance_type", "clip_sample", "eta"):
                    if key in table:
                        options.setdefault(key, table.pop(key))
                if "snr" in table:
                    options.setdefault("target_snr", table.pop("snr"))
    return data


class SettingsStore:
    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        path = path or os.environ.get(ENV_VAR) or None
        fmt = QSettings.Format.IniFormat
        if path is None:
            self.qs = QSettings(fmt, QSettings.Scope.UserScope, "diffviz", "diffviz")
        else:
            self.qs = QSettings(str(path), fmt)
        self.notice = ""
        if self.qs.status() != QSettings.Status.NoError:
            self._move_aside()

    @property
    def path(self) -> str:
        return self.qs.fileName()

    def _move_aside(self) -> None:
        bad = Path(self.qs.fileName())
        aside = bad.with_name(bad.name + ".corrupt")
        try:
            os.replace(bad, aside)
            self.notice = f"The settings file {bad} could not be read; moved it to {aside.name} and started afresh."
        except OSError as exc:
            self.notice = f"The settings file {bad} could not be read ({exc}); using defaults."
        self.qs = QSettings(str(bad), QSettings.Format.IniFormat)

    # ---- typed access ---------------------------------------------------------------------------------------
    def _json(self, key: str) -> Any:
        raw = self.qs.value(key)
        if not isinstance(raw, str):
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def bytes(self, key: str) -> QByteArray | None:
        raw = self.qs.value(key)
        return raw if isinstance(raw, QByteArray) and not raw.isEmpty() else None

    def load_settings(self) -> tuple[str | None, ScheduleSettings | None, SamplerSettings, ViewSettings]:
        """(model spec the schedule belongs to, schedule or None, sampler, view)."""
        data = self._json("settings")
        if not isinstance(data, dict):
            return None, None, SamplerSettings(), ViewSettings()
        data = _migrate(data)
        model = data.get("model") if isinstance(data.get("model"), str) else None
        schedule = lenient(ScheduleSettings, data["schedule"]) if isinstance(data.get("schedule"), dict) else None
        return model, schedule, lenient(SamplerSettings, data.get("sampler")), lenient(ViewSettings, data.get("view"))

    def save_settings(
        self, model: str | None, schedule: ScheduleSettings, sampler: SamplerSettings, view: ViewSettings
    ) -> None:
        data = dict(
            model=model,
            schedule=settings_to_dict(schedule),
            sampler=settings_to_dict(sampler),
            view=settings_to_dict(view),
        )
        self.qs.setValue("settings", json.dumps(data))

    def recent_files(self) -> list[str]:
        data = self._json("recent")
        return [p for p in data if isinstance(p, str)][:MAX_RECENT] if isinstance(data, list) else []

    def add_recent(self, path: str) -> list[str]:
        files = [path, *(p for p in self.recent_files() if p != path)][:MAX_RECENT]
        self.qs.setValue("recent", json.dumps(files))
        return files

    def set_bytes(self, key: str, value: QByteArray) -> None:
        self.qs.setValue(key, value)

    def sync(self) -> None:
        self.qs.sync()
