"""``diffviz render SOURCE -o OUT``: a video (MP4, WebM, GIF), a folder of PNG frames or one still, headless.

SOURCE is a scene (.toml), a saved run (.npz) or a model (a bundled name, an .onnx file, ``analytic:…``,
``ideal:…``, sampled with the same flags as ``diffviz sample``). Frames are drawn offscreen by the window's own
view classes; the window's File → Export video runs this very command, so both give the same frames.

``--lesson NAME`` (or a lesson's .toml as SOURCE: a file with ``[[cue]]`` tables) renders a whole lesson into one
video: each cue in turn, with its caption as the title, moving its run up to the cue's playhead (from x_T, or on
from the previous cue's playhead when the cue only moves the playhead of the same run) and holding there.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from diffviz.session.settings import LAYOUTS, PANELS, THEMES

from .sample import UsageError, add_sampling_arguments

HELP = (
    "Render a scene (.toml), a saved run (.npz) or a model's sampling run to a video (.mp4, .webm, .gif), a folder "
    "of PNG frames, or one still (--frame K -o slide.png|.svg); or a whole lesson (--lesson NAME). No display needed."
)
HOLD_S, LESSON_HOLD_S = 1.0, 2.0  # seconds on the last frame; on each cue's last frame
LESSON_TITLE_LINES = 3  # a cue's caption is a sentence or two: the title wraps
MAX_SIDE = 7680
SAMPLING_FLAGS = ("sampler", "schedule", "beta_start", "beta_end", "num_train_timesteps", "num_inference_steps", "n")


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1920x1080") from None
    if not (16 <= w <= MAX_SIDE and 16 <= h <= MAX_SIDE):
        raise argparse.ArgumentTypeError(f"{text}: each side must be 16 to {MAX_SIDE} pixels")
    return w, h


def _panels(text: str) -> tuple[str, ...]:
    names = tuple(p.strip() for p in text.split(",") if p.strip())
    bad = [p for p in names if p not in PANELS]
    if not names or bad or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"{text!r}: give distinct panels among {', '.join(PANELS)}, comma-separated")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source", metavar="SOURCE", nargs="?", help="a scene (.toml), a saved run (.npz), a model or a lesson (.toml)"
    )
    parser.add_argument(
        "--lesson",
        metavar="NAME",
        help="render a lesson (a bundled name or a lesson file): every cue in turn, its caption as the title",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        help=".mp4, .webm, .gif, a folder for PNG frames, or with --frame a .png/.svg still",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing output file")
    out = parser.add_argument_group("the picture")
    out.add_argument("--size", type=_size, default=(1920, 1080), metavar="WxH", help="pixels (default 1920x1080)")
    out.add_argument("--panels", type=_panels, help=f"comma-separated subset of {', '.join(PANELS)}")
    out.add_argument("--layout", choices=LAYOUTS, help="2x2, 1x4 (for 16:9 with two or more panels) or single")
    out.add_argument(
        "--scale",
        type=float,
        help="fonts, tick labels and axes grow together (default: height/720, e.g. 1.5 at 1080 lines)",
    )
    out.add_argument(
        "--theme",
        choices=THEMES,
        help="dark, or light: high contrast on white for slides and projectors (default: the scene's, else dark)",
    )
    out.add_argument("--title", help="a title above the views (default: the scene's caption)")
    out.add_argument(
        "--caption",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the step, t, ᾱ_t, β_t, SNR, sampler and schedule under the views (default on)",
    )
    video = parser.add_argument_group("the video")
    video.add_argument("--fps", type=float, default=30.0, help="frames per second (default 30)")
    timing = video.add_mutually_exclusive_group()
    timing.add_argument("--duration", type=float, help="seconds from x_T to x_0 (default: one frame per step)")
    timing.add_argument("--steps-per-frame", type=int, help="show every k-th step")
    video.add_argument(
        "--time",
        dest="mapping",
        choices=("steps", "log-snr"),
        default="steps",
        help="frames uniform in steps, or uniform in log-SNR so structure forming is not rushed",
    )
    video.add_argument(
        "--hold", type=float, help=f"seconds on the last frame (default {HOLD_S:g}; {LESSON_HOLD_S:g} on each cue's)"
    )
    video.add_argument("--start", type=int, default=0, help="first step shown (0 = x_T)")
    video.add_argument("--end", type=int, help="last step shown (default K = x_0)")
    video.add_argument(
        "--quality", type=int, default=8, choices=range(1, 11), metavar="1..10", help="encoder quality (default 8)"
    )
    video.add_argument("--frame", type=int, metavar="K", help="render only step K as a still (.png or .svg)")
    video.add_argument("--progress-json", action="store_true", help=argparse.SUPPRESS)  # the window's export reads it
    add_sampling_arguments(parser, n_default=None)  # when SOURCE is a model, as in diffviz sample


@dataclass
class Source:
    """What to draw: the model (for the views), the finished run, its schedule, view settings and labels."""

    info: Any
    trajectory: Any
    schedule: Any
    view: Any
    sampler_label: str
    caption: str = ""


def _sampler_label(name: str, options: dict[str, Any]) -> str:
    """``DDIM, η = 0`` — the sampler and the options that shape its path (clipping is left to the scene)."""
    from diffviz.core import SAMPLERS

    spec = SAMPLERS[name]
    shown = [o for o in spec.options if not o.name.startswith(("clip", "use_clipped")) and o.name in options]
    parts = [
        spec.label.split(" (")[0],
        *(
            f"{o.label} = {options[o.name]:g}"
            if isinstance(options[o.name], float)
            else f"{o.label} = {options[o.name]}"
            for o in shown
        ),
    ]
    return ", ".join(parts)


class _Stop:
    """Set by SIGINT, SIGTERM or SIGHUP; the loops check it between steps and frames, never inside Qt's drawing."""

    requested = False

    @classmethod
    def handler(cls, signum: int, frame: object) -> None:
        cls.requested = True

    @classmethod
    def check(cls) -> None:
        if cls.requested:
            raise KeyboardInterrupt


