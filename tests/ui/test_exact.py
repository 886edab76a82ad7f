"""Exact vs learned: the s* overlay and error map in the score view, the per-step error curve and the nearest
training-point distances of the final samples (View → Exact vs learned)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from diffviz.session import ModelRef, Scene, Session, ViewSettings, read_scene, write_scene
from diffviz.session.settings import SettingsError
from diffviz.ui.main_window import MainWindow
from diffviz.views.colors import field_ramp_lut
from diffviz.views.exact import ERROR_TITLE, UNKNOWN, error_lut
from diffviz.views.points import ScoreView
from diffviz.views.typeset import plain
from tests.helpers import ui_models as um
from tests.helpers.ui_helpers import wait_finished


def _score(window: MainWindow) -> ScoreView:
    view = window.grid.view("score")
    assert isinstance(view, ScoreView)
    return view


def _exact_arrows(view: ScoreView) -> int:
    x, _ = view.exact.curve.getData()
    return 0 if x is None else len(x)


def _all_errors(qtbot, window: MainWindow) -> np.ndarray:  # type: ignore[no-untyped-def]
    panel = window.exact_panel
    qtbot.waitUntil(lambda: panel.errors.size > 0 and bool(np.isfinite(panel.errors).all()), timeout=30_000)
    return panel.errors


def test_exact_setting_is_validated_and_saved_in_scenes(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="view.exact"):
        ViewSettings(exact="yes").validate()  # type: ignore[arg-type]
    session = Session()
    session.model = ModelRef("analytic:8gaussians")
    session.view = replace(session.view, exact=True)
    path = write_scene(tmp_path / "s.toml", Scene.of(session))
    assert "exact = true" in path.read_text()
    assert read_scene(path).view.exact is True


def test_overlay_and_error_curve_for_an_analytic_model(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    wait_finished(qtbot, window, lambda: window.open_model("analytic:8gaussians"))
    view = _score(window)
    assert window.exact_dock.isHidden() and not window.state.view_settings.exact  # off by default
    assert _exact_arrows(view) == 0

    window.menus.exact.trigger()  # View → Exact vs learned
    assert window.state.view_settings.exact
    assert not window.exact_dock.isHidden()
    qtbot.waitUntil(lambda: _exact_arrows(view) > 0, timeout=5000)
    # the same grid points as the learned arrows, thinner, in the theme's outline colour
    learned = sum(len(c.getData()[0]) for c in view.arrows.curves if c.getData()[0] is not None)
    assert _exact_arrows(view) == learned
    pen = view.exact.curve.opts["pen"]
    assert pen.widthF() < view.arrows.curves[0].opts["pen"].widthF()
    assert pen.color().getRgb() == view.theme.outline
    # the error map replaces the |s| map, with its own scale, and the legend says "error"
    assert view.map.isVisible()
    assert view.map.lut is error_lut(view.theme.name)
    assert any(ERROR_TITLE in text for text in view.legend.labels)
    assert "error" in plain(view._title_html)
    # the model against itself: zero up to float32 rounding, at every step
    errors = _all_errors(qtbot, window)
    assert len(errors) == window.state.num_steps and errors.max() < 1e-5
    assert view.exact.relative is not None and view.exact.relative < 1e-5
    panel = window.exact_panel
    assert len(panel.curve.getData()[0]) == len(errors)
    window.state.set_step(3)
    qtbot.waitUntil(lambda: panel.step_line.value() == 3, timeout=5000)

    # cached: drawing the same step again computes nothing
    computed = view.exact.cache.computed
    view.set_frame(view.frame)  # type: ignore[arg-type]
    assert view.exact.cache.computed == computed

    window.menus.exact.trigger()  # off: back to the |s| map and its legend
    assert not window.state.view_settings.exact and window.exact_dock.isHidden()
    qtbot.waitUntil(lambda: _exact_arrows(view) == 0, timeout=5000)
    assert view.map.lut is field_ramp_lut(view.theme.name)
    assert not any(ERROR_TITLE in text for text in view.legend.labels)


def test_nothing_for_a_model_without_known_data(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wait_finished(qtbot, window, lambda: window.open_model(um.shrink_model(tmp_path / "m.onnx", data=None)))
    assert window.state.model is not None and window.state.model.data_points is None
    view = _score(window)
    lut = view.map.lut
    window.menus.exact.trigger()
    qtbot.waitUntil(lambda: UNKNOWN in view._title_html, timeout=5000)
    assert _exact_arrows(view) == 0
    assert view.map.lut is lut and not any(ERROR_TITLE in text for text in view.legend.labels)
    panel = window.exact_panel
    assert UNKNOWN in panel.status.text()
    qtbot.wait(200)
    assert panel.curve.getData()[0] is None or len(panel.curve.getData()[0]) == 0
    assert panel.median is None


def test_a_network_with_training_data_gets_the_overlay(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """The default bundled network (its card names its data set): the overlay is drawn and its error is > 0."""
    assert window.state.model is not None and window.state.model.data_points is not None
    window.menus.exact.trigger()
    view = _score(window)
    qtbot.waitUntil(lambda: _exact_arrows(view) > 0, timeout=5000)
    assert view.exact.relative is not None and 0 < view.exact.relative
    errors = _all_errors(qtbot, window)
    assert np.all(errors > 1e-4)  # a network is never exact
    assert UNKNOWN not in view._title_html


def _median(qtbot, window: MainWindow, spec: str) -> float:  # type: ignore[no-untyped-def]
    """Open ``spec``, sample with its last step at t = 0 (σ = 0.01: leading spacing) and read the panel's median."""
    wait_finished(qtbot, window, lambda: window.open_model(spec))
    wait_finished(qtbot, window, lambda: window.state.update_schedule(timestep_spacing="leading"))
    panel = window.exact_panel
    qtbot.waitUntil(lambda: panel.median is not None, timeout=30_000)
    assert panel.distances is not None and len(panel.distances) == window.state.sampler_settings.num_particles
    assert "median" in panel.median_label.text()
    return float(panel.median)  # type: ignore[arg-type]


@pytest.mark.slow
def test_ideal_denoiser_samples_sit_on_training_points_a_network_does_not(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.menus.exact.trigger()
    ideal = _median(qtbot, window, "ideal:checkerboard")
    network = _median(qtbot, window, "checkerboard")
    assert ideal < 1e-3, ideal
    assert network > 1e-2, network
