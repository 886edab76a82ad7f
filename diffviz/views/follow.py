"""Followed particles: large markers in every view (x_t, its score arrow, ε̂, x̂_0), the whole path so far in the x_t
view, and the other particles dimmed. Sized for a projector; they grow with the UI scale."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .colors import DARK, Theme
from .lines import arrow_geometry

MARKER_PX = 14
PATH_WIDTH = 3
DIMMED = 0.3  # opacity of the other particles while some are followed
ARROW_CELLS = 4.0  # the followed particle's score arrow, in field-grid cells (longer than its marker)


class FollowLayer:
    """The followed particles of one view: markers (and, optionally, their paths and score arrows)."""

    def __init__(self, plot: pg.PlotItem, *, path: bool = False, arrow: bool = False, z: float = 30) -> None:
        self.plot = plot
        self.markers = pg.ScatterPlotItem(pxMode=True, size=MARKER_PX, pen=pg.mkPen(DARK.outline, width=2))
        self.markers.setZValue(z + 1)
        plot.addItem(self.markers, ignoreBounds=True)
        self.path = pg.PlotCurveItem(pen=pg.mkPen(DARK.path, width=2)) if path else None
        self.arrow = pg.PlotCurveItem(pen=pg.mkPen(DARK.outline, width=PATH_WIDTH)) if arrow else None
        for item, above in ((self.path, -1), (self.arrow, 2)):  # paths under the markers, arrows over them
            if item is not None:
                item.setZValue(z + above)
                plot.addItem(item, ignoreBounds=True)
        self.indices = np.zeros(0, np.int64)
        self.colors = np.zeros((0, 4), np.uint8)
        self.scale = 1.0
        self.theme = DARK

    def set_followed(self, indices: np.ndarray, colors: np.ndarray) -> None:
        """Which particles (indices into the run) and their (M, 4) RGBA colours; empty: nothing drawn."""
        self.indices, self.colors = indices, colors
        if not len(indices):
            self.clear()

    def set_scale(self, scale: float) -> None:
        self.scale = scale
        self.markers.setSize(MARKER_PX * scale)
        self._pens()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._pens()

    def _pens(self) -> None:
        self.markers.setPen(pg.mkPen(self.theme.outline, width=2 * self.scale))
        if self.path is not None:
            self.path.setPen(pg.mkPen(self.theme.path, width=2 * self.scale))
        if self.arrow is not None:
            self.arrow.setPen(pg.mkPen(self.theme.outline, width=PATH_WIDTH * self.scale))

    def clear(self) -> None:
        self.markers.clear()
        for item in (self.path, self.arrow):
            if item is not None:
                item.setData([], [])

    def show(
        self,
        points: np.ndarray,
        history: np.ndarray | None = None,
        vectors: np.ndarray | None = None,
        arrow_length: float = 0.0,
    ) -> None:
        """``points`` (M, 2) of the followed particles now; ``history`` (M, L, 2) their path up to now; ``vectors``
        (M, 2) drawn as arrows of ``arrow_length`` starting at the points (the score's direction)."""
        if not len(self.indices):
            return
        self.markers.setData(pos=points, brush=[pg.mkBrush(*map(int, c[:3]), 255) for c in self.colors])
        if self.path is not None and history is not None:
            separated = np.concatenate([history, np.full((len(history), 1, 2), np.nan, np.float32)], axis=1)
            flat = separated.reshape(-1, 2)
            self.path.setData(flat[:, 0], flat[:, 1], connect="finite")
        if self.arrow is not None and vectors is not None:
            norm = np.linalg.norm(vectors, axis=1, keepdims=True)
            unit = np.divide(vectors, norm, out=np.zeros_like(vectors), where=norm > 0)
            pts = arrow_geometry(points + 0.5 * arrow_length * unit, vectors, arrow_length).reshape(-1, 2)
            self.arrow.setData(pts[:, 0], pts[:, 1], connect="pairs")


HEAD = 0.3  # arrow head length, as a share of the arrow


def _arrows(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Shaft and head strokes of arrows from ``starts`` to ``ends`` (P, 6, 2), for ``connect="pairs"``."""
    v = ends - starts
    c, s = np.cos(np.pi / 7), np.sin(np.pi / 7)
    left = np.stack([c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1]], axis=1)
    right = np.stack([c * v[:, 0] + s * v[:, 1], -s * v[:, 0] + c * v[:, 1]], axis=1)
    out = np.stack([starts, ends, ends, ends - HEAD * left, ends, ends - HEAD * right], axis=1)
    return np.ascontiguousarray(out, dtype=np.float32)


class StepLayer:
    """One reverse step of the followed particles taken apart: x_t → μ_θ (the drift along the score, in the outline
    colour), then μ_θ → x_{t−1} (the noise σ_t z, orange)."""

    def __init__(self, plot: pg.PlotItem, z: float = 29) -> None:
        self.drift = pg.PlotCurveItem()
        self.noise = pg.PlotCurveItem()
        for item in (self.drift, self.noise):
            item.setZValue(z + 3)
            plot.addItem(item, ignoreBounds=True)
        self.set_theme(DARK)

    def set_theme(self, theme: Theme) -> None:
        self.drift.setPen(pg.mkPen(theme.outline, width=PATH_WIDTH))
        self.noise.setPen(pg.mkPen(theme.noise, width=PATH_WIDTH))

    def show(self, x_t: np.ndarray, mean: np.ndarray, x_prev: np.ndarray, pieces: int = 2) -> None:
        """The first ``pieces`` of the step: 1 the drift x_t → μ_θ, 2 also the noise μ_θ → x_{t−1}."""
        for n, (item, (a, b)) in enumerate(((self.drift, (x_t, mean)), (self.noise, (mean, x_prev))), start=1):
            if n > pieces:
                item.setData([], [])
                continue
            pts = _arrows(a.astype(np.float32), b.astype(np.float32)).reshape(-1, 2)
            item.setData(pts[:, 0], pts[:, 1], connect="pairs")

    def clear(self) -> None:
        for item in (self.drift, self.noise):
            item.setData([], [])
