"""Rebuild the README's screenshots from the real window: ``QT_QPA_PLATFORM=offscreen python docs/screenshots/make.py``.

Each picture is a scene (or a lesson cue) opened in the window at a fixed size, exactly as a user would see it:
- ``presenter-light.png``: presenter mode on a 1280×720 projector, light theme;
- ``lesson-cue.png``: a lesson's cue with its caption, 1280×720;
- ``score-near-zero.png``: the score field alone at t near 0, 1280×720;
- ``equations.png``: the equation panel beside the views, with a followed particle, 1600×900;
- ``drawn-learned-vs-exact.png``: a drawn smiley, a network trained on it in the window (needs the train extra), its
  learned score under the drawn set's exact score, 1600×900;
- ``../screenshot.png``: the window as it opens on the default model, 1280×800.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from diffviz.ui.app import _save_png, application, open_source, teardown, wait_until
from diffviz.ui.main_window import MainWindow

HERE = Path(__file__).resolve().parent


def shoot(
    name: str, size: tuple[int, int], source: str | None, *, lesson: str | None = None, setup: Callable | None = None
) -> None:
    window = MainWindow(store=None)
    window.resize(*size)
    window.show()
    try:
        if not open_source(window, source, lesson):
            raise SystemExit(f"cannot open {source or lesson}")
        state = window.state
        if not wait_until(lambda: state.trajectory is not None and state.trajectory.complete, 120_000):
            raise SystemExit(f"{name}: no finished run")
        if setup is not None:
            setup(window)
        wait_until(lambda: window.grid.index == state.shown_index, 5000)
        wait_until(lambda: False, 600)  # the throttled last frame and the typeset panel
        window.statusBar().clearMessage()
        if not _save_png(window.grab(), HERE / name):
            raise SystemExit(f"cannot write {name}")
        print(f"wrote {HERE / name}")
    finally:
        teardown(window)


def presenter(window: MainWindow) -> None:
    window.presenter.present(720)


def lesson_cue(window: MainWindow) -> None:
    window.lessons.go(1)
    wait_until(lambda: window.state.trajectory is not None and window.state.trajectory.complete, 60_000)


def equations(window: MainWindow) -> None:
    window.state.session.followed = (7,)
    window.equations_dock.show()
    window.equations_dock.raise_()


def smiley(rng: np.random.Generator) -> np.ndarray:
    """A face a lecturer might draw: a ring, two eyes and a smile (data units, about ±2)."""
    ring = rng.uniform(0, 2 * np.pi, 180)
    smile = rng.uniform(1.15 * np.pi, 1.85 * np.pi, 70)
    parts = [
        np.stack([2.0 * np.cos(ring), 2.0 * np.sin(ring)], 1),
        np.stack([1.1 * np.cos(smile), 1.1 * np.sin(smile) - 0.1], 1),
        rng.normal((-0.7, 0.7), 0.08, (40, 2)),
        rng.normal((0.7, 0.7), 0.08, (40, 2)),
    ]
    return np.concatenate(parts) + rng.normal(0, 0.03, (330, 2))


def drawn_then_trained(window: MainWindow) -> None:
    panel = window.menus.draw_panel
    panel.dock.show()
    panel.dock.raise_()
    panel.points = smiley(np.random.default_rng(0))
    panel.commit()
    state = window.state
    wait_until(lambda: state.trajectory is not None and state.trajectory.complete, 120_000)
    if not panel.train():
        raise SystemExit("training did not start (is the train extra installed?)")
    wait_until(lambda: not panel.training and state.view_settings.exact, 300_000)
    wait_until(lambda: state.trajectory is not None and state.trajectory.complete, 120_000)
    state.update_view(panels=("score", "x_t", "eps_hat", "x0_hat"), layout="single")
    state.set_step(round(0.9 * state.num_steps))


def main() -> int:
    application()
    shoot("presenter-light.png", (1280, 720), str(HERE / "presenter-light.toml"), setup=presenter)
    shoot("lesson-cue.png", (1280, 720), None, lesson="tweedie-in-one-step", setup=lesson_cue)
    shoot("score-near-zero.png", (1280, 720), str(HERE / "score-near-zero.toml"))
    shoot("equations.png", (1600, 900), str(HERE / "equations.toml"), setup=equations)
    shoot("drawn-learned-vs-exact.png", (1600, 900), "analytic:8gaussians", setup=drawn_then_trained)
    shoot("../screenshot.png", (1280, 800), None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
