"""The app's plain-data modules stay Qt-free (napari's rule: the model never imports the view)."""

from __future__ import annotations

import subprocess
import sys

import pytest

QT_FREE = (
    "diffviz.views.model_info",
    "diffviz.ui.readouts",
    "diffviz.export.timing",
    "diffviz.export.caption",
    "diffviz.export.encode",
    "diffviz.commands.render",  # the command's parser: Qt only once it renders
)


@pytest.mark.parametrize("module", QT_FREE)
def test_plain_modules_of_the_app_do_not_load_qt(module: str) -> None:
    code = (
        f"import {module}, sys\n"
        "print(','.join(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'superqt')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
