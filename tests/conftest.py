"""Shared test set-up: Qt runs offscreen (set before anything imports Qt), and the app's settings live in a
temporary file, never in the user's real settings."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Any QSettings-backed store a test (or a subprocess it starts) opens goes to a fresh temporary file."""
    monkeypatch.setenv("DIFFVIZ_SETTINGS", str(tmp_path_factory.mktemp("settings") / "diffviz.ini"))
