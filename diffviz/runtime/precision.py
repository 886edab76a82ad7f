"""Reduced precision, opt-in only: ``DIFFVIZ_PRECISION=int8`` runs a model's matrix products in int8.

ONNX Runtime's dynamic quantization (``onnxruntime.quantization.quantize_dynamic``) stores the weights as int8 and
quantizes each call's activations on the fly; on CPUs with VNNI/AMX the products run in int8 units. The answers
change: every model loaded this way is checked against its own fp32 self on the probe batch, and the largest
difference of its output is said in a notice on its card (the window's status bar, ``diffviz info``), next to the
model's output range. fp32 stays the default; CUDA sessions ignore the setting (their fp32 is not the bottleneck).

Measured on the zoo's MLP (2 threads): 1.25× faster at 1,000 rows per call, 1.55× at 10,000, 1.15× at 100,000,
with ε̂ off by ≈ 2 % of its range (benchmarks/bench_engine.py prints both for the run at hand).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Literal

import numpy as np

from .errors import ProviderError

PRECISION_ENV_VAR = "DIFFVIZ_PRECISION"
Precision = Literal["fp32", "int8"]
PRECISIONS: tuple[Precision, ...] = ("fp32", "int8")


def requested_precision() -> Precision:
    """``DIFFVIZ_PRECISION`` (``fp32`` when unset); any other value is refused with the valid ones."""
    value = os.environ.get(PRECISION_ENV_VAR, "").strip().lower() or "fp32"
    if value not in PRECISIONS:
        raise ProviderError(f"{PRECISION_ENV_VAR}={value!r} is not a precision; valid: {', '.join(PRECISIONS)}")
    return value  # type: ignore[return-value]


def quantized_int8(path: Path) -> bytes:
    """The model at ``path`` with dynamically quantized int8 weights (ONNX Runtime's quantizer; it needs the
    ``onnx`` package, which the ``train`` extra installs)."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ProviderError(
            f"{PRECISION_ENV_VAR}=int8 needs the onnx package ({exc.name or 'onnx'} is not installed): pip install onnx"
        ) from None
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer's advice to pre-process the graph is for its own users, not ours
    try:
        with tempfile.TemporaryDirectory(prefix="diffviz-int8-") as folder:
            out = Path(folder) / "int8.onnx"
            quantize_dynamic(str(path), str(out), weight_type=QuantType.QInt8)
            return out.read_bytes()
    finally:
        root.setLevel(level)


def difference_note(reference: np.ndarray, reduced: np.ndarray, precision: str) -> tuple[float, str]:
    """The largest |reduced − reference| and a notice that puts it next to the output's range."""
    error = float(np.max(np.abs(reduced.astype(np.float64) - reference)))
    span = float(np.max(reference) - np.min(reference)) or 1.0
    return error, (
        f"{PRECISION_ENV_VAR}={precision} (opt-in): the model's output differs from fp32 by up to {error:.3g} "
        f"({100 * error / span:.1f} % of its range) on the probe batch"
    )
