"""Many line pieces as few items: trails (one curve per hue with a connect mask), segments and arrows
(curves with ``connect='pairs'``), each set from float32 C-contiguous arrays."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyqtgraph as pg

from .colors import magnitude_colors, palette
from .particles import ParticleStyle

MAX_TRAILS = 300  # trails of more particles turn into a tangle (and cost paint time): a sample of them
MAX_SEGMENTS = 1000  # x_t → x̂_0 segments, likewise
TRAIL_ALPHA = 150
ARROW_BINS = 8
ARROW_WIDTH = 2.0  # px at UI scale 1
ARROW_FILL = 0.8  # arrow length as a fraction of the spacing between arrows
HEAD = 0.38  # head length as a fraction of the arrow
HEAD_ANGLE = np.deg2rad(25)


def _curve(plot: pg.PlotItem, pen: object, z: float, antialias: bool = False) -> pg.PlotCurveItem:
    curve = pg.PlotCurveItem(skipFiniteCheck=True, antialias=antialias)
    if pen is not None:
        curve.setPen(pen)
    curve.setZValue(z)
    plot.addItem(curve, ignoreBounds=True)
    return curve


@lru_cache(maxsize=16)
def _connect_mask(num_lines: int, length: int) -> np.ndarray:
    """Connect each point to the next except at the end of each of ``num_lines`` polylines of ``length`` points."""
    mask = np.ones(num_lines * length, dtype=bool)
    mask[length - 1 :: length] = False
    mask.setflags(write=False)
    return mask


class TrailsLayer:
    """The last k positions of the first MAX_TRAILS particles (a random sample: particles are i.i.d.), each in its
    particle's colour."""

    def __init__(self, plot: pg.PlotItem, z: float = 5) -> None:
        self.curves = [_curve(plot, pg.mkPen((*c[:3], TRAIL_ALPHA), width=1), z) for c in palette()]
        self._order = np.zeros(0, np.intp)
        self._bounds = np.zeros(len(self.curves) + 1, np.intp)
        self._theme, self._width = "dark", 1.0

    def _pens(self, colors: np.ndarray) -> None:
        for curve, c in zip(self.curves, colors, strict=True):
            curve.setPen(pg.mkPen((*map(int, c[:3]), TRAIL_ALPHA), width=self._width))

    def set_scale(self, scale: float) -> None:
        """Trails thicken with the UI scale (a projector drops 1-pixel lines), more slowly than text."""
        width = max(1.0, scale) ** 0.5
        if width != self._width:
            self._width = width
            self._pens(palette(self._theme))

    def set_style(self, style: ParticleStyle) -> None:
        if style.theme_name != self._theme:  # the pens follow the palette of the theme
            self._theme = style.theme_name
            self._pens(style.palette)
        chosen = np.arange(min(style.n, MAX_TRAILS))
        order = chosen[np.argsort(style.hue[chosen], kind="stable")]
        self._order = order
        self._bounds = np.searchsorted(style.hue[order], np.arange(len(self.curves) + 1))

    def set_history(self, history: np.ndarray) -> None:
        """``history`` (M, L, 2) in the order of :attr:`particles`."""
        M, L, _ = history.shape
        for b, curve in enumerate(self.curves):
            lo, hi = self._bounds[b], self._bounds[b + 1]
            if hi <= lo or L < 2:
                curve.setData([], [])
                continue
            pts = history[lo:hi].reshape(-1, 2)
            curve.setData(pts[:, 0], pts[:, 1], connect=_connect_mask(int(hi - lo), L), skipFiniteCheck=True)

    @property
    def particles(self) -> np.ndarray:
        """Which particles have trails, grouped by hue."""
        return self._order

    def set_visible(self, visible: bool) -> None:
        for curve in self.curves:
            curve.setVisible(visible)


class SegmentsLayer:
    """Straight pieces a_i → b_i for the first MAX_SEGMENTS particles, as one curve."""

    def __init__(self, plot: pg.PlotItem, pen: object, z: float = 4) -> None:
        self.curve = _curve(plot, pen, z)

    def set_segments(self, a: np.ndarray, b: np.ndarray) -> None:
        m = min(len(a), MAX_SEGMENTS)
        pts = np.empty((m, 2, 2), dtype=np.float32)
        pts[:, 0], pts[:, 1] = a[:m], b[:m]
        flat = pts.reshape(-1, 2)
        self.curve.setData(flat[:, 0], flat[:, 1], connect="pairs", skipFiniteCheck=True)

    def set_visible(self, visible: bool) -> None:
        self.curve.setVisible(visible)


def arrow_geometry(points: np.ndarray, vectors: np.ndarray, length: float) -> np.ndarray:
    """(P, 6, 2) float32: shaft and two head strokes of arrows of fixed ``length`` centred on ``points``."""
    norm = np.linalg.norm(vectors, axis=1, keepdims=True)
    u = np.divide(vectors, norm, out=np.zeros_like(vectors), where=norm > 0)
    tail, tip = points - 0.5 * length * u, points + 0.5 * length * u
    c, s = np.cos(HEAD_ANGLE), np.sin(HEAD_ANGLE)
    left = np.stack([c * u[:, 0] - s * u[:, 1], s * u[:, 0] + c * u[:, 1]], axis=1)
    right = np.stack([c * u[:, 0] + s * u[:, 1], -s * u[:, 0] + c * u[:, 1]], axis=1)
    head = HEAD * length
    out = np.stack([tail, tip, tip, tip - head * left, tip, tip - head * right], axis=1)
    return np.ascontiguousarray(out, dtype=np.float32)


class ArrowsLayer:
    """Arrows of normalised length on a grid, coloured by magnitude in ARROW_BINS bins (one curve per bin), in the
    theme's colour-blind-safe map, as thick as the UI scale asks (a projector loses 1-pixel lines)."""

    def __init__(self, plot: pg.PlotItem, z: float = 12) -> None:
        self.curves = [_curve(plot, None, z, antialias=False) for _ in range(ARROW_BINS)]
        self._look: tuple[str, float] | None = None
        self.set_look("dark", 1.0)

    def set_look(self, theme_name: str, scale: float) -> None:
        """Colours of the theme, line width ARROW_WIDTH × the UI scale."""
        if self._look == (theme_name, scale):
            return
        self._look = (theme_name, scale)
        for curve, c in zip(self.curves, magnitude_colors(ARROW_BINS, theme_name), strict=True):
            curve.setPen(pg.mkPen((*c[:3], 255), width=ARROW_WIDTH * scale))

    def set_arrows(self, points: np.ndarray, vectors: np.ndarray, length: float, levels: tuple[float, float]) -> None:
        """Arrows of ``length`` centred on ``points``; ``levels`` (lo, hi) of log10|v| span the colour bins."""
        geometry = arrow_geometry(points, vectors, length)
        log_mag = np.log10(np.maximum(np.linalg.norm(vectors, axis=1), 1e-30))
        lo, hi = levels
        bins = np.clip(((log_mag - lo) / max(hi - lo, 1e-12) * ARROW_BINS).astype(int), 0, ARROW_BINS - 1)
        for b, curve in enumerate(self.curves):
            pts = geometry[bins == b].reshape(-1, 2)
            curve.setData(pts[:, 0], pts[:, 1], connect="pairs", skipFiniteCheck=True)

    def set_visible(self, visible: bool) -> None:
        for curve in self.curves:
            curve.setVisible(visible)
