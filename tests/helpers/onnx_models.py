"""Small ONNX models built inside the tests: good ones, one bad one per rule of the contract, a torch export.

Graphs are written with ``onnx.helper``; the torch MLP goes through ``torch.onnx.export`` (dynamo exporter).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

IR_VERSION = 10  # onnx writes a newer IR than onnxruntime 1.31 reads
OPSET = 17
FLOAT, DOUBLE, INT64 = TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.INT64
Shape = Sequence[int | str]


def value(name: str, dtype: int, shape: Shape | None) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, dtype, None if shape is None else list(shape))


def save_model(
    path: Path,
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    outputs: list[onnx.ValueInfoProto],
    *,
    initializers: Sequence[tuple[str, np.ndarray]] = (),
    metadata: dict[str, str] | None = None,
    ir_version: int = IR_VERSION,
) -> Path:
    inits = [numpy_helper.from_array(a, name) for name, a in initializers]
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = ir_version
    for k, v in (metadata or {}).items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, str(path))
    return path


def time_column(t_name: str, rank: int) -> tuple[list[onnx.NodeProto], list[tuple[str, np.ndarray]], str]:
    """Nodes turning t [N] into float32 t broadcastable against x of ``rank`` ([N, 1] or [N, 1, 1, 1])."""
    nodes = [helper.make_node("Cast", [t_name], ["t_f"], to=FLOAT)]
    shape = np.array([-1] + [1] * (rank - 1), dtype=np.int64)
    nodes.append(helper.make_node("Reshape", ["t_f", "t_shape"], ["t_col"]))
    return nodes, [("t_shape", shape)], "t_col"


def echo_t_model(
    path: Path,
    *,
    x_shape: Shape = ("N", 2),
    t_shape: Shape = ("N",),
    t_dtype: int = INT64,
    x_dtype: int = FLOAT,
    x_name: str = "x",
    t_name: str = "t",
    metadata: dict[str, str] | None = None,
    out_shape: Shape | None = None,
    out_dtype: int = FLOAT,
    ir_version: int = IR_VERSION,
) -> Path:
    """out[i, ...] = x[i, ...] · 0 + t[i] (as float32): shows exactly which t the model was given."""
    rank = len(x_shape)
    nodes, inits, col = time_column(t_name, rank)
    x_in = x_name
    if x_dtype != FLOAT:
        nodes.append(helper.make_node("Cast", [x_name], ["x_f"], to=FLOAT))
        x_in = "x_f"
    nodes += [helper.make_node("Mul", [x_in, "zero"], ["x0"]), helper.make_node("Add", ["x0", col], ["y_f"])]
    inits.append(("zero", np.array(0.0, np.float32)))
    nodes.append(helper.make_node("Cast", ["y_f"], ["out"], to=out_dtype))
    return save_model(
        path,
        nodes,
        [value(x_name, x_dtype, x_shape), value(t_name, t_dtype, t_shape)],
        [value("out", out_dtype, x_shape if out_shape is None else out_shape)],
        initializers=inits,
        metadata=metadata,
        ir_version=ir_version,
    )


def scale_model(
    path: Path, factor: float, *, x_shape: Shape = ("N", 2), metadata: dict[str, str] | None = None
) -> Path:
    """out = factor · x + 0 · t."""
    nodes, inits, col = time_column("t", len(x_shape))
    nodes += [
        helper.make_node("Mul", ["x", "k"], ["xs"]),
        helper.make_node("Mul", [col, "zero"], ["t0"]),
        helper.make_node("Add", ["xs", "t0"], ["out"]),
    ]
    inits += [("k", np.array(factor, np.float32)), ("zero", np.array(0.0, np.float32))]
    return save_model(
        path,
        nodes,
        [value("x", FLOAT, x_shape), value("t", INT64, ("N",))],
        [value("out", FLOAT, x_shape)],
        initializers=inits,
        metadata=metadata,
    )


def nan_model(path: Path) -> Path:
    """out = √(−(x² + 1)): NaN everywhere."""
    nodes, inits, col = time_column("t", 2)
    nodes += [
        helper.make_node("Mul", ["x", "x"], ["x2"]),
        helper.make_node("Add", ["x2", col], ["x2t"]),
        helper.make_node("Add", ["x2t", "one"], ["p"]),
        helper.make_node("Neg", ["p"], ["n"]),
        helper.make_node("Sqrt", ["n"], ["out"]),
    ]
    inits.append(("one", np.array(1.0, np.float32)))
    return save_model(
        path,
        nodes,
        [value("x", FLOAT, ("N", 2)), value("t", INT64, ("N",))],
        [value("out", FLOAT, ("N", 2))],
        initializers=inits,
    )


def wide_output_model(path: Path, declared: Shape) -> Path:
    """out = concat(x + t, x) along axis 1: [N, 4] for x [N, 2], declared as ``declared``."""
    nodes, inits, col = time_column("t", 2)
    nodes += [helper.make_node("Add", ["x", col], ["xt"]), helper.make_node("Concat", ["xt", "x"], ["out"], axis=1)]
    return save_model(
        path,
        nodes,
        [value("x", FLOAT, ("N", 2)), value("t", INT64, ("N",))],
        [value("out", FLOAT, declared)],
        initializers=inits,
    )


def data_dependent_width_model(path: Path) -> Path:
    """out = tile(x, [1, 1 + (min t ≥ 0)]): [N, 4] for t ≥ 0, a width no shape inference can see before a run."""
    nodes = [
        helper.make_node("ReduceMin", ["t"], ["t_min"], keepdims=1),
        helper.make_node("GreaterOrEqual", ["t_min", "zero"], ["nonneg"]),
        helper.make_node("Cast", ["nonneg"], ["extra"], to=INT64),
        helper.make_node("Add", ["extra", "one"], ["width"]),
        helper.make_node("Concat", ["one", "width"], ["repeats"], axis=0),
        helper.make_node("Tile", ["x", "repeats"], ["out"]),
    ]
    inits = [("zero", np.array([0], np.int64)), ("one", np.array([1], np.int64))]
    return save_model(
        path,
        nodes,
        [value("x", FLOAT, ("N", 2)), value("t", INT64, ("N",))],
        [value("out", FLOAT, ("N", "W"))],
        initializers=inits,
    )


def two_output_model(path: Path) -> Path:
    nodes, inits, col = time_column("t", 2)
    nodes += [helper.make_node("Add", ["x", col], ["out"]), helper.make_node("Identity", ["out"], ["extra"])]
    return save_model(
        path,
        nodes,
        [value("x", FLOAT, ("N", 2)), value("t", INT64, ("N",))],
        [value("out", FLOAT, ("N", 2)), value("extra", FLOAT, ("N", 2))],
        initializers=inits,
    )


def three_input_model(path: Path) -> Path:
    nodes, inits, col = time_column("t", 2)
    nodes += [helper.make_node("Add", ["x", col], ["xt"]), helper.make_node("Add", ["xt", "c"], ["out"])]
    return save_model(
        path,
        nodes,
        [value("x", FLOAT, ("N", 2)), value("t", INT64, ("N",)), value("c", FLOAT, ("N", 2))],
        [value("out", FLOAT, ("N", 2))],
        initializers=inits,
    )


def gaussian_eps_model(
    path: Path, alpha_bars: np.ndarray, data_var: float, metadata: dict[str, str], dim: int = 2
) -> Path:
    """The exact ε̂ for data N(0, v·I), v = data_var: ε̂(x, t) = √(1−ᾱ_t) x / (ᾱ_t v + 1 − ᾱ_t), ᾱ_t by index.

    (x_t ~ N(0, (ᾱ v + 1 − ᾱ) I), so s = −x/(ᾱ v + 1 − ᾱ) and ε̂ = −√(1−ᾱ) s.)
    """
    a = np.asarray(alpha_bars, np.float64)
    table = (np.sqrt(1 - a) / (a * data_var + 1 - a)).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["table", "t"], ["c"], axis=0),
        helper.make_node("Unsqueeze", ["c", "axes"], ["c_col"]),
        helper.make_node("Mul", ["x", "c_col"], ["out"]),
    ]
    inits = [("table", table), ("axes", np.array([1], np.int64))]
    return save_model(
        path,
        nodes,
        [value("x", FLOAT, ("N", dim)), value("t", INT64, ("N",))],
        [value("out", FLOAT, ("N", dim))],
        initializers=inits,
        metadata=metadata,
    )


def schedule_metadata(
    prediction_type: str = "epsilon",
    T: int = 1000,
    schedule: str = "linear",
    beta_start: float = 1e-4,
    beta_end: float = 0.02,
    **extra: str,
) -> dict[str, str]:
    meta = {
        "diffviz.contract_version": "1",
        "diffviz.prediction_type": prediction_type,
        "diffviz.num_train_timesteps": str(T),
        "diffviz.beta_schedule": schedule,
        "diffviz.beta_start": repr(beta_start),
        "diffviz.beta_end": repr(beta_end),
    }
    meta.update({f"diffviz.{k}": v for k, v in extra.items()})
    return meta


# ---- torch ----------------------------------------------------------------------------------------------------
def make_torch_mlp(dim: int = 2, hidden: int = 64, emb: int = 16, seed: int = 0) -> Any:
    """A time-conditioned MLP ε̂(x, t): sinusoidal embedding of t added to the first layer (random weights)."""
    import torch

    class MLP(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp, self.temb = torch.nn.Linear(dim, hidden), torch.nn.Linear(emb, hidden)
            self.mid, self.out = torch.nn.Linear(hidden, hidden), torch.nn.Linear(hidden, dim)
            freqs = torch.exp(-math.log(1000.0) * torch.arange(emb // 2, dtype=torch.float32) / (emb // 2))
            self.register_buffer("freqs", freqs)

        def forward(self, x: Any, t: Any) -> Any:
            angles = t.to(torch.float32)[:, None] * self.freqs[None]
            e = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
            h = torch.nn.functional.silu(self.inp(x) + self.temb(e))
            return self.out(torch.nn.functional.silu(self.mid(h)))

    torch.manual_seed(seed)
    return MLP().eval()


def export_torch_mlp(
    path: Path, module: Any, *, t_dtype: str = "int64", dim: int = 2, metadata: dict[str, str] | None = None
) -> Path:
    """Export with the dynamo exporter (explicit opset, dynamic batch), then add ``metadata_props``."""
    import warnings

    import torch

    x = torch.randn(8, dim)
    t = torch.full((8,), 10, dtype=torch.int64 if t_dtype == "int64" else torch.float32)
    batch = torch.export.Dim("N", min=1)
    with warnings.catch_warnings():  # the exporter's own deprecation chatter
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (x, t),
            str(path),
            dynamo=True,
            opset_version=18,
            input_names=["x", "t"],
            output_names=["out"],
            dynamic_shapes={"x": {0: batch}, "t": {0: batch}},
            verbose=False,
        )
    model = onnx.load(str(path))
    for k, v in (metadata or {}).items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, str(path))
    return path


def sum_t_model(path: Path, metadata: dict[str, str] | None = None) -> Path:
    """out = x · 0 + Σ_i t_i: a model whose output depends on how many t values it is given (t of its own axis)."""
    nodes = [
        helper.make_node("Cast", ["t"], ["t_f"], to=FLOAT),
        helper.make_node("ReduceSum", ["t_f"], ["t_sum"], keepdims=0),
        helper.make_node("Mul", ["x", "zero"], ["x0"]),
        helper.make_node("Add", ["x0", "t_sum"], ["out"]),
    ]
    return save_model(
        path,
        nodes,
        [value("x", FLOAT, ("N", 2)), value("t", INT64, ("Nt",))],
        [value("out", FLOAT, ("N", 2))],
        initializers=[("zero", np.array(0.0, np.float32))],
        metadata=metadata,
    )
