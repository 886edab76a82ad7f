"""ONNX export under the diffviz model contract (docs/model-format.md): inputs ``x`` and ``t`` (int64 step index)
with a dynamic batch axis, one float32 output, ``diffviz.*`` metadata; checked by ``onnx.checker`` and against
torch through ONNX Runtime before anything is written."""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import torch

from diffviz.core.atomic import atomic_write
from diffviz.core.schedule import Schedule

OPSET = 18
CONTRACT_VERSION = "1"
ATOL = 1e-4
OUTPUT_NAME = "out"
TIME_AXIS = "t_batch"  # t's own axis name: t may be [N] or [1]
TIME_SHAPE_KEY = "diffviz.time_shape"


class ExportError(RuntimeError):
    """The exported graph fails the ONNX checker or disagrees with torch."""


def contract_metadata(
    *,
    prediction_type: str,
    schedule: Schedule,
    data: str | None = None,
    data_range: tuple[float, float] | None = None,
    clip_sample: bool = False,
    name: str | None = None,
    description: str | None = None,
) -> dict[str, str]:
    """The ``diffviz.*`` metadata of a model trained on a named ``schedule`` (``Schedule.from_name``)."""
    cfg = schedule.config
    if cfg.get("name") == "custom" or "subsample" in cfg or cfg.get("rescale"):
        raise ValueError("the contract records named schedules only (linear, scaled_linear, …), not custom β")
    meta = {
        "diffviz.contract_version": CONTRACT_VERSION,
        "diffviz.prediction_type": prediction_type,
        "diffviz.num_train_timesteps": str(schedule.num_steps),
        "diffviz.beta_schedule": str(cfg["name"]),
        "diffviz.beta_start": repr(float(cfg["beta_start"])),
        "diffviz.beta_end": repr(float(cfg["beta_end"])),
        "diffviz.time_input": "index",
        "diffviz.clip_sample": "true" if clip_sample else "false",
    }
    if data is not None:
        meta["diffviz.data"] = data
    if data_range is not None:
        meta["diffviz.data_range"] = f"{data_range[0]:g},{data_range[1]:g}"
    if name is not None:
        meta["diffviz.name"] = name
    if description is not None:
        meta["diffviz.description"] = description
    return meta


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """The dynamo exporter logs optional-package notices and deprecation warnings that say nothing to users."""
    logger = logging.getLogger("torch.onnx")
    old = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(old)


def to_onnx(module: torch.nn.Module, example_x: torch.Tensor, metadata: Mapping[str, str]) -> Any:
    """Trace ``module(x, t)`` with the dynamo exporter (explicit ``dynamo=True``, opset 18); returns the
    ModelProto with a dynamic batch axis ``N`` on ``x``, ``t`` and the output, and ``metadata`` attached."""
    import onnx

    module = module.eval()
    n = max(int(example_x.shape[0]), 2)  # a batch of 1 would be specialised to a constant
    x = example_x[:1].expand(n, *example_x.shape[1:]).contiguous()
    t = torch.zeros(n, dtype=torch.int64)
    batch = torch.export.Dim("N", min=1, max=1 << 30)
    with _quiet_exporter(), torch.no_grad():
        program = torch.onnx.export(
            module,
            (x, t),
            dynamo=True,
            opset_version=OPSET,
            input_names=["x", "t"],
            output_names=[OUTPUT_NAME],
            dynamic_shapes={"x": {0: batch}, "t": {0: batch}},
            optimize=True,
            verbose=False,
        )
    if program is None:
        raise ExportError("torch.onnx.export returned no program")
    proto = program.model_proto
    if len(proto.graph.initializer) and any(
        init.data_location == onnx.TensorProto.EXTERNAL for init in proto.graph.initializer
    ):
        raise ExportError("the exporter put weights in an external file; the contract needs one self-contained file")
    del proto.metadata_props[:]
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, str(value)
    broadcast_time(proto)
    fold_time_bias(proto)
    bias_after_matmul(proto)
    try:
        onnx.checker.check_model(proto, full_check=True)
    except onnx.checker.ValidationError as e:
        raise ExportError(f"the exported graph fails onnx.checker: {e}") from None
    return proto


