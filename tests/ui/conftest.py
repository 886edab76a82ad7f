"""The real window on the real default model, with settings in a temporary file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from diffviz.ui.settings_store import SettingsStore
from diffviz.views.model_info import default_model_spec
from tests.helpers.ui_helpers import make_window, wait_finished


@pytest.fixture
def store(tmp_path: Path) -> SettingsStore:
    return SettingsStore(tmp_path / "diffviz.ini")


@pytest.fixture
def window(qtbot, store: SettingsStore):  # type: ignore[no-untyped-def]
    """The window, opened on the default model, after its first run has finished."""
    w = make_window(qtbot, store)
    wait_finished(qtbot, w, lambda: w.open_model(default_model_spec()))
    yield w
    assert w.shutdown(), "a sampling thread was still running"
    assert QThreadPool.globalInstance().activeThreadCount() == 0
