"""Nothing piles up run after run: the soak (benchmarks/soak.py) in miniature, 30 re-samples while the timeline plays.

Each run used to leave behind a weak reference to the sampling worker's class (PySide6 keeps one per connection to
a classmethod), a dozen symbols per particle layer in pyqtgraph's symbol atlas (fresh brushes and pens per run),
two symbols in the schedule plots' atlas, and, on every tick of playback, one more play/pause icon in Qt's pixmap
cache. Counts are compared after run 10 and after run 30.
"""

from __future__ import annotations

import gc
import weakref
from dataclasses import dataclass

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QThreadPool

from diffviz.ui.main_window import MainWindow
from diffviz.ui.settings_store import SettingsStore
from diffviz.views.model_info import default_model_spec
from tests.helpers.ui_helpers import RUN_TIMEOUT_MS, make_window

RUNS, FIRST = 30, 10
PARTICLES = 200
SLACK = 2  # objects a run may leave by chance (a signal in flight, the garbage collector's timing)


@dataclass(frozen=True)
class Counts:
    types: int  # Python type objects
    weak_refs_to_types: int  # the leaking kind: weak references to classes
    atlas_symbols: int  # symbols in the atlases of every scatter in the window


def counts(window: MainWindow) -> Counts:
    gc.collect()
    objects = gc.get_objects()
    items = [item for view in window.findChildren(pg.GraphicsView) for item in view.items()]
    return Counts(
        types=sum(isinstance(o, type) for o in objects),
        weak_refs_to_types=sum(isinstance(o, weakref.ref) and isinstance(o(), type) for o in objects),
        atlas_symbols=sum(len(item.fragmentAtlas) for item in items if isinstance(item, pg.ScatterPlotItem)),
    )


def resample(qtbot, window: MainWindow, i: int) -> None:  # type: ignore[no-untyped-def]
    """Run ``i``: a new seed (new particle colours) or a new β_max (new schedule plots) in turn; wait for its end."""
    state, old = window.state, window.state.trajectory
    k = i // 2 % 7  # the same settings come back, as when a user drags back and forth
    if i % 2:
        state.update_schedule(beta_end=0.0105 + 0.001 * k)
    else:
        state.update_sampler(seed=1 + k)
    qtbot.waitUntil(
        lambda: (
            state.trajectory is not None
            and state.trajectory is not old
            and state.trajectory.complete
            and not window.controller.running
        ),
        timeout=RUN_TIMEOUT_MS,
    )
    qtbot.wait(20)  # a tick or so of playback


@pytest.mark.slow
def test_runs_leave_nothing_behind(qtbot, store: SettingsStore) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, store)
    window.state.update_sampler(num_particles=PARTICLES)
    assert window.open_model(default_model_spec())
    qtbot.waitUntil(lambda: window.state.trajectory is not None and window.state.trajectory.complete, timeout=60_000)
    window.state.update_playback(loop=True, speed=300)
    window.timeline.play()
    icons: set[int] = set()
    window.state.playbackChanged.connect(lambda _: icons.add(window.timeline.play_button.icon().cacheKey()))
    for i in range(FIRST):
        resample(qtbot, window, i)
    after_first = counts(window)
    for i in range(FIRST, RUNS):
        resample(qtbot, window, i)
    after_all = counts(window)
    window.timeline.pause()

    assert after_all.types <= after_first.types + SLACK, (after_first, after_all)
    assert after_all.weak_refs_to_types <= after_first.weak_refs_to_types + SLACK, (after_first, after_all)
    assert after_all.atlas_symbols <= after_first.atlas_symbols + SLACK, (after_first, after_all)
    assert len(icons) <= 2, f"{len(icons)} play/pause icons made while playing (one per state is enough)"
    assert window.shutdown(), "a sampling thread was still running"
    assert QThreadPool.globalInstance().activeThreadCount() == 0
