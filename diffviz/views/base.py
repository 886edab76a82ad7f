"""What every view is: one pyqtgraph PlotItem that draws one quantity of a :class:`Frame`.

A view knows nothing of the app: it is given a model (``set_model``), a run's particle colours (``set_style``),
what to draw (``set_view_settings``) and then frames (``set_frame``). So it can be placed in any layout, rendered
offscreen (e.g. for video export), or carry annotations added to its ``plot``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont

from diffviz.session import ViewSettings

from .colors import TEXT
from .frame import Frame
from .model_info import ModelInfo
from .particles import ParticleStyle

DEFAULT_RANGE = (-4.0, 4.0)
GRID_EXTENT = 12
GRID_COLOR = (255, 255, 255, 28)
AXIS_WIDTH = 28
AXIS_HEIGHT = 22
TITLE_PT = 10
TICK_PT = 8


def _grid_lines(extent: int = GRID_EXTENT) -> pg.PlotCurveItem:
    """Faint lines at whole coordinates, as one curve: a tenth of the cost of the axes' own grid, per frame."""
    ticks = np.arange(-extent, extent + 1, dtype=np.float32)
    ends = np.full_like(ticks, extent)
    x = np.concatenate([np.stack([ticks, ticks], 1).ravel(), np.stack([-ends, ends], 1).ravel()])
    y = np.concatenate([np.stack([-ends, ends], 1).ravel(), np.stack([ticks, ticks], 1).ravel()])
    curve = pg.PlotCurveItem(x, y, connect="pairs", pen=pg.mkPen(GRID_COLOR, width=1), skipFiniteCheck=True)
    curve.setZValue(-20)
    return curve


class View:
    """Base class; subclasses add their layers in ``__init__`` and draw them in ``set_frame``."""

    title = ""
    key = ""  # a short name (tests, exported file names)

    def __init__(self) -> None:
        self.plot = pg.PlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.scale = 1.0
        self.set_title(self.title)
        self.frame: Frame | None = None

    def set_title(self, html: str) -> None:
        """The view's title at the current UI scale."""
        self.plot.setTitle(html, color=TEXT, size=f"{TITLE_PT * self.scale:.0f}pt")

    def set_scale(self, scale: float) -> None:
        """Grow (or shrink) the title, the tick labels and the axes' room for them together (``view.ui_scale``)."""
        if scale == self.scale:
            return
        self.scale = scale
        self.set_title(self.plot.titleLabel.text or self.title)
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

    def set_followed(self, indices: np.ndarray, hues: np.ndarray) -> None:
        """Particles to follow (indices into the run) and their colour indices; views that can, mark them."""


class PointsView(View):
    """A view of 2D points in data coordinates with a faint grid. Its aspect is free: the grid locks the first view's
    aspect and links the others to it (a view shown alone should call ``plot.setAspectLocked(True)``)."""

    def __init__(self) -> None:
        super().__init__()
        self.plot.addItem(_grid_lines(), ignoreBounds=True)
        self.plot.setRange(xRange=DEFAULT_RANGE, yRange=DEFAULT_RANGE, padding=0)
        self.vb.disableAutoRange()
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setTextPen(TEXT)
        # every view box the same size, so linked aspect-locked views agree on their ranges (no feedback drift)
        self.plot.getAxis("left").setWidth(AXIS_WIDTH)
        self.plot.getAxis("bottom").setHeight(AXIS_HEIGHT)
