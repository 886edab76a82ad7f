"""Live plots of β_t, ᾱ_t and log SNR against t/T, with the model's training schedule for comparison.

The sampled steps are dots on the ᾱ and log-SNR curves; steps outside the model's trained noise range are red, the
trained log-SNR range is shaded, and a vertical line marks the shown step.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from diffviz.core import Schedule
from diffviz.views import typeset
from diffviz.views.colors import DARK, Theme

USER = (50, 150, 240)
INSIDE = (50, 150, 240)
OUTSIDE = (235, 60, 30)
AXIS_PX = 60
KEY_PT = 8


def _position(schedule: Schedule, T: int) -> np.ndarray:
    """t/T of each entry of a schedule whose timesteps index a T-step schedule."""
    return ((schedule.timesteps + 1) / T).astype(np.float32)


class SchedulePlots(pg.GraphicsLayoutWidget):
    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        typeset.register_fonts()
        self.setBackground(DARK.background)
        self.setToolTip(
            "The schedule against t/T (0: data, 1: pure noise): β_t (the noise each step adds, log scale), ᾱ_t (the "
            "signal left) and log SNR = log(ᾱ_t/(1 − ᾱ_t)).\n"
            "Solid: the schedule being sampled; dashed: the one the model was trained with.\n"
            "Dots: the steps the sampler visits. Red dots: steps beyond the model's trained noise range: the model "
            "is asked at its nearest trained level there, so its answers are extrapolated.\n"
            "Shaded band (log SNR): the range of noise levels the model was trained on.\n"
            "Vertical line: the step shown now."
        )
        self.plots: dict[str, pg.PlotItem] = {}
        self.user: dict[str, pg.PlotDataItem] = {}
        self.train: dict[str, pg.PlotDataItem] = {}
        self.cursors: list[pg.InfiniteLine] = []
        self.labels = {"beta": f"{typeset.BETA_T} (log)", "alpha_bar": typeset.ALPHA_BAR_T, "log_snr": "log SNR"}
        for row, key in enumerate(self.labels):
            plot = self.addPlot(row=row, col=0)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.getAxis("left").setWidth(AXIS_PX)
            plot.getAxis("left").enableAutoSIPrefix(False)
            if row:
                plot.setXLink(self.plots["beta"])
            if row < len(self.labels) - 1:
                plot.getAxis("bottom").setStyle(showValues=False)
            self.train[key] = plot.plot()
            self.user[key] = plot.plot(pen=pg.mkPen(USER, width=2))
            cursor = pg.InfiniteLine(angle=90)
            plot.addItem(cursor, ignoreBounds=True)
            self.cursors.append(cursor)
            self.plots[key] = plot
        self.plots["beta"].setLogMode(y=True)
        self.plots["beta"].setXRange(0, 1, padding=0.02)
        # the key is a line of its own under the plots: a legend inside a 60-pixel plot covers the curves
        self.key = pg.LabelItem(justify="left")
        self.addItem(self.key, row=len(self.labels), col=0)
        self._has_train = True
        self.theme = DARK
        self.scale = 1.0
        self.steps = {key: pg.ScatterPlotItem(size=4, pen=None) for key in ("alpha_bar", "log_snr")}
        for key, item in self.steps.items():
            self.plots[key].addItem(item)
        self.trained_range = pg.LinearRegionItem(
            orientation="horizontal", movable=False, brush=pg.mkBrush(90, 180, 255, 30), pen=pg.mkPen(None)
        )
        self.plots["log_snr"].addItem(self.trained_range, ignoreBounds=True)
        # made once: the scatters' symbol atlas keys on brush objects, so new brushes every replot grew it
        self._inside, self._outside = pg.mkBrush(INSIDE), pg.mkBrush(OUTSIDE)
        self.set_theme(DARK, force=True)

    def set_theme(self, theme: Theme, *, force: bool = False) -> None:
        """Background, axes, labels, the training curve, the cursor and the key in ``theme``'s colours."""
        if theme == self.theme and not force:
            return
        self.theme = theme
        self.setBackground(theme.background)
        ink = pg.mkColor(theme.text)
        faint = pg.mkColor(theme.text)
        faint.setAlpha(150)
        for key, plot in self.plots.items():
            for name in ("left", "bottom"):
                plot.getAxis(name).setPen(ink)
                plot.getAxis(name).setTextPen(ink)
            plot.setLabel("left", self.labels[key], color=theme.text)
            self.train[key].setPen(pg.mkPen(faint, width=1.5, style=Qt.PenStyle.DashLine))
        self.plots["log_snr"].setLabel("bottom", "t / T", color=theme.text)
        for cursor in self.cursors:
            cursor.setPen(pg.mkPen(faint, width=1))
        self._write_key()

    def _write_key(self) -> None:
        """One line under the plots says what each mark is (the legend of every plot at once)."""
        user, bad = pg.mkColor(USER).name(), pg.mkColor(OUTSIDE).name()
        lines = [f'<span style="color:{user}">━━</span> sampling', f'<span style="color:{user}">●</span> steps']
        if self._has_train:
            lines[0] += " &nbsp; ╌╌ model's training"
            lines[1] += f' &nbsp; <span style="color:{bad}">●</span> beyond the trained noise range'
        self.key.setText("<br>".join(lines), color=self.theme.text, size=f"{KEY_PT * self.scale:.0f}pt")

    def set_schedules(self, full: Schedule, sampled: Schedule, train: Schedule | None, clamped: np.ndarray) -> None:
        """``full``: the user's T-step schedule; ``sampled``: the steps run; ``clamped``: per sampled step."""
        x = _position(full, full.num_steps)
        for key, values in (("beta", full.betas), ("alpha_bar", full.alpha_bars), ("log_snr", full.log_snr)):
            self.user[key].setData(x, values)
        if (train is not None) != self._has_train:
            self._has_train = train is not None
            self._write_key()
        if train is None:
            for item in self.train.values():
                item.setData([], [])
            self.trained_range.setVisible(False)
        else:
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
