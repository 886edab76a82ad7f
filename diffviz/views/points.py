"""The four linked views of a 2D model: x_t, the score field, ε̂ and Tweedie's x̂_0."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt

from diffviz.core.decompose import can_decompose, ddpm_step_parts
from diffviz.session import ViewSettings

from . import typeset
from .base import PointsView
from .colorbar import ColorLegend, decade_labels, number
from .colors import DARK, field_ramp_lut, magnitude_colormap
from .exact import ExactOverlay
from .follow import ARROW_CELLS, DIMMED, FollowLayer, StepLayer
from .frame import Frame
from .hue_key import HueKey
from .lines import ARROW_BINS, ARROW_FILL, ArrowsLayer, SegmentsLayer, TrailsLayer
from .model_info import ModelInfo
from .particles import ParticleLayer, ParticleStyle

FAINT = 70  # alpha of the particles over the score field


class FollowingView(PointsView):
    """What the four point views share for followed particles: their layer, the dimming of the others, the redraw.
    Subclasses create ``particles`` and ``follow`` in ``__init__``."""

    follow: FollowLayer
    particles: ParticleLayer

    def set_followed(self, indices: np.ndarray, colors: np.ndarray) -> None:
        self.follow.set_followed(indices, colors)
        for item in (self.particles.scatter, self.particles.image):
            item.setOpacity(DIMMED if len(indices) else 1.0)
        if self.frame is not None:
            self.set_frame(self.frame)

    def _scale_changed(self) -> None:
        super()._scale_changed()
        self.follow.set_scale(self.scale)
        self.particles.set_scale(self.scale)

    def _theme_changed(self) -> None:
        super()._theme_changed()
        self.follow.set_theme(self.theme)


class XtView(FollowingView):
    """The particles x_t, each in its fixed colour, with trails of the last k steps."""

    title = f"particles {typeset.X_T}"
    key = "x_t"
    explain = "the particles at this step"
    tooltip = (
        "The particles x_t at the shown step, with trails of their last steps. A particle's colour is the direction "
        "of its start x_T from the origin (fixed for the run), so you can see where each region of the noise ends up. "
        "Click one to follow it (Shift+click adds)."
    )

    def __init__(self) -> None:
        super().__init__()
        self.trails = TrailsLayer(self.plot)
        self.particles = ParticleLayer(self.plot)
        self.follow = FollowLayer(self.plot, path=True)
        self.step_parts = StepLayer(self.plot)
        self.hue_key = HueKey()  # what the particles' colours mean
        self.hue_key.setParentItem(self.vb)
        self.settings = ViewSettings()
        self.pieces = 2  # of the step from here, drawn for followed particles (the session's playback.pieces)

    def set_pieces(self, pieces: int) -> None:
        if pieces != self.pieces:
            self.pieces = pieces
            if self.frame is not None:
                self.set_frame(self.frame)

    def _theme_changed(self) -> None:
        super()._theme_changed()
        self.step_parts.set_theme(self.theme)
        self.hue_key.set_look(self.theme, self.scale)

    def _scale_changed(self) -> None:
        super()._scale_changed()
        self.trails.set_scale(self.scale)
        self.hue_key.set_look(self.theme, self.scale)

    def set_style(self, style: ParticleStyle) -> None:
        self.trails.set_style(style)
        self.particles.set_style(style)

    def set_view_settings(self, settings: ViewSettings) -> None:
        self.settings = settings
        self.trails.set_visible(settings.trails)
        if self.frame is not None:
            self.set_frame(self.frame)

    def set_frame(self, frame: Frame) -> None:
        super().set_frame(frame)
        self.particles.set_points(frame.x)
        if self.settings.trails:
            self.trails.set_history(frame.history(self.settings.trail_length, self.trails.particles))
        idx = self.follow.indices
        if len(idx):
            self.follow.show(frame.x[idx], history=frame.history(frame.index, idx))
        traj = frame.trajectory
        if len(idx) and frame.index < traj.steps_done and can_decompose(traj):
            parts = ddpm_step_parts(traj, frame.index, idx)  # the step from here: drift, then noise
            self.step_parts.show(parts.x_t, parts.mean, parts.x_prev, self.pieces)
        else:
            self.step_parts.clear()


LEVEL_QUANTILES = (0.02, 0.98)
ARROW_SPACING_PX = 26  # arrows at least this far apart on screen (× the UI scale): fewer, longer, readable arrows


def log_magnitude(field: np.ndarray) -> np.ndarray:
    """log10 |s| per grid point (float32), |s| floored at 1e-30."""
    return np.log10(np.maximum(np.linalg.norm(field, axis=1), 1e-30)).astype(np.float32)


def quantile_levels(log_mag: np.ndarray) -> tuple[float, float]:
    """The 2nd–98th percentile of log10 |s|: far from the data |s| grows like distance/(1−ᾱ), and min–max levels
    would paint almost every arrow the top colour."""
    lo, hi = (float(v) for v in np.quantile(log_mag, LEVEL_QUANTILES))
    return lo, max(hi, lo + 1e-6)


class ScoreView(FollowingView):
    """s_θ(·, t) on the field grid: arrows of equal length coloured by log|s| (a colour-blind-safe map, with a colour
    bar), over a grey map of log|s| on the same levels, the particles faint underneath.

    The colour levels are fixed for a run (the session's ``score_levels`` when set): they span the field at x_T and
    at the last step, so the class sees |s| grow as the noise shrinks instead of colours re-stretched every frame."""

    title = f"score field {typeset.S_THETA}(·, t)"
    key = "score"
    short_title = f"score {typeset.S_THETA}"
    explain = "arrows: where the density rises; colour: |s| (bar)"
    tooltip = (
        "The learned score s_θ(x, t) = ∇ log p_t(x) on a grid: each arrow points where the density rises; its colour "
        "is |s| (colour bar, in 1/units of x, log scale), the grey map behind is |s| too. Levels are fixed for the "
        "whole run: |s| grows as t → 0 near the data. Zoom in for a finer grid."
    )

    def __init__(self) -> None:
        super().__init__()
        self.map = pg.ImageItem(axisOrder="row-major")
        self.map.setZValue(-10)
        self.plot.addItem(self.map, ignoreBounds=True)
        self.arrows = ArrowsLayer(self.plot)
        self.exact = ExactOverlay(self.plot)  # s* over the learned arrows, the error map (view.exact)
        self.particles = ParticleLayer(self.plot, alpha=FAINT, z=4)  # beneath the arrows
        self.follow = FollowLayer(self.plot, arrow=True)
        self.legend = ColorLegend()
        self.legend.setParentItem(self.vb)
        self._restyle()  # the map, arrows, exact overlay and colour bar in the starting theme and scale
        self.levels = (0.0, 1.0)
        self.fixed_levels: tuple[float, float] | None = None  # the session's score_levels; None: per run
        self.background = True
        self._levels_run: object = None  # the run whose steps make up run_levels
        self._levels_seen: set[int] = set()
        self.run_levels: tuple[float, float] | None = None
        self.vb.sigRangeChanged.connect(self._redraw_arrows)
        self.vb.sigResized.connect(self._redraw_arrows)

    def set_view_settings(self, settings: ViewSettings) -> None:
        now = (self.fixed_levels, self.background, self.exact.enabled)
        changed = (settings.score_levels, settings.score_background, settings.exact) != now
        self.fixed_levels, self.background = settings.score_levels, settings.score_background
        self.exact.enabled = settings.exact
        self.map.setVisible(self.background or self.exact.active)
        if changed and self.frame is not None:
            self.set_frame(self.frame)

    def set_model(self, info: ModelInfo) -> None:
        self.exact.set_model(info)

    def _theme_changed(self) -> None:
        super()._theme_changed()
        self._restyle()

    def _scale_changed(self) -> None:
        super()._scale_changed()
        self._restyle()

    def _restyle(self) -> None:
        self.map.setLookupTable(field_ramp_lut(self.theme.name))
        self.arrows.set_look(self.theme.name, self.scale)
        self.exact.set_look(self.theme, self.scale)
        self.legend.setColorMap(magnitude_colormap(ARROW_BINS, self.theme.name))
        self.legend.set_look(self.theme, self.scale)
        if self.frame is not None:
            self.set_frame(self.frame)

    def set_style(self, style: ParticleStyle) -> None:
        self.particles.set_style(style)

    def _update_run_levels(self, frame: Frame) -> tuple[float, float]:
        """The union of the quantile levels of every field of this run seen so far, always including x_T's and the
        last step's once they are evaluated."""
        traj = frame.trajectory
        if traj is not self._levels_run:
            self._levels_run, self._levels_seen, self.run_levels = traj, set(), None
        for k in (0, traj.num_steps - 1, frame.pred_index):
            if k in self._levels_seen:
                continue
            field = traj.field_score_at(k) if k < traj.steps_done else None
            if field is None or not np.isfinite(field[0, 0]):  # a lazy run's field not evaluated yet (NaN)
                continue
            self._levels_seen.add(k)
            lo, hi = quantile_levels(log_magnitude(field))
            if self.run_levels is not None:
                lo, hi = min(lo, self.run_levels[0]), max(hi, self.run_levels[1])
            self.run_levels = (lo, hi)
        return self.run_levels or (0.0, 1.0)

    def set_frame(self, frame: Frame) -> None:
        super().set_frame(frame)
        self.particles.set_points(frame.x)
        field = frame.field_score
        points = frame.trajectory.field_points
        idx = self.follow.indices
        if len(idx):  # the particle's own score s_θ(x_t, t), from x_t
            cell = float(points[1, 0] - points[0, 0]) if points is not None else 0.25
            self.follow.show(frame.x_pred[idx], vectors=frame.score[idx], arrow_length=ARROW_CELLS * cell)
        if field is None or points is None:
            return
        grid = int(round(np.sqrt(len(points))))
        log_mag = log_magnitude(field)
        run_levels = self._update_run_levels(frame)
        self.levels = self.fixed_levels or run_levels
        exact = self.exact.draw(self, frame, field, points, grid)  # the error map instead, when on and known
        if not exact:
            self.map.setImage(log_mag.reshape(grid, grid), autoLevels=False, levels=self.levels)
        cell, cell_y = float(points[1, 0] - points[0, 0]), float(points[grid, 1] - points[0, 1]) if grid > 1 else 0.0
        cell_y = cell_y or cell
        x0, y0 = float(points[0, 0]) - cell / 2, float(points[0, 1]) - cell_y / 2
        self.map.setRect(QRectF(x0, y0, grid * cell, grid * cell_y))
        self._draw_arrows()
        if not exact:
            self.legend.setLabels(decade_labels(self.levels, "|s| (1/x)"))
        lo, hi = float(log_mag.min()), float(log_mag.max())
        self.set_title(f"{self.title} &nbsp; |s| {number(10**lo)} … {number(10**hi)}{self.exact.caption()}")

    def arrow_stride(self, cell: float) -> int:
        """Every how many grid points an arrow is drawn, so arrows stand ARROW_SPACING_PX × scale apart on screen."""
        if self.vb.scene() is None or self.vb.width() <= 0 or not cell > 0:  # not laid out (a hidden panel)
            return 1
        pixel = self.vb.viewPixelSize()[0]
        if not pixel > 0:
            return 1
        return max(1, int(np.ceil(ARROW_SPACING_PX * self.scale * pixel / cell)))

    def _draw_arrows(self) -> None:
        frame = self.frame
        points = frame.trajectory.field_points if frame is not None else None
        field = frame.field_score if frame is not None else None
        if field is None or points is None:
            return
        grid = int(round(np.sqrt(len(points))))
        cell = float(points[1, 0] - points[0, 0])
        stride = self.arrow_stride(cell)
        offset = (grid - 1) % stride // 2  # centred: the arrows' grid sits in the middle of the field's
        lattice = np.zeros((grid, grid), bool)
        lattice[offset::stride, offset::stride] = True
        keep = lattice.ravel()
        self.arrows.set_arrows(points[keep], field[keep], ARROW_FILL * cell * stride, self.levels)
        self.exact.set_arrows(points, keep, ARROW_FILL * cell * stride)

    def _redraw_arrows(self, *_: object) -> None:
        if self.frame is not None and self.frame.field_score is not None:
            self._draw_arrows()


class EpsView(FollowingView):
    """Each particle's noise estimate ε̂, with the 1σ and 2σ circles of N(0, I)."""

    title = f"noise estimate {typeset.EPS_HAT} &nbsp;(circles: 1σ, 2σ)"
    key = "eps_hat"
    short_title = f"noise estimate {typeset.EPS_HAT}"
    explain = "the noise the model thinks was added: should look like N(0, I)"
    tooltip = (
        "Each particle's noise estimate ε̂ = −√(1−ᾱ_t)·s_θ: what the model thinks was added to the data. A good model's "
        "ε̂ looks like N(0, I): the dashed circles hold 39 % (1σ) and 86 % (2σ) of such a cloud."
    )

    def __init__(self) -> None:
        super().__init__()
        theta = np.linspace(0, 2 * np.pi, 181, dtype=np.float32)
        self.circles = []
        for r in (1.0, 2.0):
            circle = pg.PlotCurveItem(r * np.cos(theta), r * np.sin(theta))
            circle.setZValue(20)  # over the particles
            self.plot.addItem(circle, ignoreBounds=True)
            self.circles.append(circle)
        self.particles = ParticleLayer(self.plot)
        self.follow = FollowLayer(self.plot)
        self._pen_circles()

    def _pen_circles(self) -> None:
        pen = pg.mkPen(self.theme.circle, width=1.5 * self.scale, style=Qt.PenStyle.DashLine)
        for circle in self.circles:
            circle.setPen(pen)

    def _theme_changed(self) -> None:
        super()._theme_changed()
        self._pen_circles()

    def _scale_changed(self) -> None:
        super()._scale_changed()
        self._pen_circles()

    def set_style(self, style: ParticleStyle) -> None:
        self.particles.set_style(style)

    def set_frame(self, frame: Frame) -> None:
        super().set_frame(frame)
        self.particles.set_points(frame.eps)
        if len(self.follow.indices):
            self.follow.show(frame.eps[self.follow.indices])


class X0View(FollowingView):
    """Tweedie's x̂_0 = (x_t + (1 − ᾱ_t) s_θ)/√ᾱ_t, optional x_t → x̂_0 segments, the training data behind."""

    title = (
        f"Tweedie {typeset.X0_HAT} = ({typeset.X_T} + (1−{typeset.ALPHA_BAR_T}) {typeset.S_THETA}) / "
        f"√{typeset.ALPHA_BAR_T}"
    )
    key = "x0_hat"
    short_title = f"Tweedie {typeset.X0_HAT}"
    explain = "where each particle is heading: its expected clean sample"
    tooltip = (
        "Tweedie's estimate x̂_0 = E[x_0 | x_t]: where each particle is heading, read off the score in one step. It is "
        "an average over the data that could have produced x_t, so early on all estimates sit near the data's mean; "
        "the grey dots are the training data."
    )

    def __init__(self) -> None:
        super().__init__()
        self.data = pg.ScatterPlotItem(pen=None, brush=pg.mkBrush(DARK.data), size=3, pxMode=True)
        self.data.setZValue(-5)
        self.plot.addItem(self.data, ignoreBounds=True)
        self.segments = SegmentsLayer(self.plot, pg.mkPen(DARK.segment, width=1))
        self.particles = ParticleLayer(self.plot)
        self.follow = FollowLayer(self.plot)
        self.settings = ViewSettings()
        self.set_view_settings(self.settings)

    def _theme_changed(self) -> None:
        super()._theme_changed()
        self.data.setBrush(pg.mkBrush(self.theme.data))
        self.segments.curve.setPen(pg.mkPen(self.theme.segment, width=1))

    def set_model(self, info: ModelInfo) -> None:
        pts = info.data_points
        self.data.setData(pos=np.zeros((0, 2)) if pts is None else pts)

    def set_style(self, style: ParticleStyle) -> None:
        self.particles.set_style(style)

    def set_view_settings(self, settings: ViewSettings) -> None:
        self.settings = settings
        self.segments.set_visible(settings.segments)
        self.data.setVisible(settings.data)
        if self.frame is not None:
            self.set_frame(self.frame)

    def set_frame(self, frame: Frame) -> None:
        super().set_frame(frame)
        self.particles.set_points(frame.x0)
        if self.settings.segments:
            self.segments.set_segments(frame.x_pred, frame.x0)
        if len(self.follow.indices):
            self.follow.show(frame.x0[self.follow.indices])
