"""``diffviz sample MODEL -o run.npz``: run a reverse sampler headless and save the trajectory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from diffviz.core import SAMPLERS, SCHEDULE_NAMES, Denoiser, OptionError, Schedule, Trajectory  # numpy only
from diffviz.core.samplers import all_options

from .signals import stop_signals_raise

HELP = (
    "Sample from a model without the window and save the whole trajectory (.npz). The sampling schedule "
    "defaults to the model's training schedule."
)


TERMINAL_ALPHA_BAR = 0.01  # above this, x_T ~ N(0, I) is not the schedule's terminal distribution


MAX_SEED = 2**63 - 1  # seeds are recorded with the run and read back as 64-bit integers


class UsageError(ValueError):
    """A bad combination of options; the message is printed as is."""


def check_counts(args: argparse.Namespace) -> None:
    """``--seed``, ``--n`` and ``--num-train-timesteps`` in range, before anything is loaded or allocated; a
    :class:`UsageError` names the flag."""
    from diffviz.core.schedule import MAX_TRAIN_TIMESTEPS

    if not 0 <= args.seed <= MAX_SEED:
        raise UsageError(f"--seed must be an integer in [0, 2**63 − 1], got {args.seed}")
    if args.n is not None and args.n < 1:
        raise UsageError(f"--n must be ≥ 1, got {args.n}")
    T = args.num_train_timesteps
    if T is not None and T > MAX_TRAIN_TIMESTEPS:
        raise UsageError(f"--num-train-timesteps {T} is above the limit of {MAX_TRAIN_TIMESTEPS} steps")
    if T is not None and T < 2:
        raise UsageError(f"--num-train-timesteps must be ≥ 2 (a schedule of T steps), got {T}")
    if args.steps_offset is not None and args.steps_offset < 0:
        raise UsageError(f"--steps-offset must be ≥ 0, got {args.steps_offset}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="an .onnx file, a bundled model name, analytic:8gaussians or ideal:<data set>")
    parser.add_argument("-o", "--output", required=True, help="where to write the run (.npz)")
    parser.add_argument("--force", action="store_true", help="replace OUTPUT if it exists (a regular file only)")
    add_sampling_arguments(parser, n_default=1000)


def add_sampling_arguments(parser: argparse.ArgumentParser, *, n_default: int | None) -> None:
    """The sampler, schedule, option, particle and seed flags (``diffviz sample`` and ``diffviz render``)."""
    parser.add_argument("--sampler", default="ddpm", choices=tuple(SAMPLERS), help="reverse sampler (default ddpm)")
    group = parser.add_argument_group("sampling schedule (default: the model's training schedule)")
    group.add_argument("--schedule", choices=SCHEDULE_NAMES, help="β schedule by diffusers' name")
    group.add_argument("--beta-start", type=float, help="first β (linear, scaled_linear, sigmoid)")
    group.add_argument("--beta-end", type=float, help="last β (linear, scaled_linear, sigmoid)")
    group.add_argument(
        "--num-train-timesteps",
        type=int,
        metavar="T",
        help="length T of the schedule (see --rescale and --num-inference-steps)",
    )
    group.add_argument("--steps", type=int, help=argparse.SUPPRESS)  # renamed: say so instead of a bare error
    group.add_argument(
        "--rescale",
        action="store_true",
        help="scale linear β endpoints by 1000/T so a new T keeps the total noise (improved-diffusion)",
    )
    group.add_argument("--num-inference-steps", type=int, help="sampling steps: a subset of this many of the T steps")
    group.add_argument(
        "--timestep-spacing",
        "--spacing",
        dest="spacing",
        default=None,
        choices=("leading", "trailing", "linspace"),
        help="how the subset is spaced (diffusers' timestep_spacing; default: the model's, else leading)",
    )
    group.add_argument(
        "--steps-offset",
        type=int,
        default=None,
        help="shift leading steps by this many (diffusers' steps_offset; default: the model's, else 0)",
    )
    add_option_flags(parser.add_argument_group("sampler options (each applies to the samplers named)"))
    default = f"default {n_default}" if n_default else "default 2000 for 2D models, 64 for images"
    parser.add_argument(
        "--n", "--num-particles", dest="n", type=int, default=n_default, help=f"number of particles ({default})"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def add_option_flags(group: argparse._ArgumentGroup) -> None:
    """One flag per declared sampler option: ``--eta``, ``--variance-type``, ``--clip-sample/--no-clip-sample``…"""
    for name, option in all_options().items():
        takers = ", ".join(s for s, spec in SAMPLERS.items() if option in spec.options)
        text = f"{option.help} [{takers}; default {option.default}]"
        if name == "clip_sample":
            text = f"{option.help} [{takers}; default: what the model's metadata says]"
        if name == "clip_sample_range":
            text = f"{option.help} [{takers}; default: the model's data range]"
        if option.type is bool:
            group.add_argument(option.flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=text)
        elif option.choices:
            group.add_argument(option.flag, dest=name, choices=option.choices, default=None, help=text)
        else:
            group.add_argument(option.flag, dest=name, type=option.type, default=None, help=text)


def build_schedule(args: argparse.Namespace, model: Denoiser) -> Schedule:
    """The sampling schedule: the model's training schedule, with any option given on the command line changed."""
    base = model.train_schedule
    config: dict[str, Any] = (
        dict(base.config) if base is not None else dict(name="linear", num_steps=1000, beta_start=1e-4, beta_end=0.02)
    )
    if args.schedule is not None and args.schedule != config.get("name"):
        config = dict(name=args.schedule, num_steps=config.get("num_steps", 1000))
    if args.num_train_timesteps is not None:
        config["num_steps"] = args.num_train_timesteps
    if args.beta_start is not None:
        config["beta_start"] = args.beta_start
    if args.beta_end is not None:
        config["beta_end"] = args.beta_end
    schedule = Schedule.from_name(
        config["name"],
        config["num_steps"],
        config.get("beta_start", 1e-4),
        config.get("beta_end", 0.02),
        cosine_s=config.get("cosine_s", 0.008),
        rescale=args.rescale or config.get("rescale", False),
    )
    card = model.card
    spacing = args.spacing or card.timestep_spacing or "leading"
    own = card.steps_offset if spacing == card.timestep_spacing else 0  # the model's offset goes with its spacing
    offset = args.steps_offset if args.steps_offset is not None else own
    if args.num_inference_steps is not None:
        schedule = schedule.subsample(args.num_inference_steps, spacing, offset)  # type: ignore[arg-type]
    elif args.steps_offset:
        raise UsageError("--steps-offset shifts a subset of the steps: give --num-inference-steps too")
    return schedule


