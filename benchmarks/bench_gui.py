"""GUI speed: ms per frame of the four views, and slider-to-first-frame latency of the real window.

    python benchmarks/bench_gui.py            # QT_QPA_PLATFORM=offscreen is set if unset

1. Frame time: set the data of all four views (x_t with trails, score field on a 32×32 grid, ε̂, x̂_0) for one step
   and render the grid offscreen (``QWidget.grab``), at 1k, 10k and 100k particles. Baseline, measured in the same
   run: four plain ``ScatterPlotItem``s re-filled with ``setData`` (pyqtgraph's straightforward way), same layout.
2. Latency: in the real window on the default model with its default 2000 particles, move the β_max slider and
   time until the first frame of the new run has been painted (the views' paint event after it was set), and until
   the complete run's last frame has; meanwhile a 5 ms timer on the GUI thread records the longest gap between
   its ticks (how long the window did not answer events while re-sampling).

Targets (the issues): ≤ 16 ms at 10k, ≤ 33 ms at 100k, ≤ 150 ms slider to first frame, ≤ 250 ms to the last
frame, no event gap over 50 ms.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from diffviz.core import GaussianMixture, SamplingRun, Schedule, Trajectory  # noqa: E402
from diffviz.ui.app import application, teardown, wait_until  # noqa: E402
from diffviz.ui.main_window import MainWindow  # noqa: E402
from diffviz.views.grid import ViewGrid  # noqa: E402
from diffviz.views.model_info import default_model_spec, describe  # noqa: E402
from diffviz.views.particles import SPLAT_ABOVE  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
GRID_SIZE = (900, 700)  # about the views' area in a 1280×800 window
STEPS = 8


def trajectory(n: int) -> Trajectory:
    run = SamplingRun(
        GaussianMixture.eight_gaussians(),
        Schedule.from_name("linear", 1000).subsample(STEPS),
        "ddpm",
        n=n,
        seed=0,
        field_grid=32,
    )
    for _ in run:
        pass
    return run.trajectory


def time_frames(draw, frames: int) -> float:  # type: ignore[no-untyped-def]
    """Median ms of ``draw(k)`` over ``frames`` frames (after one warm-up frame)."""
    draw(0)
    times = []
    for i in range(frames):
        t0 = time.perf_counter()
        draw(1 + i % STEPS)
        times.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(times)


def dispose(widget: QWidget) -> None:
    """Close and delete now: pyqtgraph widgets left to exit-time garbage collection can crash the interpreter."""
    widget.close()
    widget.deleteLater()
    QApplication.processEvents()


def diffviz_frame_ms(traj: Trajectory, frames: int) -> float:
    grid = ViewGrid()
    grid.resize(*GRID_SIZE)
    grid.show()
    grid.set_model(describe(GaussianMixture.eight_gaussians(), "analytic:8gaussians"))

    def draw(k: int) -> None:
        grid.set_frame(traj, k)
        grid.grab()

    ms = time_frames(draw, frames)
    dispose(grid)
    return ms


def baseline_frame_ms(traj: Trajectory, frames: int) -> float:
    """Four plain ScatterPlotItems, re-filled with setData each frame (one brush: the cheapest plain use)."""
    widget = pg.GraphicsLayoutWidget()
    widget.resize(*GRID_SIZE)
    widget.show()
    items = []
    for i in range(4):
        plot = widget.addPlot(row=i // 2, col=i % 2)
        plot.setRange(xRange=(-4, 4), yRange=(-4, 4))
        item = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(90, 180, 255))
        plot.addItem(item)
        items.append(item)

    def draw(k: int) -> None:
        for item, data in zip(items, (traj.x[k], traj.x[k], traj.eps_hat[k - 1], traj.x0_hat_at(k - 1)), strict=True):
            item.setData(pos=data)
        widget.grab()

    ms = time_frames(draw, frames)
    dispose(widget)
    return ms


def slider_latency_ms(repeats: int) -> tuple[list[float], list[float], list[float], str, float]:
    """Slider → first frame of the new run, slider → the complete run's frame (every step computed), and the
    longest gap between the GUI thread's 5 ms timer ticks from the slider move to that frame, in ms."""
    window = MainWindow(store=None)
    window.resize(1280, 800)
    window.show()
    window.open_model(default_model_spec())
    state = window.state
    wait_until(lambda: state.trajectory is not None and state.trajectory.complete, 120_000)
    latencies: list[float] = []
    complete: list[float] = []
    shown: dict[str, float] = {}

    def on_frame(_: int) -> None:  # a frame was set; it is on screen at the views' next paint
        new = window.grid.trajectory is not before[0]
        if "t" not in shown and new:
            shown["t?"] = 0.0
        if "last" not in shown and new and state.trajectory.complete and window.grid.trajectory is state.trajectory:
            shown["last?"] = 0.0

    def on_paint() -> None:
        for key in ("t", "last"):
            if shown.pop(f"{key}?", None) is not None:
                shown[key] = time.perf_counter()

    window.grid.frameDrawn.connect(on_frame)
    window.grid.painted.connect(on_paint)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    gaps: list[float] = []
    before: list[object] = [None]
    for i in range(repeats):
        wait_until(lambda: state.trajectory.complete, 120_000)
        QApplication.processEvents()
        time.sleep(0.06)  # let the slider's throttle window pass: each move is a fresh drag
        QApplication.processEvents()
        before[0], shown.clear()
        before[0] = state.trajectory
        beta = 0.015 + 0.002 * (i % 8)
        t0 = time.perf_counter()
        ticks[:] = [t0]
        window.schedule_panel.beta_end.slider.setValue(math.log10(beta))
        wait_until(lambda: "t" in shown, 10_000)
        latencies.append(1e3 * (shown["t"] - t0))
        wait_until(lambda: "last" in shown, 30_000)
        complete.append(1e3 * (shown["last"] - t0))
        during = [t for t in ticks if t <= shown["last"]] + [shown["last"]]
        gaps.append(1e3 * max(b - a for a, b in zip(during[:-1], during[1:], strict=True)))
    timer.stop()
    ms_per_step = state.ms_per_step
    name = state.model.name if state.model else "?"
    teardown(window)
    return latencies, complete, gaps, name, ms_per_step


