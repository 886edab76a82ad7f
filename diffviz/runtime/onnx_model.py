"""An ONNX model as a :class:`~diffviz.core.denoiser.Denoiser`: checked against the contract, probed once."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from onnxruntime.capi.onnxruntime_pybind11_state import InvalidProtobuf

from ..core.card import ModelCard
from ..core.denoiser import NoiseLevelTime, TimeInput
from ..core.sampling import ModelOutputError, file_sha256
from ..core.schedule import Schedule
from .contract import Signature, check_signature
from .errors import (
    ModelFileNotFoundError,
    ModelLoadError,
    NonFiniteOutputError,
    NotOnnxError,
    OutputShapeError,
    ProviderError,
)
from .metadata import PREFIX, as_dict, parse_metadata
from .precision import PRECISION_ENV_VAR, difference_note, quantized_int8, requested_precision
from .providers import create_session, provider_words, session_options, session_threads
from .runner import CPU_VECTOR_ROWS, SessionRunner

PROBE_N = 4
PROBE_SEED = 0


def _open_session(path: Path, label: str) -> tuple[ort.InferenceSession, list[str]]:
    if not path.exists():
        raise ModelFileNotFoundError(f"{label}: no such file ({path})")
    if not path.is_file():
        raise ModelFileNotFoundError(f"{label}: not a file ({path})")
    try:
        return create_session(str(path))
    except ProviderError:
        raise
    except InvalidProtobuf:
        raise NotOnnxError(f"{label}: not an ONNX model (its protobuf cannot be parsed)") from None
    except Exception as exc:  # ORT raises Fail/RuntimeException/… for graphs it cannot load
        reason = ort_reason(exc)
        if "no graph" in reason.lower():
            raise NotOnnxError(f"{label}: not an ONNX model (no graph in the file)") from None
        raise ModelLoadError(f"{label}: ONNX Runtime cannot load it: {reason}") from None


def ort_reason(exc: BaseException) -> str:
    """The readable part of an ORT error: without its code prefix, the file path and the C++ source location."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", text)
    text = re.sub(r"^Load model from .* failed:", "", text)
    return re.sub(r"^\s*/\S+:\d+ [^(]*\(.*?\) ", "", text).strip()


