"""``diffviz.time_shape = broadcast``: a model may take t as [1] for the whole batch (its time embedding then runs
once per call, not once per row). The claim is used only where the graph allows it and the output is unchanged."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import onnx
import pytest

from diffviz.runtime import OnnxDenoiser
from tests.helpers.onnx_models import echo_t_model, schedule_metadata, sum_t_model

BROADCAST = {"diffviz.time_shape": "broadcast"}


def test_a_model_that_declares_it_is_given_t_once(tmp_path: Path) -> None:
    model = OnnxDenoiser(echo_t_model(tmp_path / "m.onnx", t_shape=("Nt",), metadata=BROADCAST))
    assert model.time_shape == "broadcast"
    assert model._runner._t(500, 7.0).shape == (1,)  # what ONNX Runtime receives
    out = model(np.zeros((500, 2), np.float32), 7.0)
    np.testing.assert_array_equal(out, 7.0)  # every row still sees its t


def test_the_claim_is_ignored_with_a_notice_when_t_shares_the_batch_axis(tmp_path: Path) -> None:
    model = OnnxDenoiser(echo_t_model(tmp_path / "m.onnx", t_shape=("N",), metadata=BROADCAST))
    assert model.time_shape == "batch" and model._runner._t(5, 1.0).shape == (5,)
    assert any("time_shape = broadcast ignored" in n and "shares the batch axis" in n for n in model.card.notices)


def test_the_claim_is_ignored_when_t_of_shape_one_changes_the_output(tmp_path: Path) -> None:
    model = OnnxDenoiser(sum_t_model(tmp_path / "m.onnx", metadata=BROADCAST))
    assert model.time_shape == "batch"
    assert any("changes its output" in n for n in model.card.notices)
    np.testing.assert_array_equal(model(np.zeros((4, 2), np.float32), 3.0), 12.0)  # 4 rows × t = 3, as given


def test_an_unknown_time_shape_is_refused(tmp_path: Path) -> None:
    from diffviz.runtime import MetadataError

    with pytest.raises(MetadataError, match="time_shape"):
        OnnxDenoiser(echo_t_model(tmp_path / "m.onnx", metadata={**schedule_metadata(), "diffviz.time_shape": "one"}))


@pytest.mark.parametrize("name", ["swiss_roll", "digits"])
def test_the_bundled_models_take_t_once_and_give_the_same_numbers(name: str, tmp_path: Path) -> None:
    """The zoo's networks declare it; against the same graph with t's axis tied back to x's (t of shape [N]), the
    outputs are equal bit for bit."""
    path = Path(str(resources.files("diffviz.zoo") / f"{name}.onnx"))
    model = OnnxDenoiser(path)
    assert model.time_shape == "broadcast"
    proto = onnx.load(str(path))
    t_input = next(i for i in proto.graph.input if i.name == "t")
    x_input = next(i for i in proto.graph.input if i.name == "x")
    t_input.type.tensor_type.shape.dim[0].dim_param = x_input.type.tensor_type.shape.dim[0].dim_param
    for entry in proto.metadata_props:
        if entry.key == "diffviz.time_shape":
            entry.value = "batch"
    onnx.save(proto, str(tmp_path / "per_row.onnx"))
    per_row = OnnxDenoiser(tmp_path / "per_row.onnx")
    assert per_row.time_shape == "batch"
    x = np.random.default_rng(0).standard_normal((37, *model.data_shape), dtype=np.float32)
    for t in (0.0, 411.0, 999.0):
        np.testing.assert_array_equal(model(x, t), per_row(x, t))
