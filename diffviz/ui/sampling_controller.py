"""Runs sampling off the GUI thread: every settings change cancels the running run and starts a new one.

The run is a :class:`~diffviz.core.SamplingRun` built on the GUI thread (so its preallocated trajectory is shown at
once) and iterated in a superqt ``GeneratorWorker``; the run checks its stop flag between steps. The worker reports
progress as ``(run_id, event, payload)`` tuples, at most every REPORT_EVERY_S (each report is a signal queued to the
GUI thread, which then takes the GIL: one per step cost the run ~15 % of its speed); events of a cancelled run are
ignored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal
from superqt.utils import GeneratorWorker, WorkerBase

from diffviz.core import SamplingRun
from diffviz.session import build_pair, build_run
from diffviz.views.model_info import ModelInfo

from .state import AppState

REPORT_EVERY_S = 0.033  # at most ~30 progress events per second reach the GUI thread (the views draw ≤ 30)
FIRST_FRAME_WAIT_S = 0.1
RUN_FIELDS = frozenset({"model", "card", "schedule", "sampler", "compare"})  # session fields a run is made from


Event = tuple[int, str, Any]


class _Worker(GeneratorWorker):
    """superqt's GeneratorWorker, whose ``start`` connects the worker's end to ``_set_discard``: a plain function here.

    superqt's is a classmethod, a method bound to the class, and for a slot bound to anything but a QObject PySide6
    keeps a weak reference to that object which outlives the connection: every run left one more weak reference to
    the worker class behind (tests/ui/test_soak_leak.py). A function is connected without one.
    """

    @staticmethod
    def _set_discard(worker: WorkerBase) -> None:
        WorkerBase._worker_set.discard(worker)  # the running workers, kept alive by superqt until they finish


def _in_step(run: SamplingRun, compare: SamplingRun | None) -> Iterator[int]:
    """The run's steps; side by side, each step of ``compare`` is taken just before the run's, so a step the run has
    finished (what the views may show) is always finished on both sides."""
    if compare is None:
        yield from run
        return
    for _ in compare:
        yield next(run)


def _iterate(
    run: SamplingRun,
    run_id: int,
    first_frame: threading.Event,
    stop: threading.Event,
    compare: SamplingRun | None = None,
) -> Generator[Event, None, None]:
    """Advance the run (and the side-by-side run) until it ends or ``stop`` is set; yields a progress event after
    the first step and then at most every REPORT_EVERY_S.

    After the first step it waits (at most FIRST_FRAME_WAIT_S) until the GUI has drawn it: the GUI thread then
    draws without competing with this thread for the GIL, which is what keeps slider-to-first-frame short.
    """
    start = last = time.perf_counter()
    steps = _in_step(run, compare)
    try:
        while True:
            if stop.is_set():
                return  # before the next step: a cancelled run computes nothing more
            k = next(steps, None)
            if k is None:
                break
            now = time.perf_counter()
            if k == 0 or now - last >= REPORT_EVERY_S:
                last = now
                yield run_id, "step", 1e3 * (now - start) / (k + 1)
                if k == 0:
                    first_frame.wait(FIRST_FRAME_WAIT_S)
                    start += time.perf_counter() - now  # the wait is not sampling time
    except Exception as exc:  # noqa: BLE001 - any failure of a model run becomes an error dialog
        yield run_id, "error", exc
        return
    yield run_id, "done", 1e3 * (time.perf_counter() - start) / max(run.trajectory.num_steps, 1)


class SamplingController(QObject):
    """Keeps one run going for the state's current settings; see the module docstring."""

    runFailed = Signal(object)  # the exception of the current run
    fieldMoved = Signal()  # the current run's score-field grid moved (a zoom): the shown frame needs redrawing

    def __init__(self, state: AppState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._worker: GeneratorWorker | None = None
        self._run_id = 0
        self._run_trajectory: object = None
        self._run: SamplingRun | None = None  # the current run (its lazy field is filled as steps are shown)
        self._compare: SamplingRun | None = None  # side by side: the second sampler's run
        self._first_frame = threading.Event()
        self._stop = threading.Event()  # the current run's: set when it is cancelled
        self._trusted: ModelInfo | None = None  # last model that finished a run
        self.enabled = True
        self._field = self._field_settings()
        state.settingsChanged.connect(self._on_settings)

    def _field_settings(self) -> tuple[object, object]:
        view = self.state.view_settings
        return view.field_grid, view.field_extent

    def _on_settings(self, names: frozenset[str]) -> None:
        """A new run when what makes one changed (the view only for the score field's grid); a moved field extent
        (the window's zoom) moves the current lazy run's grid instead: the particles stay, the field is redrawn."""
        field, self._field = self._field, self._field_settings()
        if names & RUN_FIELDS:
            self.restart()
        elif "view" in names and field != self._field:
            moved = field[0] == self._field[0] and self._run is not None
            if moved and self._run.move_field(self._field[1]):  # type: ignore[union-attr, arg-type]
                if self._compare is not None:
                    self._compare.move_field(self._field[1])  # type: ignore[arg-type]
                self.fieldMoved.emit()
            else:
                self.restart()

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

    def restart(self, *_: object, step: int | None = None) -> None:
        """Cancel the current run and start one for the session's settings, shown at ``step`` (default: where the
        playhead is); errors become the state's errors."""
        self.cancel()
        info = self.state.model
        if info is None or not self.enabled:
            return
        session = self.state.session
        compare: SamplingRun | None = None
        try:
            if session.compare is not None and info.modality == "points":
                run, compare, schedule = build_pair(
                    info.model, session.schedule, session.sampler, session.compare, session.view, field_lazy=True
                )
            else:
                run, schedule = build_run(info.model, session.schedule, session.sampler, session.view, field_lazy=True)
        except (ValueError, MemoryError) as exc:
            self.state.report_error("Cannot sample with these settings", str(exc))
            return
        self._run_id += 1
        self._run_trajectory, self._first_frame, self._stop = run.trajectory, threading.Event(), threading.Event()
        self._run, self._compare = run, compare
        self.state.start_run(run.trajectory, schedule, step, compare=compare.trajectory if compare else None)
        worker = _Worker(_iterate, run, self._run_id, self._first_frame, self._stop, compare)
        worker.yielded.connect(self._on_event)
        self._worker = worker
        worker.start()

    def ensure_field(self, trajectory: object, index: int) -> None:
        """Evaluate the score field of the step about to be drawn (the window's runs are lazy: only the steps
        shown cost a field evaluation). A model failing on the grid leaves that field empty, said once."""
        run = self._run
        if self._compare is not None and trajectory is self._compare.trajectory:
            run = self._compare
        if run is None or trajectory is not run.trajectory:
            return
        K = run.trajectory.num_steps
        try:
            run.ensure_field(min(index, K - 1))
            # the score view's colour levels span the run's ends: x_T's field and, once sampled, the last step's
            run.ensure_field(0)
            run.ensure_field(K - 1)
        except (ValueError, RuntimeError) as exc:
            self._run = None  # no second attempt (and no second message) for this run
            self.state.report_error("The score field cannot be drawn", str(exc))

    def fill_fields(self, trajectory: object) -> None:
        """Every sampled step's field, before the run is saved."""
        if self._run is not None and trajectory is self._run.trajectory:
            self._run.ensure_fields()

    def frame_shown(self, trajectory: object) -> None:
        """The GUI has drawn a frame of ``trajectory``; the run, if it is the current one, may go on at full speed."""
        if trajectory is self._run_trajectory:
            self._first_frame.set()

    def cancel(self, wait_ms: int | None = None) -> bool:
        """Ask the running worker to stop after its current step; with ``wait_ms``, wait for the thread to end."""
        self._first_frame.set()  # never leave a worker waiting for a frame
        self._stop.set()
        if self._worker is not None:
            self._worker.quit()
            self._worker = None
        if wait_ms is None:
            return True
        return QThreadPool.globalInstance().waitForDone(wait_ms)

    def _on_event(self, event: Event) -> None:
        if event[0] != self._run_id or self._worker is None:
            return  # the tail of a cancelled run
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
