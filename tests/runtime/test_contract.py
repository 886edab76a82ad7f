"""Every way a file can break the model contract is refused with its own exception class and a message that names
the file and the problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from diffviz.runtime import (
    InputNamesError,
    InputTypeError,
    ModelError,
    ModelFileNotFoundError,
    ModelLoadError,
    NonFiniteOutputError,
    NotOnnxError,
    OnnxDenoiser,
    OutputError,
    OutputShapeError,
    load_model,
)
from tests.helpers import onnx_models as om


def refused(path: Path, cls: type[ModelError], *words: str) -> str:
    with pytest.raises(cls) as info:
        load_model(path)
    message = str(info.value)
    assert message.startswith(path.name + ":"), message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert isinstance(info.value, ValueError)
    return message


def test_missing_file(tmp_path: Path) -> None:
    refused(tmp_path / "absent.onnx", ModelFileNotFoundError, "no such file")


def test_folder_is_not_a_model(tmp_path: Path) -> None:
    folder = tmp_path / "folder.onnx"
    folder.mkdir()
    refused(folder, ModelFileNotFoundError, "not a file")


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "random.onnx"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    refused(path, NotOnnxError, "not an ONNX model")


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.onnx"
    path.write_text("these are my notes, not a network\n" * 10)
    refused(path, NotOnnxError, "not an ONNX model")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.onnx"
    path.write_bytes(b"")
    refused(path, NotOnnxError, "not an ONNX model")


def test_valid_protobuf_that_ort_cannot_load(tmp_path: Path) -> None:
    path = om.echo_t_model(tmp_path / "future.onnx", ir_version=99)
    refused(path, ModelLoadError, "cannot load", "IR version")


def test_wrong_input_names(tmp_path: Path) -> None:
    msg = refused(om.echo_t_model(tmp_path / "names.onnx", x_name="a"), InputNamesError, "'a'", "'x' and 't'")
    assert "exactly two inputs" in msg


def test_three_inputs(tmp_path: Path) -> None:
    refused(om.three_input_model(tmp_path / "three.onnx"), InputNamesError, "'c'", "exactly two inputs")


def test_one_input(tmp_path: Path) -> None:
    path = om.save_model(
        tmp_path / "one.onnx",
        [om.helper.make_node("Identity", ["x"], ["out"])],
        [om.value("x", om.FLOAT, ("N", 2))],
        [om.value("out", om.FLOAT, ("N", 2))],
    )
    refused(path, InputNamesError, "'x';", "exactly two inputs")


def test_t_float64(tmp_path: Path) -> None:
    msg = refused(om.echo_t_model(tmp_path / "model.onnx", t_dtype=om.DOUBLE), InputTypeError)
    assert msg == "model.onnx: input 't' has dtype float64; the contract wants int64 (index) or float32 (continuous)"


def test_x_float64(tmp_path: Path) -> None:
    refused(om.echo_t_model(tmp_path / "xd.onnx", x_dtype=om.DOUBLE), InputTypeError, "'x'", "float64", "float32")


def test_x_rank_3(tmp_path: Path) -> None:
    refused(
        om.echo_t_model(tmp_path / "r3.onnx", x_shape=("N", 2, 2)),
        InputTypeError,
        "'x'",
        "rank 3",
        "[N, D]",
        "[N, C, H, W]",
    )


def test_t_rank_2(tmp_path: Path) -> None:
    path = om.echo_t_model(tmp_path / "t2.onnx", t_shape=("N", 1))
    refused(path, InputTypeError, "'t'", "rank 2", "rank 1")


def test_dynamic_data_dimension(tmp_path: Path) -> None:
    refused(
        om.echo_t_model(tmp_path / "dyn.onnx", x_shape=("N", "D")),
        InputTypeError,
        "'D'",
        "axis 1",
        "only the batch axis",
    )


def test_batch_sizes_disagree(tmp_path: Path) -> None:
    h = om.helper
    nodes = [
        h.make_node("Cast", ["t"], ["tf"], to=om.FLOAT),
        h.make_node("ReduceSum", ["tf"], ["s"], keepdims=0),
        h.make_node("Mul", ["s", "zero"], ["s0"]),
        h.make_node("Add", ["x", "s0"], ["out"]),
    ]
    path = om.save_model(
        tmp_path / "b.onnx",
        nodes,
        [om.value("x", om.FLOAT, (8, 2)), om.value("t", om.INT64, (4,))],
        [om.value("out", om.FLOAT, (8, 2))],
        initializers=[("zero", om.np.float32(0))],
    )
    refused(path, InputTypeError, "different batch sizes")


def test_two_outputs(tmp_path: Path) -> None:
    refused(om.two_output_model(tmp_path / "two.onnx"), OutputError, "2 outputs", "'extra'", "exactly one")


def test_output_float64(tmp_path: Path) -> None:
    refused(om.echo_t_model(tmp_path / "od.onnx", out_dtype=om.DOUBLE), OutputError, "float64", "float32")


def test_declared_output_shape_differs(tmp_path: Path) -> None:
    refused(
        om.wide_output_model(tmp_path / "wide.onnx", ("N", 4)),
        OutputShapeError,
        "declared [N, 4]",
        "[N, 2]",
        "shaped like x",
    )


def test_output_shape_differs_at_probe(tmp_path: Path) -> None:
    """The width depends on the values of t, so only the probe run can see the [N, 4] output."""
    refused(om.data_dependent_width_model(tmp_path / "tile.onnx"), OutputShapeError, "[4, 4]", "[4, 2]")


def test_nan_at_probe(tmp_path: Path) -> None:
    refused(om.nan_model(tmp_path / "nan.onnx"), NonFiniteOutputError, "NaN/Inf", "8 of 8")


def test_every_error_is_a_distinct_class() -> None:
    classes = [
        ModelFileNotFoundError,
        NotOnnxError,
        ModelLoadError,
        InputNamesError,
        InputTypeError,
        OutputError,
        OutputShapeError,
        NonFiniteOutputError,
    ]
    assert len(set(classes)) == len(classes)
    assert all(issubclass(c, ModelError) and not any(issubclass(c, o) for o in classes if o is not c) for c in classes)


def test_good_model_passes_all_checks(echo_onnx: Path) -> None:
    model = OnnxDenoiser(echo_onnx)
    assert model.data_shape == (2,) and model.time_input == "index" and model.batch_size is None
