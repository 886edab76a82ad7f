"""The window's menus and keyboard shortcuts: File, Models, View, Playback, Lessons, Help."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget
from superqt.utils import signals_blocked

from diffviz.core import SAMPLERS
from diffviz.session import ViewSettings
from diffviz.session.lesson import bundled_lessons, read_lesson
from diffviz.session.scene import SceneError
from diffviz.views.model_info import analytic_model_names, bundled_model_names

from . import draw_panel

if TYPE_CHECKING:
    from .main_window import MainWindow

OPEN_FILTER = (
    "Models, runs and scenes (*.onnx *.npz *.toml);;ONNX models (*.onnx);;Saved runs (*.npz);;"
    "Scenes (*.toml);;All files (*)"
)


SCALE_STEP = 1.25
MIN_SCALE, MAX_SCALE = 0.5, 4.0  # the bounds ViewSettings accepts


class Menus:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        self._add(file_menu, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self._add(file_menu, "Open S&cene…", self.open_scene_dialog)
        self._add(file_menu, "Save Sc&ene…", self.save_scene_dialog, QKeySequence.StandardKey.Save)
        self._add(file_menu, "Save &Run…", self.save_dialog, "Ctrl+Shift+S")
        self._add(file_menu, "&Export Video…", window.export_video, "Ctrl+E")
        file_menu.addSeparator()
        self._add(file_menu, "&Quit", window.close, QKeySequence.StandardKey.Quit)

        models = bar.addMenu("&Models")
        for name in bundled_model_names():
            self._add(models, name, lambda _=False, n=name: window.open_model(n))
        models.addSeparator()
        for name in analytic_model_names():
            self._add(models, name, lambda _=False, n=name: window.open_model(n))
        models.addSeparator()
        self.draw_panel = draw_panel.install(window)  # paint a 2D data set: its ideal denoiser is the model
        self.draw = self.draw_panel.action("&Draw data…", "Ctrl+D")
        models.addAction(self.draw)
        window.addAction(self.draw)
        self._add(models, "Undo drawn stroke", self.draw_panel.undo, QKeySequence.StandardKey.Undo)

        state, timeline = window.state, window.timeline
        view = bar.addMenu("&View")
        self.trails = self._toggle(
            view, "&Trails", "T", state.view_settings.trails, lambda on: state.update_view(trails=on)
        )
        self.segments = self._toggle(
            view,
            "x_t → x̂_0 &segments (to Tweedie's estimate)",
            "S",
            state.view_settings.segments,
            lambda on: state.update_view(segments=on),
        )
        self.data = self._toggle(
            view, "Training &data", "D", state.view_settings.data, lambda on: state.update_view(data=on)
        )
        self.score_map = self._toggle(
            view,
            "Score &magnitude map",
            "M",
            state.view_settings.score_background,
            lambda on: state.update_view(score_background=on),
        )
        self._add(view, "&Reset zoom", self.reset_zoom, "0")
        view.addSeparator()
        self.light = self._toggle(
            view,
            "Light theme (&projector)",
            "L",
            state.view_settings.theme == "light",
            lambda on: state.update_view(theme="light" if on else "dark"),
        )
        self._add(view, "&Larger text", lambda: self.scale_text(SCALE_STEP), QKeySequence.StandardKey.ZoomIn)
        self._add(view, "S&maller text", lambda: self.scale_text(1 / SCALE_STEP), QKeySequence.StandardKey.ZoomOut)
        self.equations = window.equations_dock.toggleViewAction()  # checked while the dock is shown
        self.equations.setText("&Equations")
        self.equations.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.equations.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        view.addAction(self.equations)
        window.addAction(self.equations)
        self.exact = self._toggle(  # view.exact: the s* overlay, and the dock that follows it (main_window)
            view,
            "E&xact vs learned score (known data)",
            "X",
            state.view_settings.exact,
            lambda on: state.update_view(exact=on),
        )
        beside = view.addMenu("Side &by side with…")
        self._add(beside, "&Off (one run)", lambda: self.compare(None), "Ctrl+0")
        for i, (name, spec) in enumerate(SAMPLERS.items(), start=1):
            self._add(beside, spec.label, lambda _=False, n=name: self.compare(n), f"Ctrl+{i}")
        self.presenter = self._add(view, "&Presenter mode (full screen, no controls)", window.presenter.toggle, "F11")
        self._add(view, "Show/hide &controls", window.presenter.toggle_controls, "H")
        state.viewChanged.connect(self._mirror_view)

        play = bar.addMenu("&Playback")
        self._add(play, "Play / pause", timeline.toggle_play, Qt.Key.Key_Space)
        # ←/→: in a paused lesson, the previous/next cue (some clickers send arrows); ,/. always step frames
        self._add(play, "Step back (in a lesson: previous cue)", lambda: self.arrow(-1), Qt.Key.Key_Left)
        self._add(play, "Step forward (in a lesson: next cue)", lambda: self.arrow(1), Qt.Key.Key_Right)
        self._add(play, "Step back one frame", lambda: timeline.step_by(-1), Qt.Key.Key_Comma)
        self._add(play, "Step forward one frame", lambda: timeline.step_by(1), Qt.Key.Key_Period)
        self._add(play, "One step taken apart: drift, then noise, then the next step", state.next_piece, "N")
        self._add(play, "To x_T", lambda: self.jump(0), Qt.Key.Key_Home)
        self._add(play, "To x_0", lambda: self.jump(None), Qt.Key.Key_End)

        lessons = bar.addMenu("&Lessons")
        for name, path in bundled_lessons().items():
            try:
                title = read_lesson(path).title
            except SceneError:
                continue  # a broken bundled lesson is a test failure, not a menu entry
            self._add(lessons, title, lambda _=False, n=name: window.lessons.open(n))
        lessons.addSeparator()
        self._add(lessons, "Next cue", window.lessons.next, Qt.Key.Key_PageDown)
        self._add(lessons, "Previous cue", window.lessons.previous, Qt.Key.Key_PageUp)

        help_menu = bar.addMenu("&Help")
        self._add(help_menu, "&Keyboard shortcuts", lambda: show_text(window, "Keyboard shortcuts", shortcuts(window)))
        self._add(help_menu, "Model &card", lambda: show_text(window, "Model card", model_card_text(window)))
        self._add(help_menu, "&About diffviz", lambda: show_text(window, "About diffviz", about_text(window)))

    def compare(self, name: str | None) -> None:
        """Side by side with sampler ``name`` (its options as the sampler panel last had them), or back to one run.
        Starting it shows the particles alone on each side, so the two halves stay large."""
        session = self.window.state.session
        if name is None:
            session.compare = None
            return
        with session.batch():
            if session.compare is None and len(session.view.panels) > 2:
                session.update_view(panels=("x_t", *(p for p in session.view.panels if p != "x_t")), layout="single")
            session.compare = replace(session.sampler, name=name)

    def scale_text(self, factor: float) -> None:
        """Titles, tick labels and the axes' room grow or shrink together (the session's ``view.ui_scale``)."""
        state = self.window.state
        scale = min(max(state.view_settings.ui_scale * factor, MIN_SCALE), MAX_SCALE)
        state.update_view(ui_scale=round(scale, 3))

    def arrow(self, delta: int) -> None:
        """← / →: the lesson's previous/next cue when it takes the key (open, timeline paused), else a frame."""
        if not self.window.lessons.arrow(delta):
            self.window.timeline.step_by(delta)

    def jump(self, step: int | None) -> None:
        """Pause and move the playhead to ``step`` (None: the end, x_0)."""
        state = self.window.state
        self.window.timeline.pause()
        state.set_step(state.num_steps if step is None else step)

    def _add(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[..., object],
        shortcut: QKeySequence.StandardKey | Qt.Key | str | None = None,
    ) -> QAction:
        action = QAction(text, self.window)
        action.triggered.connect(slot)
        menu.addAction(action)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.window.addAction(action)  # shortcuts work while the menu bar is hidden, too
        return action

    def _toggle(self, menu: QMenu, text: str, shortcut: str, checked: bool, slot: Callable[..., object]) -> QAction:
        action = self._add(menu, text, slot, shortcut)
        action.setCheckable(True)
        action.setChecked(checked)
        return action

    def _mirror_view(self, settings: ViewSettings) -> None:
        for action, value in (
            (self.trails, settings.trails),
            (self.segments, settings.segments),
            (self.data, settings.data),
            (self.score_map, settings.score_background),
            (self.exact, settings.exact),
            (self.light, settings.theme == "light"),
        ):
            with signals_blocked(action):
                action.setChecked(value)

    # ---- files ----------------------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a model or a saved run", "", OPEN_FILTER)
        if path:
            self.window.open_path(path)

    def open_scene_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a scene", "", "Scenes (*.toml);;All files (*)")
        if path:
            self.window.open_scene(path)

    def save_scene_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save scene", "scene.toml", "Scenes (*.toml)")
        if path:
            self.window.save_scene(path if path.endswith(".toml") else path + ".toml")

    def save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save run", "run.npz", "Saved runs (*.npz)")
        if path:
            self.window.save_run(path if path.endswith(".npz") else path + ".npz")

    def set_recent(self, files: list[str]) -> None:
        self.recent_menu.clear()
        for path in files:
            self._add(self.recent_menu, Path(path).name, lambda _=False, p=path: self.window.open_path(p)).setToolTip(
                path
            )
        self.recent_menu.setEnabled(bool(files))

    def add_recent(self, path: str) -> None:
        if self.window.store is not None:
            self.set_recent(self.window.store.add_recent(path))

    def reset_zoom(self) -> None:
        views = self.window.grid.views
        if views and self.window.grid.modality == "points":
            self.window.state.update_view(camera=None)
            self.window.grid.set_camera(None)
        else:
            for v in views:
                v.vb.autoRange(padding=0.02)


