"""The graph half of the model contract (docs/model-format.md, "Graph"), checked on an ONNX Runtime session.

Each broken rule raises its own :class:`~diffviz.runtime.errors.ModelError` subclass, with a message that starts
with the file name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputNamesError, InputTypeError, OutputError, OutputShapeError

# ONNX Runtime's type strings, as numpy names for the messages.
_DTYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(float16)": "float16",
    "tensor(bfloat16)": "bfloat16",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(int16)": "int16",
    "tensor(int8)": "int8",
    "tensor(uint8)": "uint8",
    "tensor(bool)": "bool",
    "tensor(string)": "string",
}
T_DTYPES = {"int64": np.int64, "float32": np.float32}


def dtype_name(ort_type: str) -> str:
    return _DTYPES.get(ort_type, ort_type)


def _shape_text(shape: Any) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


@dataclass(frozen=True)
class Signature:
    """What the graph declares: data shape (x minus batch), t dtype, fixed batch size (None when dynamic)."""

    data_shape: tuple[int, ...]
    t_dtype: str
    batch_size: int | None
    output_name: str
    t_own_axis: bool = False  # t's axis is not x's batch axis (its own name, or 1): t may be given as [1]


def check_signature(session: Any, label: str) -> Signature:
    """Check inputs ``x``, ``t`` and the single output of an ``onnxruntime.InferenceSession``."""
    inputs = {i.name: i for i in session.get_inputs()}
    names = [i.name for i in session.get_inputs()]
    if len(names) != 2 or set(names) != {"x", "t"}:
        listed = ", ".join(repr(n) for n in names) or "none"
        raise InputNamesError(
            f"{label}: the graph's inputs are {listed}; the contract wants exactly two inputs named 'x' and 't'"
        )
    x, t = inputs["x"], inputs["t"]
    x_shape, t_shape = list(x.shape), list(t.shape)

    if dtype_name(x.type) != "float32":
        raise InputTypeError(f"{label}: input 'x' has dtype {dtype_name(x.type)}; the contract wants float32")
    if len(x_shape) not in (2, 4):
        raise InputTypeError(
            f"{label}: input 'x' has rank {len(x_shape)} {_shape_text(x_shape)}; the contract "
            f"wants rank 2 [N, D] or rank 4 [N, C, H, W]"
        )
    for axis, d in enumerate(x_shape[1:], start=1):
        if not isinstance(d, int) or d < 1:
            raise InputTypeError(
                f"{label}: input 'x' has a dynamic dimension {d!r} at axis {axis} "
                f"{_shape_text(x_shape)}; only the batch axis N may be dynamic"
            )
    t_type = dtype_name(t.type)
    if t_type not in T_DTYPES:
        raise InputTypeError(
            f"{label}: input 't' has dtype {t_type}; the contract wants int64 (index) or float32 (continuous)"
        )
    if len(t_shape) != 1:
        raise InputTypeError(
            f"{label}: input 't' has rank {len(t_shape)} {_shape_text(t_shape)}; the contract "
            f"wants rank 1 [N], one time per batch row"
        )

    fixed = [d for d in (x_shape[0], t_shape[0]) if isinstance(d, int)]
    if len(set(fixed)) > 1:
        raise InputTypeError(
            f"{label}: inputs 'x' {_shape_text(x_shape)} and 't' {_shape_text(t_shape)} have different batch sizes"
        )
    batch_size = fixed[0] if fixed else None

    outputs = session.get_outputs()
    if len(outputs) != 1:
        listed = ", ".join(repr(o.name) for o in outputs) or "none"
        raise OutputError(f"{label}: the graph has {len(outputs)} outputs ({listed}); the contract wants exactly one")
    out = outputs[0]
    if dtype_name(out.type) != "float32":
        raise OutputError(f"{label}: output {out.name!r} has dtype {dtype_name(out.type)}; the contract wants float32")
    out_shape = out.shape
    if out_shape is not None and len(out_shape) > 0:
        declared_mismatch = len(out_shape) != len(x_shape) or any(
            isinstance(o, int) and isinstance(i, int) and o != i for o, i in zip(out_shape, x_shape, strict=True)
        )
        if declared_mismatch:
            raise OutputShapeError(
                f"{label}: output {out.name!r} is declared {_shape_text(out_shape)} but input "
                f"'x' is {_shape_text(x_shape)}; the output must be shaped like x"
            )
    t_own_axis = t_shape[0] == 1 or (isinstance(t_shape[0], str) and t_shape[0] != x_shape[0])
    return Signature(tuple(int(d) for d in x_shape[1:]), t_type, batch_size, out.name, t_own_axis)