def main() -> int:
    parser = argparse.ArgumentParser(description="GUI speed: ms per frame of the four views, slider-to-frame latency.")
    parser.add_argument("--quick", action="store_true", help="1k particles, 2 frames, 2 latency repeats (a smoke run)")
    args = parser.parse_args()
    sizes, frames, repeats = ((1_000,), 2, 2) if args.quick else (SIZES, 20, 10)
    application()
    print(
        f"frame time: set data + render, four views, 32×32 field, grid {GRID_SIZE[0]}×{GRID_SIZE[1]} px "
        f"(splatting above {SPLAT_ABOVE} particles)"
    )
    print(f"{'particles':>10} {'diffviz ms':>11} {'plain scatter ms':>17} {'speed-up':>9} {'target':>7}")
    for n in sizes:
        traj = trajectory(n)
        ours = diffviz_frame_ms(traj, frames)
        base = baseline_frame_ms(traj, frames if n <= 10_000 else 4)
        target = {10_000: "16", 100_000: "33"}.get(n, "-")
        print(f"{n:>10} {ours:>11.1f} {base:>17.1f} {base / ours:>8.1f}× {target:>7}", flush=True)
    latencies, complete, gaps, name, ms_step = slider_latency_ms(repeats)
    print(
        f"\nslider → first frame (painted), window 1280×800, model {name}, 2000 particles, "
        f"{ms_step:.2f} ms/step: median {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms "
        f"(target 150 ms)"
    )
    print(
        f"slider → last frame (the complete 100-step run painted): median {statistics.median(complete):.0f} ms, "
        f"max {max(complete):.0f} ms (target 250 ms)"
    )
    print(
        f"longest GUI event gap while re-sampling (5 ms timer): median {statistics.median(gaps):.0f} ms, "
        f"max {max(gaps):.0f} ms (target 50 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
