"""Runs sampling off the GUI thread: every settings change cancels the running run and starts a new one.

The run is a :class:`~diffviz.core.SamplingRun` built on the GUI thread (so its preallocated trajectory is shown at
once) and iterated in a superqt ``GeneratorWorker``, which checks for cancellation between steps. The worker
reports progress as ``(run_id, event, payload)`` tuples; events of a cancelled run are ignored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, Signal
from superqt.utils import GeneratorWorker

from diffviz.core import SAMPLERS, SamplingRun

from .model_info import ModelInfo
from .noise_lock import locked_noise, locked_x_T
from .state import AppState

REPORT_EVERY_S = 0.010  # at most ~100 progress events per second reach the GUI thread
FIRST_FRAME_WAIT_S = 0.1
MAX_RUN_BYTES = 2 * 1024**3  # x and ε̂ of every step are kept: refuse runs that would not fit comfortably


def check_run_size(n: int, num_steps: int, shape: tuple[int, ...]) -> None:
    """Refuse, with the numbers, a run whose recorded arrays would take more than MAX_RUN_BYTES."""
    size = (2 * num_steps + 1) * n * int(np.prod(shape)) * 4
    if size > MAX_RUN_BYTES:
        raise MemoryError(f"{n} particles × {num_steps} steps would record {size / 1024**3:.1f} GiB "
                          f"(limit {MAX_RUN_BYTES / 1024**3:.0f} GiB); use fewer particles or fewer steps")


def _iterate(run: SamplingRun, run_id: int, first_frame: threading.Event) -> Iterator[tuple[int, str, Any] | None]:
    """Advance the run one step per ``next``; yields a progress event now and then, None in between.

    After the first step it waits (at most FIRST_FRAME_WAIT_S) until the GUI has drawn it: the GUI thread then
    draws without competing with this thread for the GIL, which is what keeps slider-to-first-frame short.
    """
    start = last = time.perf_counter()
    try:
        for k in run:
            now = time.perf_counter()
            if k == 0 or now - last >= REPORT_EVERY_S:
                last = now
                yield run_id, "step", 1e3 * (now - start) / (k + 1)
                if k == 0:
                    first_frame.wait(FIRST_FRAME_WAIT_S)
                    start += time.perf_counter() - now  # the wait is not sampling time
            else:
                yield None
    except Exception as exc:  # noqa: BLE001 - any failure of a model run becomes an error dialog
        yield run_id, "error", exc
        return
    yield run_id, "done", 1e3 * (time.perf_counter() - start) / max(run.trajectory.num_steps, 1)


class SamplingController(QObject):
    """Keeps one run going for the state's current settings; see the module docstring."""

    runFailed = Signal(object)  # the exception of the current run

    def __init__(self, state: AppState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._worker: GeneratorWorker | None = None
        self._run_id = 0
        self._run_trajectory: object = None
        self._first_frame = threading.Event()
        self._trusted: ModelInfo | None = None  # last model that finished a run
        self.enabled = True
        for signal in (state.modelChanged, state.scheduleChanged, state.samplerChanged):
            signal.connect(self.restart)

    @property
    def running(self) -> bool:
        return self._worker is not None

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Several state changes as one: no run starts inside; call :meth:`restart` after if one should."""
        self.cancel()
        enabled, self.enabled = self.enabled, False
        try:
            yield
        finally:
            self.enabled = enabled

    def restart(self, *_: object) -> None:
        """Cancel the current run and start one for the state's settings (errors become the state's errors)."""
        self.cancel()
        info = self.state.model
        if info is None or not self.enabled:
            return
        ss = self.state.sampler_settings
        try:
            schedule = self.state.schedule_settings.build()
            clip = max(abs(v) for v in info.data_range) if info.data_range else 1.0
            options = ss.options(clip)
            check_run_size(ss.n, schedule.num_steps, tuple(info.model.data_shape))
            x_T = noise = None
            if ss.same_noise:
                shape = tuple(info.model.data_shape)
                x_T = locked_x_T(ss.seed, ss.n, shape)
                noise = locked_noise(ss.seed, ss.n, shape, schedule.num_steps, SAMPLERS[ss.kind].draws_per_step(options))
            run = SamplingRun(info.model, schedule, ss.kind, n=ss.n, seed=ss.seed, x_T=x_T, noise=noise, **options)
        except (ValueError, MemoryError) as exc:
            self.state.report_error("Cannot sample with these settings", str(exc))
            return
        self._run_id += 1
        self._run_trajectory, self._first_frame = run.trajectory, threading.Event()
        self.state.start_run(run.trajectory, schedule)
        worker = GeneratorWorker(_iterate, run, self._run_id, self._first_frame)
        worker.yielded.connect(self._on_event)
        self._worker = worker
        worker.start()

    def frame_shown(self, trajectory: object) -> None:
        """The GUI has drawn a frame of ``trajectory``; the run, if it is the current one, may go on at full speed."""
        if trajectory is self._run_trajectory:
            self._first_frame.set()

    def cancel(self, wait_ms: int | None = None) -> bool:
        """Ask the running worker to stop after its current step; with ``wait_ms``, wait for the thread to end."""
        self._first_frame.set()  # never leave a worker waiting for a frame
        if self._worker is not None:
            self._worker.quit()
            self._worker = None
        if wait_ms is None:
            return True
        return QThreadPool.globalInstance().waitForDone(wait_ms)

    def _on_event(self, event: tuple[int, str, Any] | None) -> None:
        if event is None or event[0] != self._run_id or self._worker is None:
            return  # a step without news, or the tail of a cancelled run
        _, kind, payload = event
        if kind == "step":
            self.state.progress(payload)
        elif kind == "done":
            self._worker = None
            self._trusted = self.state.model
            self.state.progress(payload)
            self.state.finish_run()
        else:
            self._worker = None
            self._fail(payload)

    def _fail(self, exc: BaseException) -> None:
        info = self.state.model
        message = f"{type(exc).__name__}: {exc}"
        previous = self._trusted
        if previous is not None and info is not previous:
            message += f"\n\nBack to the previous model, {previous.name}."
        self.state.report_error(f"Sampling failed on {info.name if info else 'the model'}", message)
        self.runFailed.emit(exc)
        if previous is not None and info is not previous:
            self.state.set_model(previous)
