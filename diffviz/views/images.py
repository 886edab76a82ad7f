"""Image models: each view is a mosaic of the first particles (one ImageItem), on the same timeline."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg

from . import typeset
from .base import View
from .colors import lut
from .frame import Frame
from .model_info import ModelInfo

MAX_TILES = 64
GAP = 1
GAP_VALUE = 40  # dark grey between tiles
EPS_LEVELS = (-3.0, 3.0)  # ε̂ ~ N(0, I): ±3σ


def tile(images: np.ndarray, levels: tuple[float, float], lut: np.ndarray | None = None) -> np.ndarray:
    """(M, C, H, W) → one uint8 mosaic with 1-pixel dark gaps, rows·(H+1)−1 by cols·(W+1)−1.

    Grey images give a 2-D mosaic, or RGBA through ``lut`` (256 × 4); RGB images give (…, 3).
    """
    M, C, H, W = images.shape
    cols = int(np.ceil(np.sqrt(M)))
    rows = int(np.ceil(M / cols))
    lo, hi = levels
    u8 = np.clip((images - lo) * (255.0 / max(hi - lo, 1e-12)), 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
    if C == 1:
        u8 = u8[..., 0] if lut is None else lut[u8[..., 0]]
    else:
        u8 = u8[..., :3]
    out = np.full((rows * (H + GAP) - GAP, cols * (W + GAP) - GAP, *u8.shape[3:]), GAP_VALUE, dtype=np.uint8)
    if out.ndim == 3 and out.shape[2] == 4:
        out[..., 3] = 255
    for i in range(M):
        r, c = divmod(i, cols)
        out[r * (H + GAP) : r * (H + GAP) + H, c * (W + GAP) : c * (W + GAP) + W] = u8[i]
    return np.ascontiguousarray(out)


def _symmetric(values: np.ndarray, floor: float) -> tuple[float, float]:
    m = max(float(np.percentile(np.abs(values), 99.5)), floor)
    return -m, m


class ImageGridView(View):
    """One quantity of the frame as a mosaic; ``levels(values, info)`` picks the grey range of each frame."""

    def __init__(
        self,
        key: str,
        title: str,
        values: Callable[[Frame], np.ndarray],
        levels: Callable[[np.ndarray, tuple[float, float]], tuple[float, float]],
        colormap: str | None = None,
    ) -> None:
        self.key, self.title = key, title
        super().__init__()
        self.values, self.levels_of = values, levels
        self.image = pg.ImageItem(axisOrder="row-major")
        self.colormap = colormap
        self.lut: np.ndarray | None = None
        self.plot.addItem(self.image)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.vb.invertY(True)
        self.data_range = (-1.0, 1.0)
        self.levels = self.data_range
        self.fixed_levels: tuple[float, float] | None = None  # set for a video: one grey range for every frame

    def set_model(self, info: ModelInfo) -> None:
        self.data_range = info.data_range or (-1.0, 1.0)
        grey = tuple(info.model.data_shape)[0] == 1  # a lookup table colours one-channel images only
        self.lut = lut(self.colormap) if self.colormap and grey else None

    def set_frame(self, frame: Frame) -> None:
        super().set_frame(frame)
        shape = frame.trajectory.data_shape
        flat = self.values(frame)[:MAX_TILES]
        images = flat.reshape(len(flat), *shape)
        self.levels = self.fixed_levels or self.levels_of(images, self.data_range)
        first = self.image.image is None
        self.image.setImage(tile(images, self.levels, self.lut), autoLevels=False, levels=(0, 255))
        if first:
            self.vb.autoRange(padding=0.02)
        n = frame.trajectory.num_particles
        count = f"first {len(flat)} of {n}" if n > len(flat) else f"{n}"
        self.set_title(f"{self.title} &nbsp; ({count}; range {self.levels[0]:.2g} … {self.levels[1]:.2g})")


def image_views() -> list[ImageGridView]:
    """x_t, the score as an image, ε̂ and x̂_0, in the order of the 2D views."""

    def x_levels(v: np.ndarray, data_range: tuple[float, float]) -> tuple[float, float]:
        return _symmetric(v, max(abs(data_range[0]), abs(data_range[1])))

    views = [
        ImageGridView("x_t", typeset.X_T, lambda f: f.x, x_levels),
        ImageGridView(
            "score",
            f"score {typeset.S_THETA}({typeset.X_T}, t)",
            lambda f: f.score,
            lambda v, r: _symmetric(v, 1e-6),
            colormap="CET-D1A",
        ),
        ImageGridView("eps_hat", f"noise estimate {typeset.EPS_HAT}", lambda f: f.eps, lambda v, r: EPS_LEVELS),
        ImageGridView("x0_hat", f"Tweedie {typeset.X0_HAT}", lambda f: f.x0, lambda v, r: r),
    ]
    for view, line in zip(views, IMAGE_EXPLAIN, strict=True):
        view.explain = line
    return views


IMAGE_EXPLAIN = (
    "the images now, from noise to digits",
    "the score per pixel: red brightens, blue darkens the pixel",
    "the noise the model thinks was added",
    "the clean image each is heading to (a blur early on)",
)