def broadcast_time(proto: Any) -> Any:
    """Let the model take t as [1] for the whole batch (``diffviz.time_shape = broadcast``, docs/model-format.md):
    t's axis gets a name of its own instead of x's batch name (ONNX Runtime plans buffers by those names), and the
    exporter's inferred intermediate shapes, which tie the time branch to N, are dropped (ONNX Runtime infers them
    again). The networks embed t and add the embedding to every row, so with t of shape [1] the embedding and its
    projections run once per call instead of once per row. :func:`time_broadcasts` checks the result."""
    t_input = next(i for i in proto.graph.input if i.name == "t")
    t_input.type.tensor_type.shape.dim[0].dim_param = TIME_AXIS
    del proto.graph.value_info[:]
    entries = {e.key: e for e in proto.metadata_props}
    entry = entries.get(TIME_SHAPE_KEY) or proto.metadata_props.add()
    entry.key, entry.value = TIME_SHAPE_KEY, "broadcast"
    return proto


def _depends_on_x(graph: Any) -> set[str]:
    """Names of the tensors computed from the input x (the graph's nodes are in topological order)."""
    dependent = {"x"}
    for node in graph.node:
        if any(name in dependent for name in node.input):
            dependent.update(node.output)
    return dependent


def fold_time_bias(proto: Any) -> int:
    """Add each layer's time projection to its bias instead of to its output: ``Gemm(h, W, b) + p(e)`` becomes
    ``Gemm(h, W, b + p(e))``. With t of shape [1], b + p(e) is one row, so the sum over the whole (N, hidden)
    activation, an extra pass over memory per layer, goes (8–18 % of the zoo MLP's time). Only an Add of a Gemm's
    output (used nowhere else, β = 1, with a bias) and a tensor that does not depend on x is folded; returns how
    many were. The rounding of the sum moves (≈ 1e-7 on the zoo's models); :func:`convert` checks it.
    :func:`bias_after_matmul` then takes the new bias out of the Gemm again, as one row added after a MatMul."""
    import onnx
    from onnx import helper

    graph = proto.graph
    dependent = _depends_on_x(graph)
    producer = {out: node for node in graph.node for out in node.output}
    uses: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1
    for out in graph.output:
        uses[out.name] = uses.get(out.name, 0) + 1
    folded = 0
    for add in list(graph.node):
        if add.op_type != "Add":
            continue
        for data, time in (tuple(add.input), tuple(reversed(add.input))):
            gemm = producer.get(data)
            if gemm is None or gemm.op_type != "Gemm" or len(gemm.input) != 3 or not gemm.input[2]:
                continue
            beta = next((helper.get_attribute_value(a) for a in gemm.attribute if a.name == "beta"), 1.0)
            if data not in dependent or time in dependent or uses.get(data) != 1 or beta != 1.0:
                continue
            at = list(graph.node).index(add)  # after both the Gemm and the time projection
            bias = f"{gemm.name or data}_bias_plus_time"
            fused = onnx.NodeProto()
            fused.CopyFrom(gemm)
            fused.input[2], fused.output[0] = bias, add.output[0]
            graph.node.insert(at, helper.make_node("Add", [gemm.input[2], time], [bias], name=bias))
            graph.node.insert(at + 1, fused)
            graph.node.remove(add)
            graph.node.remove(gemm)
            folded += 1
            break
    return folded


