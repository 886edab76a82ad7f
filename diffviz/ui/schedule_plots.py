"""Live plots of β_t, ᾱ_t and log SNR against t/T, with the model's training schedule for comparison.

The sampled steps are dots on the ᾱ and log-SNR curves; steps outside the model's trained noise range are red, the
trained log-SNR range is shaded, and a vertical line marks the shown step.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from diffviz.core import Schedule
from diffviz.views.colors import BACKGROUND, TEXT

USER = (90, 180, 255)
TRAIN = (200, 200, 200, 150)
INSIDE = (90, 180, 255)
OUTSIDE = (255, 90, 60)


def _position(schedule: Schedule, T: int) -> np.ndarray:
    """t/T of each entry of a schedule whose timesteps index a T-step schedule."""
    return ((schedule.timesteps + 1) / T).astype(np.float32)


class SchedulePlots(pg.GraphicsLayoutWidget):
    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.setBackground(BACKGROUND)
        self.plots: dict[str, pg.PlotItem] = {}
        self.user: dict[str, pg.PlotDataItem] = {}
        self.train: dict[str, pg.PlotDataItem] = {}
        self.cursors: list[pg.InfiniteLine] = []
        labels = {"beta": "β<sub>t</sub> (log)", "alpha_bar": "ᾱ<sub>t</sub>", "log_snr": "log SNR"}
        for row, (key, label) in enumerate(labels.items()):
            plot = self.addPlot(row=row, col=0)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setLabel("left", label, color=TEXT)
            plot.getAxis("left").setWidth(52)
            plot.getAxis("left").enableAutoSIPrefix(False)
            if row:
                plot.setXLink(self.plots["beta"])
            if row < len(labels) - 1:
                plot.getAxis("bottom").setStyle(showValues=False)
            else:
                plot.setLabel("bottom", "t / T", color=TEXT)
            self.train[key] = plot.plot(pen=pg.mkPen(TRAIN, width=1, style=Qt.PenStyle.DashLine))
            self.user[key] = plot.plot(pen=pg.mkPen(USER, width=2))
            cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen((255, 255, 255, 120), width=1))
            plot.addItem(cursor, ignoreBounds=True)
            self.cursors.append(cursor)
            self.plots[key] = plot
        self.plots["beta"].setLogMode(y=True)
        self.plots["beta"].setXRange(0, 1, padding=0.02)
        self.legend = legend = pg.LegendItem(
            offset=(-4, 4), labelTextColor=TEXT, labelTextSize="8pt", brush=pg.mkBrush(16, 16, 20, 200)
        )
        legend.setParentItem(self.plots["alpha_bar"].vb)
        legend.addItem(self.user["alpha_bar"], "sampling")
        legend.addItem(self.train["alpha_bar"], "model's training")
        self._train_in_legend = True
        self.steps = {key: pg.ScatterPlotItem(size=4, pen=None) for key in ("alpha_bar", "log_snr")}
        for key, item in self.steps.items():
            self.plots[key].addItem(item)
        self.trained_range = pg.LinearRegionItem(
            orientation="horizontal", movable=False, brush=pg.mkBrush(90, 180, 255, 30), pen=pg.mkPen(None)
        )
        self.plots["log_snr"].addItem(self.trained_range, ignoreBounds=True)
        # made once: the scatters' symbol atlas keys on brush objects, so new brushes every replot grew it
        self._inside, self._outside = pg.mkBrush(INSIDE), pg.mkBrush(OUTSIDE)

    def set_schedules(self, full: Schedule, sampled: Schedule, train: Schedule | None, clamped: np.ndarray) -> None:
        """``full``: the user's T-step schedule; ``sampled``: the steps run; ``clamped``: per sampled step."""
        x = _position(full, full.num_steps)
        for key, values in (("beta", full.betas), ("alpha_bar", full.alpha_bars), ("log_snr", full.log_snr)):
            self.user[key].setData(x, values)
        if train is None:
            for item in self.train.values():
                item.setData([], [])
            if self._train_in_legend:
                self.legend.removeItem(self.train["alpha_bar"])
                self._train_in_legend = False
            self.trained_range.setVisible(False)
        else:
            if not self._train_in_legend:
                self.legend.addItem(self.train["alpha_bar"], "model's training")
                self._train_in_legend = True
            xt = _position(train, train.num_steps)
            for key, values in (("beta", train.betas), ("alpha_bar", train.alpha_bars), ("log_snr", train.log_snr)):
                self.train[key].setData(xt, values)
            self.trained_range.setRegion((float(train.log_snr[-1]), float(train.log_snr[0])))
            self.trained_range.setVisible(True)
        xs = _position(sampled, full.num_steps)
        brushes = np.where(clamped, self._outside, self._inside)
        for key, values in (("alpha_bar", sampled.alpha_bars), ("log_snr", sampled.log_snr)):
            self.steps[key].setData(xs, values, brush=list(brushes))
        self.full_T = full.num_steps

    def set_cursor(self, position: float) -> None:
        """Move the shown-step line to t/T = ``position``."""
        for cursor in self.cursors:
            cursor.setValue(position)
