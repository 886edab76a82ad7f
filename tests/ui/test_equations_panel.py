"""The live equations panel in the real window: View → Equations shows it; it shows the followed particle's numbers at
the shown step (checked against values computed here from the run's arrays and the schedule formulas), typesets
only when something it shows changed, and follows the UI scale and the theme."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
from PySide6.QtGui import QImage, QPalette

from diffviz.ui.equations_panel import HINT, EquationsPanel
from diffviz.ui.main_window import MainWindow
from tests.helpers.ui_helpers import wait_finished

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")
RTOL = 5.01e-3  # 3 significant digits


def _show(qtbot, window: MainWindow) -> EquationsPanel:  # type: ignore[no-untyped-def]
    panel = window.equations_panel
    assert not window.equations_dock.isVisible() and not window.menus.equations.isChecked()  # hidden by default
    window.menus.equations.trigger()
    qtbot.waitUntil(lambda: panel.isVisible() and panel.renders > 0 and not panel.pending)
    assert window.menus.equations.isChecked()
    return panel


def _shown(panel: EquationsPanel) -> dict[str, np.ndarray]:
    out = {}
    for line in panel.numbers_text().splitlines():
        name, value = line.split(" = ", 1)
        out[name] = np.array([float(v) for v in NUMBER.findall(value)])
    return out


def _expected_ddpm(run, k: int, i: int) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """Written out from the arrays: α_t = ᾱ_t/ᾱ_{t−1}, σ_t² = β̃_t (fixed_small), s = −ε̂/√(1−ᾱ_t), Tweedie, μ_θ, z."""
    a_t, a_prev = float(run.alpha_bar[k]), float(run.alpha_bar_prev[k])
    alpha = a_t / a_prev
    beta = 1 - alpha
    sigma = np.sqrt((1 - a_prev) / (1 - a_t) * beta)
    x_t = run.x[k][i].astype(np.float64)
    eps = run.eps_hat[k][i].astype(np.float64)
    s = -eps / np.sqrt(1 - a_t)
    mu = x_t / np.sqrt(alpha) + (1 - alpha) / np.sqrt(alpha) * s
    x_prev = run.x[k + 1][i].astype(np.float64)
    values = dict(
        alpha_bar=a_t,
        alpha=alpha,
        beta=beta,
        sigma=sigma,
        alpha_bar_prev=a_prev,
        eps_hat=eps,
        s=s,
        x_t=x_t,
        x0_hat=(x_t + (1 - a_t) * s) / np.sqrt(a_t),
        mean=mu,
        z=(x_prev - mu) / sigma,
        x_prev=x_prev,
    )
    return {name: np.atleast_1d(np.asarray(v, np.float64)) for name, v in values.items()}


def _check(panel: EquationsPanel, expected: dict[str, np.ndarray]) -> None:
    shown = _shown(panel)
    assert set(shown) == set(expected), panel.numbers_text()
    for name, value in expected.items():
        np.testing.assert_allclose(shown[name], value, rtol=RTOL, atol=1e-4, err_msg=name)


def _ink(image: QImage, background: str) -> float:
    """The fraction of pixels that are not the background colour."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    h, w = image.height(), image.width()
    raw = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes()).reshape(h, image.bytesPerLine())
    rgb = raw[:, : 4 * w].reshape(h, w, 4)[..., 2::-1]  # BGRA in memory → RGB
    bg = np.array([int(background[j : j + 2], 16) for j in (1, 3, 5)])
    return float(np.mean(np.any(np.abs(rgb.astype(int) - bg) > 40, axis=-1)))