def plan_run(args: argparse.Namespace, model: Denoiser, n: int) -> tuple[Schedule, dict[str, Any]]:
    """The schedule and sampler options the flags give for ``model``, and the size check of an ``n``-particle run
    (with its score-field grid) — before anything is allocated. ``diffviz sample`` and ``diffviz render`` share it."""
    from diffviz.core.sampling import DEFAULT_FIELD_GRID
    from diffviz.session import check_run_size

    schedule = build_schedule(args, model)
    options = sampler_options(args, model)
    shape = tuple(model.data_shape)
    check_run_size(n, schedule.num_steps, shape, field_points=DEFAULT_FIELD_GRID**2 if shape == (2,) else 0)
    return schedule, options


def sampler_options(args: argparse.Namespace, model: Denoiser) -> dict[str, Any]:
    """The options given on the command line, checked against the sampler's declaration (plus the model card's
    clipping advice); a flag the sampler does not take, or a bad value, is a :class:`UsageError` naming the flag."""
    declared = all_options()
    allowed = {o.name: o for o in SAMPLERS[args.sampler].options}
    given = {name: getattr(args, name) for name in declared if getattr(args, name, None) is not None}
    for key in given:
        if key not in allowed:
            takes = ", ".join(o.flag for o in allowed.values()) or "no options"
            raise UsageError(f"{declared[key].flag} does not apply to the {args.sampler} sampler (it takes: {takes})")
    card = model.card
    if "clip_sample" in allowed and "clip_sample" not in given and card.clip_sample:
        given["clip_sample"] = True  # the model's metadata says clipping suits it
    if "clip_sample_range" in allowed and "clip_sample_range" not in given:
        given["clip_sample_range"] = card.clip_sample_range
    for key, value in given.items():
        try:
            given[key] = allowed[key].check(value, args.sampler)
        except OptionError:
            flag, want = allowed[key].flag, allowed[key].describe_range()
            raise UsageError(f"{flag} {value} is invalid: expected {want}") from None
    return given


