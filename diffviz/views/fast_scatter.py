"""A ScatterPlotItem whose points move without being re-styled: the app's one use of pyqtgraph's private internals.

``ScatterPlotItem.setData`` re-styles every point (≈ 4 ms per 2k points). ``FastScatter.move`` instead writes the new
positions into the item's record array and then does what ``addPoints`` does after writing positions: drop the
cached bounds, tell the view, repaint. That relies on internals (the ``data`` record array with ``x``/``y`` fields,
the ``bounds`` cache), checked against pyqtgraph up to CHECKED_PYQTGRAPH; pyproject.toml bounds the requirement just
above it. On a newer pyqtgraph ``move`` takes the public path (``setData`` again, with the styles of the last call)
and tests/ui/test_fast_scatter.py fails until someone checks the fast path again and raises CHECKED_PYQTGRAPH.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pyqtgraph as pg

CHECKED_PYQTGRAPH = "0.14.0"
_POSITION_KEYS = frozenset({"pos", "x", "y", "spots"})


def version_tuple(version: str) -> tuple[int, ...]:
    """The leading release numbers of a version string: ``"0.14.0.dev1"`` → (0, 14, 0)."""
    match = re.match(r"\d+(?:\.\d+)*", version)
    return tuple(int(part) for part in match.group(0).split(".")) if match else ()


def fast_path_checked(version: str = pg.__version__) -> bool:
    """Whether the fast path was checked against this pyqtgraph version (or a newer one)."""
    return version_tuple(version) <= version_tuple(CHECKED_PYQTGRAPH)


class FastScatter(pg.ScatterPlotItem):
    """A ScatterPlotItem with ``move``: new positions for the same points, their styles kept."""

    fast: bool = fast_path_checked()  # False: ``move`` goes through the public setData

    def setData(self, *args: Any, **kargs: Any) -> None:
        """As ``ScatterPlotItem.setData``; the keyword styles are kept for ``move``'s public path."""
        self._styles = {k: v for k, v in kargs.items() if k not in _POSITION_KEYS}
        super().setData(*args, **kargs)

    def positions(self) -> np.ndarray:
        """The drawn positions, (N, 2) float64 (a copy)."""
        x, y = self.getData()
        return np.stack([x, y], axis=1)

    def move(self, points: np.ndarray) -> None:
        """New positions (N, 2) for the N points of the last ``setData``."""
        if len(points) != len(self.data):
            raise ValueError(f"{len(points)} points for a scatter of {len(self.data)}")
        if not self.fast:
            self.setData(x=points[:, 0], y=points[:, 1], **self._styles)
            return
        data = self.data
        data["x"], data["y"] = points[:, 0], points[:, 1]
        # what ScatterPlotItem.addPoints does after writing positions, without re-styling every point
        self.prepareGeometryChange()
        self.informViewBoundsChanged()
        self.bounds = [None, None]
        self.invalidate()
        self.sigPlotChanged.emit(self)