class OnnxDenoiser:
    """A model file following docs/model-format.md, run by ONNX Runtime on the provider that works here.

    ``__call__(x, t)`` evaluates the model at one model time ``t`` for the whole batch (t from
    :meth:`model_time`, index units), returning a float32 array shaped like ``x``.
    """

    name: str
    prediction_type: str
    data_shape: tuple[int, ...]
    train_schedule: Schedule
    time_input: TimeInput

    def __init__(self, path: str | os.PathLike[str], *, name: str | None = None, data: str | None = None) -> None:
        self.path = Path(path)
        label = self.path.name
        session, notices = _open_session(self.path, label)
        signature = check_signature(session, label)
        props = dict(session.get_modelmeta().custom_metadata_map)
        meta = parse_metadata(
            props,
            label=label,
            default_name=name or self.path.stem,
            t_dtype=signature.t_dtype,
            data_shape=signature.data_shape,
        )
        self.session = session
        self.label = label
        self.name = name or meta.name
        self.description = meta.description
        self.prediction_type = meta.prediction_type
        self.data_shape = signature.data_shape
        self.train_schedule = meta.train_schedule
        self.time_input = meta.time_input
        self.t_dtype = signature.t_dtype
        self.batch_size = signature.batch_size
        self.data = meta.data or data
        self.data_range = meta.data_range
        self.clip_sample = meta.clip_sample
        self.metadata: dict[str, str] = props
        self.effective_metadata: dict[str, Any] = as_dict(meta)
        self.provider: str = session.get_providers()[0]
        self.sha256 = file_sha256(str(self.path))
        self.notices: list[str] = [*notices, *meta.notices]
        if self.batch_size is not None:
            self.notices.append(
                f"fixed batch size {self.batch_size}: runs in chunks of {self.batch_size}, the last one padded"
            )
        self._time = NoiseLevelTime(self.train_schedule, self.time_input)
        vectors_on_cpu = self.provider == "CPUExecutionProvider" and len(self.data_shape) == 1
        rows = CPU_VECTOR_ROWS * session_threads()
        self._runner = SessionRunner(
            session,
            signature.output_name,
            signature.t_dtype,
            self.batch_size,
            max_rows=rows if vectors_on_cpu else None,
        )
        self._probe(signature.output_name)
        self.time_shape = self._check_time_shape(meta.time_shape, signature)
        self.precision_error = 0.0  # the largest |output − fp32 output| on the probe (int8: measured)
        self.precision = self._reduce_precision(signature)
        self._card = ModelCard.create(
            name=self.name,
            prediction_type=self.prediction_type,
            data_shape=self.data_shape,
            train_schedule=self.train_schedule,
            time_input=self.time_input,
            data=self.data,
            data_range=self.data_range,
            clip_sample=self.clip_sample,
            provider=provider_words(self.provider),
            sha256=self.sha256,
            path=str(self.path),
            description=self.description,
            batch_size=self.batch_size,
            notices=self.notices,
            metadata=self.metadata,
            timestep_spacing=meta.timestep_spacing,
            steps_offset=meta.steps_offset,
        )

    def _check_time_shape(self, declared: str, signature: Signature) -> str:
        """``broadcast`` when the model declares it, its graph gives t an axis of its own, and t of shape [1] gives
        the probe's output bit for bit (else ``batch``, with a notice saying why)."""
        if declared != "broadcast":
            return "batch"
        why = None
        if not signature.t_own_axis:
            why = "its input 't' shares the batch axis of 'x' (ONNX Runtime then needs t of shape [N])"
        else:
            n = PROBE_N
            x = np.random.default_rng(PROBE_SEED).standard_normal((n, *self.data_shape), dtype=np.float32)
            t_mid = (self.train_schedule.num_steps - 1) / 2
            value = round(t_mid) if self.time_input == "index" else t_mid
            out, dtype = [signature.output_name], self._runner.t_dtype
            try:
                per_row = self.session.run(out, {"x": x, "t": np.full(n, value, dtype)})[0]
                once = self.session.run(out, {"x": x, "t": np.full(1, value, dtype)})[0]
                if not np.array_equal(per_row, once):
                    why = f"t of shape [1] changes its output (by up to {float(np.max(np.abs(per_row - once))):.3g})"
            except Exception as exc:  # noqa: BLE001 - any failure of the [1] form means: do not use it
                why = f"t of shape [1] fails: {ort_reason(exc)}"
        if why is not None:
            self.notices.append(f"{PREFIX}time_shape = broadcast ignored: {why}; t is given per row")
            return "batch"
        self._runner.t_broadcast = True
        return "broadcast"

    def _reduce_precision(self, signature: Signature) -> str:
        """``DIFFVIZ_PRECISION=int8`` on CPU: swap in the dynamically quantized model, after measuring how far its
        output is from fp32 on the probe batch (said in a notice). Otherwise, or when quantizing fails, fp32."""
        precision = requested_precision()
        if precision == "fp32":
            return "fp32"
        if self.provider != "CPUExecutionProvider":
            self.notices.append(f"{PRECISION_ENV_VAR}={precision} is for CPU sessions: running fp32 on {self.provider}")
            return "fp32"
        try:
            data = quantized_int8(self.path)
            session = ort.InferenceSession(data, session_options(), providers=["CPUExecutionProvider"])
        except ProviderError:
            raise
        except Exception as exc:  # noqa: BLE001 - the quantizer's or ORT's own errors: say them, stay fp32
            self.notices.append(f"{PRECISION_ENV_VAR}={precision}: quantizing failed ({ort_reason(exc)}); running fp32")
            return "fp32"
        x = np.random.default_rng(PROBE_SEED).standard_normal((PROBE_N, *self.data_shape), dtype=np.float32)
        runner = SessionRunner(
            session,
            signature.output_name,
            signature.t_dtype,
            self.batch_size,
            max_rows=self._runner.max_rows,
            t_broadcast=self._runner.t_broadcast,
        )
        T = self.train_schedule.num_steps
        times = [float(round(f * (T - 1))) if self.time_input == "index" else f * (T - 1) for f in (0.1, 0.5, 0.9)]
        reference = np.stack([self._runner(x, t) for t in times])
        reduced = np.stack([runner(x, t) for t in times])
        self.precision_error, note = difference_note(reference, reduced, precision)
        self.notices.append(note)
        self.session, self._runner = session, runner
        return precision

    def _probe(self, output_name: str) -> None:
        """One deterministic call at mid time: the output must be finite and shaped like x (plain ``run``)."""
        n = self.batch_size or PROBE_N
        x = np.random.default_rng(PROBE_SEED).standard_normal((n, *self.data_shape), dtype=np.float32)
        t_mid = (self.train_schedule.num_steps - 1) / 2
        t = np.full(n, round(t_mid) if self.time_input == "index" else t_mid, dtype=self._runner.t_dtype)
        try:
            out = np.asarray(self.session.run([output_name], {"x": x, "t": t})[0])
        except Exception as exc:
            raise ModelLoadError(f"{self.label}: the probe run at t={t[0]:g} failed: {ort_reason(exc)}") from None
        if out.shape != x.shape:
            raise OutputShapeError(
                f"{self.label}: for x of shape {list(x.shape)} the output has shape "
                f"{list(out.shape)}; it must be shaped like x"
            )
        if not np.all(np.isfinite(out)):
            bad = int(np.size(out) - np.count_nonzero(np.isfinite(out)))
            raise NonFiniteOutputError(
                f"{self.label}: the probe run (N={n} standard-normal x at t={t[0]:g}) "
                f"returned NaN/Inf in {bad} of {out.size} values"
            )

    # ---- Denoiser protocol --------------------------------------------------------------------------------
    @property
    def card(self) -> ModelCard:
        """The model as loaded and checked: its metadata, file hash, provider and notices (built once)."""
        return self._card

    def model_time(self, alpha_bar: float) -> tuple[float, bool]:
        """The training time whose ᾱ matches (log-SNR interpolation; docs/model-format.md "Time")."""
        return self._time(alpha_bar)

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(x)
        if x.shape[1:] != self.data_shape:
            raise ValueError(
                f"{self.name}: x has shape {x.shape}; the model takes (N, {', '.join(map(str, self.data_shape))})"
            )
        if self.time_input == "index":  # whole step indices, whatever t's dtype
            t = float(np.rint(t))
        try:
            return self._runner(x, t)
        except Exception as exc:
            raise ModelOutputError(
                f"{self.label}: ONNX Runtime failed at t={t:g} for N={len(x)}: {ort_reason(exc)}"
            ) from exc

    def __repr__(self) -> str:
        return (
            f"OnnxDenoiser({self.name!r}, {self.prediction_type}, data_shape={self.data_shape}, "
            f"{self.time_input} t, {self.provider})"
        )
