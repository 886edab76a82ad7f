"""Side by side: a second sampler's run beside the main one, on the same x_T and noise, with one timeline.

The session's ``compare`` names the second sampler (and its options); the sampling controller samples both runs in
step (:func:`diffviz.session.build_pair`), and the state holds the second as ``compare_trajectory``. Here a second
:class:`ViewGrid` shows it: every frame the main grid draws is drawn here too at the same step, and it mirrors the
session as the main grid does (panels, camera, theme, followed particles). A header over each half names its
sampler. With ``compare`` unset the second half is hidden and nothing of this costs anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from diffviz.core import SAMPLERS, Trajectory
from diffviz.session import SamplerSettings, ViewSettings
from diffviz.views.colors import theme
from diffviz.views.grid import ViewGrid

if TYPE_CHECKING:
    from .frame_throttle import FrameThrottle
    from .state import AppState

HEADER_PT = 11


SYMBOLS = {"eta": "η", "target_snr": "r", "corrector_steps": "corrector steps"}


def sampler_label(settings: SamplerSettings) -> str:
    """The sampler's name and the options that change what it does, e.g. "DDIM (η)  η = 0" (a clip range only
    while clipping is on)."""
    options = settings.active_options()
    shown = [
        f"{SYMBOLS.get(name, name)} = {value:g}" if not isinstance(value, str) else value
        for name, value in options.items()
        if not isinstance(value, bool) and (not name.startswith("clip") or options.get("clip_sample"))
    ]
    if options.get("clip_sample"):
        shown.append("x̂₀ clipped")
    label = SAMPLERS[settings.name].label
    return f"{label}  ·  {', '.join(shown)}" if shown else label


class SideBySide(QObject):
    """The views' area: the main grid, and beside it (when the session compares) the second run's grid."""

    def __init__(self, state: AppState, grid: ViewGrid, frames: FrameThrottle, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state, self.grid, self.frames = state, grid, frames
        self.compare_grid = ViewGrid()
        self.headers = (QLabel(), QLabel())
        self.widget = QWidget()
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.halves: list[QWidget] = []
        for header, view_grid in zip(self.headers, (grid, self.compare_grid), strict=True):
            half = QWidget()
            column = QVBoxLayout(half)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(0)
            header.setAlignment(Qt.AlignmentFlag.AlignCenter)
            header.hide()
            column.addWidget(header)
            column.addWidget(view_grid, 1)
            row.addWidget(half, 1)
            self.halves.append(half)
        self.halves[1].hide()
        self._written: tuple[object, ...] | None = None  # (labels, theme, scale) the headers show
        frames.compare_grid = self.compare_grid
        state.modelChanged.connect(self.compare_grid.set_model)
        state.viewChanged.connect(self._on_view)
        state.followedChanged.connect(self.compare_grid.set_followed)
        state.playbackChanged.connect(lambda playback: self.compare_grid.set_pieces(playback.pieces))
        state.samplerChanged.connect(lambda _: self._write_headers())
        state.compareChanged.connect(self._on_compare)
        self.compare_grid.particleClicked.connect(frames.pick)
        self.compare_grid.cameraChanged.connect(frames.camera_moved)

    @property
    def active(self) -> bool:
        return self.state.compare_trajectory is not None

    def _on_view(self, settings: ViewSettings) -> None:
        self.compare_grid.set_view_settings(settings)
        self._write_headers()

    def _on_compare(self, trajectory: Trajectory | None) -> None:
        """A new pair of runs (or none): show the second half with its run, or hide it."""
        for header in self.headers:
            header.setVisible(trajectory is not None)
        self.halves[1].setVisible(trajectory is not None)
        if trajectory is not None:
            self.compare_grid.set_view_settings(self.state.view_settings)
            self.compare_grid.set_followed(self.state.session.followed)
            self.compare_grid.set_run(trajectory)
        self._write_headers()

    def _write_headers(self) -> None:
        compare = self.state.session.compare
        if compare is None:
            return
        view = self.state.view_settings
        labels = (sampler_label(self.state.sampler_settings), sampler_label(compare))
        if (labels, view.theme, view.ui_scale) == self._written:  # a zoom changes the view, not the headers
            return
        self._written = (labels, view.theme, view.ui_scale)
        look = theme(view.theme)
        for header, label in zip(self.headers, labels, strict=True):
            header.setText(label)
            font = header.font()
            font.setPointSizeF(HEADER_PT * view.ui_scale)
            font.setBold(True)
            header.setFont(font)
            header.setStyleSheet(f"background: {look.background}; color: {look.text}; padding: 2px;")
