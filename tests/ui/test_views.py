"""The views on their own: each given a real trajectory and a step, checked against the frame it must draw."""

from __future__ import annotations

import numpy as np
import pytest

from diffviz.core import GaussianMixture, SamplingRun, Schedule
from diffviz.session import ViewSettings
from diffviz.views.colors import DARK, LIGHT, hue_of, palette
from diffviz.views.frame import Frame
from diffviz.views.grid import ViewGrid
from diffviz.views.lines import ARROW_FILL, HEAD, arrow_geometry
from diffviz.views.model_info import describe
from diffviz.views.particles import SPLAT_ABOVE
from tests.helpers.ui_helpers import differs, shown


def _run(n: int, steps: int = 20, seed: int = 0):  # type: ignore[no-untyped-def]
    model = GaussianMixture.eight_gaussians()
    run = SamplingRun(model, Schedule.from_name("linear", 1000).subsample(steps), "ddpm", n=n, seed=seed)
    for _ in run:
        pass
    return model, run.trajectory


@pytest.fixture
def grid(qtbot):  # type: ignore[no-untyped-def]
    g = ViewGrid()
    qtbot.addWidget(g)
    g.resize(800, 800)
    g.show()
    return g


def test_each_view_draws_its_quantity_of_the_frame(qtbot, grid: ViewGrid) -> None:
    model, traj = _run(300)
    grid.set_model(describe(model, "analytic:8gaussians"))
    seen = {0, traj.num_steps - 1}
    for k in (0, 7, traj.num_steps):
        grid.set_frame(traj, k)
        f = Frame(traj, k)
        seen.add(f.pred_index)
        np.testing.assert_array_equal(shown(grid.view("x_t"))[0], traj.x[k])
        np.testing.assert_array_equal(shown(grid.view("eps_hat"))[0], traj.eps_hat[min(k, traj.num_steps - 1)])
        np.testing.assert_array_equal(shown(grid.view("x0_hat"))[0], f.x0)
        score = grid.view("score")
        np.testing.assert_array_equal(shown(score)[0], traj.x[k])  # faint particles on the field
        log_mag = np.log10(np.linalg.norm(traj.field_score_at(f.pred_index), axis=1))
        np.testing.assert_allclose(score.map.image.ravel(), log_mag, rtol=1e-5)
        # colour levels are fixed for the run: they span the bulk of log|s| (2nd–98th percentile) at x_T, at the last
        # step and at the steps shown so far (a lazy run may not have every field), never narrowing
        ends = [np.log10(np.linalg.norm(traj.field_score_at(j), axis=1)) for j in sorted(seen)]
        quantiles = np.array([np.quantile(m, (0.02, 0.98)) for m in ends])
        assert score.levels == pytest.approx((quantiles[:, 0].min(), quantiles[:, 1].max()), rel=1e-5)
        assert score.levels[1] - score.levels[0] > 1.0  # |s| spans more than a decade between x_T and x_0


def test_tweedie_view_shows_the_posterior_mean_for_an_exact_model(qtbot, grid: ViewGrid) -> None:
    model, traj = _run(200)
    grid.set_model(describe(model, "analytic:8gaussians"))
    grid.set_frame(traj, 5)
    expected = model.posterior_mean(traj.x[5], float(traj.alpha_bar[5]))  # math.md: exact E[x_0 | x_t]
    np.testing.assert_allclose(shown(grid.view("x0_hat"))[0], expected, atol=2e-4)


def test_particle_colours_come_from_x_T_and_stay_fixed(qtbot, grid: ViewGrid) -> None:
    model, traj = _run(400)
    grid.set_model(describe(model, "analytic:8gaussians"))
    grid.set_frame(traj, 0)
    layer = grid.view("x_t").particles
    colours = [s.brush().color().getRgb()[:3] for s in layer.scatter.points()]
    angle = np.arctan2(traj.x[0, :, 1], traj.x[0, :, 0])
    want = palette()[((angle + np.pi) / (2 * np.pi) * len(palette())).astype(int) % len(palette())][:, :3]
    assert colours == [tuple(int(c) for c in w) for w in want]
    grid.set_frame(traj, traj.num_steps)
    assert [s.brush().color().getRgb()[:3] for s in layer.scatter.points()] == colours


