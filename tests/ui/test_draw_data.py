"""Draw data (Models → Draw data…): painting with the mouse in the x_t view, Undo and Clear, the drawn set's ideal
denoiser as the model (one run per stroke), the set in scene files, and training a network on it."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from diffviz.core import GaussianMixture, make_dataset
from diffviz.session import SceneError, read_scene
from diffviz.session.session import DRAWN_SPEC, MAX_DRAWN
from diffviz.ui import draw_panel, train_worker
from diffviz.ui.draw_panel import START_POINTS, DrawPanel
from diffviz.ui.main_window import MainWindow
from diffviz.ui.settings_store import SettingsStore
from diffviz.ui.train_worker import DRAWN_NET, TRAIN_INSTALL_HINT
from tests.helpers.ui_helpers import make_window, wait_finished

LEFT = Qt.MouseButton.LeftButton


def _panel(window: MainWindow) -> DrawPanel:
    return window.menus.draw_panel


def _open(window: MainWindow) -> DrawPanel:
    """Models → Draw data… (the action its Ctrl+D shortcut triggers): the panel opens with Paint on."""
    window.menus.draw.trigger()
    panel = _panel(window)
    assert panel.is_open and panel.painting
    return panel


def _where(window: MainWindow, x: float, y: float) -> QPointF:
    """The viewport position of data point (x, y) in the x_t view."""
    view = window.grid.view("x_t")
    scene = view.vb.mapViewToScene(QPointF(x, y))
    return QPointF(window.grid.mapFromScene(scene))


def _send(window: MainWindow, kind: QEvent.Type, pos: QPointF, buttons: Qt.MouseButton) -> None:
    viewport = window.grid.viewport()
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else LEFT
    event = QMouseEvent(
        kind, pos, QPointF(viewport.mapToGlobal(pos.toPoint())), button, buttons, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(viewport, event)


def _drag(window: MainWindow, path: Sequence[tuple[float, float]], pause_ms: int = 0) -> None:
    """A left-button stroke through data points ``path``: press, moves, release (real mouse events); pyqtgraph drops
    moves closer than a few ms apart, so a drag meant for it (a pan) pauses between moves."""
    _send(window, QEvent.Type.MouseButtonPress, _where(window, *path[0]), LEFT)
    for x, y in path[1:]:
        _send(window, QEvent.Type.MouseMove, _where(window, x, y), LEFT)
        if pause_ms:
            QTest.qWait(pause_ms)
    _send(window, QEvent.Type.MouseButtonRelease, _where(window, *path[-1]), Qt.MouseButton.NoButton)


def _line(a: tuple[float, float], b: tuple[float, float], n: int = 30) -> list[tuple[float, float]]:
    return [(a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u) for u in np.linspace(0, 1, n)]


def _stroke(qtbot, window: MainWindow, path: Sequence[tuple[float, float]]):  # type: ignore[no-untyped-def]
    """Paint ``path`` and wait for the run the stroke starts; returns the run."""
    return wait_finished(qtbot, window, lambda: _drag(window, path))


@pytest.fixture
def small(window: MainWindow) -> MainWindow:
    """The window with a short, light run (the ideal denoiser costs particles × points per step)."""
    with window.controller.paused():
        window.state.update_sampler(num_particles=300)
        window.state.update_schedule(num_inference_steps=20)
    return window


def test_the_panel_is_closed_at_first_and_ctrl_d_is_its_own_key(window: MainWindow) -> None:
    panel = _panel(window)
    assert panel.dock is not None and panel.dock.isHidden() and not panel.is_open and not panel.painting
    keys = [a.shortcut().toString() for a in window.actions() if not a.shortcut().isEmpty()]
    assert "Ctrl+D" in keys and "Ctrl+Z" in keys
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


def test_a_stroke_paints_points_under_the_cursor_and_makes_one_run(qtbot, small: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = small
    panel = _open(window)
    runs: list[object] = []
    window.state.runStarted.connect(runs.append)
    sigma = panel.brush_sigma
    run = _stroke(qtbot, window, _line((-1.5, 0.5), (1.5, 0.5)))
    assert len(runs) == 1  # one run for the whole stroke, none per mouse move
    points = panel.points
    assert len(points) > 20
    assert np.all(np.abs(points[:, 1] - 0.5) < 6 * sigma)  # where the cursor went, in data coordinates
    assert points[:, 0].min() < -1.2 and points[:, 0].max() > 1.2 and np.all(np.abs(points[:, 0]) < 1.5 + 6 * sigma)
    session = window.state.session
    assert session.drawn == tuple(map(tuple, points.tolist()))
    info = window.state.model
    assert info is not None and info.spec == DRAWN_SPEC and session.model is not None and session.model.spec == "drawn"
    assert isinstance(info.model, GaussianMixture) and np.array_equal(info.model.means, points)
    assert run is window.state.trajectory and run.complete
    # the ideal denoiser memorises: at x_0 every particle sits on a drawn point
    final = run.x[-1]
    nearest = np.min(np.linalg.norm(final[:, None, :] - points[None], axis=2), axis=1)
    assert np.median(nearest) < 0.05


def test_undo_takes_back_the_last_stroke_and_clear_empties(qtbot, small: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = small
    panel = _open(window)
    _stroke(qtbot, window, _line((-1.0, -1.0), (1.0, -1.0)))
    first = panel.points.copy()
    _stroke(qtbot, window, _line((-1.0, 1.0), (1.0, 1.0)))
    assert len(panel.points) > len(first)
    wait_finished(qtbot, window, panel.undo_button.click)
    assert np.array_equal(panel.points, first)
    assert np.array_equal(window.state.model.model.means, first)  # type: ignore[union-attr]
    panel.clear_button.click()
    assert len(panel.points) == 0 and window.state.session.drawn == ()
    assert not panel.clear_button.isEnabled()
    with pytest.raises(SceneError, match="drawn set is empty"):  # nothing to save the drawn model's data from
        from diffviz.session import Scene

        Scene.of(window.state.session)
    wait_finished(qtbot, window, panel.undo_button.click)  # Clear is undone too
    assert np.array_equal(panel.points, first)


def test_drags_pan_as_usual_when_not_painting(qtbot, small: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = small
    panel = _open(window)
    panel.paint.setChecked(False)
    before = window.grid.camera()
    _drag(window, _line((-1.0, 0.0), (1.0, 0.0), n=10), pause_ms=30)
    qtbot.waitUntil(lambda: window.grid.camera() != before)  # the view panned
    assert len(panel.points) == 0 and window.state.model.spec != DRAWN_SPEC  # type: ignore[union-attr]
    window.menus.draw.trigger()  # closing the panel ends drawing too
    assert not panel.is_open and not panel.painting


def test_a_bundled_set_is_a_start_and_a_full_set_says_so(qtbot, small: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = small
    panel = _open(window)
    panel.start_set.setCurrentText("moons")
    wait_finished(qtbot, window, panel.start_button.click)
    np.testing.assert_allclose(panel.points, make_dataset("moons", START_POINTS, seed=0), atol=1e-4)
    assert len(window.state.model.model.means) == START_POINTS  # type: ignore[union-attr]
    with window.controller.paused():
        window.state.update_sampler(num_particles=20)
        window.state.update_schedule(num_inference_steps=3)
    panel.points = np.zeros((MAX_DRAWN - 3, 2))
    wait_finished(qtbot, window, panel.commit)
    _stroke(qtbot, window, _line((-1.0, 0.0), (1.0, 0.0)))
    assert len(panel.points) == MAX_DRAWN and panel.full
    assert "the most a drawn set holds" in panel.count.text()
    assert len(window.state.session.drawn) == MAX_DRAWN


def test_the_drawn_set_round_trips_through_a_scene(qtbot, small: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = small
    _open(window)
    run = _stroke(qtbot, window, [(np.cos(a), np.sin(a)) for a in np.linspace(0, 2 * np.pi, 40)])
    drawn = window.state.session.drawn
    path = tmp_path / "smiley.toml"
    assert window.save_scene(path)
    text = path.read_text()
    assert 'spec = "drawn"' in text and "[drawn]" in text
    assert f"    [{drawn[0][0]!r}, {drawn[0][1]!r}],\n" in text  # one [x, y] a line
    assert read_scene(path).drawn == drawn

    again = make_window(qtbot, SettingsStore(tmp_path / "other.ini"))
    try:
        second = wait_finished(qtbot, again, lambda: again.open_scene(path))
        assert again.state.session.drawn == drawn
        info = again.state.model
        assert info is not None and info.spec == DRAWN_SPEC
        assert np.array_equal(info.model.means, np.array(drawn))  # type: ignore[union-attr]
        assert np.array_equal(second.x[-1], run.x[-1])  # the same trajectory
        assert np.array_equal(_panel(again).points, np.array(drawn))  # the panel shows the set
    finally:
        assert again.shutdown()


def _scene_text(points: str, spec: str = "drawn") -> str:
    return f'format_version = 1\n[model]\nspec = "{spec}"\n[drawn]\npoints = {points}\n'


@pytest.mark.parametrize(
    ("points", "spec", "message"),
    [
        ("[[0.0, nan]]", "drawn", "drawn.points[0] = [0.0, nan]"),
        ("[[0.0, 1.0, 2.0]]", "drawn", "drawn.points[0]"),
        ("[[0.0, 1.0], [true, 1.0]]", "drawn", "drawn.points[1]"),
        ("[[1e7, 0.0]]", "drawn", "drawn.points[0]"),
        ("1.5", "drawn", "drawn.points = 1.5"),
        ("[]", "drawn", "model.spec = 'drawn'"),
        (f"[{', '.join(['[0.5, 0.5]'] * (MAX_DRAWN + 1))}]", "moons", "at most 5000"),
    ],
)
def test_a_bad_drawn_table_is_refused_naming_the_key(tmp_path: Path, points: str, spec: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(_scene_text(points, spec))
    with pytest.raises(SceneError) as info:
        read_scene(path)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_full_drawn_set_reads_quickly(tmp_path: Path) -> None:
    """5,000 points carry 10,000 decimal points: not nesting (the dotted-key guard counts none of them)."""
    rng = np.random.default_rng(1)
    pts = np.round(rng.normal(size=(MAX_DRAWN, 2)), 4)
    path = tmp_path / "full.toml"
    path.write_text(_scene_text("[" + ", ".join(f"[{x!r}, {y!r}]" for x, y in pts.tolist()) + "]", "moons"))
    start = time.perf_counter()
    assert np.array_equal(np.array(read_scene(path).drawn), pts)
    assert time.perf_counter() - start < 2.0


def test_without_torch_the_button_names_the_install_command(qtbot, small: MainWindow, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from diffviz.commands.train import INSTALL_HINT

    assert TRAIN_INSTALL_HINT == INSTALL_HINT  # the panel says what `diffviz train` says
    window = small
    panel = _open(window)
    wait_finished(qtbot, window, lambda: panel.start_from("8gaussians"))
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` fails: torch is not installed
    with qtbot.waitSignal(window.errorShown, timeout=5000) as shown:
        panel.train_button.click()
    title, message = shown.args
    assert "torch" in title and INSTALL_HINT in message and "torch" in message
    assert panel.trainer is None and INSTALL_HINT in panel.train_status.text()


@pytest.mark.slow
def test_a_network_trained_on_the_drawn_set_becomes_the_model(qtbot, small: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = small
    panel = _open(window)
    panel.model_dir = tmp_path
    wait_finished(qtbot, window, lambda: panel.start_from("8gaussians"))
    drawn = np.array(window.state.session.drawn)
    panel.steps.setValue(200)
    assert panel.train()
    assert not panel.train_button.isEnabled() and panel.progress.isVisible()
    qtbot.waitUntil(lambda: panel.trainer is None, timeout=120_000)
    wait_finished(qtbot, window)
    assert panel.last_trained is not None and panel.last_trained.path.parent == tmp_path
    info = window.state.model
    assert info is not None and info.card.name == DRAWN_NET and info.spec == str(panel.last_trained.path)
    assert np.array_equal(info.data_points, drawn)  # type: ignore[arg-type]  # the exact score stays known
    assert window.state.view_settings.exact
    assert window.state.session.drawn == tuple(map(tuple, drawn.tolist()))
    assert panel.progress.value() == 200 and len(panel.loss_curve.getData()[0]) == 200
    assert "Trained 200 steps" in panel.train_status.text()
    # saved and opened again: the network by path, the drawn set still its known data
    scene = tmp_path / "net.toml"
    assert window.save_scene(scene)
    again = make_window(qtbot, SettingsStore(tmp_path / "other.ini"))
    try:
        wait_finished(qtbot, again, lambda: again.open_scene(scene))
        qtbot.waitUntil(lambda: again.state.model is not None and again.state.model.data_points is not None)
        assert again.state.model.card.name == DRAWN_NET  # type: ignore[union-attr]
        assert np.array_equal(again.state.model.data_points, drawn)  # type: ignore[union-attr, arg-type]
    finally:
        assert again.shutdown()


@pytest.mark.slow
def test_training_can_be_cancelled(qtbot, small: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = small
    panel = _open(window)
    panel.model_dir = tmp_path
    wait_finished(qtbot, window, lambda: panel.start_from("moons"))
    model = window.state.model
    panel.steps.setValue(50_000)
    assert panel.train()
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=60_000)
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: panel.trainer is None, timeout=30_000)
    assert "cancelled" in panel.train_status.text()
    assert window.state.model is model and not list(tmp_path.glob("*.onnx"))


def test_the_module_imports_no_torch() -> None:
    assert "torch" not in draw_panel.__dict__ and "torch" not in train_worker.__dict__
