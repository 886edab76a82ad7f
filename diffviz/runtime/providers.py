"""Which ONNX Runtime execution provider runs a model, and the session options diffviz uses.

The CUDA provider is used only when it really runs: onnxruntime-gpu lists ``CUDAExecutionProvider`` in
``get_available_providers()`` even on a machine without a GPU or without CUDA 13 / cuDNN 9, where creating it
fails (and ORT prints a red error). So the first session of the process asks for exactly ``[CUDA, CPU]`` with
ORT's logging silenced, reads which provider the session actually got, and remembers the answer.
``DIFFVIZ_PROVIDER=cpu|cuda`` skips the probe; ``DIFFVIZ_THREADS=k`` caps ORT's threads per session.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Iterator
from typing import Literal

import onnxruntime as ort

from .errors import ProviderError

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
CUDA_OPTIONS = {"use_tf32": "0"}  # full fp32 matmuls: TF32 (ORT's default on Ampere+) drifts ~1e-3 per call
ENV_VAR = "DIFFVIZ_PROVIDER"
THREADS_ENV_VAR = "DIFFVIZ_THREADS"
MAX_THREADS = 1024  # per session; more is a typo (ORT would try to start them all, and batches grow with them)
ORT_DEFAULT_SEVERITY = 2  # ORT's own default (warning); restored after a quiet probe
_FATAL_ONLY = 4

Mode = Literal["auto", "cpu", "cuda"]


class _Probe:
    """Per-process memory of whether the CUDA provider runs (None: not tried yet)."""

    lock = threading.Lock()
    cuda_runs: bool | None = None
    dlls_preloaded = False


PROVIDER_WORDS = {CUDA: "CUDA", CPU: "CPU"}


def provider_words(provider: str) -> str:
    """An execution provider's name as the app shows it: ``CUDA``, ``CPU`` (others unchanged)."""
    return PROVIDER_WORDS.get(provider, provider)


def requested_mode() -> Mode:
    """``DIFFVIZ_PROVIDER`` read as ``auto`` (unset), ``cpu`` or ``cuda``."""
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if value in ("", "auto"):
        return "auto"
    if value in ("cpu", "cuda"):
        return value  # type: ignore[return-value]
    raise ProviderError(f"{ENV_VAR}={os.environ[ENV_VAR]!r} is not understood; use cpu, cuda, or leave it unset")


def session_threads() -> int:
    """How many intra-op threads a session runs: ``DIFFVIZ_THREADS``, else ORT's one per core."""
    return intra_op_threads() or os.cpu_count() or 1


def intra_op_threads() -> int:
    """``DIFFVIZ_THREADS`` (threads per session), or 0: ORT's default of one per physical core."""
    value = os.environ.get(THREADS_ENV_VAR, "").strip()
    if not value:
        return 0
    if not (value.isascii() and value.isdigit()):
        raise ProviderError(f"{THREADS_ENV_VAR}={value!r} is not a whole number of threads")
    if len(value) > 9 or int(value) > MAX_THREADS:
        raise ProviderError(
            f"{THREADS_ENV_VAR}={value} is more threads than a session can use (at most {MAX_THREADS}; this "
            f"machine has {os.cpu_count() or 'an unknown number of'} CPUs); use 0 or leave it unset for one per core"
        )
    return int(value)


_spinning = {"on": True}  # see prefer_spinning_threads


def prefer_spinning_threads(on: bool) -> None:
    """Whether sessions made from now on let their worker threads spin between calls (the default) or sleep.

    Spinning wins headless (``diffviz sample``/``render``, the Python API): back-to-back calls skip the wake-up, and
    on 2 cores 1,000 particles sample 1.4× faster (benchmarks/bench_engine.py). The window turns it off: a spinning
    thread takes the core its GUI thread needs (the longest event gap while re-sampling grew from ~70 to ~84 ms)."""
    _spinning["on"] = on


def session_options(*, quiet: bool = False) -> ort.SessionOptions:
    """All graph optimizations on; worker threads spin between calls unless :func:`prefer_spinning_threads` said
    not to (the window: its GUI thread needs a core)."""
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = intra_op_threads()
    so.add_session_config_entry("session.intra_op.allow_spinning", "1" if _spinning["on"] else "0")
    so.add_session_config_entry("session.inter_op.allow_spinning", "0")
    if quiet:
        so.log_severity_level = _FATAL_ONLY
    return so


@contextlib.contextmanager
def quiet_ort() -> Iterator[None]:
    """Silence ORT's logger and Python-level prints (``preload_dlls`` prints to stdout) for the duration."""
    ort.set_default_logger_severity(_FATAL_ONLY)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        ort.set_default_logger_severity(ORT_DEFAULT_SEVERITY)


def _preload_cuda_dlls() -> None:
    """Let ORT find CUDA/cuDNN from pip's nvidia-* wheels (onnxruntime ≥ 1.21); quiet, once per process."""
    if _Probe.dlls_preloaded:
        return
    _Probe.dlls_preloaded = True
    preload = getattr(ort, "preload_dlls", None)
    if preload is not None:
        with contextlib.suppress(Exception):
            preload()


def cuda_listed() -> bool:
    return CUDA in ort.get_available_providers()


def create_session(model: str | bytes) -> tuple[ort.InferenceSession, list[str]]:
    """An ``InferenceSession`` on the provider that runs, plus notices about the choice.

    ORT's exceptions on an unreadable model propagate unchanged (the caller turns them into ModelErrors).
    """
    mode = requested_mode()
    notices: list[str] = []
    if mode == "cpu":
        return ort.InferenceSession(model, session_options(), providers=[CPU]), [f"{ENV_VAR}=cpu: running on CPU"]
    if not cuda_listed():
        if mode == "cuda":
            raise ProviderError(
                f"{ENV_VAR}=cuda, but this onnxruntime build has no CUDA execution provider (install onnxruntime-gpu)"
            )
        return ort.InferenceSession(model, session_options(), providers=[CPU]), notices
    session: ort.InferenceSession | None = None
    with _Probe.lock:
        if _Probe.cuda_runs is None:
            with quiet_ort():
                _preload_cuda_dlls()
                session = ort.InferenceSession(
                    model, session_options(quiet=True), providers=[(CUDA, CUDA_OPTIONS), CPU]
                )
            _Probe.cuda_runs = session.get_providers()[0] == CUDA
        runs = _Probe.cuda_runs
    if runs:
        if session is None:
            session = ort.InferenceSession(model, session_options(), providers=[(CUDA, CUDA_OPTIONS), CPU])
        return session, notices
    if mode == "cuda":
        raise ProviderError(
            f"{ENV_VAR}=cuda, but the CUDA execution provider does not start here "
            f"(it needs an NVIDIA GPU with CUDA 13 and cuDNN 9); unset {ENV_VAR} to use the CPU"
        )
    notices.append(
        "the CUDA execution provider is installed but does not start here (it needs a GPU, CUDA 13 "
        "and cuDNN 9): running on CPU"
    )
    # The probe session was made with logging silenced; the model gets an ordinary CPU session.
    return ort.InferenceSession(model, session_options(), providers=[CPU]), notices


def cuda_probe_result() -> bool | None:
    """What the per-process probe found: True/False, or None when no CUDA session was tried yet."""
    return _Probe.cuda_runs
