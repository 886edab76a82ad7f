"""What every view is: one pyqtgraph PlotItem that draws one quantity of a :class:`Frame`.

A view knows nothing of the app: it is given a model (``set_model``), a run's particle colours (``set_style``),
what to draw (``set_view_settings``) and then frames (``set_frame``). So it can be placed in any layout, rendered
offscreen (e.g. for video export), or carry annotations added to its ``plot``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from diffviz.session import ViewSettings

from . import typeset
from .colors import DARK, Theme
from .frame import Frame
from .model_info import ModelInfo
from .particles import ParticleStyle

DEFAULT_RANGE = (-4.0, 4.0)
GRID_EXTENT = 12
AXIS_WIDTH = 40  # room for "-0.25" at 8 pt: narrower, pyqtgraph drops the labels that do not fit
AXIS_HEIGHT = 22
TITLE_PT = 10
EXPLAIN_PT = 8
TICK_PT = 8


def _grid_lines(extent: int = GRID_EXTENT) -> pg.PlotCurveItem:
    """Faint lines at whole coordinates, as one curve: a tenth of the cost of the axes' own grid, per frame (its pen
    is the theme's, set in :meth:`PointsView.set_theme`)."""
    ticks = np.arange(-extent, extent + 1, dtype=np.float32)
    ends = np.full_like(ticks, extent)
    x = np.concatenate([np.stack([ticks, ticks], 1).ravel(), np.stack([-ends, ends], 1).ravel()])
    y = np.concatenate([np.stack([-ends, ends], 1).ravel(), np.stack([ticks, ticks], 1).ravel()])
    curve = pg.PlotCurveItem(x, y, connect="pairs", pen=pg.mkPen(DARK.grid, width=1), skipFiniteCheck=True)
    curve.setZValue(-20)
    return curve


def _title_asks_height_only(label: pg.LabelItem) -> None:
    """pyqtgraph makes a title's width the plot's minimum width, on every text change and resize: a long title at
    a large UI scale then widened the grid past the window (the right-hand views cut off). This title asks for its
    height only; :meth:`View.set_title` shortens it when it does not fit."""

    def update_min() -> None:  # replaces LabelItem.updateMin (pyqtgraph 0.13–0.14), which its resizeEvent calls
        height = label.itemRect().height()
        label.setMinimumWidth(0)
        label.setMinimumHeight(height)
        for hint in (Qt.SizeHint.MinimumSize, Qt.SizeHint.PreferredSize):
            label._sizeHint[hint] = (0.0, height)
        label.updateGeometry()

    label.updateMin = update_min  # type: ignore[method-assign]
    update_min()


