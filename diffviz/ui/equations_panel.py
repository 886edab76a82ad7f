"""The live equations: what the app draws, typeset, with the followed particle's numbers at the shown step.

Score, Tweedie's x̂_0, the DDPM mean μ_θ, the forward process and the displayed run's own sampler update (math.md),
each with the first followed particle's values from :func:`diffviz.core.equations.step_numbers`. With no particle
followed the equations stay symbolic. Rows are typeset by :mod:`diffviz.views.mathtext` (matplotlib, imported when
the panel is first shown) and re-rendered only when what they show changes; :meth:`EquationsPanel.numbers_text`
keeps the numbers as plain text.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QPalette, QPixmap, QShowEvent
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from diffviz.core import SAMPLERS, Trajectory
from diffviz.core.equations import StepNumbers, step_numbers
from diffviz.views import mathtext
from diffviz.views.colors import theme

from .state import AppState

TEXT_PT = 10.0  # equations, at ui_scale 1
TITLE_PT = 8.5  # section titles
MAX_COMPONENTS = 4  # vectors longer than this (images) show their first two values and their norm
HINT = "click a particle to see its numbers"
TITLE_WEIGHT = 0.65  # section titles: this much of the text colour over the background
MIN_INTERVAL_S = 0.15  # between two typesettings of new numbers


@dataclass(frozen=True)
class Row:
    """One typeset line: mathtext, and whether it is a section title (smaller)."""

    tex: str
    title: bool = False


# ---- numbers as text ------------------------------------------------------------------------------------------
def fmt_num(v: float) -> str:
    """3 significant digits, plain text (``-1.23``, ``4.56e-05``)."""
    return f"{float(v):.3g}"


def tex_num(v: float) -> str:
    """3 significant digits as mathtext: a proper unary minus and ×10^n for exponents."""
    text = fmt_num(v)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = rf"{mantissa}\times10^{{{int(exponent)}}}"
    return f"{{{text}}}" if text.startswith("-") else text


def fmt_vec(v: np.ndarray) -> str:
    """A vector as plain text: ``(a, b)``, or for images its first two values and its norm."""
    flat = np.ravel(v)
    if flat.size <= MAX_COMPONENTS:
        return "(" + ", ".join(fmt_num(c) for c in flat) + ")"
    return f"({fmt_num(flat[0])}, {fmt_num(flat[1])}, …; |·| = {fmt_num(float(np.linalg.norm(flat)))})"


def tex_vec(v: np.ndarray) -> str:
    """:func:`fmt_vec` as mathtext."""
    flat = np.ravel(v)
    if flat.size <= MAX_COMPONENTS:
        return r"(" + r",\ ".join(tex_num(c) for c in flat) + r")"
    norm = tex_num(float(np.linalg.norm(flat)))
    return rf"({tex_num(flat[0])},\ {tex_num(flat[1])},\ \ldots;\ \Vert\cdot\Vert = {norm})"


# ---- what the panel shows --------------------------------------------------------------------------------------
FORWARD = r"$q(x_t \mid x_0) = \mathcal{N}(\sqrt{\bar\alpha_t}\,x_0,\ (1-\bar\alpha_t)\,\mathbf{I})$"
SCORE = r"$s_\theta = -\hat\epsilon\,/\sqrt{1-\bar\alpha_t}$"
TWEEDIE = r"$\hat x_0 = \dfrac{x_t + (1-\bar\alpha_t)\,s_\theta}{\sqrt{\bar\alpha_t}}$"
MEAN = r"$\mu_\theta = \dfrac{x_t}{\sqrt{\alpha_t}} + \dfrac{1-\alpha_t}{\sqrt{\alpha_t}}\,s_\theta$"
DDPM = r"$x_{t-1} = \mu_\theta + \sigma_t\,z$"
DDPM_CLIPPED = r"$x_{t-1} = \tilde\mu_t + \sigma_t\,z$"
POSTERIOR_MEAN = (
    r"$\tilde\mu_t = \dfrac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\,\mathrm{clip}(\hat x_0)$",
    r"$\qquad + \dfrac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\,x_t$",
)
FIXED_SMALL = r"$\sigma_t^2 = \tilde\beta_t = \dfrac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t$"
FIXED_LARGE = r"$\sigma_t^2 = \beta_t$"
DDIM = (  # two rows: one is wider than the dock
    r"$x_{t-1} = \sqrt{\bar\alpha_{t-1}}\,\hat x_0$",
    r"$\qquad + \sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}\,\hat\epsilon + \sigma_t\,z$",
)
DDIM_SIGMA = (
    r"$\sigma_t = \eta\,\sqrt{\dfrac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}}"
    r"\,\sqrt{1-\dfrac{\bar\alpha_t}{\bar\alpha_{t-1}}}$"
)
ODE = r"$\mathrm{d}x/\mathrm{d}t = -\frac{1}{2}\,\beta(t)\,(x + s_\theta(x, t))$"
ODE_STEP = r"$h = \frac{1}{2}\,\log(\bar\alpha_{t-1}/\bar\alpha_t)$"
EULER = r"$x_{t-1} = x_t + h\,(x_t + s_\theta)$"
HEUN = r"$x_{t-1} = x_t + \frac{h}{2}\,(d_1 + d_2)$"
HEUN_SLOPES = (
    r"$d_1 = x_t + s_\theta(x_t, \bar\alpha_t)$",
    r"$\tilde x = x_t + h\,d_1$",
    r"$d_2 = \tilde x + s_\theta(\tilde x, \bar\alpha_{t-1})$",
)
PREDICTOR = r"predictor: $x' = \mu_\theta + \sigma_t\,z$"
CORRECTOR = r"corrector: $x \leftarrow x + \gamma\,s_\theta + \sqrt{2\gamma}\,z$"
CORRECTOR_STEP = r"$\gamma = 2\,\alpha\,(r\,\Vert z\Vert\,/\,\Vert s_\theta\Vert)^2$"


def _eq(symbol: str, value: str) -> str:
    return f"${symbol} = {value}$"


def update_rows(sampler: str, options: Mapping[str, object], n: StepNumbers | None) -> list[Row]:
    """The sampler's own update (symbolic), with ``n``'s numbers under it when a particle is followed."""
    label = SAMPLERS[sampler].label if sampler in SAMPLERS else sampler
    rows = [Row(f"Update: {label}", title=True)]
    if sampler in ("ddpm", "pc"):
        clipped = sampler == "ddpm" and bool(options.get("clip_sample", False))
        variance = FIXED_LARGE if options.get("variance_type") == "fixed_large" else FIXED_SMALL
        if sampler == "pc":
            rows += [Row(PREDICTOR), Row(variance), Row(CORRECTOR), Row(CORRECTOR_STEP)]
            target_snr = float(options.get("target_snr", 0.16))  # type: ignore[arg-type]
            steps = int(options.get("corrector_steps", 1))  # type: ignore[call-overload]
            rows.append(Row(rf"$r = {tex_num(target_snr)}$, {steps} corrector step{'s' if steps != 1 else ''}"))
        else:
            rows += [Row(DDPM_CLIPPED), *map(Row, POSTERIOR_MEAN)] if clipped else [Row(DDPM)]
            rows.append(Row(variance))
        if n is not None:
            if n.x0_clipped is not None:
                rows.append(Row(_eq(r"\mathrm{clip}(\hat x_0)", tex_vec(n.x0_clipped))))
            if n.mean_clipped is not None:
                rows.append(Row(_eq(r"\tilde\mu_t", tex_vec(n.mean_clipped))))
            if sampler == "pc":
                rows.append(Row(r"$z$, corrector's $z$: drawn, not recorded"))
            elif n.z is not None:
                rows.append(Row(_eq("z", tex_vec(n.z))))
            else:
                rows.append(Row(r"last step: no noise, $z$ not drawn"))
    elif sampler == "ddim":
        rows += [*map(Row, DDIM), Row(DDIM_SIGMA)]
        eta = float(options.get("eta", 0.0))  # type: ignore[arg-type]
        rows.append(Row(_eq(r"\eta", tex_num(eta))))
        if n is not None:
            if n.x0_clipped is not None:
                rows.append(Row(_eq(r"\mathrm{clip}(\hat x_0)", tex_vec(n.x0_clipped))))
            if n.eps_used is not None:
                rows.append(Row(_eq(r"\hat\epsilon(\mathrm{clip}(\hat x_0))", tex_vec(n.eps_used))))
            rows.append(Row(_eq(r"\bar\alpha_{t-1}", tex_num(n.alpha_bar_prev))))
            if n.z is not None:
                rows.append(Row(_eq("z", tex_vec(n.z))))
            else:
                rows.append(Row(r"$\sigma_t = 0$: deterministic, no $z$"))
    elif sampler in ("euler", "heun"):
        rows += [Row(ODE), Row(ODE_STEP), Row(EULER if sampler == "euler" else HEUN)]
        if sampler == "heun":
            rows += map(Row, HEUN_SLOPES)
        if n is not None and n.h is not None:
            rows.append(Row(_eq("h", tex_num(n.h))))
            if sampler == "heun" and n.d1 is not None and n.x_euler is not None:
                rows.append(Row(_eq("d_1", tex_vec(n.d1))))
                if n.d2 is not None:
                    rows.append(Row(_eq(r"\tilde x", tex_vec(n.x_euler))))
                    rows.append(Row(_eq("d_2", tex_vec(n.d2))))
                else:
                    rows.append(Row(r"last step ($\bar\alpha_{t-1} = 1$): an Euler step"))
    if n is not None:
        rows.append(Row(_eq("x_{t-1}", tex_vec(n.x_prev))))
    return rows


def panel_rows(
    sampler: str,
    options: Mapping[str, object],
    n: StepNumbers | None,
    trajectory: Trajectory | None,
    k: int,
    index: int | None = None,
) -> list[Row]:
    """Every row the panel shows: a header, the forward process, score, Tweedie, μ_θ and the sampler's update.

    ``k`` is the step whose update is shown, ``index`` the playhead (default k; K at x_0 shows step K − 1)."""
    index = k if index is None else index
    rows = [Row(SAMPLERS[sampler].label if sampler in SAMPLERS else sampler)]
    if trajectory is not None and k >= 0:
        K = trajectory.num_steps
        where = f"step {index}/{K}" + (": the sample $x_0$, from the last step" if index >= K else "")
        rows.append(Row(where + (f"  ·  particle {n.particle}" if n is not None else ""), title=True))
    if n is None:
        rows.append(Row(HINT))
    rows += [Row("Forward process", title=True), Row(FORWARD)]
    if trajectory is not None and k >= 0:
        a_t, a_prev = float(trajectory.alpha_bar[k]), float(trajectory.alpha_bar_prev[k])
        alpha = a_t / a_prev
        rows += [
            Row(_eq(r"\bar\alpha_t", tex_num(a_t))),
            Row(_eq(r"\alpha_t = \bar\alpha_t/\bar\alpha_{t-1}", tex_num(alpha))),
            Row(_eq(r"\beta_t = 1-\alpha_t", tex_num(1.0 - alpha))),
        ]
        if n is not None:
            rows.append(Row(_eq(r"\sigma_t", tex_num(n.sigma))))
    rows += [Row("Score from the predicted noise", title=True), Row(SCORE)]
    if n is not None:
        rows += [Row(_eq(r"\hat\epsilon", tex_vec(n.eps_hat))), Row(_eq(r"s_\theta", tex_vec(n.s)))]
    rows += [Row(r"Tweedie's estimate of $x_0$", title=True), Row(TWEEDIE)]
    if n is not None:
        rows += [Row(_eq("x_t", tex_vec(n.x_t))), Row(_eq(r"\hat x_0", tex_vec(n.x0_hat)))]
    rows += [Row("Mean of the DDPM reverse step", title=True), Row(MEAN)]
    if n is not None:
        rows.append(Row(_eq(r"\mu_\theta", tex_vec(n.mean))))
    return rows + update_rows(sampler, options, n)


def numbers_of(n: StepNumbers | None, trajectory: Trajectory | None, k: int) -> dict[str, str]:
    """The numbers the rows show, as plain text by name (``alpha_bar``, ``s``, ``x0_hat``, ``x_prev``…)."""
    out: dict[str, str] = {}
    if trajectory is not None and k >= 0:
        a_t = float(trajectory.alpha_bar[k])
        alpha = a_t / float(trajectory.alpha_bar_prev[k])
        out.update(alpha_bar=fmt_num(a_t), alpha=fmt_num(alpha), beta=fmt_num(1.0 - alpha))
    if n is None:
        return out
    out["sigma"] = fmt_num(n.sigma)
    scalars = {"alpha_bar_prev": n.alpha_bar_prev, "eta": n.eta, "h": n.h}
    vectors = {
        "eps_hat": n.eps_hat,
        "s": n.s,
        "x_t": n.x_t,
        "x0_hat": n.x0_hat,
        "mean": n.mean,
        "x0_clipped": n.x0_clipped,
        "mean_clipped": n.mean_clipped,
        "eps_used": n.eps_used,
        "d1": n.d1 if n.sampler == "heun" else None,
        "x_euler": n.x_euler if n.d2 is not None else None,
        "d2": n.d2,
        "z": n.z,
        "x_prev": n.x_prev,
    }
    out.update({name: fmt_num(v) for name, v in scalars.items() if v is not None})
    out.update({name: fmt_vec(v) for name, v in vectors.items() if v is not None})
    return out


def _mix(a: str, b: str, weight: float) -> str:
    """``weight`` of colour ``a`` over ``b``, as #rrggbb (section titles: the text colour, dimmed)."""
    ca, cb = QColor(a), QColor(b)
    pairs = ((ca.red(), cb.red()), (ca.green(), cb.green()), (ca.blue(), cb.blue()))
    return "#" + "".join(f"{round(weight * x + (1 - weight) * y):02x}" for x, y in pairs)


