"""Whole-or-nothing writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from diffviz.core.atomic import OutputPathError, atomic_write, atomic_write_many, check_writable


def test_files_are_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "m.onnx"
    target.write_bytes(b"old")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_a_failed_group_write_touches_nothing(tmp_path: Path) -> None:
    first = tmp_path / "m.onnx"
    first.write_bytes(b"old")
    with pytest.raises(OSError):
        atomic_write_many({first: b"new", tmp_path / "missing" / "m.loss.csv": "step,loss\n"})
    assert first.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_check_writable_names_the_problem(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    assert check_writable(tmp_path / "ok.onnx") == tmp_path / "ok.onnx"
    with pytest.raises(OutputPathError, match="does not exist"):
        check_writable(tmp_path / "no" / "m.onnx")
    with pytest.raises(OutputPathError, match="is a file, not a folder"):
        check_writable(tmp_path / "f" / "m.onnx")
    with pytest.raises(OutputPathError, match="is a folder"):
        check_writable(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]