def _sample_with_bar(run: Any, label: str) -> None:
    from tqdm import tqdm

    with tqdm(total=run.trajectory.num_steps, desc=f"sampling {label}", unit="step", file=sys.stderr) as bar:
        for _ in run:
            bar.update(1)
            _Stop.check()


def load_source(args: argparse.Namespace) -> Source:
    """Read or sample SOURCE; :class:`UsageError` (or a ValueError subclass) with a message otherwise."""
    from diffviz.session import ViewSettings

    path = Path(args.source)
    suffix = path.suffix.lower()
    given = _sampling_flags_given(args)
    if suffix in (".toml", ".npz") and given:
        raise UsageError(
            f"--{given[0].replace('_', '-')} applies when SOURCE is a model; a {suffix} file sets "
            "its own sampling (edit the scene instead)"
        )
    if suffix == ".toml":
        return _from_scene(path)
    if suffix == ".npz":
        return _from_run(path, ViewSettings())
    return _from_model(args, ViewSettings())


def _sampling_flags_given(args: argparse.Namespace) -> list[str]:
    return [f for f in SAMPLING_FLAGS if getattr(args, f, None) not in (None, "ddpm" if f == "sampler" else None)]


def _from_scene(path: Path) -> Source:
    from diffviz.session import open_scene

    scene, model, notices = open_scene(path)
    return _scene_source(scene, model, notices)


def _scene_source(scene: Any, model: Any, notices: list[str]) -> Source:
    """A scene already read, with its model loaded: its run, sampled."""
    from diffviz.session import build_run
    from diffviz.views.model_info import describe

    if scene.compare is not None:
        notices = [
            *notices,
            f"the scene's side-by-side {scene.compare.name} run is not rendered: the video shows the "
            f"{scene.sampler.name} run alone",
        ]
    for notice in notices:
        print(f"diffviz render: note: {notice}", file=sys.stderr)
    info = describe(model, scene.model.spec)
    run, schedule = build_run(model, scene.schedule, scene.sampler, scene.view)
    _sample_with_bar(run, info.name)
    label = _sampler_label(scene.sampler.name, scene.sampler.active_options())
    return Source(info, run.trajectory, schedule, scene.view, label, scene.caption)


