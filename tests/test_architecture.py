"""Layering checks (style.md, napari's pattern): core is numpy-only, `import diffviz` loads no Qt/ORT/torch."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import diffviz

PACKAGE = Path(diffviz.__file__).parent
HEAVY = ("PySide6", "pyqtgraph", "superqt", "onnxruntime", "torch", "shiboken6")
CORE_ALLOWED = {"numpy", "__future__", "collections", "dataclasses", "typing", "math", "json", "os", "tempfile",
                "pathlib", "hashlib", "threading", "functools", "itertools", "secrets", "contextlib"}


def top_level_imports(path: Path) -> set[str]:
    """Every absolute module imported anywhere in a file (also inside functions)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_only_numpy_and_the_standard_library() -> None:
    offenders = {p.name: top_level_imports(p) - CORE_ALLOWED for p in (PACKAGE / "core").glob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_import_scan_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from PySide6 import QtCore\n    import torch.nn\n")
    assert top_level_imports(bad) - CORE_ALLOWED == {"PySide6", "torch"}


@pytest.mark.parametrize("statement", ["import diffviz", "import diffviz.core", "import diffviz.zoo",
                                       "import diffviz.cli; diffviz.cli.build_parser('sample')"])
def test_importing_loads_no_qt_onnxruntime_or_torch(statement: str) -> None:
    code = f"{statement}\nimport sys\nprint(','.join(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_import_linter_contracts_hold() -> None:
    root = PACKAGE.parent
    # the console script beside this interpreter, so the check does not depend on PATH
    script = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(script) if script.exists() else "lint-imports"], cwd=root, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean_on_core_and_runtime() -> None:
    root = PACKAGE.parent
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
