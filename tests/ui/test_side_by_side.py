"""Side by side: a second sampler on the same x_T and the same noise, beside the main run, on one timeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QApplication

from diffviz.session import SamplerSettings, Scene, write_scene
from diffviz.session.scene import read_scene
from diffviz.ui.main_window import MainWindow
from tests.helpers.ui_helpers import wait_finished


def _both_finished(window: MainWindow) -> bool:
    state = window.state
    other = state.compare_trajectory
    return (
        state.trajectory is not None
        and state.trajectory.complete
        and other is not None
        and other.complete
        and not window.controller.running
    )


def test_ddpm_beside_ddim_eta_1_on_the_same_noise_is_the_same_path(qtbot, window: MainWindow) -> None:
    """DDIM with η = 1 is DDPM's posterior step (σ_t² = β̃_t): fed the same x_T and the same z_k, both sides must
    draw the same particles. This fails unless both runs really share x_T and every draw."""
    state = window.state
    state.update_sampler(name="ddpm", variance_type="fixed_small", clip_sample=False)
    wait_finished(qtbot, window)
    state.session.compare = SamplerSettings(name="ddim").with_options(eta=1.0, clip_sample=False)
    qtbot.waitUntil(lambda: _both_finished(window), timeout=30_000)
    main, other = state.trajectory, state.compare_trajectory
    assert main.params.sampler == "ddpm" and other.params.sampler == "ddim"
    np.testing.assert_array_equal(main.x[0], other.x[0])  # one x_T
    assert main.params.noise_injected and other.params.noise_injected  # one noise bank, the seed's
    np.testing.assert_allclose(other.x, main.x, atol=2e-3)
    assert window.side_by_side.halves[1].isVisible()


def test_one_timeline_drives_both_halves_and_followed_particles_are_the_same_start(qtbot, window: MainWindow) -> None:
    state = window.state
    window.menus.compare("ddim")
    qtbot.waitUntil(lambda: _both_finished(window), timeout=30_000)
    assert state.view_settings.layout == "single" and state.view_settings.panels[0] == "x_t"
    headers = [h.text() for h in window.side_by_side.headers]
    assert headers[0].startswith("DDPM") and headers[1].startswith("DDIM") and "η = 0" in headers[1]
    state.session.followed = (4,)
    for step in (10, 55):
        state.set_step(step)
        qtbot.waitUntil(lambda step=step: window.side_by_side.compare_grid.index == step)
        assert window.grid.index == step
        right = window.side_by_side.compare_grid.view("x_t")
        x, y = right.follow.markers.getData()
        np.testing.assert_allclose(np.stack([x, y], 1), state.compare_trajectory.x[step][[4]], rtol=1e-6)
    window.menus.compare(None)
    qtbot.waitUntil(lambda: state.compare_trajectory is None and not window.controller.running, timeout=30_000)
    QApplication.processEvents()
    assert not window.side_by_side.halves[1].isVisible()


def test_the_comparison_is_saved_in_the_scene(qtbot, window: MainWindow, tmp_path: Path) -> None:
    state = window.state
    state.session.compare = SamplerSettings(name="euler")
    qtbot.waitUntil(lambda: _both_finished(window), timeout=30_000)
    path = write_scene(tmp_path / "pair.toml", Scene.of(state.session))
    assert "[compare]" in path.read_text()
    scene = read_scene(path)
    assert scene.compare is not None and scene.compare.name == "euler"
    state.session.compare = None
    qtbot.waitUntil(lambda: state.compare_trajectory is None and not window.controller.running, timeout=30_000)
    assert window.open_path(str(path))
    qtbot.waitUntil(lambda: _both_finished(window), timeout=30_000)
    assert state.compare_trajectory.params.sampler == "euler"