def test_the_panel_shows_the_followed_particles_numbers_at_the_shown_step(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    run = window.state.trajectory
    assert run is not None and run.params.sampler == "ddpm"
    window.state.set_step(12)
    panel = _show(qtbot, window)
    window.state.session.followed = (5, 9)  # the first followed particle's numbers
    qtbot.waitUntil(lambda: "x_t" in panel.numbers() and not panel.pending)
    _check(panel, _expected_ddpm(run, 12, 5))
    assert any("step 12/100" in row and "particle 5" in row for row in panel.rows())

    window.state.set_step(60)
    qtbot.waitUntil(lambda: any("step 60/" in row for row in panel.rows()) and not panel.pending)
    _check(panel, _expected_ddpm(run, 60, 5))

    labels = panel.row_labels()
    assert len(labels) == len(panel.rows()) and all(not label.pixmap().isNull() for label in labels)
    assert _ink(panel.content.grab().toImage(), panel.background) > 0.01  # the typeset equations are drawn


def test_without_a_followed_particle_the_equations_are_symbolic(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.state.session.followed = ()
    panel = _show(qtbot, window)
    assert HINT in panel.rows()
    numbers = panel.numbers()
    assert "x_t" not in numbers and "z" not in numbers
    run, k = window.state.trajectory, window.state.shown_index
    assert run is not None
    k = min(k, run.num_steps - 1)
    np.testing.assert_allclose(float(numbers["alpha_bar"]), run.alpha_bar[k], rtol=RTOL)
    assert any(r"\sigma_t\,z" in row for row in panel.rows())  # the DDPM update, symbolic
    window.menus.equations.trigger()  # View → Equations again: hidden, and the Schedule dock is back in front
    qtbot.waitUntil(lambda: not window.equations_dock.isVisible())
    assert window.schedule_panel.isVisible()
    window.menus.equations.trigger()
    qtbot.waitUntil(lambda: panel.isVisible())


def test_ddim_with_eta_zero_shows_no_noise(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    run = wait_finished(qtbot, window, lambda: window.state.update_sampler(name="ddim", eta=0.0))
    assert run.params.sampler == "ddim"
    window.state.set_step(30)
    panel = _show(qtbot, window)
    window.state.session.followed = (7,)
    qtbot.waitUntil(lambda: "x_t" in panel.numbers() and not panel.pending)
    shown = _shown(panel)
    assert "z" not in shown and shown["sigma"][0] == 0 and shown["eta"][0] == 0
    a_prev = float(run.alpha_bar_prev[30])
    x0 = run.x0_hat_at(30)[7].astype(np.float64)
    eps = run.eps_hat[30][7].astype(np.float64)
    np.testing.assert_allclose(shown["x_prev"], np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps, rtol=RTOL, atol=1e-4)
    assert any("deterministic" in row for row in panel.rows())


def test_it_typesets_only_what_changed_and_follows_scale_and_theme(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    panel = window.equations_panel
    window.state.set_step(20)
    window.state.session.followed = (3,)
    qtbot.wait(50)
    assert panel.renders == 0  # hidden: nothing typeset (matplotlib not asked)
    panel = _show(qtbot, window)
    renders = panel.renders
    panel.refresh()
    window.state.set_step(20)
    qtbot.wait(300)
    assert panel.renders == renders  # nothing it shows changed

    height = panel.row_labels()[0].pixmap().height()
    window.state.update_view(ui_scale=1.5)
    qtbot.waitUntil(lambda: panel.renders > renders and not panel.pending)
    ratio = panel.row_labels()[0].pixmap().height() / height
    assert 1.3 < ratio < 1.7

    window.state.update_view(theme="light")
    qtbot.waitUntil(lambda: panel.foreground == "#000000" and not panel.pending)
    assert panel.content.palette().color(QPalette.ColorRole.Window).name() == "#ffffff"
    assert _ink(panel.content.grab().toImage(), "#ffffff") > 0.01
    panel.set_theme("#d8d8d8", "#101014")
    qtbot.waitUntil(lambda: not panel.pending)
    assert _ink(panel.content.grab().toImage(), "#101014") > 0.01


def test_matplotlib_is_not_imported_at_start_up() -> None:
    code = "import sys, diffviz.ui.main_window; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"
