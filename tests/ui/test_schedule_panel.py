"""The schedule panel: the model's training schedule for comparison, and the steps outside its trained range."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest

from diffviz.ui.main_window import MainWindow
from diffviz.ui.schedule_plots import OUTSIDE
from diffviz.views.typeset import plain
from tests.helpers import ui_models as um
from tests.helpers.ui_helpers import wait_finished


def _legend_labels(window: MainWindow) -> list[str]:
    """The entries of the key line under the schedule plots (plain text)."""
    key = plain(window.schedule_panel.plots.key.text)
    return [name for name in ("sampling", "model's training") if name in key]


@pytest.mark.slow
def test_steps_beyond_the_trained_noise_range_are_marked(qtbot, window: MainWindow, tmp_path: Path) -> None:
    wait_finished(qtbot, window, lambda: window.open_model(um.shrink_model(tmp_path / "m.onnx")))
    plots = window.schedule_panel.plots
    train = window.state.model.model.train_schedule
    np.testing.assert_allclose(plots.train["beta"].getOriginalDataset()[1], train.betas)
    assert _legend_labels(window) == ["sampling", "model's training"]
    dots = plots.steps["log_snr"]
    red = pg.mkBrush(OUTSIDE).color().rgb()
    assert not any(b.color().rgb() == red for b in dots.data["brush"])  # the training schedule: all inside

    wait_finished(qtbot, window, lambda: window.state.update_schedule(beta_end=0.06))
    sampled = window.state.schedule_settings.build()
    outside = sampled.log_snr < train.log_snr[-1] - 1e-9  # noisier than the model ever saw
    marked = np.array([b.color().rgb() == red for b in dots.data["brush"]])
    assert outside.any() and np.array_equal(marked, outside)
    lo, hi = plots.trained_range.getRegion()
    assert (lo, hi) == (train.log_snr[-1], train.log_snr[0])
    assert window.state.trajectory.clamped.sum() == outside.sum()  # the run flags the same steps

    wait_finished(qtbot, window, lambda: window.open_model("analytic:8gaussians"))
    assert _legend_labels(window) == ["sampling"]  # an analytic model has no training schedule
    assert not plots.trained_range.isVisible() and not window.schedule_panel.reset.isEnabled()


def test_reset_restores_the_models_training_schedule(qtbot, window: MainWindow, tmp_path: Path) -> None:
    wait_finished(qtbot, window, lambda: window.open_model(um.shrink_model(tmp_path / "m.onnx")))
    original = window.state.schedule_settings
    wait_finished(qtbot, window, lambda: window.state.update_schedule(name="sigmoid", beta_end=0.05))
    assert window.schedule_panel.name.currentData() == "sigmoid"
    wait_finished(qtbot, window, window.schedule_panel.reset.click)
    assert window.state.schedule_settings == original
    assert window.schedule_panel.name.currentData() == "linear"  # and the widgets mirror it
    assert abs(window.schedule_panel.beta_end.value() - original.beta_end) < 1e-9
