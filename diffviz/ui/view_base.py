"""What every view is: one pyqtgraph PlotItem that draws one quantity of a :class:`Frame`.

A view knows nothing of the app: it is given a model (``set_model``), a run's particle colours (``set_style``),
what to draw (``set_view_settings``) and then frames (``set_frame``). So it can be placed in any layout, rendered
offscreen (e.g. for video export), or carry annotations added to its ``plot``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from diffviz.session import ViewSettings

from .model_info import ModelInfo
from .view_colors import TEXT
from .view_frame import Frame
from .view_particles import ParticleStyle

DEFAULT_RANGE = (-4.0, 4.0)
GRID_EXTENT = 12
GRID_COLOR = (255, 255, 255, 28)
AXIS_WIDTH = 28
AXIS_HEIGHT = 22


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
        self.plot.setTitle(self.title, color=TEXT, size="10pt")
        self.frame: Frame | None = None

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
