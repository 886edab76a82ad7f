"""The zoo builder on a tiny entry: files, figures and the card it renders."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest

from diffviz.zoo.build_zoo import ZOO, ZooEntry, build_one, zoo_json
from diffviz.zoo.cards import render_readme


@pytest.mark.slow
def test_build_one_writes_the_model_and_its_figures(tmp_path: Path) -> None:
    entry = ZooEntry("tiny_rings", "rings", "score", "tiny test model", overrides=dict(steps=30))
    fig = build_one(entry, tmp_path, evaluate=False, progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["tiny_rings.onnx"]  # no loss CSV in the zoo
    props = {p.key: p.value for p in onnx.load(str(tmp_path / "tiny_rings.onnx")).metadata_props}
    assert props["diffviz.name"] == "tiny_rings" and props["diffviz.description"] == "tiny test model"
    assert fig["config"]["steps"] == 30 and fig["parameters"] > 40_000
    assert fig["file_bytes"] == (tmp_path / "tiny_rings.onnx").stat().st_size and fig["load_seconds"] > 0
    json.dumps(fig)  # figures.json must be able to hold it

    card = render_readme((entry,), entry.name, {"models": {entry.name: fig}})
    assert "## `tiny_rings` (default)" in card and f"{fig['parameters']:,} parameters" in card
    assert "Quality: not measured" in card


def test_every_zoo_entry_has_a_valid_recipe() -> None:
    index = zoo_json()
    for entry in ZOO:
        config = entry.config()
        assert config.prediction_type == index["models"][entry.name]["prediction_type"]
        assert config.seed == 0
