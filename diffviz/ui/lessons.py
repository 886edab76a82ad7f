"""The lesson player: a lesson's cues, one at a time, moved through with PageDown / PageUp (what a presentation
clicker sends) or, while the timeline is paused, → / ← (what some clickers send instead). Each cue is a scene with a
caption; the window's title says where in the lesson the class is.

A lesson ends when something else is opened (a model, a scene, a saved run: anything that loads a model or a
finished run outside a cue); then → / ← step frames again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from diffviz.core import Trajectory
from diffviz.session.lesson import Lesson, lesson_path, read_lesson
from diffviz.session.scene import SceneError

if TYPE_CHECKING:
    from .main_window import MainWindow


class LessonPlayer(QObject):
    cueShown = Signal(int)  # the cue index now on screen
    ended = Signal()  # the lesson was left: something else was opened

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.lesson: Lesson | None = None
        self.index = -1
        self._showing = False  # a cue is being put on screen: its model and run are the lesson's own
        window.state.modelChanged.connect(self._opened_elsewhere)
        window.state.runStarted.connect(self._on_run)

    @property
    def active(self) -> bool:
        """A lesson is open (and has not been left by opening something else)."""
        return self.lesson is not None

    def open(self, name: str) -> bool:
        """A bundled lesson by name (or a lesson file), shown from its first cue; False (with a message) if not."""
        try:
            lesson = read_lesson(lesson_path(name))
        except SceneError as exc:
            self.window.show_error("Cannot open lesson", str(exc))
            return False
        self.lesson, self.index = lesson, -1
        return self.go(0)

    def go(self, index: int) -> bool:
        """Show cue ``index`` (clamped to the lesson); the next/previous keys call this."""
        if self.lesson is None:
            return False
        index = max(0, min(index, len(self.lesson.cues) - 1))
        if index == self.index:
            return True
        label = f"cue {index + 1} of “{self.lesson.title}”"
        self._showing = True
        try:
            shown = self.window.show_scene(self.lesson.cues[index], label)
        finally:
            self._showing = False
        if not shown:
            return False
        self.index = index
        self.window.setWindowTitle(f"diffviz — {self.lesson.title} ({index + 1}/{len(self.lesson.cues)})")
        self.cueShown.emit(index)
        return True

    def next(self) -> bool:
        return self.go(self.index + 1)

    def previous(self) -> bool:
        return self.go(self.index - 1)

    def arrow(self, delta: int) -> bool:
        """→ (``delta`` = 1) or ← (−1): the next or previous cue while a lesson is open and the timeline is paused.
        False when the key is not the lesson's (no lesson, or playing): the caller steps frames instead."""
        if self.lesson is None or self.window.timeline.playing:
            return False
        self.go(self.index + delta)  # at either end the lesson stays on its first or last cue
        return True

    def end(self) -> None:
        """Leave the lesson: the keys go back to playback, and the last cue's caption is taken down (a scene opened
        after it brings its own)."""
        lesson, index = self.lesson, self.index
        if lesson is None:
            return
        self.lesson, self.index = None, -1
        session = self.window.state.session
        if 0 <= index < len(lesson.cues) and session.caption == lesson.cues[index].caption:
            session.caption = ""
        info = self.window.state.model
        self.window.setWindowTitle(f"diffviz — {info.name}" if info is not None else "diffviz")
        self.ended.emit()

    def _opened_elsewhere(self, *_: object) -> None:
        if not self._showing:
            self.end()

    def _on_run(self, trajectory: Trajectory) -> None:
        if trajectory.complete:  # a saved run was opened (sampling starts every run of its own empty)
            self._opened_elsewhere()
