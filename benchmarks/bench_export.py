"""Export speed: frames per second of a finished 1280×720 MP4 of all four views, against a matplotlib animation.

    python benchmarks/bench_export.py         # sets QT_QPA_PLATFORM=offscreen before Qt is imported

One trajectory is sampled beforehand (analytic 8 gaussians, DDIM, 100 steps of the linear schedule, 10k particles)
and shared by every measurement. In one run, interleaved over ``--rounds`` rounds (the best round of each counts:
background load only ever adds time):

1. diffviz: ``FrameRenderer`` + ``FrameWriter`` exactly as ``diffviz render`` drives them (``_render`` in
   diffviz/commands/render.py): all four panels in the 2×2 layout, caption on, ``ui_scale`` 1.5, one frame per
   step x_T → x_0, 30 fps, quality 8 (libx264, CRF 18, preset medium). Timed from the renderer's creation to the
   finished file; split into render (``FrameRenderer.render``), encode (``FrameWriter.encode_seconds``: time spent
   handing frames to ffmpeg, blocked when it falls behind, and waiting for it to finish) and set-up (the rest).
2. Baseline, what a notebook user does: matplotlib ``FuncAnimation`` of ONE panel (a 10k-point scatter of x_t
   whose offsets are updated with ``set_offsets``), saved with ``FFMpegWriter`` through imageio-ffmpeg's ffmpeg
   (the same binary diffviz uses): figsize 12.8×7.2 at dpi 100 (1280×720), the same frames and fps, libx264 at
   the same CRF, preset and pixel format. Timed from figure creation to the finished file.
3. Flatness: a 1000-frame diffviz video whose frames cycle over the run (one pass x_T → x_0 of P frames, repeated,
   P chosen so that the first and the last 50 frames show the same steps); mean time per frame (render + write) of
   the first 50 frames against the last 50, after one untimed warm-up frame. Two more figures tell growth in
   diffviz's own per-frame cost from the encoder's start-up: the render's CPU time (this thread only, so neither
   ffmpeg nor other processes count), and the first 50 frames of the second pass (the same steps again). While
   x264 fills its look-ahead (about the first 40 frames at preset medium) writes return at once and ffmpeg hardly
   competes for the CPU; from then on it encodes beside the render, so on a machine with few cores the wall time
   of every later frame is higher than that of the first ones, however flat the render itself is.

Targets (the issue): diffviz fps ≥ 2× the baseline's (four panels against its one); per-frame time flat over a long
video (late / early ≈ 1).

Run: ``python benchmarks/bench_export.py`` (``--quick`` for a smoke run: 2k particles, 20 frames, 60-frame check).
Videos go to a temporary folder, deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # as diffviz render: exact pixel sizes with or without a display

import imageio_ffmpeg  # type: ignore[import-untyped]  # noqa: E402
import numpy as np  # noqa: E402

from diffviz.commands.render import _sampler_label  # noqa: E402
from diffviz.core import GaussianMixture, Schedule, Trajectory, sample  # noqa: E402
from diffviz.export.encode import FrameWriter  # noqa: E402
from diffviz.export.render import FrameRenderer  # noqa: E402
from diffviz.export.timing import frame_steps  # noqa: E402
from diffviz.session import ViewSettings  # noqa: E402
from diffviz.views.model_info import ModelInfo, describe  # noqa: E402

SIZE = (1280, 720)
FPS = 30
QUALITY = 8  # diffviz render's default: libx264 CRF 42 - 3 × 8 = 18, preset medium
CRF, PRESET = 42 - 3 * QUALITY, "medium"
VIEW = ViewSettings(ui_scale=1.5)  # diffviz render: max(ui_scale, 1.5); all four panels, 2×2
SAMPLER = "ddim"
FLAT_WINDOW = 50  # frames compared at each end of the long video


@dataclass
class Export:
    seconds: float  # creation of the renderer / figure → finished file
    render: float = 0.0
    encode: float = 0.0
    frames: int = 0

    @property
    def fps(self) -> float:
        return self.frames / self.seconds


def trajectory(n: int, steps: int) -> tuple[Trajectory, Schedule, ModelInfo]:
    model = GaussianMixture.eight_gaussians()
    schedule = Schedule.from_name("linear", 1000).subsample(steps)
    traj = sample(model, schedule, SAMPLER, n=n, seed=0)
    return traj, schedule, describe(model, "analytic:8gaussians")


def diffviz_export(
    traj: Trajectory,
    schedule: Schedule,
    info: ModelInfo,
    frames: list[int],
    path: Path,
    times: list[tuple[float, float, float]] | None,
) -> Export:
    """The MP4 as ``diffviz render`` makes it. ``times``, if given (the flatness check), gets each frame's seconds
    (render, write, render's CPU time in this thread), and an untimed warm-up frame is drawn first."""
    start = time.perf_counter()
    label = _sampler_label(traj.params.sampler, dict(traj.params.options))  # the caption's, as diffviz render
    renderer = FrameRenderer(info, traj, schedule, VIEW, SIZE, steps=frames, caption=True, sampler_label=label)
    try:
        if times is not None:
            renderer.render(frames[0])
            start = time.perf_counter()
        render_s = 0.0
        with FrameWriter(path, SIZE, FPS, quality=QUALITY) as writer:
            for k in frames:
                t0, cpu = time.perf_counter(), time.thread_time()
                image = renderer.render(k)
                t1, cpu = time.perf_counter(), time.thread_time() - cpu
                writer.write(image)
                render_s += t1 - t0
                if times is not None:
                    times.append((t1 - t0, time.perf_counter() - t1, cpu))
        total = time.perf_counter() - start
    finally:
        renderer.close()
    return Export(total, render_s, writer.encode_seconds, writer.frames_written)


def matplotlib_export(traj: Trajectory, frames: list[int], path: Path) -> Export:
    """One scatter panel of x_t, animated with FuncAnimation and saved with FFMpegWriter (libx264)."""
    import matplotlib.pyplot as plt
    from matplotlib.animation import FFMpegWriter, FuncAnimation
    from matplotlib.artist import Artist

    start = time.perf_counter()
    fig, ax = plt.subplots(figsize=(SIZE[0] / 100, SIZE[1] / 100), dpi=100)
    ax.set_xlim(-4, 4)
    ax.set_ylim(-4, 4)
    ax.set_aspect("equal")
    points = traj.x[frames[0]]
    scatter = ax.scatter(points[:, 0], points[:, 1], s=2)

    def update(k: int) -> tuple[Artist, ...]:
        scatter.set_offsets(traj.x[k])
        ax.set_title(f"x_t, step {k} of {traj.num_steps}")
        return (scatter,)

    animation = FuncAnimation(fig, update, frames=frames, blit=False, cache_frame_data=False)
    writer = FFMpegWriter(
        fps=FPS, codec="libx264", extra_args=["-pix_fmt", "yuv420p", "-preset", PRESET, "-crf", str(CRF)]
    )
    animation.save(str(path), writer=writer, dpi=100)
    total = time.perf_counter() - start
    plt.close(fig)
    return Export(total, frames=len(frames))


def cycle_period(n: int, window: int, count: int) -> int:
    """Frames in one pass x_T → x_0 of the long video: the largest divisor of ``n - window`` (so the last window
    shows the first one's steps) between ``window`` and ``count`` (one frame per step at most); else ``count``."""
    fits = [p for p in range(window, count + 1) if (n - window) % p == 0]
    return max(fits) if fits else count


def video_frames(path: Path) -> int:
    return int(imageio_ffmpeg.count_frames_and_secs(str(path))[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds, best of each counts (default 2)")
    parser.add_argument("--quick", action="store_true", help="2k particles, 20 frames, 60-frame flatness check")
    args = parser.parse_args()
    n, steps, long_frames, rounds = (2_000, 19, 60, 1) if args.quick else (10_000, 100, 1000, max(args.rounds, 1))

    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    t0 = time.perf_counter()
    traj, schedule, info = trajectory(n, steps)
    sampled = time.perf_counter() - t0
    frames = list(range(traj.num_steps + 1))  # diffviz render's default: one frame per step, x_T → x_0
    print(
        f"diffviz export benchmark — {SIZE[0]}×{SIZE[1]} MP4, libx264 CRF {CRF} preset {PRESET}, {FPS:g} fps, "
        f"{len(frames)} frames; {n:,} particles (8 gaussians, {SAMPLER}, {traj.num_steps} steps, sampled in "
        f"{sampled:.1f} s beforehand)"
    )
    print(
        f"ffmpeg {imageio_ffmpeg.get_ffmpeg_version()} (imageio-ffmpeg); matplotlib {matplotlib.__version__}; "
        f"{os.cpu_count()} CPUs; load average {load:.2f} at start"
    )
    if load > 0.5:
        print("warning: other processes are running; figures are lower and noisier than on an idle machine")

    with tempfile.TemporaryDirectory(prefix="diffviz-bench-export-") as tmp:
        folder = Path(tmp)
        ours: list[Export] = []
        base: list[Export] = []
        for r in range(rounds):
            ours.append(diffviz_export(traj, schedule, info, frames, folder / f"diffviz{r}.mp4", None))
            base.append(matplotlib_export(traj, frames, folder / f"matplotlib{r}.mp4"))
        d = min(ours, key=lambda e: e.seconds)
        b = min(base, key=lambda e: e.seconds)
        d_frames, b_frames = video_frames(folder / "diffviz0.mp4"), video_frames(folder / "matplotlib0.mp4")
        d_mb = (folder / "diffviz0.mp4").stat().st_size / 1e6
        b_mb = (folder / "matplotlib0.mp4").stat().st_size / 1e6

        print(f"\nwhole export, creation → finished file (best of {rounds} round{'s' * (rounds > 1)}):")
        print(f"{'':<34} {'panels':>6} {'seconds':>8} {'fps':>7} {'panels/s':>9} {'frames in file':>15} {'MB':>6}")
        print(
            f"{'diffviz FrameRenderer+FrameWriter':<34} {4:>6} {d.seconds:>8.2f} {d.fps:>7.1f} {4 * d.fps:>9.1f} "
            f"{d_frames:>15} {d_mb:>6.2f}"
        )
        print(
            f"{'matplotlib FuncAnimation+FFMpeg':<34} {1:>6} {b.seconds:>8.2f} {b.fps:>7.1f} {b.fps:>9.1f} "
            f"{b_frames:>15} {b_mb:>6.2f}"
        )
        setup = d.seconds - d.render - d.encode
        print(
            f"\ndiffviz time split: render {d.render:.2f} s ({1e3 * d.render / d.frames:.1f} ms/frame, "
            f"{100 * d.render / d.seconds:.0f} %), encode {d.encode:.2f} s ({1e3 * d.encode / d.frames:.1f} ms/frame, "
            f"{100 * d.encode / d.seconds:.0f} %), set-up {setup:.2f} s ({100 * setup / d.seconds:.0f} %)"
        )
        ratio = d.fps / b.fps
        verdict = "met" if ratio >= 2 else "MISSED"
        print(f"\nfps ratio diffviz / matplotlib     : {ratio:5.2f}×  (target ≥ 2× with four panels to one: {verdict})")
        print(f"panels/s ratio diffviz / matplotlib: {4 * ratio:5.2f}×")

        window = min(FLAT_WINDOW, long_frames // 6)
        period = cycle_period(long_frames, window, traj.num_steps + 1)
        one_pass = [int(k) for k in frame_steps(traj.alpha_bar, traj.alpha_bar_prev, period)]
        long_steps = [one_pass[i % period] for i in range(long_frames)]
        times: list[tuple[float, float, float]] = []
        long = diffviz_export(traj, schedule, info, long_steps, folder / "long.mp4", times)
        per_frame = 1e3 * np.array(times)  # (frames, 3): render, write, render CPU ms
        spans = [(0, window), (long_frames - window, long_frames)]
        if period + window <= long_frames - window:
            spans.insert(1, (period, period + window))  # the second pass: the same steps again, x264 under way
        print(
            f"\nper-frame time over a {long_frames}-frame diffviz video, passes of {period} frames x_T → x_0 "
            f"({long.fps:.1f} fps overall, encode {long.encode:.1f} s):"
        )
        print(f"  {'frames':<18}  {'wall ms = render + write':>26}  {'render CPU ms':>13}")
        means = []
        for lo, hi in spans:
            ms = per_frame[lo:hi].mean(axis=0)
            means.append(ms)
            note = "" if long_steps[lo:hi] == long_steps[:window] else "  (other steps than the first span)"
            label = f"{lo + 1}–{hi}"
            print(f"  {label:<18}: {ms[0] + ms[1]:9.1f} = {ms[0]:5.1f} + {ms[1]:5.1f}      {ms[2]:13.1f}{note}")
        first, last = means[0], means[-1]
        flat, flat_cpu = (last[0] + last[1]) / (first[0] + first[1]), last[2] / first[2]
        verdict = "met" if 0.9 <= flat <= 1.1 else "MISSED"
        print(f"  {'last / first':<18}: {flat:9.3f}{'':<22}{flat_cpu:13.3f}   wall: target ≈ 1, {verdict}")
        if len(means) == 3:
            second = means[1]
            steady, steady_cpu = (last[0] + last[1]) / (second[0] + second[1]), last[2] / second[2]
            print(f"  {'last / second pass':<18}: {steady:9.3f}{'':<22}{steady_cpu:13.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
