"""The lesson player: a lesson's cues, one at a time, moved through with PageDown / PageUp (what a presentation
clicker sends). Each cue is a scene with a caption; the window's title says where in the lesson the class is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from diffviz.session.lesson import Lesson, lesson_path, read_lesson
from diffviz.session.scene import SceneError

if TYPE_CHECKING:
    from .main_window import MainWindow


class LessonPlayer(QObject):
    cueShown = Signal(int)  # the cue index now on screen

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.lesson: Lesson | None = None
        self.index = -1

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
        if not self.window.show_scene(self.lesson.cues[index], label):
            return False
        self.index = index
        self.window.setWindowTitle(f"diffviz — {self.lesson.title} ({index + 1}/{len(self.lesson.cues)})")
        self.cueShown.emit(index)
        return True

    def next(self) -> bool:
        return self.go(self.index + 1)

    def previous(self) -> bool:
        return self.go(self.index - 1)