def bias_after_matmul(proto: Any) -> int:
    """``Gemm(h, W, c)`` with a bias computed per call (c does not depend on x and is no initializer: the
    b + p(e) of :func:`fold_time_bias`) becomes ``MatMul(h, Wᵀ) + c``. ONNX Runtime's CPU Gemm first copies c into
    every row of its output and then accumulates into it; its MatMul writes once, and the row is added in one pass:
    (10,000 × 128) @ (128 × 128) takes 1.36 ms as a Gemm with a bias, 0.94 ms as a MatMul, 0.2 ms for the add. (ONNX
    Runtime fuses MatMul + Add back into a Gemm only for a constant bias.) Gemms with α ≠ 1, β ≠ 1, transA or a
    weight that is no initializer are left; returns how many were rewritten. The output is unchanged bit for bit."""
    from onnx import helper, numpy_helper

    graph = proto.graph
    dependent = _depends_on_x(graph)
    weights = {init.name: init for init in graph.initializer}
    rewritten, replaced = 0, set()
    for gemm in list(graph.node):
        if gemm.op_type != "Gemm" or len(gemm.input) != 3 or gemm.input[0] not in dependent:
            continue
        a, w, c = gemm.input
        attrs = {at.name: helper.get_attribute_value(at) for at in gemm.attribute}
        per_call = c and c not in dependent and c not in weights
        plain = attrs.get("alpha", 1.0) == 1.0 and attrs.get("beta", 1.0) == 1.0 and not attrs.get("transA", 0)
        if not per_call or not plain or w not in weights:
            continue
        if attrs.get("transB", 0):
            name = f"{w}_transposed"
            if name not in weights:
                weights[name] = numpy_helper.from_array(numpy_helper.to_array(weights[w]).T.copy(), name)
                graph.initializer.append(weights[name])
            replaced.add(w)
            w = name
        at = list(graph.node).index(gemm)
        product = f"{gemm.output[0]}_matmul"
        graph.node.insert(at, helper.make_node("MatMul", [a, w], [product], name=f"{gemm.name}_matmul"))
        graph.node.insert(at + 1, helper.make_node("Add", [product, c], [gemm.output[0]], name=f"{gemm.name}_bias"))
        graph.node.remove(gemm)
        rewritten += 1
    used = {name for node in graph.node for name in node.input}
    for init in [i for i in graph.initializer if i.name in replaced - used]:  # the weights now stored transposed
        graph.initializer.remove(init)
    return rewritten


def time_broadcasts(
    model_bytes: bytes, sample_shape: tuple[int, ...], num_train_timesteps: int, *, seed: int = 0
) -> bool:
    """Whether t of shape [1] gives exactly (bit for bit) the output of t repeated per row, at a few batch sizes."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    for n in (1, 5, 64):
        x = rng.standard_normal((n, *sample_shape)).astype(np.float32)
        t = np.int64(rng.integers(0, num_train_timesteps))
        (per_row,) = session.run(None, {"x": x, "t": np.full(n, t)})
        (once,) = session.run(None, {"x": x, "t": np.full(1, t)})
        if not np.array_equal(per_row, once):
            return False
    return True


def compare_with_torch(
    module: torch.nn.Module,
    model_bytes: bytes,
    sample_shape: tuple[int, ...],
    num_train_timesteps: int,
    *,
    batches: tuple[int, ...] = (1, 5, 64),
    seed: int = 0,
) -> float:
    """Largest |ONNX Runtime − torch| over random inputs x ~ N(0, I) and t ~ U{0..T−1}, at several batch sizes
    (which also proves the batch axis is dynamic)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    worst = 0.0
    for n in batches:
        x = rng.standard_normal((n, *sample_shape)).astype(np.float32)
        t = rng.integers(0, num_train_timesteps, n).astype(np.int64)
        (got,) = session.run(None, {"x": x, "t": t})
        with torch.no_grad():
            want = module(torch.from_numpy(x), torch.from_numpy(t)).numpy()
        if got.shape != want.shape or got.dtype != np.float32:
            raise ExportError(f"ONNX output {got.dtype}{got.shape} ≠ torch output float32{want.shape} at batch {n}")
        worst = max(worst, float(np.max(np.abs(got - want))))
    return worst


