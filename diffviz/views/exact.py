"""The exact score s* next to the learned s_θ in the score view (``view.exact``), when the model's data is known.

Over the same grid the learned arrows are drawn on, s*(x, t) (:mod:`diffviz.core.exact`) is drawn as thin arrows in
the theme's outline colour, on top of the thicker coloured learned ones: where the model is right the thin arrow runs
down the middle of the thick one. The grey |s| map behind is replaced by the error map ‖s_θ − s*‖, relative to the
exact score at the same point, ‖s_θ − s*‖ / ‖s*‖, so that one fixed colour scale (:data:`ERROR_LEVELS`, 1 % … 316 %)
reads the same at every t (|s*| grows like 1/√(1 − ᾱ_t) as t → 0, and so does an absolute error; the ratio is the
same in ε units, ‖ε̂ − ε*‖ / ‖ε*‖). The colour legend then describes that map ("error"); the title gives the grid's
relative RMS error (:func:`diffviz.core.exact.score_error`).

Known data (:func:`known_data`): an analytic mixture or an ideal denoiser is its own exact law; a bundled 2D network
has the training points its ModelInfo carries (at most :data:`diffviz.core.exact.MAX_DATA` of them are used). For any
other model the toggle draws nothing and the title says so.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg

from diffviz.core import GaussianMixture, Trajectory
from diffviz.core.exact import exact_field, exact_mixture, score_error

from .colorbar import decade_labels, number
from .colors import THEMES, Theme, field_ramp_lut, magnitude_colormap
from .lines import ARROW_BINS, ARROW_WIDTH, arrow_geometry
from .model_info import ModelInfo

if TYPE_CHECKING:
    from .frame import Frame
    from .points import ScoreView

ERROR_LEVELS = (-2.0, 0.5)  # log10 of ‖s_θ − s*‖ / ‖s*‖: 1 % … 316 %
ERROR_TITLE = "error |s−s*|/|s*|"  # drawn as plain text: s is the learned s_θ
EXACT_WIDTH = 0.5  # the exact arrows' width, as a fraction of the learned arrows'
CACHE_STEPS = 64  # exact fields kept per run (at most 128² × 2 float32 each: 128 KiB)
UNKNOWN = "exact score unknown for this model"
# the error map: from the background to a warm colour the arrows stand out on (dark: viridis; light: plasma)
ERROR_RAMP_TOP = {"dark": (165, 55, 40, 255), "light": (250, 190, 95, 255)}


@dataclass(frozen=True, eq=False)
class KnownData:
    """What the exact score is computed from: ``mixture`` (its score is s*) and ``points``, the training points the
    final samples are measured against (:func:`diffviz.core.exact.nearest_distances`); ``source`` says which."""

    mixture: GaussianMixture
    points: np.ndarray
    source: str


def known_data(info: ModelInfo | None) -> KnownData | None:
    """The model's data when it is known: a mixture is its own law (an ideal denoiser's training points are its
    deltas); a network with ``data_points`` (2D toy data) is measured against their empirical distribution."""
    if info is None:
        return None
    model = info.model
    if isinstance(model, GaussianMixture):
        if model.covs is None:  # an ideal denoiser: its deltas are the training set
            points = model.means
            source = f"its {len(points)} training points"
        elif info.data_points is not None:
            points = np.asarray(info.data_points, np.float64)
            source = f"its exact law ({len(points)} points drawn for distances)"
        else:
            points = model.sample_data(1000, np.random.default_rng(0)).reshape(1000, -1)
            source = "its exact law (1000 points drawn for distances)"
        return KnownData(model, np.asarray(points, np.float64), source)
    if info.data_points is None:
        return None
    mixture = exact_mixture(info.data_points)
    source = f"{len(mixture.means)} points of its training data ({info.card.data or 'data'})"
    return KnownData(mixture, np.asarray(info.data_points, np.float64).reshape(len(info.data_points), -1), source)


@lru_cache(maxsize=2)
def error_lut(theme_name: str) -> np.ndarray:
    """The error map's lookup table: the theme's background (no error) to a warm colour (large error)."""
    t = THEMES[theme_name]
    bg = pg.mkColor(t.background)
    low = np.array([bg.red(), bg.green(), bg.blue(), 255], np.float64)
    high = np.array(ERROR_RAMP_TOP[theme_name], np.float64)
    w = np.linspace(0.0, 1.0, 256)[:, None] ** 0.8
    return np.ascontiguousarray(np.round((1 - w) * low + w * high), dtype=np.uint8)


def error_colormap(theme_name: str) -> pg.ColorMap:
    table = error_lut(theme_name)
    return pg.ColorMap(np.linspace(0, 1, len(table)), table, mapping=pg.ColorMap.CLIP)


class ExactFieldCache:
    """s* on a grid, per (step, ᾱ, grid points), for one run at a time (a new run empties it), at most ``size``."""

    def __init__(self, size: int = CACHE_STEPS) -> None:
        self.size = size
        self._run: weakref.ReferenceType[Trajectory] | None = None
        self._fields: OrderedDict[tuple[int, float, int, tuple[int, ...]], np.ndarray] = OrderedDict()
        self.computed = 0  # fields computed (not found here), for tests

    def clear(self) -> None:
        self._run = None
        self._fields.clear()

    def get(self, data: KnownData, trajectory: Trajectory, k: int, points: np.ndarray) -> np.ndarray:
        if self._run is None or self._run() is not trajectory:
            self._fields.clear()
            self._run = weakref.ref(trajectory)
        alpha_bar = float(trajectory.alpha_bar[k])
        key = (k, alpha_bar, hash(points.tobytes()), points.shape)
        field = self._fields.get(key)
        if field is None:
            field = exact_field(data.mixture, points, alpha_bar).astype(np.float32)
            self.computed += 1
            self._fields[key] = field
            while len(self._fields) > self.size:
                self._fields.popitem(last=False)
        else:
            self._fields.move_to_end(key)
        return field


class ExactOverlay:
    """The score view's exact layer: the s* arrows, the error map and legend while on; see the module docstring."""

    def __init__(self, plot: pg.PlotItem, z: float = 13) -> None:
        self.curve = pg.PlotCurveItem(skipFiniteCheck=True, antialias=True)
        self.curve.setZValue(z)  # over the learned arrows (12)
        plot.addItem(self.curve, ignoreBounds=True)
        self.known: KnownData | None = None
        self.enabled = False
        self.cache = ExactFieldCache()
        self.field: np.ndarray | None = None  # s* on the grid of the frame drawn
        self.relative: float | None = None  # the grid's relative error at that frame
        self._legend: str | None = None  # the theme whose error colours the legend shows (None: the |s| ones)
        self.set_look(THEMES["dark"], 1.0)

    @property
    def active(self) -> bool:
        """On, and the model's data is known."""
        return self.enabled and self.known is not None

    def set_model(self, info: ModelInfo) -> None:
        self.known = known_data(info)
        self.cache.clear()
        self.field = None

    def set_look(self, theme: Theme, scale: float) -> None:
        """The theme's outline colour, thinner than the learned arrows; the legend is set again on the next frame."""
        self.curve.setPen(pg.mkPen(theme.outline, width=max(1.0, EXACT_WIDTH * ARROW_WIDTH * scale)))
        self._legend = None

    def caption(self) -> str:
        """What the view's title adds: the grid's relative error, or that the exact score is unknown."""
        if not self.enabled:
            return ""
        if self.known is None:
            return f" &nbsp; <i>{UNKNOWN}</i>"
        if self.relative is None:
            return ""
        return f" &nbsp; vs exact s* (thin): error {number(100 * self.relative)} %"

    def draw(self, view: ScoreView, frame: Frame, field: np.ndarray, points: np.ndarray, grid: int) -> bool:
        """While active: s* for this frame, the error map in ``view.map`` and its legend; True when drawn. Otherwise
        the view's |s| map and legend colours are put back, and False (the view draws its own map)."""
        self.field, self.relative = None, None
        ok = self.active and bool(np.isfinite(field).all())
        if not ok:
            self.curve.setData([], [])
            if self._legend is not None:  # back to the |s| map
                view.map.setLookupTable(field_ramp_lut(view.theme.name))
                view.legend.setColorMap(magnitude_colormap(ARROW_BINS, view.theme.name))
                self._legend = None
            view.map.setVisible(view.background)
            return False
        assert self.known is not None
        exact = self.cache.get(self.known, frame.trajectory, frame.pred_index, points)
        self.field = exact
        err = score_error(field, exact)
        self.relative = err.relative
        rel = err.per_point / np.maximum(np.linalg.norm(exact, axis=1), 1e-30)
        log_err = np.log10(np.maximum(rel, 1e-30)).astype(np.float32)
        if self._legend != view.theme.name:
            view.map.setLookupTable(error_lut(view.theme.name))
            view.legend.setColorMap(error_colormap(view.theme.name))
            self._legend = view.theme.name
        view.map.setImage(log_err.reshape(grid, grid), autoLevels=False, levels=ERROR_LEVELS)
        view.map.setVisible(True)
        view.legend.setLabels(decade_labels(ERROR_LEVELS, ERROR_TITLE))
        return True

    def set_arrows(self, points: np.ndarray, keep: np.ndarray, length: float) -> None:
        """s* at the grid points ``keep`` selects, as arrows of ``length`` (those of the learned field's)."""
        if self.field is None or len(self.field) != len(keep):
            self.curve.setData([], [])
            return
        geometry = arrow_geometry(points[keep], self.field[keep], length).reshape(-1, 2)
        self.curve.setData(geometry[:, 0], geometry[:, 1], connect="pairs", skipFiniteCheck=True)