def _from_run(path: Path, view: Any) -> Source:
    from diffviz.core import Trajectory
    from diffviz.session.run_files import run_schedule
    from diffviz.views.model_info import describe, open_model

    trajectory = Trajectory.load(path)
    if not trajectory.complete:
        raise UsageError(
            f"{path.name} holds {trajectory.steps_done} of {trajectory.num_steps} steps (a cancelled "
            "run); only finished runs are rendered"
        )
    name = trajectory.params.model.name
    try:
        info = describe(open_model(name), name)
    except (ValueError, OSError) as exc:
        raise UsageError(f"{path.name} was made with the model {name!r}, which cannot be opened here: {exc}") from None
    p = trajectory.params
    return Source(info, trajectory, run_schedule(trajectory), view, _sampler_label(p.sampler, p.options))


def _from_model(args: argparse.Namespace, view: Any) -> Source:
    from diffviz.core import SamplingRun
    from diffviz.runtime import load_model
    from diffviz.session import DEFAULT_IMAGES, DEFAULT_POINTS
    from diffviz.views.model_info import describe

    from .sample import check_counts, plan_run

    check_counts(args)  # --n ≥ 1 when given, --seed and T in range
    model = load_model(args.source)
    info = describe(model, args.source)
    n = args.n if args.n is not None else (DEFAULT_IMAGES if info.is_image else DEFAULT_POINTS)
    schedule, options = plan_run(args, model, n)
    run = SamplingRun(model, schedule, args.sampler, n=n, seed=args.seed, **options)
    _sample_with_bar(run, info.name)
    return Source(info, run.trajectory, schedule, view, _sampler_label(args.sampler, run.options))


def _frames(args: argparse.Namespace, source: Source) -> list[int]:
    K = source.trajectory.num_steps
    end = K if args.end is None else args.end
    if not 0 <= args.start <= end <= K:
        raise UsageError(f"--start {args.start} / --end {end}: the run has steps 0..{K}")
    return _frame_steps(args, source.trajectory, args.start, end)


def _frame_count(args: argparse.Namespace, start: int, end: int) -> int:
    """How many frames show the steps ``start``..``end``: per --steps-per-frame, --duration, or one per step."""
    if args.steps_per_frame is not None:
        if args.steps_per_frame < 1:
            raise UsageError(f"--steps-per-frame must be ≥ 1, got {args.steps_per_frame}")
        return math.ceil((end - start) / args.steps_per_frame) + 1
    if args.duration is not None:
        if not 0 < args.duration <= 3600:
            raise UsageError(f"--duration {args.duration}: give 0 < seconds ≤ 3600")
        return max(round(args.duration * args.fps), 1)
    return end - start + 1


def _frame_steps(args: argparse.Namespace, tr: Any, start: int, end: int) -> list[int]:
    """The steps the frames from ``start`` to ``end`` show (per --steps-per-frame, --duration or one per step,
    spaced per --time), then the hold on the last."""
    from diffviz.export.timing import frame_steps

    count = _frame_count(args, start, end)
    steps = frame_steps(tr.alpha_bar, tr.alpha_bar_prev, count, mapping=args.mapping, start=start, end=end)
    hold = round(args.hold * args.fps)
    return [int(k) for k in steps] + [int(steps[-1])] * hold