def shortcuts(window: QWidget) -> str:
    """Every action of the window that has a shortcut, as "key — what it does" lines (from the actions themselves)."""
    lines = []
    for action in window.actions():
        key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if key:
            lines.append(f"{key:<14} {action.text().replace('&', '')}")
    return "\n".join(lines)


def model_card_text(window: MainWindow) -> str:
    """What the current model is: name, file, prediction type, schedule, data, provider and notices."""
    info = window.state.model
    if info is None:
        return "No model is open."
    card = info.card
    schedule = card.train_schedule.describe() if card.train_schedule is not None else "none (exact at every ᾱ)"
    rows = [
        ("model", card.name),
        ("description", card.description),
        ("file", card.path),
        ("sha256", card.sha256),
        ("predicts", card.prediction_type),
        ("training schedule", schedule),
        ("data", card.data),
        ("data shape", str(card.data_shape)),
        ("runs on", card.provider),
    ]
    lines = [f"{key}: {value}" for key, value in rows if value]
    lines += [f"notice: {text}" for text in card.notices]
    return "\n".join(lines)


def about_text(window: MainWindow) -> str:
    from importlib.metadata import PackageNotFoundError, version

    import numpy as np
    from PySide6 import __version__ as pyside_version

    import diffviz

    ort = "not installed"
    for dist in ("onnxruntime-gpu", "onnxruntime"):
        try:
            ort = version(dist)
            break
        except PackageNotFoundError:
            continue
    info = window.state.model
    runs_on = f"; the current model runs on {info.card.provider}" if info is not None else ""
    return (
        f"diffviz {diffviz.__version__}: diffusion models made visible — the score field, ε̂ and Tweedie's x̂_0, "
        f"step by step.\n\nnumpy {np.__version__}, onnxruntime {ort}, PySide6 {pyside_version}{runs_on}."
    )


def show_text(window: QWidget, title: str, text: str) -> QMessageBox:
    """A non-modal box with ``text`` in a fixed-width font (returned for tests)."""
    box = QMessageBox(QMessageBox.Icon.NoIcon, title, text, QMessageBox.StandardButton.Close, window)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setStyleSheet("QLabel { font-family: monospace; }")
    box.setModal(False)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box


def build_menus(window: MainWindow) -> Menus:
    return Menus(window)
