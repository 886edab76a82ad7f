"""Reading back what a view draws, and waiting for runs, for the app tests."""

from __future__ import annotations

import numpy as np

from diffviz.ui.main_window import MainWindow
from diffviz.ui.settings_store import SettingsStore
from diffviz.views.base import View
from diffviz.views.particles import ParticleLayer

RUN_TIMEOUT_MS = 60_000


def particle_data(layer: ParticleLayer) -> np.ndarray:
    """What a particle layer shows: positions (scatter) or the splatted image."""
    if layer.splatting:
        return np.array(layer.image.image, copy=True)
    return layer.scatter.positions()


def make_window(qtbot, store: SettingsStore | None) -> MainWindow:  # type: ignore[no-untyped-def]
    """The main window, shown at a fixed size, closed by qtbot at the end of the test."""
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.resize(1100, 760)
    window.show()
    return window


def shown(view: View) -> list[np.ndarray]:
    """Everything a view draws from the frame, as arrays (to compare two frames)."""
    out: list[np.ndarray] = []
    if hasattr(view, "particles"):
        out.append(particle_data(view.particles))
    if hasattr(view, "map") and view.map.image is not None:
        out.append(np.array(view.map.image, copy=True))
    if hasattr(view, "arrows"):
        out.extend(np.array(c.getData()[0], copy=True) for c in view.arrows.curves if c.getData()[0] is not None)
    if hasattr(view, "image") and getattr(view.image, "image", None) is not None and not hasattr(view, "particles"):
        out.append(np.array(view.image.image, copy=True))
    return out


def differs(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) != len(b) or any(x.shape != y.shape or not np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def wait_finished(qtbot, window: MainWindow, action=None, timeout: int = RUN_TIMEOUT_MS):  # type: ignore[no-untyped-def]
    """Run ``action`` and wait for a new run to finish and its shown step to be drawn (the last frame may trail the
    run by one throttle interval); without an action, wait for the current run. Returns the run."""
    old = window.state.trajectory if action is not None else None
    if action is not None:
        action()

    def finished() -> bool:
        traj = window.state.trajectory
        return (
            traj is not None
            and traj is not old
            and traj.complete
            and not window.controller.running
            and window.grid.trajectory is traj
            and window.grid.index == window.state.shown_index
        )

    qtbot.waitUntil(finished, timeout=timeout)
    return window.state.trajectory