class View:
    """Base class; subclasses add their layers in ``__init__`` and draw them in ``set_frame``."""

    title = ""
    key = ""  # a short name (tests, exported file names)

    def __init__(self) -> None:
        typeset.register_fonts()  # the math in titles (x̂, ε̂) needs the italic math font
        self.plot = pg.PlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.scale = 1.0
        self.theme = DARK
        self.set_title(self.title)
        self.frame: Frame | None = None
        self.plot.setToolTip(self.tooltip)
        _title_asks_height_only(self.plot.titleLabel)
        self.plot.vb.sigResized.connect(self._fit_title)

    tooltip = ""  # what the view shows and how to read it (hover text)
    explain = ""  # one short line under the title in lessons (``view.explain``): what this panel shows
    explaining = False

    short_title = ""  # what the title shrinks to when it does not fit the view's width (large text, small panel)

    def set_title(self, html: str) -> None:
        """The view's title at the current UI scale (with the ``explain`` line under it while explaining); the short
        title instead when the full one would be wider than the view."""
        self._title_html = html
        natural = self._show_title(html)
        width = self.vb.width()  # the title is centred over the view box, not over the axes beside it
        if self.short_title and width > 0 and natural > width:
            self._show_title(self.short_title)

    def _fit_title(self, *_: object) -> None:
        self.set_title(self._title_html)

    def _show_title(self, html: str) -> float:
        """Show ``html`` as the title; returns its natural width in pixels."""
        if self.explaining and self.explain:  # a secondary line: it grows slower than the title (one line wide)
            size = EXPLAIN_PT * max(self.scale, 1.0) ** 0.6
            html += f'<br><span style="font-size:{size:.0f}pt; font-weight:normal">{typeset.rich(self.explain)}</span>'
        shown = (html, self.theme.text, f"{TITLE_PT * self.scale:.0f}pt")
        label = self.plot.titleLabel
        if shown != getattr(self, "_shown", None):  # the same title again would re-lay out the plot for nothing
            self._shown = shown
            self.plot.setTitle(html, color=shown[1], size=shown[2])
        return float(label.item.document().idealWidth())

    def set_explaining(self, on: bool) -> None:
        """Show (or drop) the line under the title that says what the panel shows."""
        if on != self.explaining:
            self.explaining = on
            self.set_title(self._title_html)

    def set_theme(self, theme: Theme) -> None:
        """Draw in ``theme`` (the session's ``view.theme``); nothing is redone when it is the theme already drawn."""
        if theme != self.theme:
            self.theme = theme
            self._theme_changed()

    def set_scale(self, scale: float) -> None:
        """Grow (or shrink) text, markers and lines together (``view.ui_scale``); nothing when it is unchanged."""
        if scale != self.scale:
            self.scale = scale
            self._scale_changed()

    def _theme_changed(self) -> None:
        """Restyle for ``self.theme``: the title and the axes here, each view's own items in overrides."""
        self.set_title(self._title_html)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setTextPen(self.theme.text)
            axis.setPen(self.theme.text)

    def _scale_changed(self) -> None:
        """Resize for ``self.scale``: the title, the tick labels and the axes' room here; overrides add their items."""
        scale = self.scale
        self.set_title(self._title_html)
        font = QFont()
        font.setPointSizeF(TICK_PT * scale)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setStyle(tickFont=font)
        self.plot.getAxis("left").setWidth(round(AXIS_WIDTH * scale))
        self.plot.getAxis("bottom").setHeight(round(AXIS_HEIGHT * scale))

    @property
    def vb(self) -> pg.ViewBox:
        return self.plot.vb

    def set_model(self, info: ModelInfo) -> None:
        """A new model (e.g. its training data)."""

    def set_style(self, style: ParticleStyle) -> None:
        """A new run: its particle count and colours."""

    def set_view_settings(self, settings: ViewSettings) -> None:
        """Toggle optional layers."""

    def set_frame(self, frame: Frame) -> None:
        self.frame = frame

    def set_followed(self, indices: np.ndarray, colors: np.ndarray) -> None:
        """Particles to follow (indices into the run) and their (M, 4) RGBA colours; views that can, mark them."""


class PointsView(View):
    """A view of 2D points in data coordinates with a faint grid. Its aspect is free: the grid locks the first view's
    aspect and links the others to it (a view shown alone should call ``plot.setAspectLocked(True)``)."""

    def __init__(self) -> None:
        super().__init__()
        self.grid_lines = _grid_lines()
        self.plot.addItem(self.grid_lines, ignoreBounds=True)
        self.plot.setRange(xRange=DEFAULT_RANGE, yRange=DEFAULT_RANGE, padding=0)
        self.vb.disableAutoRange()
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setTextPen(self.theme.text)
        # every view box the same size, so linked aspect-locked views agree on their ranges (no feedback drift)
        self.plot.getAxis("left").setWidth(AXIS_WIDTH)
        self.plot.getAxis("bottom").setHeight(AXIS_HEIGHT)

    def _theme_changed(self) -> None:
        super()._theme_changed()
        self.grid_lines.setPen(pg.mkPen(self.theme.grid, width=1))
