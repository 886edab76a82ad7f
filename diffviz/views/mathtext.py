"""Math typeset by matplotlib's mathtext (Agg, never pyplot) into a QImage, cached by (text, size, colour, dpi).

matplotlib is imported on the first render, not with this module: the app does not pay for it at start-up.
Text outside ``$…$`` is set in the regular font, as in matplotlib's labels.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from PySide6.QtGui import QImage

MATH_FONTSET = "dejavusans"  # the app's math font (views/typeset.py), so panels and titles match
PAD = 0.2  # room around the ink, in font sizes: descenders and hats are never clipped


def render(text: str, size_pt: float, color: str, dpi: float = 96.0) -> QImage:
    """``text`` (mathtext) at ``size_pt`` points in ``color`` on a transparent background, at ``dpi`` pixels per
    inch (the screen's logical DPI times its device pixel ratio). Cached: the same arguments give the same image."""
    return _render(text, round(float(size_pt), 2), color, round(float(dpi), 2))


@lru_cache(maxsize=512)
def _render(text: str, size_pt: float, color: str, dpi: float) -> QImage:
    rgba = _rgba(text, size_pt, color, dpi)
    h, w = rgba.shape[:2]
    image = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
    return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)  # a copy: owns its pixels


def _rgba(text: str, size_pt: float, color: str, dpi: float) -> np.ndarray:
    """The typeset text as an (H, W, 4) uint8 RGBA array (straight alpha): mathtext's own Agg rasterizer (no
    Figure, ~3× faster), its coverage mask as the alpha of ``color``, with :data:`PAD` of room around the ink."""
    from matplotlib.colors import to_rgba
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(size=size_pt, math_fontfamily=MATH_FONTSET)
    mask = np.asarray(_parser().parse(text, dpi=dpi, prop=prop).image, dtype=np.uint8)
    pad = max(1, round(PAD * size_pt * dpi / 72.0))
    h, w = mask.shape
    r, g, b, a = to_rgba(color)
    out = np.zeros((h + 2 * pad, w + 2 * pad, 4), np.uint8)
    out[..., :3] = np.round(np.array([r, g, b]) * 255).astype(np.uint8)
    out[pad : pad + h, pad : pad + w, 3] = np.round(mask * a).astype(np.uint8)
    return out


@lru_cache(maxsize=1)
def _parser() -> Any:
    from matplotlib.mathtext import MathTextParser

    return MathTextParser("agg")


def cache_clear() -> None:
    """Drop every cached image (tests)."""
    _render.cache_clear()
