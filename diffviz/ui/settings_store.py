"""Persistence of the window layout, the last settings and the recent files (QSettings, INI format).

Where: ``DIFFVIZ_SETTINGS`` (a file path) or the ``path`` argument, else the user's diffviz settings file. A store
that cannot be parsed is moved aside to ``<file>.corrupt`` and the app starts from defaults; a value of the wrong
type or out of range is ignored, one by one. Nothing here can stop the app from starting.

QSettings reads almost any bytes without an error (random bytes become keys, an unclosed quote swallows the rest of
the file), so a store is also judged by reading it: it must be UTF-8 text of INI lines, and the JSON values this
module writes must parse. A location the settings cannot be written to (a read-only disk or folder) is reported,
in ``notice`` at start and by :meth:`SettingsStore.sync`, never silently ignored.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from diffviz.core.atomic import not_regular
from diffviz.session import SamplerSettings, ScheduleSettings, ViewSettings
from diffviz.session.scene import lenient, settings_to_dict

ENV_VAR = "DIFFVIZ_SETTINGS"
MAX_RECENT = 10
JSON_KEYS = ("settings", "recent")  # the values this module writes as JSON text


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


MAX_STORE_BYTES = 1 << 20  # the store this module writes is a few kB; anything far larger is not one


def _not_a_file(path: Path) -> str:
    """Why ``path`` cannot be a settings file (a folder, a pipe, a device, a link to one), or ""."""
    try:
        st = path.stat()  # follows a link to a regular file (that is fine)
    except OSError:
        return ""  # nothing there (or its folder is missing or a file): the write probe reports what applies
    kind = not_regular(st.st_mode)
    return f"it is {kind}" if kind else ""


class SettingsStore:
    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        path = path or os.environ.get(ENV_VAR) or None
        fmt = QSettings.Format.IniFormat
        self.notice = ""
        self.save_error = ""  # why the last sync() could not write the settings, or ""
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        problem = _not_a_file(Path(path)) if path is not None else ""
        if problem:  # never opened (a pipe would block, a device never ends) and never moved aside
            self._scratch = tempfile.TemporaryDirectory(prefix="diffviz-settings-")
            self.qs = QSettings(str(Path(self._scratch.name) / "diffviz.ini"), fmt)
            self.notice = f"The settings location {path} cannot be used ({problem}); settings will not be kept."
            return
        if path is None:
            self.qs = QSettings(fmt, QSettings.Scope.UserScope, "diffviz", "diffviz")
        else:
            self.qs = QSettings(str(path), fmt)
        if self.qs.status() != QSettings.Status.NoError or self._garbled():
            self._move_aside()
        unwritable = self._write_problem()
        if unwritable:
            self.notice = " ".join(filter(None, [self.notice, f"Settings will not be saved: {unwritable}."]))

    @property
    def path(self) -> str:
        return self.qs.fileName()

    def _garbled(self) -> bool:
        """Whether the file, which QSettings read without complaint, is not a store: not UTF-8 text, control
        characters, a line that is neither a [section], a comment nor a key=value, or a JSON value that does not
        parse."""
        try:
            with open(self.qs.fileName(), "rb") as f:
                data = f.read(MAX_STORE_BYTES + 1)
            if len(data) > MAX_STORE_BYTES:
                return True
            text = data.decode("utf-8")
        except FileNotFoundError:
            return False
        except UnicodeDecodeError:
            return True
        except OSError:
            return False  # unreadable: QSettings's status says so
        continued = False
        for line in text.splitlines():
            stripped = line.strip()
            if any(c < " " and c != "\t" for c in stripped):
                return True
            section = stripped.startswith("[") and stripped.endswith("]")
            if not (continued or not stripped or stripped[0] in ";#" or "=" in stripped or section):
                return True
            continued = stripped.endswith("\\")
        for key in JSON_KEYS:
            raw = self.qs.value(key)
            if raw is None:
                continue
            if not isinstance(raw, str):
                return True
            try:
                json.loads(raw)
            except (ValueError, RecursionError):
                return True
        return False

    def _write_problem(self) -> str:
        """Why the settings file cannot be written here, or "": a probe that makes and drops a temporary file in
        its folder (or, before that folder exists, in the nearest one that does)."""
        path = Path(self.qs.fileName())
        existing = path.parent
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            return f"cannot write {path}: {existing} is a file, not a folder"
        if path.exists() and not os.access(path, os.W_OK):
            return f"cannot write {path}: it is read-only"
        try:
            with tempfile.TemporaryFile(dir=existing):
                pass
        except OSError as exc:
            return f"cannot write {path}: {exc.strerror or exc}"
        return ""

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
        except (ValueError, RecursionError):
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

    def sync(self) -> str:
        """Write the settings to disk; returns "" or why they could not be written (also kept in ``save_error``)."""
        self.qs.sync()
        self.save_error = ""
        if self.qs.status() != QSettings.Status.NoError:
            reason = self._write_problem() or f"cannot write {self.path} (Qt: {self.qs.status().name})"
            self.save_error = f"The settings were not saved: {reason}"
        return self.save_error
