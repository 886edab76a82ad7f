"""Exact vs learned (View → Exact vs learned): how far s_θ is from the exact score at every step, and whether the
final samples are copies of training points.

Top: the relative error e_k = √(Σ‖s_θ − s*‖² / Σ‖s*‖²) of each sampled step k, measured at the run's own particles
(:func:`diffviz.core.exact.step_error`: s_θ(x_t) is recorded, so no model call), with a cursor at the shown step.
Bottom, once the run is finished: the distance of each final sample to its nearest training point
(:func:`diffviz.core.exact.nearest_distances`) — its median and a histogram in log-x bins. An ideal denoiser's
samples sit on its training points (distances ~1e-7); a network that generalises puts them between.

The work is done in small pieces on a zero-interval timer (at most WORK_BUDGET_S per piece) and only while the panel
is shown, so a 1000-step run or 200,000 samples never freeze the window.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QHideEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from diffviz.core import Trajectory
from diffviz.core.exact import log_histogram, nearest_distances, step_error
from diffviz.session import ViewSettings
from diffviz.views import typeset
from diffviz.views.colorbar import number
from diffviz.views.colors import Theme, theme
from diffviz.views.exact import UNKNOWN, KnownData, error_lut, known_data
from diffviz.views.model_info import ModelInfo

from .state import AppState

TEXT_PT = 9.0  # at ui_scale 1
WORK_BUDGET_S = 0.02  # GUI time per piece of work
SAMPLE_BLOCK = 8192  # final samples measured per piece
HIST_BINS = 30
FLOOR = 1e-9  # the error curve's floor on its log axis (an analytic model against itself is ~1e-7)


class ExactPanel(QWidget):
    """See the module docstring. ``errors`` (K,) NaN until computed; ``distances`` and ``median`` once finished."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.known: KnownData | None = None
        self.trajectory: Trajectory | None = None
        self.errors = np.zeros(0)
        self.distances: np.ndarray | None = None
        self.median: float | None = None
        self._partial: list[np.ndarray] = []  # distances of the final samples measured so far
        self.theme = theme(state.view_settings.theme)
        self.scale = state.view_settings.ui_scale

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.status = QLabel(wordWrap=True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.status)
        self.error_plot = pg.PlotWidget()
        self.error_plot.setMenuEnabled(False)
        self.error_plot.setLogMode(y=True)
        self.error_plot.setLabel("bottom", f"step ({typeset.X_T_START} → {typeset.X_0})")
        self.error_plot.setLabel("left", "relative error")
        self.error_plot.setToolTip(
            "Relative error √(Σ‖s_θ − s*‖² / Σ‖s*‖²) of the learned score against the exact score of the model's data, "
            "at the particles of each sampled step (= the ε-error ‖ε̂ − ε*‖ relative to ‖ε*‖: comparable across t)."
        )
        self.curve = self.error_plot.plot([], [])
        self.step_line = pg.InfiniteLine(angle=90, movable=False)
        self.error_plot.addItem(self.step_line, ignoreBounds=True)
        layout.addWidget(self.error_plot, 3)
        self.median_label = QLabel(wordWrap=True)
        layout.addWidget(self.median_label)
        self.hist_plot = pg.PlotWidget()
        self.hist_plot.setMenuEnabled(False)
        self.hist_plot.setLogMode(x=True)
        self.hist_plot.setLabel("bottom", "distance to the nearest training point")
        self.hist_plot.setLabel("left", "samples")
        self.hist_plot.setToolTip(
            "How far each final sample is from its nearest training point (log scale). A model that memorises its "
            "data (the ideal denoiser) puts its samples on training points; one that generalises, between them."
        )
        self.hist = pg.PlotDataItem([0.0, 1.0], [0.0], stepMode="center", fillLevel=0)
        self.hist_plot.addItem(self.hist)
        self.median_line = pg.InfiniteLine(angle=90, movable=False)
        self.hist_plot.addItem(self.median_line, ignoreBounds=True)
        layout.addWidget(self.hist_plot, 2)

        self.timer = QTimer(self, singleShot=True, interval=0)
        self.timer.timeout.connect(self._work)
        state.modelChanged.connect(self._on_model)
        state.runStarted.connect(self._on_run)
        state.runProgress.connect(self._schedule)
        state.runFinished.connect(self._schedule)
        state.stepChanged.connect(self._move_cursor)
        state.viewChanged.connect(self._on_view)
        self._restyle()
        if state.model is not None:
            self._on_model(state.model)
        if state.trajectory is not None:
            self._on_run(state.trajectory)

    # ---- state -------------------------------------------------------------------------------------------------
    def _on_model(self, info: ModelInfo) -> None:
        self.known = known_data(info)
        self._reset()

    def _on_run(self, trajectory: Trajectory) -> None:
        self.trajectory = trajectory
        self._reset()

    def _reset(self) -> None:
        K = self.trajectory.num_steps if self.trajectory is not None else 0
        self.errors = np.full(K, np.nan)
        self.distances, self.median, self._partial = None, None, []
        self.error_plot.setXRange(0, max(K - 1, 1), padding=0.02)
        self._redraw()
        self._schedule()

    def _on_view(self, view: ViewSettings) -> None:
        if (view.theme, view.ui_scale) != (self.theme.name, self.scale):
            self.theme, self.scale = theme(view.theme), view.ui_scale
            self._restyle()

    def _schedule(self, *_: object) -> None:
        if self.isVisible() and not self.timer.isActive() and self._pending():
            self.timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._schedule()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.timer.stop()

    # ---- the work, piece by piece ---------------------------------------------------------------------------------
    def _usable(self) -> bool:
        traj = self.trajectory
        return (
            self.known is not None
            and traj is not None
            and traj is self.state.trajectory
            and traj.data_shape == self.known.mixture.data_shape
        )

    def _next_step(self) -> int | None:
        """The first sampled step whose error is not computed yet."""
        assert self.trajectory is not None
        todo = np.flatnonzero(np.isnan(self.errors[: self.trajectory.steps_done]))
        return int(todo[0]) if todo.size else None

    def _pending(self) -> bool:
        if not self._usable():
            return False
        return self._next_step() is not None or (self.trajectory.complete and self.distances is None)  # type: ignore[union-attr]

    def _work(self) -> None:
        """Errors of the sampled steps, then the final samples' distances, until WORK_BUDGET_S is spent."""
        if not self._usable():
            return
        traj, known = self.trajectory, self.known
        assert traj is not None and known is not None
        start = time.perf_counter()
        changed = False
        while time.perf_counter() - start < WORK_BUDGET_S:
            k = self._next_step()
            if k is not None:
                self.errors[k] = step_error(traj, known.mixture, k).relative
                changed = True
                continue
            if not traj.complete or self.distances is not None:
                break
            done = sum(len(p) for p in self._partial)
            block = traj.sample[done : done + SAMPLE_BLOCK]
            self._partial.append(nearest_distances(block.reshape(len(block), -1), known.points))
            if done + len(block) >= traj.num_particles:
                self.distances = np.concatenate(self._partial)
                self.median = float(np.median(self.distances))
                self._partial = []
            changed = True
        if changed:
            self._redraw()
        if self._pending():
            self.timer.start()

    # ---- drawing -----------------------------------------------------------------------------------------------
    def _redraw(self) -> None:
        if self.known is None:
            self.status.setText(
                f"<i>{UNKNOWN}</i>: the exact score needs the model's data (an analytic or ideal model, "
                "or a bundled 2D network)."
            )
        else:
            self.status.setText(f"exact score s* of {self.known.source}")
        done = np.flatnonzero(np.isfinite(self.errors))
        if done.size and self.known is not None:
            self.curve.setData(done.astype(float), np.maximum(self.errors[done], FLOOR))
        else:
            self.curve.setData([], [])
        self._move_cursor()
        if self.distances is None or self.median is None:
            self.hist.setData([0.0, 1.0], [0.0])
            self.median_line.hide()
            waiting = self.known is not None and self.trajectory is not None
            self.median_label.setText("nearest training point: once the run is finished" if waiting else "")
            return
        edges, counts = log_histogram(self.distances, HIST_BINS)
        self.hist.setData(edges, counts.astype(float))
        self.median_line.setValue(np.log10(max(self.median, 1e-30)))
        self.median_line.show()
        assert self.known is not None and self.trajectory is not None
        sigma = float(np.sqrt(1.0 - self.trajectory.alpha_bar[-1]))  # the noise level of the last denoising
        self.median_label.setText(
            f"median distance of the {len(self.distances)} samples to the nearest of {len(self.known.points)} "
            f"training points: <b>{number(self.median)}</b> (last step at σ = {number(sigma)})"
        )

    def _move_cursor(self, *_: object) -> None:
        K = self.trajectory.num_steps if self.trajectory is not None else 0
        self.step_line.setValue(float(min(self.state.shown_index, max(K - 1, 0))))
        self.step_line.setVisible(K > 0 and self.known is not None)

    def _restyle(self) -> None:
        t: Theme = self.theme
        font = QFont()
        font.setPointSizeF(TEXT_PT * self.scale)
        ink = pg.mkColor(t.text)
        for label in (self.status, self.median_label):
            label.setFont(font)
            label.setStyleSheet(f"color: {t.text};")
        self.setStyleSheet(f"background: {t.background};")
        for plot in (self.error_plot, self.hist_plot):
            plot.setBackground(t.background)
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.enableAutoSIPrefix(False)  # "(x0.001)" on a log axis reads as a unit
                axis.setPen(ink)
                axis.setTextPen(ink)
                axis.setStyle(tickFont=font)
                axis.label.setFont(font)
                axis.setLabel(axis.labelText, color=t.text)
        self.curve.setPen(pg.mkPen(ink, width=1.5 * self.scale))
        self.step_line.setPen(pg.mkPen(t.noise, width=1.5 * self.scale))
        top = error_lut(t.name)[-1]
        self.hist.setPen(pg.mkPen(ink, width=1))
        self.hist.setBrush(pg.mkBrush(int(top[0]), int(top[1]), int(top[2]), 200))
        self.median_line.setPen(pg.mkPen(t.noise, width=1.5 * self.scale, style=Qt.PenStyle.DashLine))
        self._redraw()
