"""Lessons: every bundled lesson reads, every cue reaches its first frame in the real window, PageDown / PageUp
(what a presentation clicker sends) move through the cues, and a bad lesson is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from diffviz.cli import main
from diffviz.session import SceneError
from diffviz.session.lesson import bundled_lessons, read_lesson
from diffviz.session.settings import SPEEDS
from diffviz.ui.main_window import MainWindow
from diffviz.views.typeset import plain
from tests.helpers.ui_helpers import wait_finished

LESSONS = bundled_lessons()


def test_at_least_eight_lessons_ship_and_each_reads() -> None:
    assert len(LESSONS) >= 8
    for name, path in LESSONS.items():
        lesson = read_lesson(path)
        assert lesson.title and len(lesson.cues) >= 2, name
        assert all(cue.caption for cue in lesson.cues), name  # every cue says something


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(LESSONS))
def test_every_cue_reaches_its_first_frame(qtbot, window: MainWindow, name: str) -> None:  # type: ignore[no-untyped-def]
    lesson = read_lesson(LESSONS[name])
    errors: list[str] = []
    window.errorShown.connect(lambda title, message: errors.append(message))
    assert wait_finished(qtbot, window, lambda: window.lessons.open(name)) is not None
    for i, cue in enumerate(lesson.cues):
        if i:
            wait_finished(qtbot, window, window.lessons.next)
        assert window.lessons.index == i and not errors
        assert plain(window.caption.text()) == cue.caption and window.state.session.caption == cue.caption
        assert window.state.model is not None and window.state.model.spec == cue.model.spec
        assert window.grid.index == window.state.shown_index  # the frame is drawn
        assert f"({i + 1}/{len(lesson.cues)})" in window.windowTitle()


def test_pagedown_and_pageup_move_through_the_cues(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    name = "too-few-steps"
    wait_finished(qtbot, window, lambda: window.lessons.open(name))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    steps = []
    for key in (Qt.Key.Key_PageDown, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
        wait_finished(qtbot, window, lambda k=key: QTest.keyClick(QApplication.focusWidget() or window, k))
        steps.append((window.lessons.index, window.state.schedule_settings.num_inference_steps))
    assert steps == [(1, 50), (2, 10), (1, 50)]
    window.lessons.go(99)  # past the end: stays on the last cue
    qtbot.waitUntil(lambda: window.lessons.index == 3)


def test_a_bad_lesson_is_refused_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lesson", "no-such-lesson"]) == 2
    err = capsys.readouterr().err
    assert "no lesson 'no-such-lesson'" in err and "too-few-steps" in err
    bad = tmp_path / "bad.toml"
    cues = '[[cue]]\ncaption = "a"\nmodel.spec = "moons"\n[[cue]]\nsampler.seed = -3\n'
    bad.write_text('format_version = 1\ntitle = "x"\n' + cues)
    with pytest.raises(SceneError, match="cue 2: .*seed"):
        read_lesson(bad)


def _press(qtbot, window: MainWindow, key: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    QTest.keyClick(QApplication.focusWidget() or window, key)


def test_right_arrow_moves_to_the_next_cue_when_paused_in_a_lesson(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    wait_finished(qtbot, window, lambda: window.lessons.open("too-few-steps"))
    assert window.lessons.index == 0 and not window.timeline.playing
    wait_finished(qtbot, window, lambda: _press(qtbot, window, Qt.Key.Key_Right))
    assert (window.lessons.index, window.state.schedule_settings.num_inference_steps) == (1, 50)
    wait_finished(qtbot, window, lambda: _press(qtbot, window, Qt.Key.Key_Left))
    assert (window.lessons.index, window.state.schedule_settings.num_inference_steps) == (0, 1000)


def test_right_arrow_steps_a_frame_without_a_lesson(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    assert not window.lessons.active
    window.state.set_step(40)
    _press(qtbot, window, Qt.Key.Key_Right)
    assert window.state.step == 41
    _press(qtbot, window, Qt.Key.Key_Left)
    _press(qtbot, window, Qt.Key.Key_Comma)
    assert window.state.step == 39


def test_period_steps_a_frame_in_a_lesson(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    wait_finished(qtbot, window, lambda: window.lessons.open("score-points-to-the-data"))
    assert window.lessons.index == 0 and window.state.step == 0
    _press(qtbot, window, Qt.Key.Key_Period)
    _press(qtbot, window, Qt.Key.Key_Period)
    _press(qtbot, window, Qt.Key.Key_Comma)
    assert window.state.step == 1 and window.lessons.index == 0


def test_right_arrow_does_not_change_the_cue_while_playing(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    wait_finished(qtbot, window, lambda: window.lessons.open("score-points-to-the-data"))
    window.state.update_playback(speed=min(SPEEDS))
    window.timeline.play()
    assert window.timeline.playing
    step = window.state.step
    _press(qtbot, window, Qt.Key.Key_Right)
    assert window.lessons.index == 0
    assert not window.timeline.playing and window.state.step >= step + 1  # it stepped a frame (and paused)


def test_opening_something_else_ends_the_lesson(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    wait_finished(qtbot, window, lambda: window.lessons.open("too-few-steps"))
    assert window.lessons.active and window.caption.isVisible()
    wait_finished(qtbot, window, lambda: window.open_model("moons"))
    assert not window.lessons.active and window.lessons.index == -1
    assert window.state.session.caption == "" and "(1/" not in window.windowTitle()
    window.state.set_step(5)
    _press(qtbot, window, Qt.Key.Key_Right)  # the arrows step frames again
    assert window.state.step == 6