def test_many_particles_are_splatted_into_an_image_at_their_pixels(qtbot, grid: ViewGrid) -> None:
    model, traj = _run(SPLAT_ABOVE + 1000, steps=4)
    grid.set_model(describe(model, "analytic:8gaussians"))
    grid.set_frame(traj, 0)
    layer = grid.view("x_t").particles
    assert layer.splatting and not layer.scatter.isVisible()
    image = layer.image.image
    vb = grid.view("x_t").vb
    assert image.shape[:2] == (int(vb.height()), int(vb.width()))
    (x0, x1), (y0, y1) = vb.viewRange()
    pts = traj.x[0]
    inside = (pts[:, 0] > x0) & (pts[:, 0] < x1 - 0.1) & (pts[:, 1] > y0) & (pts[:, 1] < y1 - 0.1)
    col = ((pts[inside, 0] - x0) / (x1 - x0) * image.shape[1]).astype(int)
    row = ((pts[inside, 1] - y0) / (y1 - y0) * image.shape[0]).astype(int)
    assert np.all(image[row, col, 3] == 255)  # every particle lit its pixel
    assert np.count_nonzero(image[..., 3]) <= 4 * len(pts)  # and nothing else: 2×2 pixels each at most
    lit = set(map(tuple, image[row, col, :3].reshape(-1, 3).tolist()))
    assert lit <= set(map(tuple, palette()[:, :3].tolist()))  # only particle colours
    before = image.copy()
    grid.set_frame(traj, traj.num_steps)
    assert not np.array_equal(layer.image.image, before)


def test_trails_hold_the_last_k_positions_of_each_particle(qtbot, grid: ViewGrid) -> None:
    model, traj = _run(50)
    grid.set_model(describe(model, "analytic:8gaussians"))
    grid.set_view_settings(ViewSettings(trails=True, trail_length=4))
    grid.set_frame(traj, 10)
    trails = grid.view("x_t").trails
    drawn = np.concatenate(
        [np.stack(c.getData(), axis=1) for c in trails.curves if c.getData()[0] is not None and len(c.getData()[0])]
    )
    expected = traj.x[6:11][:, trails.particles].transpose(1, 0, 2).reshape(-1, 2)
    assert sorted(map(tuple, drawn.round(5).tolist())) == sorted(map(tuple, expected.round(5).tolist()))


def test_arrows_have_the_same_length_and_point_along_the_field() -> None:
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(50, 2)).astype(np.float32)
    vec = (rng.normal(size=(50, 2)) * rng.uniform(0.01, 100, (50, 1))).astype(np.float32)
    g = arrow_geometry(pts, vec, 0.3)
    shaft = g[:, 1] - g[:, 0]
    np.testing.assert_allclose(np.linalg.norm(shaft, axis=1), 0.3, rtol=1e-5)
    cos = (shaft * vec).sum(1) / (np.linalg.norm(shaft, axis=1) * np.linalg.norm(vec, axis=1))
    np.testing.assert_allclose(cos, 1.0, atol=1e-6)
    np.testing.assert_allclose((g[:, 0] + g[:, 1]) / 2, pts, atol=1e-6)  # centred on the grid point
    np.testing.assert_allclose(np.linalg.norm(g[:, 3] - g[:, 2], axis=1), HEAD * 0.3, rtol=1e-5)
    assert 0 < ARROW_FILL <= 1


def test_the_final_index_shows_the_last_steps_predictions() -> None:
    _, traj = _run(30, steps=5)
    f = Frame(traj, traj.num_steps)
    assert f.is_final and f.pred_index == traj.num_steps - 1
    np.testing.assert_array_equal(f.x, traj.x[-1])
    np.testing.assert_array_equal(f.x_pred, traj.x[-2])
    with pytest.raises(IndexError):
        Frame(traj, traj.num_steps + 1)


def test_hues_of_image_particles_do_not_need_a_direction() -> None:
    assert hue_of(np.zeros((5, 1, 2, 2))).tolist() == [0, 1, 2, 3, 4]


def test_frames_of_different_steps_differ_in_every_view(qtbot, grid: ViewGrid) -> None:
    model, traj = _run(100)
    grid.set_model(describe(model, "analytic:8gaussians"))
    grid.set_frame(traj, 2)
    a = [shown(v) for v in grid.views]
    grid.set_frame(traj, 15)
    b = [shown(v) for v in grid.views]
    assert all(differs(x, y) for x, y in zip(a, b, strict=True))


def test_the_hue_key_wheel_gives_each_direction_its_particles_colour() -> None:
    """Each wedge of the x_t view's colour key is the colour hue_of gives a start x_T pointing that way."""
    from diffviz.views.hue_key import HueKey

    key = HueKey()
    for theme_name in ("dark", "light"):
        key.theme = DARK if theme_name == "dark" else LIGHT
        for start, span, rgb in key.wedges():
            middle = np.deg2rad(start + span / 2)
            x_T = np.array([[np.cos(middle), np.sin(middle)]]) * 2.0
            assert tuple(palette(theme_name)[hue_of(x_T)[0], :3]) == rgb
