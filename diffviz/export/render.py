"""Frames of a run, drawn offscreen by the window's own view classes (``ViewGrid`` and its views).

A :class:`FrameRenderer` lays out a page — an optional title, the views in the session's panels and layout, and
a caption line — at the video's exact pixel size, and returns each frame as an RGB array. Colour levels (score
map, image mosaics) are fixed once for the whole video from the frames it will show, so nothing flickers.
Each frame costs the same whatever its index: nothing is kept from one frame to the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QImage
from PySide6.QtWidgets import QApplication, QLabel, QSizePolicy, QVBoxLayout, QWidget

from diffviz.core import Schedule, Trajectory
from diffviz.session import ViewSettings
from diffviz.views import typeset
from diffviz.views.colors import theme
from diffviz.views.frame import Frame
from diffviz.views.grid import ViewGrid
from diffviz.views.images import ImageGridView
from diffviz.views.model_info import ModelInfo
from diffviz.views.points import LEVEL_QUANTILES

from .caption import caption_text

CAPTION_PT = 10
TITLE_PT = 15


def application() -> QApplication:
    """The process's QApplication (created once; offscreen when the caller set QT_QPA_PLATFORM)."""
    app = QApplication.instance()
    return app if isinstance(app, QApplication) else QApplication([])


def score_levels(trajectory: Trajectory, steps: Sequence[int]) -> tuple[float, float] | None:
    """One colour range of log10 |s| for all ``steps``: the views' per-frame quantiles, over every frame shown."""
    if trajectory.field_eps is None:
        return None
    K = trajectory.num_steps
    picks = sorted({min(int(k), K - 1) for k in steps})
    logs = [np.log10(np.maximum(np.linalg.norm(trajectory.field_score_at(k), axis=1), 1e-30)) for k in picks]  # type: ignore[arg-type]
    lo, hi = (float(v) for v in np.quantile(np.concatenate(logs), LEVEL_QUANTILES))
    return lo, max(hi, lo + 1e-6)


class FrameRenderer:
    """Draws steps of one run at ``size`` (width, height) pixels; call :meth:`close` when done."""

    def __init__(
        self,
        info: ModelInfo,
        trajectory: Trajectory,
        schedule: Schedule,
        view: ViewSettings,
        size: tuple[int, int],
        *,
        steps: Sequence[int] = (),
        caption: bool = True,
        title: str = "",
        sampler_label: str = "",
        title_lines: int = 1,
    ) -> None:
        application()
        self.trajectory, self.schedule, self.size = trajectory, schedule, size
        self.sampler_label = sampler_label
        scale = view.ui_scale
        if view.score_levels is None and steps:
            view = replace(view, score_levels=score_levels(trajectory, steps))
        self.page = QWidget()
        self.page.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        look = theme(view.theme)
        self.page.setStyleSheet(f"background: {look.background}; color: {look.text};")
        layout = QVBoxLayout(self.page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.title = self._label(title, TITLE_PT * scale, bold=True, lines=title_lines)  # wraps when > 1 line
        self.title.setTextFormat(Qt.TextFormat.RichText)  # a lesson's caption: its math typeset (x̂_0, ᾱ_t)
        self.title.setText(typeset.rich(title))
        self.grid = ViewGrid()
        self.caption = self._label("", CAPTION_PT * scale, lines=2)
        layout.addWidget(self.title)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.caption)
        self.title.setVisible(bool(title))
        self.caption.setVisible(caption)
        self.page.resize(*size)
        self.page.show()
        self.grid.set_view_settings(view)
        self.grid.set_model(info)
        self.grid.set_run(trajectory)
        self._fix_image_levels(steps)

    def _label(self, text: str, points: float, *, bold: bool = False, lines: int = 1) -> QLabel:
        label = QLabel(text)
        font = QFont()
        font.setPointSizeF(points)
        font.setBold(bold)
        label.setFont(font)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setContentsMargins(8, 4, 8, 4)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(lines > 1)
        label.setFixedHeight(lines * label.fontMetrics().lineSpacing() + 10)  # the same room on every frame
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # never widens the page
        return label

    def _fix_image_levels(self, steps: Sequence[int]) -> None:
        """Image mosaics: one grey range per view for the whole video (the widest of its frames' ranges)."""
        for view in self.grid.views:
            if not isinstance(view, ImageGridView) or not steps:
                continue
            shape = self.trajectory.data_shape
            ranges = [
                view.levels_of(view.values(Frame(self.trajectory, int(k))).reshape(-1, *shape), view.data_range)
                for k in sorted(set(steps))
            ]
            view.fixed_levels = (min(r[0] for r in ranges), max(r[1] for r in ranges))

    def render(self, index: int) -> np.ndarray:
        """Step ``index`` (0..K) as an (H, W, 3) uint8 RGB array of exactly ``size``."""
        self.grid.set_frame(self.trajectory, index)
        if self.caption.isVisible():
            self.caption.setText(caption_text(self.trajectory, self.schedule, index, self.sampler_label))
        image = self.page.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
        width, height = self.size
        if (image.width(), image.height()) != (width, height):  # never resized: a scaled screen must not blur it
            raise RuntimeError(
                f"the page drew {image.width()}×{image.height()} pixels for a {width}×{height} video "
                "(a device pixel ratio ≠ 1?): render with QT_QPA_PLATFORM=offscreen"
            )
        row = image.bytesPerLine()
        buffer = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).reshape(height, row)
        return buffer[:, : width * 3].reshape(height, width, 3).copy()

    def close(self) -> None:
        """Delete the widgets now (pyqtgraph items left to the interpreter's exit can crash it)."""
        self.page.close()
        self.page.deleteLater()
        QApplication.sendPostedEvents(None, 0)
        QApplication.processEvents()
