"""Feeding batches to an ONNX Runtime session: the per-call path of :class:`~diffviz.runtime.OnnxDenoiser`.

- CPU: plain ``session.run`` (``IOBinding`` on CPU buys nothing measurable, see benchmarks/bench_engine.py).
- CUDA: ``IOBinding`` with device buffers kept between steps — x is copied into a preallocated device tensor,
  the output lands in a preallocated device tensor, and the time tensor of each t value stays on the device.
- A model that declares ``diffviz.time_shape = broadcast`` gets t as [1]: it embeds the time once per call and
  broadcasts it over the batch, instead of once per row (a quarter of the zoo MLP's multiply-adds).
  The sampler math runs in numpy on the host, so x goes in and the result comes out once per call.
- A fixed batch size B (a number in the graph) is served in chunks of B, the last one padded with zeros.
- Vector models on CPU are fed at most ``CPU_VECTOR_ROWS`` rows per thread per call: an MLP's activations for
  many more rows spill out of the caches and the model runs slower per row. Measured on the zoo's MLP (2 threads,
  interleaved): 8192 rows per thread ran 10k, 30k and 100k particles 13–15 % faster than 2048 and than 16384,
  and 100k 1.6× faster than one whole batch. Image models showed no such effect and run whole.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnxruntime as ort

from .contract import T_DTYPES

_MAX_SHAPES = 4  # a step evaluates at N and N + grid points; keep a few shapes' buffers
_MAX_TIMES = 4096  # time tensors cached per shape (more than any schedule's steps)
CPU_VECTOR_ROWS = 8192  # per intra-op thread


@dataclass
class _Buffers:
    """Device tensors for one batch shape: x in, output, the binding that ties them, and t tensors by value."""

    x: Any
    out: Any
    binding: Any
    times: dict[float, Any] = field(default_factory=dict)


class SessionRunner:
    """Calls ``session`` on (x, t) with t one value for the whole batch; returns a float32 host array like x."""

    def __init__(
        self,
        session: ort.InferenceSession,
        output_name: str,
        t_dtype: str,
        batch_size: int | None,
        *,
        io_binding: bool | None = None,
        max_rows: int | None = None,
        t_broadcast: bool = False,
    ) -> None:
        self.session, self.output_name = session, output_name
        self.t_broadcast = t_broadcast  # the model takes t as [1] for the whole batch (diffviz.time_shape)
        self.t_dtype = T_DTYPES[t_dtype]
        self.batch_size = batch_size
        self.device = "cuda" if session.get_providers()[0] == "CUDAExecutionProvider" else "cpu"
        self.io_binding = self.device == "cuda" if io_binding is None else io_binding
        self.max_rows = max_rows
        self._buffers: OrderedDict[tuple[int, ...], _Buffers] = OrderedDict()
        self._lock = threading.Lock()  # the bound buffers are shared: one bound call at a time

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        B = self.batch_size
        if B is None:
            rows = self.max_rows
            if rows is None or len(x) <= rows:
                return self._run(x, t)
            out = np.empty_like(x)
            bounds = np.linspace(0, len(x), -(-len(x) // rows) + 1).astype(int)  # equal chunks of ≤ rows
            for a, b in zip(bounds[:-1], bounds[1:], strict=True):
                out[a:b] = self._run(x[a:b], t)
            return out
        if len(x) == B:
            return self._run(x, t)
        out = np.empty_like(x)
        for s in range(0, len(x), B):
            chunk = x[s : s + B]
            if len(chunk) < B:  # pad the last chunk
                chunk = np.concatenate([chunk, np.zeros((B - len(chunk), *x.shape[1:]), np.float32)])
            out[s : s + B] = self._run(chunk, t)[: len(x) - s]
        return out

    def _t(self, n: int, t: float) -> np.ndarray:
        return np.full(1 if self.t_broadcast else n, t, dtype=self.t_dtype)

    def _run(self, x: np.ndarray, t: float) -> np.ndarray:
        if not self.io_binding:
            out = self.session.run([self.output_name], {"x": x, "t": self._t(len(x), t)})[0]
            return np.asarray(out, dtype=np.float32)
        with self._lock:
            buf = self._buffers_for(x.shape)
            buf.x.update_inplace(x)
            t_value = buf.times.get(t)
            if t_value is None:
                if len(buf.times) >= _MAX_TIMES:
                    buf.times.clear()
                t_value = buf.times[t] = ort.OrtValue.ortvalue_from_numpy(self._t(len(x), t), self.device, 0)
            buf.binding.bind_ortvalue_input("t", t_value)
            self.session.run_with_iobinding(buf.binding)
            result: np.ndarray = buf.out.numpy()  # device → host copy; on CPU a view of the reused buffer: copy
            return result.copy() if self.device == "cpu" else result

    def _buffers_for(self, shape: tuple[int, ...]) -> _Buffers:
        buf = self._buffers.get(shape)
        if buf is not None:
            self._buffers.move_to_end(shape)
            return buf
        x_dev = ort.OrtValue.ortvalue_from_shape_and_type(list(shape), np.float32, self.device, 0)
        out_dev = ort.OrtValue.ortvalue_from_shape_and_type(list(shape), np.float32, self.device, 0)
        binding = self.session.io_binding()
        binding.bind_ortvalue_input("x", x_dev)
        binding.bind_ortvalue_output(self.output_name, out_dev)
        buf = self._buffers[shape] = _Buffers(x_dev, out_dev, binding)
        if len(self._buffers) > _MAX_SHAPES:
            self._buffers.popitem(last=False)
        return buf
