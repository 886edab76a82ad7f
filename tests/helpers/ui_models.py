"""Real model files for the app tests: small ONNX graphs written with ``onnx.helper``, and an exact image model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from diffviz.core import GaussianMixture

IR_VERSION = 10  # what onnxruntime 1.31 reads
OPSET = 17
LINEAR_1000 = {
    "diffviz.num_train_timesteps": "1000",
    "diffviz.beta_schedule": "linear",
    "diffviz.beta_start": "0.0001",
    "diffviz.beta_end": "0.02",
    "diffviz.prediction_type": "epsilon",
}


def _save(
    path: Path, nodes: list, inputs: list, outputs: list, inits: list[tuple[str, np.ndarray]], metadata: dict[str, str]
) -> Path:
    graph = helper.make_graph(nodes, "g", inputs, outputs, [numpy_helper.from_array(a, n) for n, a in inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    for k, v in metadata.items():
        model.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _io(dim: int, x_name: str = "x", t_name: str = "t") -> tuple[list, list]:
    inputs = [
        helper.make_tensor_value_info(x_name, TensorProto.FLOAT, ["N", dim]),
        helper.make_tensor_value_info(t_name, TensorProto.INT64, ["N"]),
    ]
    return inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", dim])]


def shrink_model(
    path: Path,
    *,
    factor: float = 0.5,
    dim: int = 2,
    name: str = "shrink",
    data: str | None = "moons",
    metadata: dict[str, str] | None = None,
) -> Path:
    """ε̂ = factor · x: a valid 2D ε-model (T = 1000, linear 1e-4→0.02, unless ``metadata`` says otherwise)."""
    inputs, outputs = _io(dim)
    nodes = [helper.make_node("Mul", ["x", "k"], ["y"])]
    meta = dict(LINEAR_1000, **{"diffviz.name": name}, **(metadata or {}))
    if data:
        meta["diffviz.data"] = data
    return _save(path, nodes, inputs, outputs, [("k", np.array(factor, np.float32))], meta)


def late_inf_model(path: Path, *, below: int = 50) -> Path:
    """Valid at the load probe (mid time), but returns +Inf once sampling reaches t < ``below``."""
    inputs, outputs = _io(2)
    nodes = [
        helper.make_node("Less", ["t", "limit"], ["late"]),  # [N] bool
        helper.make_node("Unsqueeze", ["late", "axis"], ["late_col"]),  # [N, 1]
        helper.make_node("Where", ["late_col", "inf", "zero"], ["bump"]),
        helper.make_node("Mul", ["x", "k"], ["scaled"]),
        helper.make_node("Add", ["scaled", "bump"], ["y"]),
    ]
    inits = [
        ("limit", np.array(below, np.int64)),
        ("axis", np.array([1], np.int64)),
        ("inf", np.array(np.inf, np.float32)),
        ("zero", np.array(0.0, np.float32)),
        ("k", np.array(0.5, np.float32)),
    ]
    return _save(path, nodes, inputs, outputs, inits, dict(LINEAR_1000, **{"diffviz.name": "late-inf"}))


def wrong_inputs_model(path: Path) -> Path:
    """Breaks the contract: the inputs are called ``input`` and ``time``."""
    inputs, outputs = _io(2, "input", "time")
    return _save(path, [helper.make_node("Identity", ["input"], ["y"])], inputs, outputs, [], {})


def random_bytes_file(path: Path, size: int = 4096, seed: int = 0) -> Path:
    path.write_bytes(np.random.default_rng(seed).bytes(size))
    return path


def digits_model() -> GaussianMixture:
    """The exact denoiser of sklearn's 8×8 digits scaled to [-1, 1]: an image model, (1, 8, 8)."""
    from sklearn.datasets import load_digits

    images = load_digits().images[:300] / 8.0 - 1.0
    return GaussianMixture.from_points(images.reshape(len(images), -1), name="digits-ideal", data_shape=(1, 8, 8))


def heavy_model(path: Path, *, width: int = 2048, depth: int = 6) -> Path:
    """A valid 2D ε-model carrying ``depth`` dense ``width``² weight matrices (~100 MB): slow enough to load that
    the window's busy state can be seen (ε̂ is a tiny multiple of x; the weights only cost time)."""
    inputs, outputs = _io(2)
    rng = np.random.default_rng(0)
    inits = [("w_in", rng.standard_normal((2, width)).astype(np.float32))]
    nodes, h = [helper.make_node("MatMul", ["x", "w_in"], ["h0"])], "h0"
    for i in range(depth):
        inits.append((f"w{i}", (rng.standard_normal((width, width)) / width).astype(np.float32)))
        nodes.append(helper.make_node("MatMul", [h, f"w{i}"], [f"h{i + 1}"]))
        h = f"h{i + 1}"
    inits += [("w_out", np.zeros((width, 2), np.float32)), ("k", np.array(0.1, np.float32))]
    nodes += [
        helper.make_node("MatMul", [h, "w_out"], ["z"]),
        helper.make_node("Mul", ["x", "k"], ["kx"]),
        helper.make_node("Add", ["z", "kx"], ["y"]),
    ]
    return _save(path, nodes, inputs, outputs, inits, dict(LINEAR_1000, **{"diffviz.name": "heavy"}))
