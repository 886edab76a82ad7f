"""What a room sees on a 1280×720 projector: presenter mode's text measured on the window's own pixels, the light
theme's colours, and a score field drawn for the back row (thick arrows on their own colour scale, a colour bar)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from diffviz.ui.main_window import MainWindow
from diffviz.ui.presenter import presenter_scale
from diffviz.views.colors import DARK, LIGHT, palette
from diffviz.views.points import ScoreView
from tests.helpers.ui_helpers import wait_finished

PROJECTOR = (1280, 720)


def _pixels(window: MainWindow) -> np.ndarray:
    """The window as drawn, (H, W, 3) uint8."""
    image = window.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    row = image.bytesPerLine()
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).reshape(image.height(), row)
    return data[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def _window_rect(window: MainWindow, item: object) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of a graphics item in the window's pixels."""
    rect: QRectF = item.sceneBoundingRect()  # type: ignore[attr-defined]
    origin = window.grid.mapTo(window, window.grid.mapFromScene(rect.topLeft()))
    return origin.x(), origin.y(), origin.x() + int(rect.width()), origin.y() + int(rect.height())


def _ink_runs(mask: np.ndarray) -> list[int]:
    """Heights of the runs of rows that hold ink (text lines, tick labels), top to bottom."""
    rows = mask.any(axis=1)
    runs, count = [], 0
    for has_ink in rows:
        if has_ink:
            count += 1
        elif count:
            runs.append(count)
            count = 0
    return [*runs, count] if count else runs


