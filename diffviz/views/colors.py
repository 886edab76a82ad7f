"""Colours shared by the views: a fixed colour per particle, and the lookup tables of the maps."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyqtgraph as pg

NUM_HUES = 12
BACKGROUND = "#101014"
TEXT = "#d8d8d8"
DATA_COLOR = (150, 150, 150, 70)
CIRCLE_COLOR = (235, 235, 235, 210)


@lru_cache(maxsize=1)
def palette() -> np.ndarray:
    """NUM_HUES bright colours around a cyclic map, (NUM_HUES, 4) uint8 RGBA."""
    cmap = pg.colormap.get("CET-C6")
    return np.ascontiguousarray(cmap.map(np.arange(NUM_HUES) / NUM_HUES, mode="byte"), dtype=np.uint8)


def hue_of(x_T: np.ndarray) -> np.ndarray:
    """Each particle's palette index, from the direction of its starting point x_T (fixed through the run).

    Particles that start on the same side of the origin share a colour, so one can see where each region of the
    noise ends up. Image particles (no direction) get indices by their order.
    """
    flat = x_T.reshape(len(x_T), -1)
    if flat.shape[1] != 2:
        return (np.arange(len(x_T)) % NUM_HUES).astype(np.int32)
    angle = np.arctan2(flat[:, 1], flat[:, 0])
    return ((angle + np.pi) / (2 * np.pi) * NUM_HUES).astype(np.int32) % NUM_HUES


@lru_cache(maxsize=8)
def lut(name: str) -> np.ndarray:
    """A 256-entry uint8 RGBA lookup table of a pyqtgraph colour map."""
    return np.ascontiguousarray(pg.colormap.get(name).getLookupTable(nPts=256, alpha=True), dtype=np.uint8)


MAGNITUDE_MAP = "viridis"


def magnitude_colors(n: int) -> list[tuple[int, int, int, int]]:
    """``n`` colours from low to high magnitude, for binned arrows."""
    table = lut(MAGNITUDE_MAP)
    idx = np.linspace(70, 255, n).astype(int)  # skip the darkest end: arrows sit on the dimmed map
    return [tuple(int(c) for c in table[i]) for i in idx]  # type: ignore[misc]


@lru_cache(maxsize=1)
def dim_magnitude_lut() -> np.ndarray:
    """The magnitude map behind the arrows: the arrows' colour map at 28 % brightness."""
    table = lut(MAGNITUDE_MAP).copy()
    table[:, :3] = (table[:, :3] * 0.28).astype(np.uint8)
    return table
