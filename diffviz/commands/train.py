"""``diffviz train DATASET -o model.onnx``: train a score model and export it under the model contract."""

from __future__ import annotations

import argparse
import sys

HELP = (
    "Train a diffusion model (ε, score, x_0 or v prediction) on a 2D toy data set or on scikit-learn's digits "
    "and export it to ONNX under the diffviz model contract, with its loss curve beside it "
    "(<model>.loss.csv). Needs the train extra (torch). Exit code 2 on bad input or a diverging run."
)
INSTALL_HINT = (
    'install the train extra: pip install torch==2.13.0 -e ".[train]" (from a clone of diffviz) '
    'or pip install "diffviz[train]"'
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from diffviz.core.parameterization import PREDICTION_TYPES
    from diffviz.core.schedule import SCHEDULE_NAMES
    from diffviz.zoo.data import dataset_names

    parser.add_argument("dataset", help="data set: " + ", ".join(dataset_names()))
    parser.add_argument("-o", "--output", required=True, help="the ONNX file to write (e.g. model.onnx)")
    parser.add_argument("--force", action="store_true", help="replace OUTPUT if it exists (a regular file only)")
    parser.add_argument("--steps", type=int, help="training steps (default: 20000 for 2D sets, 6000 for digits)")
    parser.add_argument("--schedule", default="linear", choices=SCHEDULE_NAMES, help="β schedule (default linear)")
    parser.add_argument(
        "--prediction-type",
        default="epsilon",
        choices=PREDICTION_TYPES,
        help="what the model predicts (default epsilon)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same model")
    parser.add_argument("--beta-start", type=float, default=1e-4, help="first β (default 1e-4)")
    parser.add_argument("--beta-end", type=float, default=0.02, help="last β (default 0.02)")
    parser.add_argument("--num-train-timesteps", type=int, default=1000, help="T (default 1000)")
    parser.add_argument("--lr", type=float, help="peak learning rate (default: 2e-3 for 2D sets, 1e-3 for digits)")
    parser.add_argument("--batch-size", type=int, help="batch size (default: 512 for 2D sets, 128 for digits)")
    parser.add_argument("--threads", type=int, help="CPU threads for torch (default: 1 for 2D sets, 2 for digits)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _fail(message: str) -> int:
    print(f"diffviz train: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from diffviz.core.atomic import OutputPathError, check_output
    from diffviz.core.schedule import ScheduleError
    from diffviz.zoo.data import UnknownDatasetError, check_dataset

    try:
        check_dataset(args.dataset)
        out = check_output(args.output, force=args.force)
    except (UnknownDatasetError, OutputPathError) as exc:
        return _fail(str(exc))
    try:
        import onnx  # noqa: F401
        import torch  # noqa: F401

        from diffviz.zoo.config import ConfigError, default_config
        from diffviz.zoo.export import ExportError
        from diffviz.zoo.pipeline import train_and_export
        from diffviz.zoo.training import TrainingDiverged
    except ImportError as exc:
        return _fail(f"training needs {exc.name or 'torch'}, which is not installed; {INSTALL_HINT}")
    try:
        config = default_config(
            args.dataset,
            steps=args.steps,
            batch_size=args.batch_size,
            lr=args.lr,
            threads=args.threads,
            prediction_type=args.prediction_type,
            schedule=args.schedule,
            seed=args.seed,
            beta_start=args.beta_start,
            beta_end=args.beta_end,
            num_train_timesteps=args.num_train_timesteps,
        )
    except (ConfigError, ScheduleError) as exc:
        return _fail(str(exc))
    try:
        built = train_and_export(config, out, progress=not args.no_progress)
    except (TrainingDiverged, ExportError) as exc:
        return _fail(f"{exc}; nothing was written")
    except OSError as exc:
        return _fail(f"cannot write {out}: {exc.strerror or exc}")
    r = built.result
    tail = r.losses[-min(len(r.losses), 500) :].mean()
    print(
        f"wrote {built.path} ({config.prediction_type}, {config.train_schedule().describe()}, "
        f"{config.steps} steps in {r.seconds:.1f} s, final loss {tail:.4f}, "
        f"ONNX vs torch max abs diff {built.onnx_max_abs_diff:.2g})"
    )
    print(f"wrote {built.loss_csv} (loss curve)")
    return 0
