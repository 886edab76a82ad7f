"""FastScatter, the one use of pyqtgraph's private scatter internals: checked against the installed pyqtgraph."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from PySide6.QtWidgets import QApplication

from diffviz.views.fast_scatter import CHECKED_PYQTGRAPH, FastScatter, fast_path_checked, version_tuple

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
N = 300


def pyqtgraph_requirement() -> SpecifierSet:
    """The version specifier of the pyqtgraph dependency in pyproject.toml."""
    (spec,) = re.findall(r'^\s*"pyqtgraph\s*([<>=!~][^";]*)"', PYPROJECT.read_text(encoding="utf-8"), re.MULTILINE)
    return SpecifierSet(spec)


def test_the_installed_pyqtgraph_is_one_the_fast_path_was_checked_against() -> None:
    spec, checked, installed = pyqtgraph_requirement(), Version(CHECKED_PYQTGRAPH), Version(pg.__version__)
    assert checked in spec, f"CHECKED_PYQTGRAPH = {checked} lies outside the requirement pyqtgraph{spec}"
    upper = [Version(s.version) for s in spec if s.operator == "<"]
    assert upper and max(upper) <= Version(f"{checked.major}.{checked.minor + 1}"), (
        f"pyqtgraph{spec} needs an upper bound right above CHECKED_PYQTGRAPH = {checked}"
    )
    assert spec.contains(installed, prereleases=True), f"pyqtgraph {installed} is outside pyqtgraph{spec}"
    assert installed.release <= checked.release, (
        f"pyqtgraph {installed} is newer than CHECKED_PYQTGRAPH = {checked}: check FastScatter against it (the tests "
        "below force its fast path), then raise CHECKED_PYQTGRAPH and the bound in pyproject.toml"
    )
    assert FastScatter.fast


@pytest.mark.parametrize(
    "version, release, checked",
    [
        ("0.13.7", (0, 13, 7), True),
        (CHECKED_PYQTGRAPH, version_tuple(CHECKED_PYQTGRAPH), True),
        ("0.14.1.dev0", (0, 14, 1), False),
        ("0.15", (0, 15), False),
        ("1.0.0rc1", (1, 0, 0), False),
    ],
)
def test_versions_newer_than_the_checked_one_take_the_public_path(
    version: str, release: tuple[int, ...], checked: bool
) -> None:
    assert version_tuple(version) == release
    assert fast_path_checked(version) is checked


def _plot(qtbot, item: FastScatter) -> pg.PlotWidget:  # type: ignore[no-untyped-def]
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(240, 200)
    widget.addItem(item)  # bounds included: the auto-range follows the points
    widget.show()
    return widget


def _drawn(widget: pg.PlotWidget) -> tuple[list[list[float]], bytes]:
    """The view range and the rendered pixels (after the lazy auto-range has caught up)."""
    widget.grab()
    QApplication.processEvents()
    image = widget.grab().toImage()
    return widget.getViewBox().viewRange(), bytes(image.constBits())


def _contains(view_range: list[list[float]], points: np.ndarray) -> bool:
    (x0, x1), (y0, y1) = view_range
    return bool(np.all((points[:, 0] > x0) & (points[:, 0] < x1) & (points[:, 1] > y0) & (points[:, 1] < y1)))


def _scatter(px_mode: bool = True) -> FastScatter:
    """As the particle layers' (sized in pixels), or sized in data units (drawn through a cached QPicture)."""
    return FastScatter(pen=None, size=4 if px_mode else 0.2, pxMode=px_mode, antialias=False)


@pytest.mark.parametrize("px_mode", [True, False], ids=["px", "data units"])
@pytest.mark.parametrize("fast", [True, False], ids=["fast path", "public path"])
def test_moved_points_draw_exactly_as_set_data_draws_them(
    qtbot,
    fast: bool,  # type: ignore[no-untyped-def]
    px_mode: bool,
) -> None:
    rng = np.random.default_rng(0)
    before = rng.normal(size=(N, 2)).astype(np.float32)
    after = (3 + 2 * rng.normal(size=(N, 2))).astype(np.float32)
    brushes = np.array([pg.mkBrush(c) for c in ("r", "g", "b")], dtype=object)[rng.integers(0, 3, N)]

    moved = _scatter(px_mode)
    moved.fast = fast  # forced, so that a newer pyqtgraph can be checked with this test
    moved.setData(pos=before, brush=brushes, pen=None)
    moved_plot = _plot(qtbot, moved)
    old_range = _drawn(moved_plot)[0]  # drawn once where they were: caches the bounds and the range
    moved.move(after)

    fresh = _scatter(px_mode)
    fresh.setData(pos=after, brush=brushes, pen=None)
    fresh_plot = _plot(qtbot, fresh)

    np.testing.assert_array_equal(moved.positions(), after)
    np.testing.assert_array_equal(moved.positions(), fresh.positions())
    for ax in (0, 1):
        assert moved.dataBounds(ax) == fresh.dataBounds(ax)
    assert [p.brush().color().getRgb() for p in moved.points()] == [p.brush().color().getRgb() for p in fresh.points()]
    assert [p.size() for p in moved.points()] == [p.size() for p in fresh.points()]
    now_range = _drawn(moved_plot)[0]
    assert not _contains(old_range, after) and _contains(now_range, after)  # the auto-range followed the move
    for plot in (moved_plot, fresh_plot):  # the same range (the auto-range's padding depends on the old scale)
        plot.setRange(xRange=(-6, 12), yRange=(-6, 12), padding=0)
    assert _drawn(moved_plot) == _drawn(fresh_plot)
    assert moved.boundingRect() == fresh.boundingRect()  # with the pixel padding at the same scale


def test_moving_a_different_number_of_points_is_refused() -> None:
    scatter = _scatter()
    scatter.setData(pos=np.zeros((5, 2), np.float32), pen=None)
    with pytest.raises(ValueError, match="4 points for a scatter of 5"):
        scatter.move(np.zeros((4, 2), np.float32))
