"""The exporter adds each layer's time projection to the layer's bias, and adds that one row after a MatMul
(``MatMul(h, Wᵀ) + (b + p(e))``): with t of shape [1] one (N, hidden) sum per layer is left instead of two passes
(ONNX Runtime's Gemm copies its bias into every row first). The output moves by rounding only, and a model that
would change more is left as it was."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from diffviz.zoo import export
from diffviz.zoo.config import default_config
from diffviz.zoo.model import build_model
from diffviz.zoo.pipeline import config_metadata, example_input


def _unfolded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A random moons MLP as the exporter wrote it before folding (t of shape [1] already allowed)."""
    config = default_config("moons", prediction_type="epsilon")
    model = build_model(config)
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.net.parameters():
            p.normal_(0, 0.3)
    monkeypatch.setattr(export, "fold_time_bias", lambda proto: 0)
    proto = export.to_onnx(model.eval(), example_input(config), config_metadata(config))
    monkeypatch.undo()
    path = tmp_path / "unfolded.onnx"
    onnx.save(proto, str(path))
    return path


def _sums_over_rows(proto: onnx.ModelProto) -> int:
    """Adds of a Gemm's (N, hidden) output (one computed from x) and something else: a pass that folding removes."""
    made_by = {out: node.op_type for node in proto.graph.node for out in node.output}
    from_x = export._depends_on_x(proto.graph)
    return sum(
        node.op_type == "Add" and any(made_by.get(i) == "Gemm" and i in from_x for i in node.input)
        for node in proto.graph.node
    )


def _row_biases(proto: onnx.ModelProto) -> int:
    """MatMuls of x's path whose output gets one per-call bias row (b + p(e)) added."""
    made_by = {out: node.op_type for node in proto.graph.node for out in node.output}
    return sum(
        node.op_type == "Add"
        and any(made_by.get(i) == "MatMul" for i in node.input)
        and any(i.endswith("_bias_plus_time") for i in node.input)
        for node in proto.graph.node
    )


def _run(path: Path, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x, "t": t})[0]


@pytest.mark.slow
def test_convert_folds_the_time_projections_and_keeps_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _unfolded(tmp_path, monkeypatch)
    before = onnx.load(str(path))
    assert _sums_over_rows(before) == 3  # one per hidden layer
    rng = np.random.default_rng(1)
    x = rng.standard_normal((257, 2)).astype(np.float32)
    t = np.full(257, 640, np.int64)
    want = _run(path, x, t)

    assert export.convert(path)
    after = onnx.load(str(path))
    assert _sums_over_rows(after) == 0
    assert _row_biases(after) == 3
    assert not any(n.op_type == "Gemm" and n.input[2].endswith("_bias_plus_time") for n in after.graph.node)
    got = _run(path, x, t)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * np.abs(want).max())
    np.testing.assert_array_equal(_run(path, x, t[:1]), got)  # t once for the batch: the same bits


@pytest.mark.slow
def test_a_model_whose_output_would_move_is_left_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _unfolded(tmp_path, monkeypatch)
    data = path.read_bytes()
    assert not export.convert(path, rtol=-1.0)  # no difference is ≤ −1
    assert path.read_bytes() == data


def test_the_bundled_mlps_are_folded() -> None:
    from importlib import resources

    proto = onnx.load(str(resources.files("diffviz.zoo") / "moons.onnx"))
    assert _sums_over_rows(proto) == 0 and _row_biases(proto) == 3
    assert export.fold_time_bias(proto) == 0 and export.bias_after_matmul(proto) == 0  # nothing left to do


@pytest.mark.slow
def test_a_bias_row_after_the_matmul_gives_the_gemms_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Gemm(h, W, b + p(e)) and MatMul(h, Wᵀ) + (b + p(e)): the same numbers bit for bit."""
    proto = onnx.load(str(_unfolded(tmp_path, monkeypatch)))
    assert export.fold_time_bias(proto) == 3
    onnx.save(proto, str(tmp_path / "gemm.onnx"))
    assert export.bias_after_matmul(proto) == 3
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, str(tmp_path / "matmul.onnx"))
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 2)).astype(np.float32)
    for t in (0, 411, 999):
        times = np.array([t], np.int64)
        np.testing.assert_array_equal(_run(tmp_path / "matmul.onnx", x, times), _run(tmp_path / "gemm.onnx", x, times))
