"""The forward-process panel in the real window: the data noised to each frame's ᾱ with one ε per run, a message for
a model without known data, no panel (and no error) for an image model, and its lesson."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from diffviz.session.lesson import bundled_lessons, read_lesson
from diffviz.ui.main_window import MainWindow
from diffviz.views.forward import NO_DATA, ForwardView
from diffviz.views.typeset import plain
from tests.helpers import ui_models as um
from tests.helpers.ui_helpers import shown, wait_finished

PANELS = ("forward", "x_t")


def _forward(window: MainWindow) -> ForwardView:
    view = window.grid.view("forward")
    assert isinstance(view, ForwardView)
    return view


def _show_forward(qtbot, window: MainWindow) -> ForwardView:  # type: ignore[no-untyped-def]
    window.state.update_view(panels=PANELS, layout="1x4")
    qtbot.waitUntil(lambda: window.grid.settings.panels == PANELS, timeout=2000)
    return _forward(window)


def _go(qtbot, window: MainWindow, step: int) -> None:  # type: ignore[no-untyped-def]
    window.state.set_step(step)
    qtbot.waitUntil(lambda: window.grid.index == step, timeout=5000)


def _alpha_bar_of_frame(alpha_bar: np.ndarray, k: int) -> float:
    """Written out here, not imported: frame k < K is x[k], sampled at step k's ᾱ; frame K is x_0, at ᾱ = 1."""
    return 1.0 if k == len(alpha_bar) else float(alpha_bar[k])


def test_the_forward_points_are_the_data_noised_to_each_frames_alpha_bar(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    view = _show_forward(qtbot, window)
    assert [v.key for v in window.grid.shown_views] == list(PANELS) and view.plot in window.grid.ci.items
    traj = window.state.trajectory
    data = window.state.model.data_points  # type: ignore[union-attr]
    assert traj is not None and data is not None and len(data) <= 4000  # all of it is shown (no subset below the cap)
    K = traj.num_steps
    assert view.eps is not None
    eps = view.eps.copy()
    assert eps.shape == data.shape and abs(eps.std() - 1) < 0.1
    for k in (0, 1, K // 2, K - 1, K):
        _go(qtbot, window, k)
        np.testing.assert_array_equal(view.eps, eps)  # drawn once per run: the same ε at every frame
        a = _alpha_bar_of_frame(traj.alpha_bar, k)
        assert view.alpha_bar == a
        want = math.sqrt(a) * data.astype(np.float64) + math.sqrt(1 - a) * eps
        np.testing.assert_allclose(shown(view)[0], want, rtol=0, atol=1e-5)
        assert f"= {a:.3g}" in view.plot.titleLabel.text  # as the status line writes ᾱ
    np.testing.assert_array_equal(shown(view)[0], data)  # x_0: exactly the training data
    _go(qtbot, window, 0)
    x_T = shown(view)[0]
    assert np.abs(x_T.mean(0)).max() < 0.15 and np.abs(x_T.std(0) - 1).max() < 0.1  # x_T: nearly N(0, I)
    assert not view.message.isVisible()

    # a new run with another seed draws another ε; the first seed's ε comes back with it (the same scene, the same
    # picture)
    seed = window.state.sampler_settings.seed
    wait_finished(qtbot, window, lambda: window.state.update_sampler(seed=seed + 1))
    assert view.eps is not None and not np.array_equal(view.eps, eps)
    wait_finished(qtbot, window, lambda: window.state.update_sampler(seed=seed))
    np.testing.assert_array_equal(view.eps, eps)


def test_a_model_without_known_data_shows_a_message(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = _show_forward(qtbot, window)
    path = um.shrink_model(tmp_path / "no_data.onnx", data=None)
    wait_finished(qtbot, window, lambda: window.open_model(path))
    assert window.state.model.data_points is None  # type: ignore[union-attr]
    assert view.message.isVisible() and view.message.text == NO_DATA and len(shown(view)[0]) == 0
    assert window.grid.shown_views[0] is view
    wait_finished(qtbot, window, lambda: window.open_model("moons"))
    assert not view.message.isVisible() and len(shown(view)[0]) == len(window.state.model.data_points)  # type: ignore[union-attr,arg-type]


@pytest.mark.slow
def test_an_image_model_leaves_the_forward_panel_out(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    window.errorShown.connect(lambda title, message: errors.append(message))
    _show_forward(qtbot, window)
    wait_finished(qtbot, window, lambda: window.open_model(um.digits_model()))
    assert window.grid.modality == "image" and "forward" not in [v.key for v in window.grid.views]
    assert [v.key for v in window.grid.shown_views] == ["x_t"]
    window.state.update_view(panels=("forward",))  # nothing the model has: its first view stands in
    qtbot.waitUntil(lambda: window.grid.settings.panels == ("forward",), timeout=2000)
    assert [v.key for v in window.grid.shown_views] == ["x_t"] and errors == []


@pytest.mark.slow
def test_the_forward_lesson_shows_the_alpha_bar_its_captions_quote(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    lesson = read_lesson(bundled_lessons()["forward-process"])
    assert wait_finished(qtbot, window, lambda: window.lessons.open("forward-process")) is not None
    for i, cue in enumerate(lesson.cues):
        if i:
            wait_finished(qtbot, window, window.lessons.next)
        assert window.lessons.index == i and plain(window.caption.text()) == cue.caption
        view = _forward(window)
        assert view in window.grid.shown_views and cue.view.panels[0] == "forward"
        if cue.playback.playing:  # the last cue plays the reverse run from x_T
            assert cue is lesson.cues[-1] and cue.playback.step == 0
            continue
        traj = window.state.trajectory
        assert traj is not None and window.grid.index == cue.playback.step
        a = _alpha_bar_of_frame(traj.alpha_bar, cue.playback.step)
        assert view.alpha_bar == a
        # every ᾱ_t, √ᾱ_t and √(1−ᾱ_t) the caption quotes is the one shown, to the digits it gives
        quoted = {r"(?<!√)ᾱ_[tT0]": a, r"√ᾱ_[tT]": math.sqrt(a), r"√\(1−ᾱ_[tT]\)": math.sqrt(1 - a)}
        for pattern, value in quoted.items():
            for text in re.findall(pattern + r" [=≈] ([0-9.]*[0-9])", cue.caption):
                decimals = len(text.split(".")[1]) if "." in text else 0
                assert abs(value - float(text)) <= 0.5 * 10**-decimals + 1e-12, (i, pattern, text, value)
        assert re.search(r"ᾱ_[tT0] [=≈]", cue.caption), i  # each still cue names its noise level