class EquationsPanel(QWidget):
    """See the module docstring. ``set_theme`` picks the colours; the window's theme and UI scale are followed."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        t = theme(state.view_settings.theme)
        self.foreground, self.background = t.text, t.background
        self._rows: list[Row] = []
        self._numbers: dict[str, str] = {}
        self._shown_key: tuple[object, ...] | None = None
        self._labels: list[QLabel] = []
        self.renders = 0  # how many times the rows were typeset (tests: nothing is redone for nothing)
        self._last_render = -MIN_INTERVAL_S
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._render)

        self.content = QWidget()
        self.content.setAutoFillBackground(True)
        self._column = QVBoxLayout(self.content)
        self._column.setContentsMargins(10, 8, 10, 8)
        self._column.setSpacing(2)
        self._column.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(self.content)
        self.scroll_area.setToolTip(
            "The equations the views draw, typeset, with the numbers of the first followed particle (click one in a "
            "view) at the shown step: the forward process, the score from ε̂, Tweedie's x̂₀, the DDPM mean μ_θ and "
            "the run's own sampler update."
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll_area)
        self._apply_palette()

        for signal in (
            state.stepChanged,
            state.followedChanged,
            state.runStarted,
            state.runProgress,
            state.runFinished,
            state.samplerChanged,
        ):
            signal.connect(self.refresh)
        state.viewChanged.connect(self._on_view)

    # ---- public -------------------------------------------------------------------------------------------------
    def set_theme(self, foreground: str, background: str) -> None:
        """Text in ``foreground`` on ``background`` (CSS colours, e.g. ``#d8d8d8`` on ``#101014``)."""
        if (foreground, background) == (self.foreground, self.background):
            return
        self.foreground, self.background = foreground, background
        self._apply_palette()
        self.refresh()

    def numbers_text(self) -> str:
        """The numbers shown, one ``name = value`` a line (3 significant digits), as the rows show them."""
        return "\n".join(f"{name} = {value}" for name, value in self._numbers.items())

    def numbers(self) -> dict[str, str]:
        return dict(self._numbers)

    def rows(self) -> list[str]:
        """The typeset rows' mathtext sources, top to bottom."""
        return [row.tex for row in self._rows]

    def row_labels(self) -> list[QLabel]:
        return self._labels[: len(self._rows)]

    def refresh(self, *_: object) -> None:
        """Recompute what to show; typeset it only if the panel is visible and something changed."""
        if not self.isVisible():
            return  # done on show
        trajectory, k, n = self._current()
        sampler = trajectory.params.sampler if trajectory is not None else self.state.sampler_settings.name
        options = dict(trajectory.params.options if trajectory is not None else self.state.sampler_settings.options)
        rows = panel_rows(sampler, options, n, trajectory, k, self.state.shown_index)
        key = (tuple(rows), self._scale(), self.foreground, self.background, self._dpi())
        self._numbers = numbers_of(n, trajectory, k)
        if key == self._shown_key:
            return
        self._shown_key = key
        self._rows = rows
        # coalesced, and at most every MIN_INTERVAL_S while the playhead runs (new numbers cost ~5 ms a row)
        wait = MIN_INTERVAL_S - (time.monotonic() - self._last_render)
        self._timer.start(max(0, round(wait * 1000)))

    # ---- internals ----------------------------------------------------------------------------------------------
    def _current(self) -> tuple[Trajectory | None, int, StepNumbers | None]:
        """The displayed run, the step whose update is shown (the last one at x_0) and the followed particle's
        numbers there (None when none is followed or nothing is computed yet)."""
        trajectory = self.state.trajectory
        if trajectory is None:
            return None, -1, None
        k = min(self.state.shown_index, trajectory.steps_done - 1)
        followed = self.state.session.followed
        if k < 0 or not followed or not 0 <= followed[0] < trajectory.num_particles:
            return trajectory, k, None
        try:
            return trajectory, k, step_numbers(trajectory, k, followed[0])
        except ValueError:  # a sampler without equations here (a run from a newer diffviz): symbolic only
            return trajectory, k, None

    def _scale(self) -> float:
        return float(self.state.view_settings.ui_scale)

    def _dpi(self) -> float:
        return float(self.logicalDpiY() * self.devicePixelRatioF())

    def _render(self) -> None:
        self._last_render = time.monotonic()
        self.renders += 1
        scale, dpi, ratio = self._scale(), self._dpi(), self.devicePixelRatioF()
        dim = _mix(self.foreground, self.background, TITLE_WEIGHT)
        while len(self._labels) < len(self._rows):
            label = QLabel()
            label.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            self._column.insertWidget(len(self._labels), label)
            self._labels.append(label)
        for i, (label, row) in enumerate(zip(self._labels, self._rows, strict=False)):
            size = (TITLE_PT if row.title else TEXT_PT) * scale
            image = mathtext.render(row.tex, size, dim if row.title else self.foreground, dpi)
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(ratio)
            label.setPixmap(pixmap)
            label.setAccessibleName(row.tex.replace("$", ""))
            label.setContentsMargins(0, int(6 * scale) if row.title and i > 0 else 0, 0, 0)
            label.show()
        for label in self._labels[len(self._rows) :]:
            label.hide()

    def _apply_palette(self) -> None:
        palette = self.content.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(self.background))
        palette.setColor(QPalette.ColorRole.WindowText, QColor(self.foreground))
        self.content.setPalette(palette)
        self.scroll_area.viewport().setPalette(palette)
        self.scroll_area.viewport().setAutoFillBackground(True)

    def _on_view(self, *_: object) -> None:
        t = theme(self.state.view_settings.theme)
        if (t.text, t.background) != (self.foreground, self.background):
            self.set_theme(t.text, t.background)
        else:
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    @property
    def pending(self) -> bool:
        """Whether typesetting is scheduled and not done yet."""
        return self._timer.isActive()
