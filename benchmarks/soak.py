"""Memory soak: the real window plays its timeline while a full re-sample starts every second, for ten minutes.

    python benchmarks/soak.py                          # 10 minutes, a re-sample every 1 s (offscreen if unset)
    python benchmarks/soak.py --minutes 2 --interval 0.5
    python benchmarks/soak.py --quick                  # a 15-second smoke run

Each re-sample moves the β_max slider, as a user dragging it does (``--nudge seed`` changes the seed instead),
cycling through a few values so the same settings come back and caches stay bounded. After the warm-up (60 s,
at most half the soak) the script samples, after a full garbage collection: the resident set size (VmRSS),
``len(gc.get_objects())``, the number of Python type objects, the Python wrappers of Qt objects, the graphics items
in the plots, and the object counts by type (the top growers since the warm-up are listed at the end). It never
asks Qt for the window's children: that would wrap C++ objects (layout animations, text frames) whose wrappers
outlive them and would show up as a leak of the soak's own making.

Target (the reliability issue): ≤ 2 MiB RSS growth over 10 minutes after the warm-up, judged on the least-squares
slope of RSS after the warm-up (a single end-point difference is at the mercy of the allocator), ×10 minutes.
The figures are for people to read: the exit code is 0 whatever they say.
"""

from __future__ import annotations

import argparse
import collections
import gc
import math
import os
import resource
import sys
import time
import tracemalloc
from dataclasses import dataclass

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QGraphicsItem  # noqa: E402

from diffviz.ui.app import application, teardown, wait_until  # noqa: E402
from diffviz.ui.main_window import MainWindow  # noqa: E402
from diffviz.views.model_info import default_model_spec  # noqa: E402

TARGET_MIB = 2.0  # RSS growth allowed ...
TARGET_MINUTES = 10.0  # ... over this long, after the warm-up
BETA_ENDS = tuple(0.015 + 0.001 * i for i in range(11))  # β_max values the slider cycles through
SEEDS = 11  # seeds cycled through with --nudge seed
TOP = 10  # growers listed at the end