def run(args: argparse.Namespace) -> int:
    """Render with SIGINT, SIGTERM and SIGHUP turned into a stop between frames (the file is removed); the
    previous handlers come back afterwards."""
    _Stop.requested = False
    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, _Stop.handler) for sig in stops}
    try:
        return _export(args)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _export(args: argparse.Namespace) -> int:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # the same pixels with or without a display
    from diffviz.export.encode import ExportError, FrameWriter, check_output, write_png

    def fail(message: str) -> int:
        print(f"diffviz render: {message}", file=sys.stderr)
        return 2

    try:
        lesson = _lesson_name(args)
    except UsageError as exc:
        return fail(str(exc))
    if args.hold is None:
        args.hold = LESSON_HOLD_S if lesson is not None else HOLD_S
    if not 0 < args.fps <= 240 or not 0 <= args.hold <= 60:
        return fail(f"--fps {args.fps:g} / --hold {args.hold:g}: need 0 < fps ≤ 240 and 0 ≤ hold ≤ 60 s")
    if args.scale is not None and not 0.5 <= args.scale <= 4:
        return fail(f"--scale {args.scale:g}: give 0.5 to 4")
    if lesson is not None:
        return _export_lesson(args, lesson, fail)
    still = args.frame is not None
    output = Path(args.output)
    try:
        if still:
            if output.suffix.lower() not in (".png", ".svg"):
                raise UsageError(f"--frame writes a .png or .svg still, not {output.name!r}")
            _check_still(output, args.force)
        else:
            check_output(output, force=args.force)
        source = load_source(args)
        view = _override_view(args, source.view)
        if still:
            if not 0 <= args.frame <= source.trajectory.num_steps:
                raise UsageError(f"--frame {args.frame}: the run has steps 0..{source.trajectory.num_steps}")
            frames = [args.frame]
        else:
            frames = _frames(args, source)
    except _errors() as exc:
        return fail(str(exc))
    title = args.title if args.title is not None else source.caption
    return _render(args, source, view, frames, title, output, still, write_png, FrameWriter, ExportError, fail)


# ---- lessons -----------------------------------------------------------------------------------------------------
def _lesson_name(args: argparse.Namespace) -> str | None:
    """The lesson to render (--lesson NAME, or SOURCE when it is a lesson file), or None for one run."""
    if args.lesson is not None:
        if args.source is not None:
            raise UsageError(f"give SOURCE or --lesson, not both (SOURCE {args.source!r}, --lesson {args.lesson!r})")
        return str(args.lesson)
    if args.source is None:
        raise UsageError("give SOURCE (a scene, a saved run or a model) or --lesson NAME")
    return args.source if _is_lesson_file(Path(args.source)) else None


def _is_lesson_file(path: Path) -> bool:
    """A .toml file with [[cue]] tables is a lesson (a scene has none); anything unreadable is left to the scene
    reader, which says why."""
    from diffviz.session import SceneError
    from diffviz.session.scene import read_toml

    if path.suffix.lower() != ".toml" or not path.is_file():
        return False
    try:
        return "cue" in read_toml(path, "lesson")
    except SceneError:
        return False


def _errors() -> tuple[type[Exception], ...]:
    """The errors a render reports in one line (exit 2) instead of a traceback."""
    from diffviz.core import ModelOutputError
    from diffviz.export.encode import ExportError
    from diffviz.runtime import ModelError, ProviderError
    from diffviz.session import SceneError

    return (
        UsageError,
        ExportError,
        SceneError,
        ModelError,
        ProviderError,
        ModelOutputError,
        ValueError,
        MemoryError,
        OSError,
    )


@dataclass(frozen=True)
class CuePlan:
    """One cue of a lesson video: its scene, the steps its frames move through, and how many frames they are."""

    scene: Any
    run_key: tuple[Any, ...]  # what its run is made from: a cue with the previous cue's key continues that run
    start: int
    end: int
    count: int  # frames, the hold included


