"""The session: the whole state of what the window shows, as one evented, Qt-free object.

Fields are values (frozen dataclasses, tuples, strings). psygnal's ``SignalGroupDescriptor`` gives
``session.events.<field>``, emitted with the new value on a real change only. :meth:`Session.batch` groups many
edits: each field's signal emits once (its last value) and :attr:`Session.changed` once with the names of every
field that changed, so a listener such as the sampling controller starts one run for "open a scene", not five.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from psygnal import EmissionInfo, Signal, SignalGroupDescriptor

from diffviz.core import ModelCard

from .settings import Playback, SamplerSettings, ScheduleSettings, ViewSettings

DRAWN_SPEC = "drawn"  # the model spec of the ideal denoiser of the session's drawn points (``Session.drawn``)
MAX_DRAWN = 5000  # drawn points a session (and a scene's [drawn] table) holds at most

Point = tuple[float, float]


@dataclass(frozen=True)
class ModelRef:
    """How a scene names its model: a bundled name, ``analytic:…``/``ideal:…``, or a path; with the file's hash."""

    spec: str
    sha256: str | None = None


def _last(_old: tuple[Any, ...], new: tuple[Any, ...]) -> tuple[Any, ...]:
    return new


@dataclass
class Session:
    """See the module docstring. ``card`` describes the loaded model; it is not saved (``model`` names it)."""

    model: ModelRef | None = None
    card: ModelCard | None = None
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    sampler: SamplerSettings = field(default_factory=SamplerSettings)
    view: ViewSettings = field(default_factory=ViewSettings)
    playback: Playback = field(default_factory=Playback)
    followed: tuple[int, ...] = ()
    caption: str = ""
    # side by side: a second sampler (its name and options; particles and seed are the main sampler's) run on the
    # same x_T and the same noise, drawn beside the main run on one timeline; None: one run
    compare: SamplerSettings | None = None
    # a 2D data set painted by hand (the Draw data panel), at most MAX_DRAWN points; model spec DRAWN_SPEC is its
    # ideal denoiser, and a network trained on it keeps it here so its exact score stays known
    drawn: tuple[Point, ...] = ()

    events: ClassVar[SignalGroupDescriptor] = SignalGroupDescriptor()  # one signal per field (psygnal)
    changed: ClassVar[Signal] = Signal(frozenset)  # names of the fields changed by one edit or one batch

    def __post_init__(self) -> None:
        self._depth = 0
        self._pending: set[str] = set()
        self.events.all.connect(self._on_any)

    def _on_any(self, info: EmissionInfo) -> None:
        name = info.signal.name
        if self._depth:
            self._pending.add(name)
        else:
            self.changed.emit(frozenset({name}))

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many edits, one emission per changed field and one :attr:`changed` for all of them."""
        self._depth += 1
        try:
            with ExitStack() as stack:
                for name in self.events:
                    stack.enter_context(self.events[name].paused(_last))
                yield
        finally:
            self._depth -= 1
            if not self._depth and self._pending:
                pending, self._pending = frozenset(self._pending), set()
                self.changed.emit(pending)

    # ---- edits that name only what changes ---------------------------------------------------------------------
    def update_schedule(self, **changes: Any) -> None:
        self.schedule = replace(self.schedule, **changes)

    def update_sampler(self, **changes: Any) -> None:
        """Change sampler fields; sampler options may be given by name too (``eta=0.5``)."""
        option_names = set(self.sampler.options)
        options = {k: changes.pop(k) for k in list(changes) if k in option_names}
        new = replace(self.sampler, **changes)
        self.sampler = new.with_options(**options) if options else new

    def update_view(self, **changes: Any) -> None:
        self.view = replace(self.view, **changes)

    def update_playback(self, **changes: Any) -> None:
        self.playback = replace(self.playback, **changes)