def rss_mib() -> float:
    """The resident set size now (VmRSS); where there is no /proc, the peak from getrusage."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (1024**2 if sys.platform == "darwin" else 1024)


def type_name(t: type) -> str:
    module = t.__dict__.get("__module__")  # not getattr: some C types answer with a descriptor
    return f"{module}.{t.__qualname__}" if isinstance(module, str) else t.__qualname__


@dataclass
class Sample:
    seconds: float
    runs: int
    rss: float  # MiB
    objects: int  # len(gc.get_objects())
    types: int  # Python type objects among them
    qt_wrappers: int  # Python wrappers of QObjects and QGraphicsItems
    items: int  # graphics items in the window's plots (the views and the schedule plots)
    counts: collections.Counter[str]  # objects by type name


_OWN: set[int] = set()  # ids of the samples taken and their counters, left out of the counts


def take_sample(window: MainWindow, seconds: float, runs: int) -> Sample:
    gc.collect()
    objects = [o for o in gc.get_objects() if id(o) not in _OWN]
    sample = Sample(
        seconds=seconds,
        runs=runs,
        rss=rss_mib(),
        objects=len(objects),
        types=sum(isinstance(o, type) for o in objects),
        qt_wrappers=sum(isinstance(o, (QObject, QGraphicsItem)) for o in objects),
        items=len(window.grid.scene().items()) + len(window.schedule_panel.plots.scene().items()),
        counts=collections.Counter(type_name(type(o)) for o in objects),
    )
    del objects
    _OWN.update((id(sample), id(sample.counts)))
    return sample


def growers(base: Sample, now: Sample, top: int) -> list[tuple[str, int]]:
    return (now.counts - base.counts).most_common(top)


def slope_per_minute(samples: list[Sample]) -> float:
    """Least-squares slope of RSS over time, MiB per minute (0 with fewer than two samples)."""
    if len(samples) < 2:
        return 0.0
    ts = [s.seconds / 60 for s in samples]
    t_mean, r_mean = sum(ts) / len(ts), sum(s.rss for s in samples) / len(samples)
    var = sum((t - t_mean) ** 2 for t in ts)
    return sum((t - t_mean) * (s.rss - r_mean) for t, s in zip(ts, samples, strict=True)) / var if var else 0.0


HEADER = (
    f"{'time s':>7} {'runs':>6} {'RSS MiB':>8} {'ΔRSS':>7} {'objects':>8} {'Δobj':>7} {'types':>6} {'Δtypes':>6} "
    f"{'Qt wrap':>7} {'items':>6}  top grower since warm-up"
)


def row(sample: Sample, base: Sample | None) -> str:
    b = base or sample
    top = growers(b, sample, 1)
    grower = f"{top[0][0]} +{top[0][1]}" if top and base is not None else "-"
    return (
        f"{sample.seconds:>7.0f} {sample.runs:>6} {sample.rss:>8.1f} {sample.rss - b.rss:>+7.2f} {sample.objects:>8} "
        f"{sample.objects - b.objects:>+7} {sample.types:>6} {sample.types - b.types:>+6} {sample.qt_wrappers:>7} "
        f"{sample.items:>6}  {grower}"
    )


def print_tracemalloc(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot) -> None:
    print("\ntracemalloc, growth since the warm-up (innermost frames first):")
    for stat in after.compare_to(before, "traceback")[:5]:
        print(f"  {stat.size_diff / 1024:+.1f} KiB in {stat.count_diff:+d} blocks")
        for frame in stat.traceback[:4]:
            print(f"      {frame.filename}:{frame.lineno}")


def soak(args: argparse.Namespace) -> None:
    application()
    window = MainWindow(store=None)
    window.resize(1280, 800)
    window.show()
    state = window.state
    if args.particles:
        state.update_sampler(num_particles=args.particles)
    spec = args.model or default_model_spec()
    if not window.open_model(spec):
        raise SystemExit(f"soak: cannot open {spec}: {window.last_error}")
    wait_until(lambda: state.trajectory is not None and state.trajectory.complete, 120_000)
    particles = state.sampler_settings.num_particles
    runs = [0]
    state.runStarted.connect(lambda _: runs.__setitem__(0, runs[0] + 1))

    def nudge() -> None:
        i = runs[0]
        if args.nudge == "beta":  # through the widget: slider → throttle → session → sampling controller
            window.schedule_panel.beta_end.slider.setValue(math.log10(BETA_ENDS[i % len(BETA_ENDS)]))
        else:
            state.update_sampler(seed=i % SEEDS)

    duration = args.minutes * 60
    warmup = min(args.warmup, duration / 2)
    print(
        f"soak: model {state.model.name if state.model else spec}, {particles} particles, playing (loop), "
        f"a re-sample ({args.nudge}) every {args.interval:g} s for {args.minutes:g} min, warm-up {warmup:g} s, "
        f"a sample every {args.every:g} s"
    )
    print(HEADER)
    start = time.perf_counter()
    first = take_sample(window, 0.0, 0)
    print(row(first, None), " (start)", flush=True)
    state.update_playback(loop=True)
    window.timeline.play()
    samples: list[Sample] = []
    snapshots: list[tracemalloc.Snapshot] = []

    def probe() -> None:
        if not window.timeline.playing:  # a stray key or click paused it: keep playing
            window.timeline.play()
        sample = take_sample(window, time.perf_counter() - start, runs[0])
        samples.append(sample)
        print(row(sample, samples[0]), " (warm-up done)" if len(samples) == 1 else "", flush=True)
        if args.tracemalloc and len(samples) == 1:
            tracemalloc.start(8)
            snapshots.append(tracemalloc.take_snapshot())

    resample = QTimer()
    resample.timeout.connect(nudge)
    resample.start(round(args.interval * 1000))
    sampler = QTimer()
    sampler.timeout.connect(probe)
    loop = QEventLoop()

    def start_sampling() -> None:
        probe()
        sampler.start(round(args.every * 1000))

    QTimer.singleShot(round(warmup * 1000), start_sampling)
    QTimer.singleShot(round(duration * 1000), loop.quit)
    loop.exec()
    resample.stop()
    sampler.stop()
    wait_until(lambda: not window.controller.running, 60_000)
    end = take_sample(window, time.perf_counter() - start, runs[0])
    samples.append(end)
    print(row(end, samples[0]), " (end)")
    if snapshots:
        snapshots.append(tracemalloc.take_snapshot())
        tracemalloc.stop()
    report(samples, first)
    if snapshots:
        print_tracemalloc(*snapshots)
    clean = teardown(window)
    if not clean:
        print("soak: a sampling thread was still running at the end", file=sys.stderr)


def report(samples: list[Sample], first: Sample) -> None:
    base, end = samples[0], samples[-1]
    runs = max(end.runs - base.runs, 1)
    minutes = (end.seconds - base.seconds) / 60
    print(f"\ntop growers after the warm-up ({runs} runs in {minutes:.1f} min):")
    for name, n in growers(base, end, TOP) or [("(none)", 0)]:
        print(f"  {name:<60} {n:>+7} ({n / runs:+.2f}/run)")
    rate = slope_per_minute(samples)
    projected = rate * TARGET_MINUTES
    verdict = "PASS" if projected <= TARGET_MIB else "FAIL"
    print(
        f"\nRSS {first.rss:.1f} MiB at start, {base.rss:.1f} at the end of the warm-up, {end.rss:.1f} at the end: "
        f"growth after warm-up {end.rss - base.rss:+.2f} MiB in {minutes:.1f} min, {rate:+.3f} MiB/min "
        f"(fit, {projected:+.2f} MiB per {TARGET_MINUTES:g} min); objects {end.objects - base.objects:+d} "
        f"({(end.objects - base.objects) / runs:+.2f}/run), type objects {end.types - base.types:+d} "
        f"({(end.types - base.types) / runs:+.3f}/run), Qt wrappers {end.qt_wrappers - base.qt_wrappers:+d}; "
        f"target ≤ {TARGET_MIB:g} MiB over {TARGET_MINUTES:g} min after warm-up: {verdict}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="Memory soak: play and re-sample in the real window, watch growth.")
    parser.add_argument("--minutes", type=float, default=10.0, help="how long (default 10)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between re-samples (default 1)")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before the baseline (≤ half the soak)")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between samples after the warm-up")
    parser.add_argument("--nudge", choices=("beta", "seed"), default="beta", help="what each re-sample changes")
    parser.add_argument("--particles", type=int, default=0, help="particles (default: the app's, 2000 on 2D)")
    parser.add_argument("--model", default=None, help="model name or path (default: the bundled default)")
    parser.add_argument("--tracemalloc", action="store_true", help="trace allocations after the warm-up (slow)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 15 s, re-sample every 0.25 s")
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.interval, args.warmup, args.every = 0.25, 0.25, 5.0, 2.5
    soak(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