def plan_lesson(args: argparse.Namespace, lesson: Any) -> list[CuePlan]:
    """Each cue moves its run up to its playhead: from x_T, or from the previous cue's playhead when it keeps the
    previous cue's run (only the playhead, the view or the caption changed). Nothing is sampled here; the frame
    count is bounded before any work."""
    from diffviz.export.timing import MAX_FRAMES

    plans: list[CuePlan] = []
    for scene in lesson.cues:
        key = (scene.model, scene.schedule, scene.sampler, scene.view.field_grid, scene.view.field_extent)
        K = scene.schedule.build().num_steps
        end = min(scene.playback.step, K)
        start = min(plans[-1].end, end) if plans and plans[-1].run_key == key else 0
        count = _frame_count(args, start, end) + round(args.hold * args.fps)
        plans.append(CuePlan(scene, key, start, end, count))
    total = sum(plan.count for plan in plans)
    if total > MAX_FRAMES:
        raise UsageError(f"the lesson would make {total} frames (at most {MAX_FRAMES}); lower --fps or --duration")
    return plans


def _export_lesson(args: argparse.Namespace, name: str, fail: Any) -> int:
    from diffviz.export.encode import check_output
    from diffviz.session.lesson import lesson_path, read_lesson

    output = Path(args.output)
    try:
        flags = [
            f
            for f, on in (("frame", args.frame is not None), ("start", args.start), ("end", args.end is not None))
            if on
        ]
        flags += _sampling_flags_given(args)
        if flags:
            raise UsageError(
                f"--{flags[0].replace('_', '-')} applies to one run; a lesson's cues set their own "
                "(edit the lesson instead)"
            )
        check_output(output, force=args.force)
        plans = plan_lesson(args, read_lesson(lesson_path(name)))
        for plan in plans:
            _override_view(args, plan.scene.view)  # --panels / --layout fit every cue's view
    except _errors() as exc:
        return fail(str(exc))
    return _render_lesson(args, plans, output, fail)


def _render_lesson(args: argparse.Namespace, plans: list[CuePlan], output: Path, fail: Any) -> int:
    """All cues into one video through one writer: each cue's run is sampled when it is reached (a cue that keeps
    the previous cue's run reuses it) and drawn by its own renderer, so one run at a time is held."""
    from tqdm import tqdm

    from diffviz.export.encode import FrameWriter
    from diffviz.export.render import FrameRenderer
    from diffviz.session import scene_model

    total = sum(plan.count for plan in plans)
    started = time.perf_counter()
    done = 0
    models: dict[str, Any] = {}
    previous: tuple[tuple[Any, ...], Source] | None = None
    try:
        with (
            FrameWriter(output, args.size, args.fps, quality=args.quality, force=args.force) as writer,
            tqdm(total=total, desc="rendering", unit="frame", file=sys.stderr, disable=args.progress_json) as bar,
        ):
            for plan in plans:
                scene = plan.scene
                if previous is not None and previous[0] == plan.run_key:
                    source = previous[1]
                else:
                    previous = None  # let the previous run go before sampling the next
                    notices: list[str] = []
                    if scene.model.spec not in models:
                        models[scene.model.spec], notices = scene_model(scene)
                    source = _scene_source(scene, models[scene.model.spec], notices)
                previous = (plan.run_key, source)
                frames = _frame_steps(args, source.trajectory, plan.start, plan.end)
                assert len(frames) == plan.count, (len(frames), plan.count)
                renderer = FrameRenderer(
                    source.info,
                    source.trajectory,
                    source.schedule,
                    _override_view(args, scene.view),
                    args.size,
                    steps=frames,
                    caption=args.caption,
                    title=args.title if args.title is not None else scene.caption,
                    sampler_label=source.sampler_label,
                    title_lines=LESSON_TITLE_LINES,
                )
                try:
                    for k in frames:
                        _Stop.check()
                        writer.write(renderer.render(k))
                        done += 1
                        bar.update(1)
                        if args.progress_json:
                            print(json.dumps({"frame": done, "frames": total}), flush=True)
                finally:
                    renderer.close()
    except OSError as exc:  # writing (a model that cannot be read is a SceneError)
        return fail(f"cannot write {output}: {exc.strerror or exc}")
    except _errors() as exc:
        return fail(str(exc))
    print(
        f"wrote {output}: {len(plans)} cues, {total} frames at {args.fps:g} fps, {args.size[0]}×{args.size[1]} "
        f"({time.perf_counter() - started:.1f} s)"
    )
    return 0


