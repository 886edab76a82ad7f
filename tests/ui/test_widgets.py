"""Widgets on a session, without a window (napari's pattern: make state, wrap widget, change state, assert the
widget; change the widget, assert the state)."""

from __future__ import annotations

from diffviz.core import GaussianMixture, SamplingRun, Schedule
from diffviz.session import Session, ViewSettings
from diffviz.ui.sampler_panel import SamplerPanel
from diffviz.ui.schedule_panel import SchedulePanel
from diffviz.ui.state import AppState
from diffviz.ui.timeline import Timeline
from diffviz.views.grid import ViewGrid
from diffviz.views.model_info import describe


def _state() -> AppState:
    state = AppState(session=Session())
    state.set_model(describe(GaussianMixture.eight_gaussians(), "analytic:8gaussians"))
    return state


def test_the_schedule_panel_mirrors_and_writes_the_session(qtbot) -> None:  # type: ignore[no-untyped-def]
    state = _state()
    panel = SchedulePanel(state)
    qtbot.addWidget(panel)
    state.update_schedule(name="squaredcos_cap_v2", num_train_timesteps=400, num_inference_steps=40)
    assert panel.name.currentData() == "squaredcos_cap_v2" and panel.T.value() == 400 and panel.steps.value() == 40
    assert panel.cosine_s.isEnabled() and not panel.beta_end.isEnabled()
    panel.spacing.setCurrentIndex(panel.spacing.findData("linspace"))
    qtbot.waitUntil(lambda: state.session.schedule.timestep_spacing == "linspace", timeout=2000)
    assert state.session.schedule.num_train_timesteps == 400  # the rest of the panel is written back unchanged


def test_the_sampler_panel_mirrors_and_writes_the_session(qtbot) -> None:  # type: ignore[no-untyped-def]
    state = _state()
    panel = SamplerPanel(state)
    qtbot.addWidget(panel)
    state.update_sampler(name="ddim", eta=0.25, use_clipped_model_output=True, seed=9)
    assert panel.sampler.currentData() == "ddim" and panel.seed.value() == 9
    assert panel.options["eta"].value() == 0.25 and panel.options["use_clipped_model_output"].isChecked()
    assert panel.options["variance_type"].isHidden() and not panel.options["eta"].isHidden()
    panel.options["clip_sample"].setChecked(True)
    qtbot.waitUntil(lambda: state.session.sampler.options["clip_sample"] is True, timeout=2000)
    assert state.session.sampler.active_options()["eta"] == 0.25
    panel.same_noise.setChecked(True)
    qtbot.waitUntil(lambda: state.session.sampler.same_noise, timeout=2000)
    assert not panel.seed.isEnabled()  # the lock freezes the seed


def test_the_timeline_plays_from_the_session(qtbot) -> None:  # type: ignore[no-untyped-def]
    state = _state()
    timeline = Timeline(state)
    qtbot.addWidget(timeline)
    run = SamplingRun(GaussianMixture.eight_gaussians(), Schedule.from_name("linear", 40), "ddim", n=10)
    for _ in run:
        pass
    state.start_run(run.trajectory, run.schedule)
    state.set_step(0)
    state.update_playback(speed=1000, loop=False)
    assert timeline.speed.currentData() == 1000 and not timeline.loop.isChecked()
    state.update_playback(playing=True)  # play is a session value: a scene or a lesson can start it
    assert timeline.timer.isActive()
    qtbot.waitUntil(lambda: not state.playback.playing, timeout=5000)  # played to the end and stopped
    assert state.step == 40 and timeline.slider.value() == 40
    timeline.loop.setChecked(True)
    assert state.playback.loop


def test_the_camera_is_session_state_both_ways(qtbot) -> None:  # type: ignore[no-untyped-def]
    from diffviz.ui.frame_throttle import FrameThrottle

    state = _state()
    grid = ViewGrid()
    qtbot.addWidget(grid)
    grid.resize(800, 800)
    grid.show()
    FrameThrottle(state, grid, grid)
    grid.set_model(state.model)  # type: ignore[arg-type]
    state.update_view(camera=(-1.0, 1.0, -1.0, 1.0))
    x0, x1, y0, y1 = grid.camera()  # type: ignore[misc]  # the range, widened along one axis to the aspect
    assert max(abs(x0 + 1), abs(x1 - 1)) < 1e-3 or max(abs(y0 + 1), abs(y1 - 1)) < 1e-3
    assert x0 <= -0.999 and x1 >= 0.999 and y0 <= -0.999 and y1 >= 0.999
    vb = grid.views[2].vb  # zoom in another, linked view, as the mouse wheel does
    vb.scaleBy((0.5, 0.5))
    vb.sigRangeChangedManually.emit(vb.state["mouseEnabled"])
    camera = state.session.view.camera
    assert camera is not None and camera[1] - camera[0] < 1.5  # the zoom is written to the session


def test_the_grid_shows_the_sessions_panels_in_its_layout(qtbot) -> None:  # type: ignore[no-untyped-def]
    from diffviz.ui.frame_throttle import FrameThrottle

    state = _state()
    grid = ViewGrid()
    qtbot.addWidget(grid)
    FrameThrottle(state, grid, grid)
    grid.set_model(state.model)  # type: ignore[arg-type]

    def placed() -> list[tuple[str, int, int]]:
        cells = [(v.key, *grid.ci.items[v.plot][0]) for v in grid.views if v.plot in grid.ci.items]
        return sorted(cells, key=lambda c: (c[1], c[2]))

    assert placed() == [("x_t", 0, 0), ("score", 0, 1), ("eps_hat", 1, 0), ("x0_hat", 1, 1)]
    state.update_view(panels=("x0_hat", "x_t"), layout="1x4")
    assert placed() == [("x0_hat", 0, 0), ("x_t", 0, 1)]
    assert grid.view("x0_hat").plot.vb.state["aspectLocked"]  # the first shown view leads
    state.update_view(layout="single")
    assert placed() == [("x0_hat", 0, 0)]


def test_fixed_score_levels_hold_for_every_frame(qtbot) -> None:  # type: ignore[no-untyped-def]
    state = _state()
    grid = ViewGrid()
    qtbot.addWidget(grid)
    grid.set_model(state.model)  # type: ignore[arg-type]
    run = SamplingRun(GaussianMixture.eight_gaussians(), Schedule.from_name("linear", 30), "ddpm", n=20)
    for _ in run:
        pass
    score = grid.view("score")
    grid.set_frame(run.trajectory, 2)
    automatic = score.levels  # type: ignore[attr-defined]
    grid.set_frame(run.trajectory, 25)
    assert score.levels == automatic  # type: ignore[attr-defined]  # fixed for the run by default (x_T to the end)
    grid.set_view_settings(ViewSettings(score_levels=(-1.0, 2.0)))
    for k in (2, 25):
        grid.set_frame(run.trajectory, k)
        assert score.levels == (-1.0, 2.0) and score.map.levels.tolist() == [-1.0, 2.0]  # type: ignore[attr-defined]
