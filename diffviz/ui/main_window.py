"""The diffviz window: the view grid and timeline in the middle, schedule and sampler panels docked right.

Every error the user should see goes through :meth:`MainWindow.show_error`: it emits ``errorShown(title, message)``
and opens a *non-modal* message box, so nothing blocks (tests wait on the signal).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from diffviz.core import Denoiser, Trajectory
from diffviz.session import (
    SCENE_SUFFIX,
    Scene,
    SceneError,
    ScheduleSettings,
    ViewSettings,
    open_scene,
    scene_model,
    write_scene,
)
from diffviz.session.run_files import run_model_name, run_schedule, run_settings
from diffviz.views import typeset
from diffviz.views.colors import theme
from diffviz.views.grid import ViewGrid
from diffviz.views.model_info import ModelInfo, describe, open_model

from .busy import Busy, Cancelled
from .equations_panel import EquationsPanel
from .exact_panel import ExactPanel
from .export_dialog import ExportDialog
from .frame_throttle import FrameThrottle
from .lessons import LessonPlayer
from .menus import build_menus
from .presenter import Presenter
from .sampler_panel import SamplerPanel
from .sampling_controller import SamplingController
from .schedule_panel import SchedulePanel
from .settings_store import SettingsStore
from .side_by_side import SideBySide
from .state import AppState
from .timeline import Timeline

RUN_SUFFIX = ".npz"
DOCK_WIDTH = 380
CAPTION_PT = 12


class MainWindow(QMainWindow):
    errorShown = Signal(str, str)

    def __init__(self, store: SettingsStore | None = None) -> None:
        super().__init__()
        self.store = store
        self.state = AppState(self)
        self.busy = Busy(self)
        self.grid = ViewGrid()
        self.controller = SamplingController(self.state, self)
        self.frames = FrameThrottle(self.state, self.grid, self)
        self.frames.frameShown.connect(self.controller.frame_shown)
        self.frames.prepare = self.controller.ensure_field
        self.controller.fieldMoved.connect(self.frames.redraw)
        self.timeline = Timeline(self.state)
        self.schedule_panel = SchedulePanel(self.state)
        self.sampler_panel = SamplerPanel(self.state)
        self.last_error: tuple[str, str] | None = None
        self._shown_notices: set[str] = set()
        self._saved_model: str | None = None  # the model the stored schedule belongs to
        self._saved_schedule: ScheduleSettings | None = None

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.caption = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)  # math typeset by typeset.rich
        self.caption.setContentsMargins(8, 4, 8, 4)
        self.caption.hide()
        layout.addWidget(self.caption)
        self.side_by_side = SideBySide(self.state, self.grid, self.frames, self)
        self.side_by_side.compare_grid.panelDoubleClicked.connect(self.fill_with)
        layout.addWidget(self.side_by_side.widget, 1)
        layout.addWidget(self.timeline)
        self.setCentralWidget(central)
        docks = []
        for title, panel in (("Schedule", self.schedule_panel), ("Sampler", self.sampler_panel)):
            dock = QDockWidget(title, self)
            docks.append(dock)
            dock.setObjectName(f"{title.lower()}_dock")
            dock.setWidget(panel)
            dock.setFeatures(
                QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            )
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.resizeDocks(docks, [DOCK_WIDTH] * len(docks), Qt.Orientation.Horizontal)
        self.equations_panel = EquationsPanel(self.state)  # typesets only once shown (matplotlib is loaded then)
        self.equations_dock = QDockWidget("Equations", self)
        self.equations_dock.setObjectName("equations_dock")
        self.equations_dock.setWidget(self.equations_panel)
        self.equations_dock.setFeatures(docks[0].features() | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.tabifyDockWidget(docks[0], self.equations_dock)  # a tab beside Schedule: the full height when shown
        self.equations_dock.hide()  # View → Equations shows it; the default layout stays as it was
        self.equations_dock.toggleViewAction().triggered.connect(self.equations_dock.raise_)  # its tab in front
        self.exact_panel = ExactPanel(self.state)  # View → Exact vs learned: shown together with view.exact
        self.exact_dock = QDockWidget("Exact vs learned", self)
        self.exact_dock.setObjectName("exact_dock")
        self.exact_dock.setWidget(self.exact_panel)
        self.exact_dock.setFeatures(docks[0].features())  # no close box: View → Exact vs learned (X) is its switch
        self.tabifyDockWidget(docks[0], self.exact_dock)
        self.exact_dock.hide()
        self._exact = False  # the view.exact the dock last followed
        self.state.viewChanged.connect(self._follow_exact)

        self.status_labels = {key: QLabel() for key in ("provider", "model", "timing", "particles")}
        for label in self.status_labels.values():
            self.statusBar().addPermanentWidget(label)
        self.presenter = Presenter(self, [self.timeline], self.state)
        self.lessons = LessonPlayer(self)
        self.menus = build_menus(self)
        self.setAcceptDrops(True)
        self.setWindowTitle("diffviz")

        self.grid.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        for box in self.findChildren(QAbstractSpinBox):  # Enter in a number field hands the keys back to playback
            box.editingFinished.connect(self._keys_to_playback)
        self.state.errorRaised.connect(self.show_error)
        self.state.modelChanged.connect(self._on_model)
        self.state.timingChanged.connect(self._on_timing)
        self.state.runStarted.connect(self._on_run)
        self.state.captionChanged.connect(self._on_caption)
        self.state.viewChanged.connect(self._on_theme)
        self._look: tuple[str, float] | None = None  # the (theme, ui_scale) the caption and schedule plots have
        self._on_theme(self.state.view_settings)
        self.grid.panelDoubleClicked.connect(self.fill_with)
        self._before_single: tuple[tuple[str, ...], str] | None = None  # the panels a double click replaced
        self._restore()

    # ---- models and runs --------------------------------------------------------------------------------------
    def open_model(self, spec: str | Path | Denoiser) -> bool:
        """Load a model by path or name and sample with it; on failure show why and keep the current model."""
        is_file = isinstance(spec, (str, Path)) and Path(spec).is_file()
        if is_file:
            spec = str(Path(spec).resolve())  # type: ignore[arg-type]
        name = Path(spec).name if isinstance(spec, (str, Path)) else "the model"
        try:
            info = self.busy.run(f"loading {name}", lambda: describe(open_model(spec), spec))
        except Cancelled as exc:
            self.statusBar().showMessage(f"{exc}; the current model stays", 8000)
            return False
        except (ValueError, OSError, RuntimeError) as exc:
            self.show_error("Cannot open model", str(exc))
            return False
        card = info.card
        steps = self.state.schedule_settings.num_inference_steps
        schedule = ScheduleSettings.matching(card.train_schedule, steps, card.timestep_spacing, card.steps_offset)
        with self.controller.paused():
            if self._saved_model == info.spec and self._saved_schedule is not None:
                schedule, self._saved_schedule = self._saved_schedule, None  # the user's last settings for it
            self.state.update_sampler(clip_sample=info.card.clip_sample, clip_sample_range=info.card.clip_sample_range)
            self.state.set_model(info, schedule)
        self.controller.restart()
        if is_file:
            self.menus.add_recent(info.spec)
        self.show_notices(info.notices)
        return True

    def open_run(self, path: str | Path) -> bool:
        """Show a saved run; its model (by name) is loaded too when it is not the current one."""
        try:
            trajectory = self.busy.run(f"reading {Path(path).name}", lambda: Trajectory.load(path))
            schedule = run_schedule(trajectory)
        except Cancelled as exc:
            self.statusBar().showMessage(str(exc), 8000)
            return False
        except (ValueError, OSError) as exc:
            self.show_error("Cannot open run", str(exc))
            return False
        info = self.state.model
        name = run_model_name(trajectory)
        if info is None or info.name != name or info.card.data_shape != trajectory.data_shape:
            try:
                info = self.busy.run(f"loading {name}", lambda: describe(open_model(name), name))
            except Cancelled as exc:
                self.statusBar().showMessage(str(exc), 8000)
                return False
            except (ValueError, OSError, RuntimeError) as exc:
                self.show_error(
                    "Cannot open run",
                    f"{Path(path).name} was made with the model {name!r}, which "
                    f"cannot be opened here ({exc}). Open that model first, then the run.",
                )
                return False
            if info.card.data_shape != trajectory.data_shape:
                self.show_error(
                    "Cannot open run",
                    f"{Path(path).name} holds data of shape {trajectory.data_shape}; "
                    f"the model {name!r} makes {info.card.data_shape}",
                )
                return False
        schedule_settings, sampler_settings, notices = run_settings(trajectory, self.state.sampler_settings)
        with self.controller.paused():
            if info is not self.state.model:
                self.state.set_model(info)
            with self.state.session.batch():
                if schedule_settings is not None:
                    self.state.session.schedule = schedule_settings
                self.state.session.sampler = sampler_settings
            self.state.start_run(trajectory, schedule)
        self.menus.add_recent(str(Path(path).resolve()))
        self.show_notices(notices)
        return True

    def open_scene(self, path: str | Path) -> bool:
        """Open a scene: its model, settings, view and playhead; a bad scene changes nothing and says why."""
        previous = self.state.sampler_settings

        def load() -> tuple[Scene, ModelInfo, list[str]]:
            scene, model, notices = open_scene(path, previous)
            return scene, describe(model, scene.model.spec), notices

        try:
            scene, info, notices = self.busy.run(f"opening {Path(path).name}", load)
        except Cancelled as exc:
            self.statusBar().showMessage(str(exc), 8000)
            return False
        except (SceneError, ValueError, OSError, RuntimeError) as exc:
            self.show_error("Cannot open scene", str(exc))
            return False
        with self.controller.paused():
            self.state.set_model(info)
            scene.apply(self.state.session)
        self.controller.restart(step=scene.playback.step)
        self.menus.add_recent(str(Path(path).resolve()))
        self.show_notices([*info.notices, *notices])
        return True

    def show_scene(self, scene: Scene, label: str) -> bool:
        """Show a scene already read (a lesson's cue): its model is loaded only when it is not the current one."""
        current = self.state.model
        if current is not None and current.spec == scene.model.spec:
            info = current
            notices: list[str] = []
        else:
            try:
                model, notices = self.busy.run(f"loading {scene.model.spec}", lambda: scene_model(scene))
                info = describe(model, scene.model.spec)
            except Cancelled as exc:
                self.statusBar().showMessage(str(exc), 8000)
                return False
            except (SceneError, ValueError, OSError, RuntimeError) as exc:
                self.show_error(f"Cannot show {label}", str(exc))
                return False
        with self.controller.paused():
            if info is not current:
                self.state.set_model(info)
            scene.apply(self.state.session)
        self.controller.restart(step=scene.playback.step)
        self.show_notices([*(info.notices if info is not current else ()), *notices])
        return True

    def save_scene(self, path: str | Path) -> bool:
        """Save the session as a scene file (TOML), atomically."""
        try:
            write_scene(path, Scene.of(self.state.session))
        except (SceneError, OSError) as exc:
            self.show_error("Cannot save scene", str(exc))
            return False
        self.statusBar().showMessage(f"saved the scene to {path}", 8000)
        self.menus.add_recent(str(Path(path).resolve()))
        return True

    def open_path(self, path: str | Path) -> bool:
        """A saved run (.npz), a scene (.toml) or a model, by the file's suffix."""
        suffix = Path(path).suffix.lower()
        if suffix == RUN_SUFFIX:
            return self.open_run(path)
        if suffix == SCENE_SUFFIX:
            return self.open_scene(path)
        return self.open_model(path)

    def save_run(self, path: str | Path) -> bool:
        trajectory = self.state.trajectory
        if trajectory is None:
            self.show_error("Nothing to save", "No run has been sampled yet.")
            return False
        try:
            self.controller.fill_fields(trajectory)  # the window's runs evaluate the field only where shown
            trajectory.save(path)
        except (OSError, ValueError, RuntimeError) as exc:
            self.show_error("Cannot save run", str(exc))
            return False
        self.statusBar().showMessage(f"saved {trajectory.steps_done} steps to {path}", 8000)
        return True

    def export_video(self) -> ExportDialog | None:
        """File → Export video: the dialog that runs ``diffviz render`` on this session (non-modal)."""
        if self.state.model is None or self.state.trajectory is None:
            self.show_error("Nothing to export", "Open a model first; the video shows its sampling run.")
            return None
        dialog = ExportDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    # ---- errors ---------------------------------------------------------------------------------------------
    def _keys_to_playback(self) -> None:
        """After a number is entered, Space/←/→/Home/End act on the timeline again (a focused spin box takes those
        keys for editing), without a click on a plot first."""
        if isinstance(QApplication.focusWidget(), QAbstractSpinBox):
            self.grid.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_notices(self, notices: Sequence[str]) -> None:
        """Notices in the status bar for 15 s, all of them on one line (a second message would replace the first);
        a notice already shown once (the CUDA provider's, on every model load) is not repeated."""
        fresh = [n for n in notices if n not in self._shown_notices]
        self._shown_notices.update(fresh)
        if fresh:
            self.statusBar().showMessage("; ".join(fresh), 15000)

    def show_error(self, title: str, message: str) -> None:
        """The one place errors reach the user: a signal (for tests) and a non-modal box."""
        self.last_error = (title, message)
        self.errorShown.emit(title, message)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)
        box.show()

    # ---- status bar -----------------------------------------------------------------------------------------
    def _on_model(self, info: ModelInfo) -> None:
        self.status_labels["provider"].setText(f"provider: {info.provider}")
        self.status_labels["model"].setText(f"model: {info.name}")
        self.setWindowTitle(f"diffviz — {info.name}")

    def _on_timing(self, ms: float) -> None:
        self.status_labels["timing"].setText(f"{ms:.2f} ms/step")

    def fill_with(self, key: str) -> None:
        """Double click: the view ``key`` alone fills the window; on a view shown alone, back to the panels before."""
        view = self.state.view_settings
        if view.layout == "single" and self._before_single is not None:
            panels, layout = self._before_single
            self._before_single = None
            self.state.update_view(panels=panels, layout=layout)
            return
        if view.layout == "single":
            return
        self._before_single = (view.panels, view.layout)
        self.state.update_view(panels=(key, *(p for p in view.panels if p != key)), layout="single")

    def _on_theme(self, view: ViewSettings) -> None:
        """The schedule plots and the lesson caption follow the views' theme and text size (restyled only when one
        of them changed: every zoom is a view change too)."""
        if (view.theme, view.ui_scale) == self._look:
            return
        self._look = (view.theme, view.ui_scale)
        look = theme(view.theme)
        self.schedule_panel.plots.set_theme(look)
        font = self.caption.font()
        font.setPointSizeF(CAPTION_PT * max(view.ui_scale, 1.0) ** 0.6)  # a few lines: it must leave the views room
        self.caption.setFont(font)
        self.caption.setStyleSheet(f"background: {look.background}; color: {look.text};")

    def _follow_exact(self, view: ViewSettings) -> None:
        """``view.exact`` turned on or off (View → Exact vs learned, a scene, the stored settings) shows or hides the
        Exact vs learned dock (other view changes leave it alone: presenter mode keeps it hidden)."""
        if view.exact != self._exact:
            self._exact = view.exact
            self.exact_dock.setVisible(view.exact)
            if view.exact:
                self.exact_dock.raise_()

    def _on_caption(self, text: str) -> None:
        self.caption.setText(typeset.rich(text))
        self.caption.setVisible(bool(text))

    def _on_run(self, trajectory: Trajectory) -> None:
        self.status_labels["particles"].setText(f"{trajectory.num_particles} particles")

    # ---- drag and drop --------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_path(files[0])

    # ---- persistence ----------------------------------------------------------------------------------------
    def _restore(self) -> None:
        if self.store is None:
            return
        if self.store.notice:
            self.statusBar().showMessage(self.store.notice, 15000)
        geometry, layout = self.store.bytes("geometry"), self.store.bytes("window_state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if layout is not None:
            self.restoreState(layout)
        self._saved_model, self._saved_schedule, sampler, view = self.store.load_settings()
        with self.controller.paused(), self.state.session.batch():
            self.state.session.sampler = sampler
            self.state.session.view = view
        self.menus.set_recent(self.store.recent_files())

    def save_settings(self) -> str:
        """Write the layout and settings to the store; returns "" or why they could not be written (also shown in
        the status bar)."""
        if self.store is None:
            return ""
        self.store.set_bytes("geometry", self.saveGeometry())
        self.store.set_bytes("window_state", self.saveState())
        spec = self.state.model.spec if self.state.model is not None else None
        self.store.save_settings(
            spec, self.state.schedule_settings, self.state.sampler_settings, self.state.view_settings
        )
        problem = self.store.sync()
        if problem:
            self.statusBar().showMessage(problem, 15000)
        return problem

    def shutdown(self, wait_ms: int = 5000) -> bool:
        """Stop sampling and wait for its thread; True when no worker thread is left."""
        self.timeline.pause()
        return self.controller.cancel(wait_ms=wait_ms)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.busy.cancel()
        self.save_settings()
        self.shutdown()
        super().closeEvent(event)