def _override_view(args: argparse.Namespace, view: Any) -> Any:
    """A scene's view with the command's --scale, --panels and --layout on top (checked)."""
    changes: dict[str, Any] = {"ui_scale": args.scale if args.scale is not None else _default_scale(view, args)}
    if args.panels is not None:
        changes["panels"] = args.panels
    if args.layout is not None:
        changes["layout"] = args.layout
    if args.theme is not None:
        changes["theme"] = args.theme
    view = replace(view, **changes)
    view.validate()
    return view


def _default_scale(view: Any, args: argparse.Namespace) -> float:
    """Text that keeps its share of the picture: the window's size at 720 lines, 1.5× at 1080, smaller below."""
    return (
        float(min(max(view.ui_scale, args.size[1] / 720), 3.0)) if args.size[1] >= 720 else max(args.size[1] / 720, 0.5)
    )


def _check_still(output: Path, force: bool) -> None:
    from diffviz.core.atomic import check_writable

    if output.exists() and not force:
        raise UsageError(f"{output} exists; add --force to replace it")
    check_writable(output)


def _render(
    args: argparse.Namespace,
    source: Source,
    view: Any,
    frames: list[int],
    title: str,
    output: Path,
    still: bool,
    write_png: Any,
    writer_class: Any,
    export_error: type[Exception],
    fail: Any,
) -> int:
    from tqdm import tqdm

    from diffviz.export.render import FrameRenderer

    renderer = FrameRenderer(
        source.info,
        source.trajectory,
        source.schedule,
        view,
        args.size,
        steps=frames,
        caption=args.caption,
        title=title,
        sampler_label=source.sampler_label,
    )
    try:
        if still:
            if output.suffix.lower() == ".svg":
                _write_svg(renderer, frames[0], output)
            else:
                write_png(output, renderer.render(frames[0]), force=args.force)
            print(f"wrote {output}: step {frames[0]} of {source.trajectory.num_steps}")
            return 0
        start = time.perf_counter()
        render_s = 0.0
        with (
            writer_class(output, args.size, args.fps, quality=args.quality, force=args.force) as writer,
            tqdm(total=len(frames), desc="rendering", unit="frame", file=sys.stderr, disable=args.progress_json) as bar,
        ):
            for i, k in enumerate(frames):
                _Stop.check()
                t0 = time.perf_counter()
                image = renderer.render(k)
                render_s += time.perf_counter() - t0
                writer.write(image)
                bar.update(1)
                if args.progress_json:
                    print(json.dumps({"frame": i + 1, "frames": len(frames)}), flush=True)
        total = time.perf_counter() - start
        print(
            f"wrote {output}: {len(frames)} frames at {args.fps:g} fps, {args.size[0]}×{args.size[1]} "
            f"({total:.1f} s: render {render_s:.1f} s, encode {writer.encode_seconds:.1f} s)"
        )
        return 0
    except export_error as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"cannot write {output}: {exc.strerror or exc}")
    finally:
        renderer.close()


def _write_svg(renderer: Any, index: int, output: Path) -> None:
    """The whole page (title, views, caption) as SVG through Qt's SVG painter, written via a temporary file:
    text, axes, curves and arrows stay vectors; the score map and splatted particles are embedded images."""
    from PySide6.QtCore import QPoint, QRect, QSize
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator

    from diffviz.core.atomic import atomic_path

    renderer.render(index)
    width, height = renderer.size
    with atomic_path(output) as tmp:
        generator = QSvgGenerator()
        generator.setFileName(str(tmp))
        generator.setSize(QSize(width, height))
        generator.setViewBox(QRect(0, 0, width, height))
        generator.setTitle("diffviz")
        painter = QPainter(generator)
        try:
            renderer.page.render(painter, QPoint(0, 0))
        finally:
            painter.end()
