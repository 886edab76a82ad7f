"""Draw data (Models → Draw data…, Ctrl+D): paint a 2D data set and watch diffusion respond, TensorFlow-Playground
style.

- While the panel is open and **Paint** is on, a left drag in the particles view x_t paints points: every bit of the
  drag adds points scattered around the cursor with a Gaussian of the brush's σ (in data units), about
  :data:`POINTS_PER_SIGMA` per σ travelled, so a slow and a fast stroke leave the same density. The drags are taken
  by an event filter on the view grid's viewport (a drag there otherwise pans; the wheel still zooms). A set holds
  at most :data:`~diffviz.session.session.MAX_DRAWN` points; the panel says when it is full.
- When a stroke ends the drawn set becomes the model: its ideal denoiser (model spec ``drawn``,
  :func:`~diffviz.session.loading.drawn_model`), exact at every t, and one run starts: one run per stroke, never one
  per mouse move. Undo takes back the last stroke (or Clear, or a start set), Clear empties the set, and a bundled
  2D set (the 512 points ``ideal:<set>`` uses) can be a start.
- The set is part of the session (``Session.drawn``) and so of a saved scene (``[drawn] points``).
- **Train a network on this** trains the zoo's small MLP on the set in a background thread (cancellable, with a
  progress bar and the loss curve), exports it to ONNX in the user's data folder and opens it as the model; the
  drawn set stays its known data, so View → Exact draws the exact score of the drawn set over the learned one.
  The training data are :data:`TRAIN_ROWS` draws from the drawn points with Gaussian jitter σ = :data:`TRAIN_JITTER`.
  Without torch the button says what to install.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from diffviz.core import GaussianMixture, make_dataset
from diffviz.core.datasets import DATASETS
from diffviz.session import ViewSettings
from diffviz.session.loading import drawn_model
from diffviz.session.session import DRAWN_SPEC, MAX_DRAWN
from diffviz.views.colors import theme
from diffviz.views.model_info import ModelInfo, describe

from .train_worker import (
    DRAWN_NET,
    TRAIN_INSTALL_HINT,
    TRAIN_JITTER,
    TRAIN_ROWS,
    TRAIN_STEP_RANGE,
    TRAIN_STEPS,
    WAIT_ON_CLOSE_MS,
    TrainedNet,
    TrainThread,
    default_model_dir,
    missing_training_module,
)

if TYPE_CHECKING:
    from .main_window import MainWindow

BRUSH_SIGMA = 0.08  # the brush's default σ, in data units (the toy sets span about [-2.5, 2.5])
BRUSH_RANGE = (0.01, 0.5)
BRUSH_TICKS = 100  # slider ticks per data unit
POINTS_PER_SIGMA = 1.5  # points a stroke adds per brush σ travelled
PRESS_POINTS = 4  # points a press adds where it lands (a click makes a small blob)
START_POINTS = 512  # a start set: the points ideal:<set> uses (GaussianMixture.ideal)
DECIMALS = 4  # drawn points are kept (and saved) to 1e-4: short scene lines, the same model after a reload
MAX_UNDO = 100
OVERLAY_PX = 5  # the dots that mark drawn points in the x_t view (under the particles: at t = 0 a halo round each)
OVERLAY_ALPHA = 150

HINT = (
    "Drag with the left button in the particles view x<sub>t</sub> to paint data points. When a stroke ends, the "
    "drawn set becomes the model (its ideal denoiser, exact at every t) and the particles are sampled again."
)


def _same(a: np.ndarray | None, b: np.ndarray) -> bool:
    return a is not None and np.shape(a) == np.shape(b) and bool(np.allclose(a, b, rtol=0, atol=1e-6))


class DrawPanel(QWidget):
    """See the module docstring. ``points`` (N, 2): the drawn set, the current stroke included while it lasts."""

    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.main, self.state = window, window.state
        self.dock: QDockWidget | None = None
        self.points = np.zeros((0, 2))
        self.full = False
        self.model_dir: Path | None = None  # None: default_model_dir()
        self.trainer: TrainThread | None = None
        self.last_trained: TrainedNet | None = None
        self._history: list[np.ndarray] = []
        self._stroke = False
        self._last = np.zeros(2)
        self._carry = 0.0
        self._rng = np.random.default_rng(0)
        self._committing = False
        self._overlay: pg.ScatterPlotItem | None = None
        self._overlay_plot: pg.PlotItem | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        hint = QLabel(HINT, wordWrap=True, textFormat=Qt.TextFormat.RichText)
        layout.addWidget(hint)

        grid = QGridLayout()
        self.paint = QPushButton("Paint")
        self.paint.setCheckable(True)
        self.paint.setChecked(True)
        self.paint.setToolTip("On: a left drag in the x_t view paints points. Off: it pans, as usual.")
        self.paint.toggled.connect(self._update_mode)
        grid.addWidget(self.paint, 0, 0)
        self.brush = QSlider(Qt.Orientation.Horizontal)
        self.brush.setRange(round(BRUSH_RANGE[0] * BRUSH_TICKS), round(BRUSH_RANGE[1] * BRUSH_TICKS))
        self.brush.setValue(round(BRUSH_SIGMA * BRUSH_TICKS))
        self.brush.setToolTip("The brush's size: σ of the Gaussian the painted points scatter with, in data units.")
        self.brush_label = QLabel()
        self.brush.valueChanged.connect(self._show_brush)
        brush_row = QHBoxLayout()
        brush_row.addWidget(self.brush, 1)
        brush_row.addWidget(self.brush_label)
        grid.addLayout(brush_row, 0, 1)
        self.undo_button = QPushButton("Undo stroke")
        self.undo_button.setToolTip("Take back the last stroke (or the last Clear or start set). Ctrl+Z.")
        self.undo_button.clicked.connect(self.undo)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove every drawn point (Undo brings them back).")
        self.clear_button.clicked.connect(self.clear)
        grid.addWidget(self.undo_button, 1, 0)
        grid.addWidget(self.clear_button, 1, 1)
        self.start_set = QComboBox()
        self.start_set.addItems(list(DATASETS))
        self.start_set.setToolTip(f"A bundled 2D set to start from: the {START_POINTS} points ideal:<set> uses.")
        self.start_button = QPushButton("Start from")
        self.start_button.setToolTip("Replace the drawn set by the chosen bundled set (Undo brings yours back).")
        self.start_button.clicked.connect(lambda: self.start_from(self.start_set.currentText()))
        grid.addWidget(self.start_button, 2, 0)
        grid.addWidget(self.start_set, 2, 1)
        layout.addLayout(grid)
        self.count = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        layout.addWidget(self.count)

        train_row = QHBoxLayout()
        self.train_button = QPushButton("Train a network on this")
        self.train_button.setToolTip(
            "Train the zoo's small network (an MLP, 3 layers of 128) on the drawn set in the background, then make it "
            f"the model. Its data are {TRAIN_ROWS:,} draws from the drawn points with jitter σ = {TRAIN_JITTER:g}; "
            "View → Exact then compares its score with the exact score of the drawn set. Needs torch (the train extra)."
        )
        self.train_button.clicked.connect(self.train)
        self.steps = QSpinBox(minimum=TRAIN_STEP_RANGE[0], maximum=TRAIN_STEP_RANGE[1], value=TRAIN_STEPS)
        self.steps.setSingleStep(500)
        self.steps.setSuffix(" steps")
        self.steps.setToolTip("Training steps (batches of 512); 1,500 take a few seconds on two CPU cores.")
        train_row.addWidget(self.train_button, 1)
        train_row.addWidget(self.steps)
        layout.addLayout(train_row)
        progress_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m steps")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the training; the model stays as it is.")
        self.cancel_button.clicked.connect(self.cancel_training)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)
        self.loss_plot = pg.PlotWidget()
        self.loss_plot.setMenuEnabled(False)
        self.loss_plot.setMouseEnabled(x=False, y=False)
        self.loss_plot.hideButtons()
        self.loss_plot.setLogMode(y=True)
        self.loss_plot.setLabel("bottom", "training step")
        self.loss_plot.setLabel("left", "loss (smoothed)")
        self.loss_plot.setMinimumHeight(140)
        self.loss_plot.setToolTip("The training loss, smoothed (an exponential average over about 50 steps).")
        self.loss_curve = self.loss_plot.plot([], [])
        layout.addWidget(self.loss_plot, 3)
        self.loss_plot.hide()  # until a training starts
        self.train_status = QLabel(wordWrap=True)
        layout.addWidget(self.train_status)
        layout.addStretch(1)
        self._show_training(False)

        self._sync_timer = QTimer(self, singleShot=True, interval=0)
        self._sync_timer.timeout.connect(self.sync)
        window.grid.viewport().installEventFilter(self)
        window.installEventFilter(self)
        self.state.modelChanged.connect(self._on_model)
        self.state.viewChanged.connect(self._restyle)
        self.state.session.events.drawn.connect(self._on_drawn)
        self._show_brush()
        self._restyle(self.state.view_settings)
        self._refresh()

    # ---- mode -----------------------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.dock is not None and self.dock.toggleViewAction().isChecked()

    @property
    def painting(self) -> bool:
        """Left drags in the x_t view paint: the panel is open and Paint is on."""
        return self.is_open and self.paint.isChecked()

    @property
    def brush_sigma(self) -> float:
        return self.brush.value() / BRUSH_TICKS

    def _show_brush(self) -> None:
        self.brush_label.setText(f"σ = {self.brush_sigma:.2f}")

    def _update_mode(self, *_: object) -> None:
        viewport = self.main.grid.viewport()
        self.paint.setText("Paint: on (left drag)" if self.paint.isChecked() else "Paint: off (drags pan)")
        if self.painting:
            viewport.setCursor(Qt.CursorShape.CrossCursor)
        else:
            viewport.unsetCursor()
            self._stroke = False
        self._refresh()

    def action(self, text: str, shortcut: str) -> QAction:
        """The dock's toggle (checked while it is open), named and with a window-wide shortcut."""
        assert self.dock is not None
        action = self.dock.toggleViewAction()
        action.setText(text)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip("Paint a 2D data set in the x_t view; its ideal denoiser becomes the model.")
        return action

    def opened(self, shown: bool) -> None:
        """The dock was opened (painting starts: Paint on, its tab in front) or closed."""
        if shown and self.dock is not None:
            self.paint.setChecked(True)
            self.dock.raise_()
        self._update_mode()

    # ---- the mouse --------------------------------------------------------------------------------------------
    def _xt_view(self) -> Any:
        grid = self.main.grid
        if grid.modality != "points":
            return None
        return next((v for v in grid.shown_views if v.key == "x_t"), None)

    def _data_pos(self, event: QMouseEvent, inside: bool) -> np.ndarray | None:
        view = self._xt_view()
        if view is None:
            return None
        where = self.main.grid.mapToScene(event.position().toPoint())
        if inside and not view.vb.sceneBoundingRect().contains(where):
            return None
        p = view.vb.mapSceneToView(where)
        return np.array([p.x(), p.y()])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.main:
            if event.type() == QEvent.Type.Close:
                self.cancel_training(wait_ms=WAIT_ON_CLOSE_MS)
            return False
        if not isinstance(event, QMouseEvent) or not (self.painting or self._stroke):
            return False
        kind = event.type()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            if event.button() != Qt.MouseButton.LeftButton:
                return False
            p = self._data_pos(event, inside=True)
            if p is None:
                return False
            self._begin(p)
            return True
        if kind == QEvent.Type.MouseMove and self._stroke:
            p = self._data_pos(event, inside=False)
            if p is not None:
                self._extend(p)
            return True
        if kind == QEvent.Type.MouseButtonRelease and self._stroke and event.button() == Qt.MouseButton.LeftButton:
            self._end()
            return True
        return False

    # ---- strokes ----------------------------------------------------------------------------------------------
    def _begin(self, p: np.ndarray) -> None:
        self._stroke, self._last, self._carry = True, p, 0.0
        self._push()
        self._add(p + self._rng.normal(0.0, self.brush_sigma, (PRESS_POINTS, 2)))

    def _extend(self, p: np.ndarray) -> None:
        """Points along the segment from the last position to ``p``: POINTS_PER_SIGMA per σ travelled."""
        sigma = self.brush_sigma
        self._carry += float(np.linalg.norm(p - self._last)) / sigma * POINTS_PER_SIGMA
        n = int(self._carry)
        if n:
            self._carry -= n
            along = self._last + self._rng.uniform(0.0, 1.0, (n, 1)) * (p - self._last)
            self._add(along + self._rng.normal(0.0, sigma, (n, 2)))
        self._last = p

    def _add(self, new: np.ndarray) -> None:
        room = MAX_DRAWN - len(self.points)
        if room > 0:
            self.points = np.concatenate([self.points, new[:room]])
        if len(new) >= room:
            self.full = True
            self.main.statusBar().showMessage(
                f"The drawn set is full: {MAX_DRAWN:,} points at most. Undo or Clear to draw more.", 8000
            )
        self._draw_overlay()

    def _end(self) -> None:
        self._stroke = False
        if self._history and len(self._history[-1]) == len(self.points):  # the set was full: nothing was added
            self._history.pop()
            return
        self.commit()

    # ---- edits of the whole set --------------------------------------------------------------------------------
    def _push(self) -> None:
        self._history.append(self.points.copy())
        del self._history[:-MAX_UNDO]

    def undo(self) -> None:
        """Back to the set before the last stroke (Clear, start set)."""
        if self._stroke or not self._history or not self.is_open:  # Ctrl+Z does nothing while the panel is closed
            return
        self.points = self._history.pop()
        self.commit()

    def clear(self) -> None:
        if self._stroke or not len(self.points):
            return
        self._push()
        self.points = np.zeros((0, 2))
        self.commit()

    def start_from(self, name: str) -> None:
        """The 512 points ``ideal:<name>`` uses, as the drawn set (one undoable edit)."""
        self._push()
        self.points = make_dataset(name, START_POINTS, seed=0)
        self.commit()

    def commit(self) -> None:
        """The drawn set into the session and, when it has points, its ideal denoiser as the model: one run."""
        self.points = np.round(np.asarray(self.points, np.float64).reshape(-1, 2), DECIMALS)
        self.full = len(self.points) >= MAX_DRAWN
        drawn = tuple((float(x), float(y)) for x, y in self.points.tolist())
        session = self.state.session
        self._committing = True
        try:
            if not drawn:
                session.drawn = ()
            else:
                self._use_model(drawn)
        finally:
            self._committing = False
        self._refresh()

    def _use_model(self, drawn: tuple[tuple[float, float], ...]) -> None:
        """The ideal denoiser of ``drawn`` as the model, the session's drawn set with it, then one run. The schedule
        stays (an exact model fits any); x̂_0 clipping goes off as when a 2D model is opened."""
        info = describe(drawn_model(drawn), DRAWN_SPEC)
        state, session, controller = self.state, self.state.session, self.main.controller
        with controller.paused():
            with session.batch():
                session.drawn = drawn
                previous = state.model
                if previous is None or previous.spec != DRAWN_SPEC:
                    state.update_sampler(
                        clip_sample=info.card.clip_sample, clip_sample_range=info.card.clip_sample_range
                    )
                state.set_model(info)
        controller.restart()

    # ---- the session ----------------------------------------------------------------------------------------------
    def _on_drawn(self, drawn: tuple[tuple[float, float], ...]) -> None:
        """The drawn set changed elsewhere (a scene, a lesson): show it; its undo history starts again."""
        if self._committing:
            return
        self.points = np.asarray(drawn, dtype=np.float64).reshape(-1, 2)
        self.full = len(self.points) >= MAX_DRAWN
        self._history.clear()
        self._stroke = False
        self._refresh()
        self._sync_timer.start()

    def _on_model(self, _info: ModelInfo) -> None:
        self._refresh()  # a new model may have rebuilt the views: the rings move to the new x_t view
        self._sync_timer.start()

    def sync(self) -> None:
        """Keep the model and the drawn set together: model ``drawn`` is the ideal denoiser of exactly these points
        (a scene applied over the same spec), and a network trained here, opened from a scene, knows them as its data
        (for the exact score)."""
        info, drawn = self.state.model, self.state.session.drawn
        if info is None or not drawn:
            return
        points = np.asarray(drawn, dtype=np.float64)
        if info.spec == DRAWN_SPEC:
            if isinstance(info.model, GaussianMixture) and not _same(info.model.means, points):
                self._use_model(drawn)
        elif info.card.name == DRAWN_NET and info.data_points is None:
            self.state.set_model(replace(info, data_points=points))

    # ---- drawing ------------------------------------------------------------------------------------------------
    def _refresh(self) -> None:
        self._draw_overlay()
        n = len(self.points)
        look = theme(self.state.view_settings.theme)
        if self.full:
            text = (
                f"<b style='color: rgb{look.noise[:3]}'>{n:,} points: the most a drawn set holds.</b> "
                "Undo or Clear to draw more."
            )
        elif n:
            text = f"<b>{n:,}</b> drawn points."
        elif self.main.grid.modality != "points":
            text = "No points yet. Pick a set to start from (drawing needs a 2D model's views)."
        else:
            text = "No points yet."
        self.count.setText(text)
        self.undo_button.setEnabled(bool(self._history))
        self.clear_button.setEnabled(bool(n))
        self.train_button.setEnabled(bool(n) and self.trainer is None)

    def _draw_overlay(self) -> None:
        """Rings around the drawn points in the x_t view (a new item when the views were rebuilt), while open."""
        if self._overlay is not None and not shiboken6.isValid(self._overlay):  # its view is gone (closing)
            self._overlay = self._overlay_plot = None
        view = next((v for v in self.main.grid.views if v.key == "x_t"), None)
        plot = view.plot if view is not None and shiboken6.isValid(view.plot) else None
        if plot is not self._overlay_plot:
            old, self._overlay = self._overlay, None
            if old is not None and shiboken6.isValid(old) and shiboken6.isValid(self._overlay_plot):
                self._overlay_plot.removeItem(old)  # type: ignore[union-attr]
            self._overlay_plot = plot
            if plot is not None:
                self._overlay = pg.ScatterPlotItem(pxMode=True, pen=None)
                self._overlay.setZValue(6)  # over the trails (5), under the particles (10)
                plot.addItem(self._overlay, ignoreBounds=True)
                self._restyle(self.state.view_settings)
        if self._overlay is None:
            return
        shown = self.is_open and len(self.points) > 0
        self._overlay.setData(pos=self.points if shown else np.zeros((0, 2)))
        self._overlay.setVisible(shown)

    def _restyle(self, view: ViewSettings) -> None:
        look = theme(view.theme)
        if self._overlay is not None:
            r, g, b, _ = look.outline
            self._overlay.setBrush(pg.mkBrush(r, g, b, OVERLAY_ALPHA))
            self._overlay.setSize(OVERLAY_PX * max(1.0, view.ui_scale) ** 0.5)
        self.loss_plot.setBackground(look.background)
        ink = pg.mkColor(look.text)
        for name in ("left", "bottom"):
            axis = self.loss_plot.getAxis(name)
            axis.setPen(ink)
            axis.setTextPen(ink)
        self.loss_curve.setPen(pg.mkPen(ink, width=1.5))

    # ---- training ---------------------------------------------------------------------------------------------
    @property
    def training(self) -> bool:
        return self.trainer is not None

    def _show_training(self, on: bool) -> None:
        self.progress.setVisible(on)
        self.cancel_button.setVisible(on)
        self.steps.setEnabled(not on)

    def train(self) -> bool:
        """Start training a network on the drawn set (False, with the reason shown, when it cannot start)."""
        drawn = self.state.session.drawn
        if self.trainer is not None:
            return False
        if not drawn:
            self.train_status.setText("Draw some points first.")
            return False
        missing = missing_training_module()
        if missing is not None:
            message = f"Training a network needs {missing}, which is not installed; {TRAIN_INSTALL_HINT}"
            self.train_status.setText(message)
            self.main.show_error("Training needs torch", message)
            return False
        points = np.asarray(drawn, dtype=np.float64)
        steps = self.steps.value()
        digest = hashlib.sha256(points.tobytes() + f"{steps}".encode()).hexdigest()[:12]
        out = (self.model_dir or default_model_dir()) / f"{DRAWN_NET}-{digest}.onnx"
        trainer = TrainThread(points, out, steps, self)
        trainer.progressed.connect(self._on_progress)
        trainer.succeeded.connect(self._on_trained)
        trainer.failed.connect(self._on_failed)
        trainer.cancelled.connect(self._on_cancelled)
        trainer.finished.connect(self._on_finished)
        self.trainer = trainer
        self.progress.setRange(0, steps)
        self.progress.setValue(0)
        self.loss_curve.setData([], [])
        self.loss_plot.show()
        self.train_status.setText(f"Training on {len(points):,} drawn points…")
        self._show_training(True)
        self._refresh()
        trainer.start()
        return True

    def cancel_training(self, *_: object, wait_ms: int = 0) -> None:
        """Stop the training (at its next step); with ``wait_ms``, wait for its thread to end."""
        trainer = self.trainer
        if trainer is None:
            return
        trainer.cancel()
        if wait_ms:
            trainer.wait(wait_ms)

    def _on_progress(self, done: int, smooth: np.ndarray) -> None:
        if self.sender() is not self.trainer:
            return
        self.progress.setValue(done)
        self.loss_curve.setData(np.arange(1, len(smooth) + 1), np.maximum(smooth, 1e-12))
        if done >= self.progress.maximum():
            self.train_status.setText("Exporting to ONNX and checking it…")

    def _on_trained(self, net: TrainedNet) -> None:
        self.last_trained = net
        if not self.main.open_model(str(net.path)):
            self.train_status.setText(f"Trained, but {net.path.name} could not be opened (see the message).")
            return
        info = self.state.model
        if info is not None:  # the drawn set it learned is its data: its exact score is known
            self.state.set_model(replace(info, data_points=net.points))
        self.state.update_view(exact=True)
        self.train_status.setText(
            f"Trained {net.steps:,} steps in {net.seconds:.1f} s (final loss {net.final_loss:.3f}); the network is "
            f"now the model ({net.path.name}). The score view draws the exact score of the drawn set as thin arrows "
            "over the learned ones; any new stroke goes back to the exact model."
        )

    def _on_failed(self, message: str) -> None:
        self.train_status.setText(f"Training failed: {message}")
        self.main.show_error("Training failed", message)

    def _on_cancelled(self) -> None:
        self.train_status.setText("Training cancelled; the model is unchanged.")

    def _on_finished(self) -> None:
        trainer, self.trainer = self.trainer, None
        if trainer is not None:
            trainer.deleteLater()
        self._show_training(False)
        self._refresh()


def install(window: MainWindow) -> DrawPanel:
    """The Draw data dock, beside the Schedule dock, closed (its toggle action opens it); returns its panel."""
    panel = DrawPanel(window)
    dock = QDockWidget("Draw data", window)
    dock.setObjectName("draw_dock")
    dock.setWidget(panel)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        | QDockWidget.DockWidgetFeature.DockWidgetClosable
    )
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    schedule = window.findChild(QDockWidget, "schedule_dock")
    if schedule is not None:
        window.tabifyDockWidget(schedule, dock)  # a tab beside Schedule: the full height when shown
    dock.hide()
    panel.dock = dock
    action = dock.toggleViewAction()
    action.triggered.connect(panel.opened)  # after the action has shown the dock: its tab comes to the front
    action.toggled.connect(panel._update_mode)  # its close button, too
    return panel
