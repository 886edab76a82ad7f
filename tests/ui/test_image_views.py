"""Image models: the four views become mosaics (x_t, score, ε̂, x̂_0) on the same timeline."""

from __future__ import annotations

import numpy as np
import pytest

from diffviz.session import DEFAULT_IMAGES, DEFAULT_POINTS
from diffviz.ui.main_window import MainWindow
from diffviz.views.frame import Frame
from diffviz.views.images import GAP, GAP_VALUE, tile
from diffviz.views.model_info import bundled_model_names
from tests.helpers import ui_models as um
from tests.helpers.ui_helpers import differs, shown, wait_finished


@pytest.mark.slow
def test_the_window_switches_to_image_views_on_an_image_model(qtbot, window: MainWindow) -> None:
    model = um.digits_model()
    traj = wait_finished(qtbot, window, lambda: window.open_model(model))
    assert window.grid.modality == "image" and [v.key for v in window.grid.views] == [
        "x_t",
        "score",
        "eps_hat",
        "x0_hat",
    ]
    assert traj.data_shape == (1, 8, 8) and traj.num_particles == DEFAULT_IMAGES
    mosaic = shown(window.grid.view("x_t"))[0]
    assert mosaic.shape == (8 * 9 - 1, 8 * 9 - 1) and mosaic.dtype == np.uint8

    frames = {}
    for step in (5, traj.num_steps - 10):
        window.timeline.slider.setValue(step)
        qtbot.waitUntil(lambda s=step: window.grid.index == s, timeout=2000)
        frames[step] = [shown(v) for v in window.grid.views]
    for view, a, b in zip(window.grid.views, *frames.values(), strict=True):
        assert differs(a, b), f"image view {view.key} did not change"

    # the ideal denoiser memorises: late in the run, x̂_0 is (nearly) one of its training images
    late = Frame(traj, traj.num_steps - 1).x0
    train = model.means
    dist = np.sqrt(((late[:, None, :] - train[None]) ** 2).mean(-1)).min(1)
    assert np.median(dist) < 0.05

    # back to a 2D model: 2D views, with the 2D particle count
    wait_finished(qtbot, window, lambda: window.open_model("analytic:8gaussians"))
    assert window.grid.modality == "points" and window.state.sampler_settings.num_particles == DEFAULT_POINTS


def test_tile_places_each_image_in_its_cell() -> None:
    images = np.arange(5 * 1 * 2 * 3, dtype=np.float32).reshape(5, 1, 2, 3)
    out = tile(images, (0.0, 29.0))
    assert out.shape == (2 * (2 + GAP) - GAP, 3 * (3 + GAP) - GAP)
    scaled = np.clip(images * (255 / 29), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(out[0:2, 0:3], scaled[0, 0])
    np.testing.assert_array_equal(out[3:5, 4:7], scaled[4, 0])  # 5th image: row 1, col 1 of a 3-wide grid
    assert out[2, 0] == GAP_VALUE and out[0, 3] == GAP_VALUE
    rgb = tile(np.zeros((4, 3, 2, 2), np.float32), (-1, 1))
    assert rgb.shape == (5, 5, 3) and rgb[0, 0].tolist() == [127, 127, 127]
    lut = np.zeros((256, 4), np.uint8)
    lut[:, 0] = np.arange(256)
    coloured = tile(images, (0.0, 29.0), lut)
    assert coloured.shape == out.shape + (4,)
    np.testing.assert_array_equal(coloured[0:2, 0:3, 0], scaled[0, 0])  # each grey value through the table
    assert coloured[2, 0].tolist() == [GAP_VALUE, GAP_VALUE, GAP_VALUE, 255]


@pytest.mark.slow
@pytest.mark.skipif("digits" not in bundled_model_names(), reason="the zoo has no bundled digits model")
def test_the_bundled_onnx_image_model_runs_in_the_image_views(qtbot, window: MainWindow) -> None:
    traj = wait_finished(qtbot, window, lambda: window.open_model("digits"))
    assert window.grid.modality == "image" and traj.data_shape == window.state.model.model.data_shape
    C, H, W = traj.data_shape
    n = min(traj.num_particles, 64)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    assert shown(window.grid.view("x0_hat"))[0].shape[:2] == (rows * (H + GAP) - GAP, cols * (W + GAP) - GAP)
    assert window.sampler_panel.options["clip_sample"].isChecked() == window.state.model.card.clip_sample  # its hint