def _noise_range_hint(args: argparse.Namespace) -> str:
    """The flags that shorten a schedule which runs out of noise levels."""
    flags = ["--beta-end", "--num-train-timesteps"]
    if args.num_inference_steps is not None:
        flags.insert(0, "--num-inference-steps")
    if not args.rescale and args.schedule != "squaredcos_cap_v2":
        flags.append("--rescale (scales β by 1000/T)")
    return f"; see {', '.join(flags)}"


def _step_list(flags: Any) -> str:
    """Step numbers (1-based, as the timeline counts) of the flagged steps, runs shortened: "1–3, 50"."""
    steps = [int(k) + 1 for k in np.flatnonzero(flags)]
    parts, start = [], 0
    for i in range(1, len(steps) + 1):
        if i == len(steps) or steps[i] != steps[i - 1] + 1:
            a, b = steps[start], steps[i - 1]
            parts.append(f"{a}" if a == b else f"{a}–{b}")
            start = i
    return "step " + ", ".join(parts) if len(steps) == 1 else "steps " + ", ".join(parts)


def _sample_and_save(
    model: Denoiser, schedule: Schedule, options: dict[str, Any], args: argparse.Namespace, output: Path
) -> Trajectory:
    from tqdm import tqdm

    from diffviz.core import sample

    with tqdm(total=schedule.num_steps, desc=f"{args.sampler} {model.name}", unit="step", file=sys.stderr) as bar:
        trajectory = sample(  # the saved run holds every step's field: evaluated along with the particles
            model,
            schedule,
            args.sampler,
            n=args.n,
            seed=args.seed,
            callback=lambda tr, k: bar.update(1),
            field_lazy=False,
            **options,
        )
    trajectory.save(output)
    return trajectory


def run(args: argparse.Namespace) -> int:
    from diffviz.core import ModelOutputError, ScheduleError
    from diffviz.core.atomic import OutputPathError, check_output
    from diffviz.core.schedule import NoiseRangeError
    from diffviz.runtime import ModelError, ProviderError, load_model

    def fail(message: str) -> int:
        print(f"diffviz sample: {message}", file=sys.stderr)
        return 2

    output = Path(args.output)
    if args.steps is not None:
        return fail(
            "--steps was renamed: the schedule's length T is --num-train-timesteps, the steps sampled are "
            "--num-inference-steps"
        )
    try:
        check_output(output, force=args.force)
        check_counts(args)
        model = load_model(args.model)
        schedule, options = plan_run(args, model, args.n)
    except NoiseRangeError as exc:
        return fail(f"{exc}{_noise_range_hint(args)}")
    except (UsageError, OutputPathError, ModelError, ProviderError, ScheduleError, MemoryError) as exc:
        return fail(str(exc))

    if schedule.alpha_bars[-1] > TERMINAL_ALPHA_BAR:
        print(
            f"diffviz sample: note: this schedule ends at ᾱ_T = {schedule.alpha_bars[-1]:.3g}, far from pure noise, "
            "yet x_T is drawn from N(0, I); to take fewer steps of the model's own schedule use "
            "--num-inference-steps, or keep the total noise with --rescale",
            file=sys.stderr,
        )
    try:
        with stop_signals_raise():  # a kill mid-run or mid-save leaves no temporary file behind
            trajectory = _sample_and_save(model, schedule, options, args, output)
    except (ModelOutputError, ValueError) as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"cannot write {output}: {exc.strerror or exc}")
    print(
        f"wrote {output}: {trajectory.num_steps} steps × {trajectory.num_particles} particles, {args.sampler} on "
        f"{schedule.describe()}, model {model.name}"
    )
    if trajectory.clamped.any():
        print(
            f"{int(trajectory.clamped.sum())} of {trajectory.num_steps} steps ({_step_list(trajectory.clamped)}) lie "
            "outside the model's trained noise range: the model was queried at the nearest trained level and x̂_0 "
            "read there, ε̂ re-derived at the real level (flagged in the run's 'clamped')"
        )
    return 0