def _present(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.state.update_view(theme="light")
    window.resize(*PROJECTOR)
    window.presenter.present(PROJECTOR[1])
    qtbot.waitUntil(lambda: window.grid.width() > 1200)
    QApplication.processEvents()


def test_presenter_text_is_readable_from_the_back_of_the_room_at_1280x720(qtbot, window: MainWindow) -> None:
    """Titles at least 28 px and tick labels at least 18 px tall on a 720-line screen, measured on the image."""
    _present(qtbot, window)
    assert window.state.view_settings.ui_scale == presenter_scale(720)
    pixels = _pixels(window)
    assert pixels.shape[:2] == (PROJECTOR[1], PROJECTOR[0])
    ink = pixels.max(axis=2) < 110  # black text on the light theme's white
    view = window.grid.view("x_t")
    x0, y0, x1, y1 = _window_rect(window, view.plot.titleLabel)
    title_runs = _ink_runs(ink[y0:y1, x0:x1])
    assert title_runs and max(title_runs) >= 28, title_runs  # "particles x_t": ascender to descender
    axis = view.plot.getAxis("left")
    ax0, ay0, ax1, ay1 = _window_rect(window, axis)
    labels = _ink_runs(ink[ay0 + 8 : ay1 - 8, ax0 : ax1 - 8])  # the tick labels, left of the tick marks
    assert len(labels) >= 3, labels
    assert np.median(labels) >= 18, labels  # digits (and minus signs) of each tick label


def test_f11_grows_the_text_for_the_screen_and_leaving_restores_it(qtbot, window: MainWindow) -> None:
    before = window.state.view_settings.ui_scale
    window.presenter.toggle()
    screen = window.screen().size().height()
    assert window.state.view_settings.ui_scale == max(before, presenter_scale(screen)) > before
    window.presenter.toggle()
    assert window.state.view_settings.ui_scale == before


def test_the_light_theme_turns_every_view_and_the_particles_to_high_contrast(qtbot, window: MainWindow) -> None:
    window.state.update_view(theme="light")
    QApplication.processEvents()
    assert window.grid.backgroundBrush().color().name() == LIGHT.background
    for view in window.grid.views:
        assert view.theme is LIGHT
        assert view.plot.titleLabel.opts["color"] == LIGHT.text
    assert window.schedule_panel.plots.backgroundBrush().color().name() == LIGHT.background
    brushes = window.grid.view("x_t").particles.scatter.data["brush"]
    colors = {tuple(b.color().getRgb()[:3]) for b in brushes}
    assert colors <= {tuple(int(v) for v in c[:3]) for c in palette("light")}

    def luminance(rgb: np.ndarray) -> np.ndarray:
        c = rgb / 255.0
        c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return c @ np.array([0.2126, 0.7152, 0.0722])

    contrast = 1.05 / (luminance(palette("light")[:, :3].astype(float)) + 0.05)
    assert contrast.min() >= 3.0  # WCAG's minimum for graphics, against white
    window.state.update_view(theme="dark")
    QApplication.processEvents()
    assert window.grid.backgroundBrush().color().name() == DARK.background


def test_score_arrows_are_thick_spaced_for_the_screen_and_coloured_apart_from_the_map(
    qtbot, window: MainWindow
) -> None:
    score = window.grid.view("score")
    assert isinstance(score, ScoreView)
    window.state.update_view(ui_scale=2.0)
    wait_finished(qtbot, window)
    widths = {c.opts["pen"].widthF() for c in score.arrows.curves}
    assert widths == {4.0}  # 2 px at scale 1, grown with the UI scale
    drawn = sum(0 if c.getData()[0] is None else len(c.getData()[0]) for c in score.arrows.curves) // 6
    points = window.state.trajectory.field_points
    spacing_px = (points[1, 0] - points[0, 0]) * score.arrow_stride(points[1, 0] - points[0, 0])
    assert spacing_px / score.vb.viewPixelSize()[0] >= 26 * 2.0  # arrows stand apart at the projector scale
    assert 0 < drawn < len(points)
    # the arrows' colours are not the map's: the map is a grey ramp, the arrows a colour map (and a colour bar)
    lut = score.map.lut if not callable(score.map.lut) else score.map.lut()
    assert np.all(np.ptp(np.asarray(lut)[:, :3].astype(int), axis=1) <= 12)  # grey: R ≈ G ≈ B
    arrow_colors = np.array([c.opts["pen"].color().getRgb()[:3] for c in score.arrows.curves])
    assert np.ptp(arrow_colors, axis=1).max() > 60  # coloured
    assert score.legend.isVisible() and len(score.legend.labels) >= 2
    window.state.update_view(score_background=False)
    QApplication.processEvents()
    assert not score.map.isVisible()


def test_score_levels_stay_fixed_through_the_run(qtbot, window: MainWindow) -> None:
    score = window.grid.view("score")
    state = window.state
    levels = []
    for step in (0, state.num_steps // 2, state.num_steps - 1):
        state.set_step(step)
        qtbot.waitUntil(lambda: window.grid.index == state.shown_index)
        levels.append(score.levels)
    assert levels[0] == levels[1] == levels[2]
    assert pg.mkColor(score.legend.textPen.color()).name() == DARK.text


def _double_click(window: MainWindow, key: str) -> None:
    """What a mouse sends for a double click (press, release, double-click, release) at the centre of a view."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent

    viewport = window.grid.viewport()
    centre = window.grid.mapFromScene(window.grid.view(key).plot.sceneBoundingRect().center())
    local, screen = QPointF(centre), QPointF(viewport.mapToGlobal(centre))
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick):
        held = none if kind == QEvent.Type.MouseButtonRelease else left
        QApplication.sendEvent(viewport, QMouseEvent(kind, local, screen, left, held, Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(
        viewport, QMouseEvent(QEvent.Type.MouseButtonRelease, local, screen, left, none, Qt.KeyboardModifier.NoModifier)
    )


def test_a_double_click_fills_the_window_with_one_view_and_another_brings_the_others_back(
    qtbot, window: MainWindow
) -> None:
    before = window.state.view_settings
    _double_click(window, "score")
    qtbot.waitUntil(lambda: window.state.view_settings.layout == "single")
    assert [v.key for v in window.grid.shown_views] == ["score"]
    assert window.grid.view("x_t").plot.scene() is None  # not in the layout
    _double_click(window, "score")
    qtbot.waitUntil(lambda: window.state.view_settings.layout == before.layout)
    assert window.state.view_settings.panels == before.panels


def test_zooming_in_lays_a_finer_score_field_over_the_view_without_resampling(qtbot, window: MainWindow) -> None:
    state = window.state
    traj = state.trajectory
    x_before = traj.x.copy()
    cell_before = float(traj.field_points[1, 0] - traj.field_points[0, 0])
    leader = window.grid.shown_views[0]
    leader.vb.setRange(xRange=(-1.0, 0.5), yRange=(-0.5, 1.0), padding=0)
    leader.vb.sigRangeChangedManually.emit(leader.vb.state["mouseEnabled"])  # what a wheel zoom emits
    qtbot.waitUntil(lambda: state.view_settings.camera is not None)
    qtbot.waitUntil(lambda: window.grid.index == state.shown_index)
    assert state.trajectory is traj and not window.controller.running  # no new run: the particles stay
    np.testing.assert_array_equal(traj.x, x_before)
    x0, x1, y0, y1 = state.view_settings.camera
    points = traj.field_points
    assert points[:, 0].min() >= min(x0, y0) - 1 and points[:, 0].max() <= max(x1, y1) + 1
    cell = float(points[1, 0] - points[0, 0])
    assert cell < cell_before / 3  # a finer grid where the class is looking
    k = min(state.shown_index, traj.num_steps - 1)
    qtbot.waitUntil(lambda: bool(np.isfinite(traj.field_score_at(k)).all()))  # evaluated for the step shown, redrawn
    field = traj.field_score_at(k)
    model = state.model.model
    t, _ = model.model_time(float(traj.alpha_bar[k]))
    eps = np.asarray(model(points, t))
    expected = -eps / np.sqrt(1 - float(traj.alpha_bar[k]))  # s = −ε̂/√(1−ᾱ), written out
    np.testing.assert_allclose(field, expected, rtol=2e-3, atol=1e-3)


def test_lessons_say_under_each_title_what_the_panel_shows(qtbot, window: MainWindow) -> None:
    from diffviz.views.typeset import plain

    assert not window.state.view_settings.explain  # not outside lessons
    assert window.lessons.open("tweedie-in-one-step")
    qtbot.waitUntil(lambda: window.state.view_settings.explain)
    for view in window.grid.shown_views:
        title = plain(view.plot.titleLabel.text)
        assert view.explain and view.explain in title, (view.key, title)
    window.state.update_view(explain=False)
    assert all(v.explain not in plain(v.plot.titleLabel.text) for v in window.grid.views if v.explain)
