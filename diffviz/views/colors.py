"""Colours shared by the views: the two themes, a fixed colour per particle, and the lookup tables of the maps."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyqtgraph as pg

NUM_HUES = 12
RGBA = tuple[int, int, int, int]


@dataclass(frozen=True)
class Theme:
    """Everything a view draws that is not data-coloured: the dark theme for screens, the light high-contrast one for
    projectors (a washed-out projector loses dark greys and thin light lines first)."""

    name: str
    background: str
    text: str
    grid: RGBA  # the faint lines at whole coordinates
    data: RGBA  # the training data behind x̂_0
    circle: RGBA  # ε̂'s 1σ, 2σ circles
    segment: RGBA  # x_t → x̂_0
    outline: RGBA  # followed markers' outline, their score arrow and the drift arrow
    path: RGBA  # followed particles' path so far
    noise: RGBA  # the σ_t z arrow of a step taken apart
    legend: RGBA  # legend boxes
    hue_scale: float  # particle colours are the cyclic map's times this (darker on white: ≥ 3:1 contrast)
    field_map: str  # the score arrows' colour map (perceptually uniform, colour-blind safe)
    field_span: tuple[float, float]  # the part of it used: never the end that vanishes into the background
    field_ramp: tuple[RGBA, RGBA]  # the |s| background: low → high (grey, behind the coloured arrows)


DARK = Theme(
    name="dark",
    background="#101014",
    text="#d8d8d8",
    grid=(255, 255, 255, 28),
    data=(150, 150, 150, 70),
    circle=(235, 235, 235, 210),
    segment=(220, 220, 220, 45),
    outline=(255, 255, 255, 255),
    path=(255, 255, 255, 150),
    noise=(255, 160, 60, 255),
    legend=(16, 16, 20, 200),
    hue_scale=1.0,
    field_map="viridis",
    field_span=(0.25, 1.0),
    field_ramp=((16, 16, 20, 255), (78, 78, 88, 255)),
)
LIGHT = Theme(
    name="light",
    background="#ffffff",
    text="#000000",
    grid=(0, 0, 0, 40),
    data=(60, 60, 60, 90),
    circle=(0, 0, 0, 220),
    segment=(0, 0, 0, 60),
    outline=(0, 0, 0, 255),
    path=(0, 0, 0, 150),
    noise=(200, 70, 0, 255),
    legend=(255, 255, 255, 220),
    hue_scale=0.62,
    field_map="plasma",
    field_span=(0.0, 0.62),
    field_ramp=((255, 255, 255, 255), (222, 222, 226, 255)),
)
THEMES = {t.name: t for t in (DARK, LIGHT)}


def theme(name: str) -> Theme:
    """The theme of a session's ``view.theme`` (``dark`` or ``light``)."""
    return THEMES[name]


@lru_cache(maxsize=2)
def palette(theme_name: str = "dark") -> np.ndarray:
    """NUM_HUES colours around a cyclic map, (NUM_HUES, 4) uint8 RGBA: bright on the dark theme, darkened on the
    light one so each stands out from white at a contrast of at least 3:1."""
    cmap = pg.colormap.get("CET-C6")
    table = cmap.map(np.arange(NUM_HUES) / NUM_HUES, mode="byte").astype(np.float64)
    table[:, :3] *= THEMES[theme_name].hue_scale
    return np.ascontiguousarray(np.round(table), dtype=np.uint8)


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


def magnitude_colors(n: int, theme_name: str = "dark") -> list[RGBA]:
    """``n`` colours from low to high magnitude, for binned arrows (the theme's colour-blind-safe map)."""
    t = THEMES[theme_name]
    table = lut(t.field_map)
    lo, hi = t.field_span
    idx = np.linspace(lo * 255, hi * 255, n).astype(int)
    return [tuple(int(c) for c in table[i]) for i in idx]  # type: ignore[misc]


def magnitude_colormap(n: int, theme_name: str = "dark") -> pg.ColorMap:
    """The arrows' colours as a stepped colour map (for the colour bar): exactly the ``n`` bins drawn."""
    colors = magnitude_colors(n, theme_name)
    return pg.ColorMap(np.linspace(0, 1, n), colors, mapping=pg.ColorMap.CLIP)


@lru_cache(maxsize=2)
def field_ramp_lut(theme_name: str = "dark") -> np.ndarray:
    """The |s| background behind the arrows: a grey ramp (its own scale, so it never competes with the arrows)."""
    (r0, g0, b0, a0), (r1, g1, b1, a1) = THEMES[theme_name].field_ramp
    w = np.linspace(0.0, 1.0, 256)[:, None]
    table = (1 - w) * np.array([r0, g0, b0, a0]) + w * np.array([r1, g1, b1, a1])
    return np.ascontiguousarray(np.round(table), dtype=np.uint8)
