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
ARROW_ALPHA = 200
ARROW_FILL = 0.6  # arrow length as a fraction of the grid cell
HEAD = 0.35  # head length as a fraction of the arrow
HEAD_ANGLE = np.deg2rad(25)


def _curve(plot: pg.PlotItem, pen: object, z: float) -> pg.PlotCurveItem:
    curve = pg.PlotCurveItem(pen=pen, skipFiniteCheck=True, antialias=False)
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

    def set_style(self, style: ParticleStyle) -> None:
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
    """Arrows of normalised length on a grid, coloured by magnitude in ARROW_BINS bins (one curve per bin)."""

    def __init__(self, plot: pg.PlotItem, z: float = 6) -> None:
        self.curves = [_curve(plot, pg.mkPen((*c[:3], ARROW_ALPHA), width=1), z) for c in magnitude_colors(ARROW_BINS)]

    def set_arrows(self, points: np.ndarray, vectors: np.ndarray, cell: float, levels: tuple[float, float]) -> None:
        """``levels`` (lo, hi) of log10|v| span the colour bins."""
        geometry = arrow_geometry(points, vectors, ARROW_FILL * cell)
        log_mag = np.log10(np.maximum(np.linalg.norm(vectors, axis=1), 1e-30))
        lo, hi = levels
        bins = np.clip(((log_mag - lo) / max(hi - lo, 1e-12) * ARROW_BINS).astype(int), 0, ARROW_BINS - 1)
        for b, curve in enumerate(self.curves):
            pts = geometry[bins == b].reshape(-1, 2)
            curve.setData(pts[:, 0], pts[:, 1], connect="pairs", skipFiniteCheck=True)
