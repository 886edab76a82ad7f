"""Particles drawn as one item: a ScatterPlotItem up to SPLAT_ABOVE points, a splatted RGBA image above.

A ScatterPlotItem re-styles every point on ``setData`` (≈ 4 ms per 2k points); here the brushes are set once per
run and each frame only moves the points (FastScatter, fast_scatter.py). Above SPLAT_ABOVE points even painting
the symbols is too slow (≈ 190 ms at 100k), so the particles are written into an image the size of the view in
screen pixels, 2×2 pixels each, the later particle on top, exactly as a scatter plot overdraws.
"""

from __future__ import annotations

from functools import cached_property, lru_cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from .colors import hue_of, palette
from .fast_scatter import FastScatter

SPLAT_ABOVE = 5000
POINT_SIZE = 4


@lru_cache(maxsize=16)
def _hue_brushes(alpha: int, theme_name: str) -> np.ndarray:
    """One QBrush per hue, made once per alpha: the scatter's symbol atlas keys on brush objects, and brushes made
    afresh for every run added NUM_HUES symbols to it per run (it rebuilds only at four times the point count)."""
    return np.array([pg.mkBrush(int(r), int(g), int(b), alpha) for r, g, b, _ in palette(theme_name)], dtype=object)


class ParticleStyle:
    """The colour of each particle of one run, fixed through time (from its x_T), in the forms the items take, in
    the palette of a theme (``dark`` or ``light``)."""

    def __init__(self, x_T: np.ndarray, theme_name: str = "dark") -> None:
        self.hue = hue_of(x_T)
        self.n = len(self.hue)
        self.theme_name = theme_name

    def same_as(self, other: ParticleStyle | None) -> bool:
        return other is not None and other.theme_name == self.theme_name and np.array_equal(other.hue, self.hue)

    @property
    def palette(self) -> np.ndarray:
        """(NUM_HUES, 4) uint8 RGBA of this style's theme."""
        return palette(self.theme_name)

    def rgba(self, alpha: int) -> np.ndarray:
        """(N, 4) uint8."""
        table = self.palette.copy()
        table[:, 3] = alpha
        return table[self.hue]

    def brushes(self, alpha: int) -> np.ndarray:
        """One QBrush per particle, but only NUM_HUES distinct objects, the same for every run (the scatter's symbol
        atlas keys on them)."""
        return _hue_brushes(alpha, self.theme_name)[self.hue]

    def packed(self, alpha: int) -> np.ndarray:
        """(N,) uint32 whose bytes are R, G, B, A: one store per pixel when splatting."""
        return np.ascontiguousarray(self.rgba(alpha)).view(np.uint32).ravel()

    @cached_property
    def by_hue(self) -> tuple[np.ndarray, np.ndarray]:
        """Particle order grouped by hue, and the group boundaries (NUM_HUES + 1,)."""
        order = np.argsort(self.hue, kind="stable")
        bounds = np.searchsorted(self.hue[order], np.arange(len(self.palette) + 1))
        return order, bounds


class ParticleLayer:
    """The particles of one view; ``alpha`` makes them faint (score view)."""

    def __init__(self, plot: pg.PlotItem, alpha: int = 255, z: float = 10) -> None:
        self.plot, self.alpha = plot, alpha
        self.scatter = FastScatter(pen=None, size=POINT_SIZE, pxMode=True, antialias=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        for item in (self.scatter, self.image):
            item.setZValue(z)
            plot.addItem(item, ignoreBounds=True)
        self._style: ParticleStyle | None = None
        self._packed: np.ndarray | None = None
        self._points: np.ndarray | None = None
        plot.vb.sigRangeChanged.connect(self._resplat)
        plot.vb.sigResized.connect(self._resplat)

    def set_scale(self, scale: float) -> None:
        """Points grow with the square root of the UI scale: visible on a projector, not yet blobs at 2,000."""
        self.scatter.setSize(POINT_SIZE * max(1.0, scale) ** 0.5)

    @property
    def splatting(self) -> bool:
        return self._style is not None and self._style.n > SPLAT_ABOVE

    def set_style(self, style: ParticleStyle) -> None:
        """A new run: new colours (and maybe a new particle count)."""
        self._style, self._points = style, None
        if self.splatting:
            self._packed = style.packed(self.alpha)
            self.scatter.clear()
            self.scatter.setVisible(False)
            self.image.setVisible(True)
        else:
            self._packed = None
            # no pen=...: pyqtgraph makes a new QPen of each, and the symbol atlas keys on it (see _hue_brushes)
            self.scatter.setData(pos=np.zeros((style.n, 2), np.float32), brush=style.brushes(self.alpha))
            self.scatter.setVisible(True)
            self.image.setVisible(False)

    def set_points(self, points: np.ndarray) -> None:
        """Positions (N, 2) float32 of the current frame."""
        self._points = points
        if self.splatting:
            self._splat()
            return
        self.scatter.move(points)

    def set_visible(self, visible: bool) -> None:
        self.scatter.setVisible(visible and not self.splatting)
        self.image.setVisible(visible and self.splatting)

    def _resplat(self, *_: object) -> None:
        if self.splatting and self._points is not None:
            self._splat()

    def _splat(self) -> None:
        assert self._points is not None and self._packed is not None
        vb = self.plot.vb
        (x0, x1), (y0, y1) = vb.viewRange()
        w, h = max(int(vb.width()), 2), max(int(vb.height()), 2)
        pts = self._points
        col = (pts[:, 0] - x0) * (w / (x1 - x0))
        row = (pts[:, 1] - y0) * (h / (y1 - y0))
        keep = (col >= 0) & (col < w - 1) & (row >= 0) & (row < h - 1)
        flat = row[keep].astype(np.int32) * w + col[keep].astype(np.int32)
        colors = self._packed[keep]
        buf = np.zeros(h * w, dtype=np.uint32)
        for offset in (0, 1, w, w + 1):  # a 2×2 dot
            buf[flat + offset] = colors
        self.image.setImage(buf.view(np.uint8).reshape(h, w, 4), autoLevels=False, levels=None)
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
