"""Layering and static checks (style.md, napari's pattern).

The import rules (layers, a Qt-free session, onnxruntime only in runtime, a numpy-only core) are import-linter
contracts in pyproject.toml; this file runs them, checks what `import diffviz` really loads, and runs mypy and
ruff over the package.
"""

import subprocess
import sys
from pathlib import Path

import pytest

import diffviz

ROOT = Path(diffviz.__file__).parent.parent
HEAVY = ("PySide6", "pyqtgraph", "superqt", "onnxruntime", "torch", "shiboken6")


def console_script(name: str) -> str:
    """The console script beside this interpreter, so the check does not depend on PATH."""
    script = Path(sys.executable).with_name(name)
    return str(script) if script.exists() else name


@pytest.mark.parametrize(
    "statement",
    [
        "import diffviz",
        "import diffviz.core",
        "import diffviz.zoo",
        "import diffviz.cli; diffviz.cli.build_parser('sample')",
    ],
)
def test_importing_loads_no_qt_onnxruntime_or_torch(statement: str) -> None:
    code = f"{statement}\nimport sys\nprint(','.join(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_import_linter_contracts_hold() -> None:
    result = subprocess.run([console_script("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_is_clean_on_the_whole_package() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_ruff_check_is_clean() -> None:
    paths = ["diffviz", "tests", "benchmarks", "models"]
    result = subprocess.run([console_script("ruff"), "check", *paths], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
