"""Following particles: the session's ``followed`` marks them in every view with the core's own numbers (x_t and
its path, the score arrow from x_t, ε̂, x̂_0), dims the others, and a click picks the particle under it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from diffviz.ui.main_window import MainWindow
from diffviz.views.follow import DIMMED
from tests.helpers.ui_helpers import wait_finished


def _markers(window: MainWindow, key: str) -> np.ndarray:
    x, y = window.grid.view(key).follow.markers.getData()
    return np.stack([x, y], axis=1)


def test_followed_particles_show_the_cores_values_in_every_view(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    run = window.state.trajectory
    assert run is not None
    window.state.set_step(40)
    qtbot.waitUntil(lambda: window.grid.index == 40)
    window.state.session.followed = (5, 17)
    qtbot.waitUntil(lambda: len(_markers(window, "x_t")) == 2)
    idx = [5, 17]
    np.testing.assert_allclose(_markers(window, "x_t"), run.x[40][idx], rtol=1e-6)
    np.testing.assert_allclose(_markers(window, "eps_hat"), run.eps_hat[40][idx], rtol=1e-6)
    np.testing.assert_allclose(_markers(window, "x0_hat"), run.x0_hat[40][idx], rtol=1e-6)
    np.testing.assert_allclose(_markers(window, "score"), run.x[40][idx], rtol=1e-6)  # the arrow starts at x_t
    path_x, path_y = window.grid.view("x_t").follow.path.getData()
    path = np.stack([path_x, path_y], axis=1)
    first = path[:41]  # particle 5 from x_T to x_t, then a NaN break before particle 17
    np.testing.assert_allclose(first, run.x[:41, 5], rtol=1e-6)
    assert np.isnan(path[41]).all()
    arrow_x, arrow_y = window.grid.view("score").follow.arrow.getData()
    direction = np.array([arrow_x[1] - arrow_x[0], arrow_y[1] - arrow_y[0]])  # the first shaft: x_t → tip
    score = run.score_at(40)[5]
    cosine = direction @ score / np.linalg.norm(direction) / np.linalg.norm(score)
    assert cosine > 0.999
    assert window.grid.view("x_t").particles.scatter.opacity() == DIMMED
    window.state.session.followed = ()
    qtbot.waitUntil(lambda: window.grid.view("x_t").particles.scatter.opacity() == 1.0)
    assert len(_markers(window, "x_t")) == 0


def test_a_click_on_a_particle_follows_it_and_shift_adds_another(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.state.set_step(window.state.num_steps)
    qtbot.waitUntil(lambda: window.grid.index == window.state.num_steps)
    view = window.grid.view("x_t")
    points = view.frame.x

    def click(i: int, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        scene = view.vb.mapViewToScene(QPointF(float(points[i, 0]), float(points[i, 1])))
        where = window.grid.mapFromScene(scene)
        QTest.mouseClick(window.grid.viewport(), Qt.MouseButton.LeftButton, modifier, where)

    # two particles far apart, each the nearest to its own spot
    far = np.argsort(np.linalg.norm(points - points.mean(axis=0), axis=1))[-2:]
    a, b = int(far[0]), int(far[1])
    click(a)
    qtbot.waitUntil(lambda: window.state.session.followed == (a,))
    click(b, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.state.session.followed == (a, b))
    click(a, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.state.session.followed == (b,))


def test_followed_particles_survive_a_resample_and_ride_in_the_scene(qtbot, window: MainWindow, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window.state.session.followed = (3,)
    run = wait_finished(qtbot, window, lambda: window.sampler_panel.seed.setValue(11))
    qtbot.waitUntil(lambda: len(_markers(window, "x_t")) == 1)
    index = window.grid.index
    np.testing.assert_allclose(_markers(window, "x_t")[0], run.x[index][3], rtol=1e-6)
    assert window.save_scene(tmp_path / "follow.toml")
    assert "followed = [3]" in (tmp_path / "follow.toml").read_text()


def test_the_step_from_here_is_drawn_as_drift_then_noise(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """x_t → μ_θ (along the score) and μ_θ → x_{t−1} (the step's noise), for a followed particle of a DDPM run."""
    from diffviz.core.decompose import ddpm_step_parts

    run = window.state.trajectory
    assert run is not None and run.params.sampler == "ddpm"
    window.state.set_step(30)
    qtbot.waitUntil(lambda: window.grid.index == 30)
    window.state.session.followed = (8,)
    layer = window.grid.view("x_t").step_parts
    qtbot.waitUntil(lambda: len(layer.drift.getData()[0]) > 0)
    parts = ddpm_step_parts(run, 30, np.array([8]))
    dx, dy = layer.drift.getData()
    nx, ny = layer.noise.getData()
    np.testing.assert_allclose([dx[0], dy[0]], run.x[30][8], rtol=1e-5)  # from x_t …
    np.testing.assert_allclose([dx[1], dy[1]], parts.mean[0], rtol=1e-5)  # … to μ_θ …
    np.testing.assert_allclose([nx[1], ny[1]], run.x[31][8], rtol=1e-5)  # … then to x_{t−1}
    window.state.set_step(window.state.num_steps)  # at x_0 there is no step left to take apart
    qtbot.waitUntil(lambda: len(layer.drift.getData()[0]) == 0)


def _shaft(curve: object) -> np.ndarray | None:
    """The first arrow's shaft (start, end) of a StepLayer curve, or None when nothing is drawn."""
    x, y = curve.getData()  # type: ignore[attr-defined]
    if x is None or len(x) == 0:
        return None
    return np.array([[x[0], y[0]], [x[1], y[1]]])


def test_key_n_takes_one_step_apart_piece_by_piece(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """N: the step from x_t is drawn in order — nothing, the drift to μ_θ, the noise to x_{t−1} — then the next step."""
    run = window.state.trajectory
    state, layer = window.state, window.grid.view("x_t").step_parts
    window.state.session.followed = ()
    state.set_step(30)
    qtbot.waitUntil(lambda: window.grid.index == 30)
    expected = []
    for k in (31, 31, 31, 32):
        state.next_piece()
        qtbot.waitUntil(lambda k=k: window.grid.index == k)
        expected.append((state.step, state.playback.pieces, _shaft(layer.drift), _shaft(layer.noise)))
    assert state.session.followed == (0,)  # nothing was followed: particle 0 is
    assert [(s, p) for s, p, _, _ in expected] == [(31, 0), (31, 1), (31, 2), (32, 0)]
    assert expected[0][2] is None and expected[0][3] is None  # x_t alone first
    a_t, a_prev = float(run.alpha_bar[31]), float(run.alpha_bar_prev[31])
    alpha_t = a_t / a_prev
    x_t = run.x[31][0].astype(np.float64)
    score = -run.eps_hat[31][0].astype(np.float64) / np.sqrt(1 - a_t)  # s = −ε̂/√(1−ᾱ_t)
    mu = (x_t + (1 - alpha_t) * score) / np.sqrt(alpha_t)  # μ_θ = (x_t + (1−α_t) s_θ)/√α_t
    np.testing.assert_allclose(expected[1][2], [x_t, mu], atol=1e-4)  # the drift, alone
    assert expected[1][3] is None
    np.testing.assert_allclose(expected[2][3], [mu, run.x[32][0]], atol=1e-4)  # then the noise, to x_{t−1}
    state.set_step(10)  # moving the playhead shows whole steps again
    assert state.playback.pieces == 2