def checked_onnx_bytes(
    module: torch.nn.Module,
    example_x: torch.Tensor,
    metadata: Mapping[str, str],
    *,
    atol: float = ATOL,
    batches: tuple[int, ...] = (1, 5, 64),
) -> tuple[bytes, float]:
    """Export and check (``onnx.checker``, then ONNX Runtime vs torch max abs diff ≤ ``atol``); returns the
    serialized model and the measured difference."""
    data = to_onnx(module, example_x, metadata).SerializeToString()
    T = int(metadata.get("diffviz.num_train_timesteps", 1000))
    diff = compare_with_torch(module, data, tuple(example_x.shape[1:]), T, batches=batches)
    if not diff <= atol:
        raise ExportError(f"ONNX Runtime and torch disagree by {diff:.3g} (> {atol:g}) on random inputs")
    if not time_broadcasts(data, tuple(example_x.shape[1:]), T):
        raise ExportError("t of shape [1] changes the output: the network does not embed t once per batch")
    return data, diff


def export_onnx(
    module: torch.nn.Module,
    path: str | os.PathLike[str],
    example_x: torch.Tensor,
    metadata: Mapping[str, str],
    *,
    atol: float = ATOL,
    batches: tuple[int, ...] = (1, 5, 64),
) -> float:
    """:func:`checked_onnx_bytes`, then write ``path`` atomically; returns the measured max abs difference."""
    data, diff = checked_onnx_bytes(module, example_x, metadata, atol=atol, batches=batches)
    atomic_write(path, data)
    return diff


def relative_difference(
    before: bytes, after: bytes, sample_shape: tuple[int, ...], num_train_timesteps: int, *, seed: int = 0
) -> float:
    """Largest |output after − output before| over random x ~ N(0, I) and t, at a few batch sizes (t per row), as a
    fraction of the largest |output before|."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    old, new = (ort.InferenceSession(m, options, providers=["CPUExecutionProvider"]) for m in (before, after))
    rng = np.random.default_rng(seed)
    worst, scale = 0.0, 0.0
    for n in (1, 5, 64):
        feed = {
            "x": rng.standard_normal((n, *sample_shape)).astype(np.float32),
            "t": rng.integers(0, num_train_timesteps, n).astype(np.int64),
        }
        (want,), (got,) = old.run(None, feed), new.run(None, feed)
        worst, scale = max(worst, float(np.max(np.abs(got - want)))), max(scale, float(np.max(np.abs(want))))
    return worst / scale if scale > 0 else worst


def convert(path: str | os.PathLike[str], *, rtol: float = 1e-5) -> bool:
    """Rewrite an exported model file in place with :func:`broadcast_time`, :func:`fold_time_bias` and
    :func:`bias_after_matmul`, when t of
    shape [1] gives the per-row output bit for bit (:func:`time_broadcasts`) and the output moved by at most
    ``rtol`` of its size (:func:`relative_difference`); False (file untouched) otherwise."""
    import onnx

    proto = onnx.load(str(path))
    before = proto.SerializeToString()
    x_input = next(i for i in proto.graph.input if i.name == "x")
    shape = tuple(int(d.dim_value) for d in x_input.type.tensor_type.shape.dim[1:])
    T = int({e.key: e.value for e in proto.metadata_props}.get("diffviz.num_train_timesteps", 1000))
    broadcast_time(proto)
    fold_time_bias(proto)
    bias_after_matmul(proto)
    data = proto.SerializeToString()
    if not time_broadcasts(data, shape, T) or not relative_difference(before, data, shape, T) <= rtol:
        return False
    onnx.checker.check_model(proto, full_check=True)
    atomic_write(path, data)
    return True


if __name__ == "__main__":  # python -m diffviz.zoo.export FILE.onnx …: t of shape [1], time projections in biases
    import sys

    for name in sys.argv[1:]:
        print(f"{name}: {'converted' if convert(name) else 'left as it was (its output would change)'}")
