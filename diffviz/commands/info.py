"""``diffviz info MODEL``: check a model against the contract and say what it is and how fast it runs."""

from __future__ import annotations

import argparse
import sys

HELP = ("Check a model against the diffviz contract (docs/model-format.md) and print its metadata, training "
        "schedule, the execution provider that runs it and a probe timing. Exit code 2 if it is not valid.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="an .onnx file, a bundled model name, analytic:8gaussians or ideal:<data set>")
    parser.add_argument("--n", type=int, default=1000, help="batch size of the probe timing (default 1000)")


def _lines(model: object, n: int) -> list[str]:
    from diffviz.runtime import OnnxDenoiser, time_model_call

    schedule = getattr(model, "train_schedule", None)
    rows = [
        ("model", getattr(model, "name", "?")),
        ("file", str(getattr(model, "path", "")) or None),
        ("sha256", getattr(model, "sha256", None)),
        ("description", getattr(model, "description", None) or None),
        ("contract", "valid (version 1)" if isinstance(model, OnnxDenoiser) else "analytic model (no ONNX file)"),
        ("prediction type", getattr(model, "prediction_type", "?")),
        ("training schedule", schedule.describe() if schedule is not None else "none (exact at every noise level)"),
        ("data shape", "(N, " + ", ".join(map(str, getattr(model, "data_shape", ()))) + ")"),
        ("time input", getattr(model, "time_input", None) or "alpha_bar (analytic)"),
        ("batch size", getattr(model, "batch_size", None) or "dynamic"),
        ("data", getattr(model, "data", None)),
        ("data range", getattr(model, "data_range", None)),
        ("provider", getattr(model, "provider", "numpy (analytic)")),
    ]
    lines = [f"{key + ':':<19}{value}" for key, value in rows if value is not None]
    metadata = getattr(model, "metadata", None)
    if metadata is not None:
        lines.append("metadata:" + ("" if metadata else "          (none in the file)"))
        lines += [f"  {k} = {v}" for k, v in sorted(metadata.items())]
    notices = list(getattr(model, "notices", []))
    lines.append("notices:" + ("" if notices else "           none"))
    lines += [f"  - {text}" for text in notices]
    ms = time_model_call(model, n)  # type: ignore[arg-type]
    lines.append(f"{'probe timing:':<19}{ms:.3f} ms per call at N={n} ({ms * 1e6 / n:.1f} ns per sample)")
    return lines


def run(args: argparse.Namespace) -> int:
    from diffviz.core import ModelOutputError
    from diffviz.runtime import ModelError, ProviderError, load_model

    if args.n < 1:
        print(f"diffviz info: --n must be ≥ 1, got {args.n}", file=sys.stderr)
        return 2
    try:
        model = load_model(args.model)
    except (ModelError, ProviderError) as exc:
        print(f"diffviz info: {exc}", file=sys.stderr)
        return 2
    try:
        lines = _lines(model, args.n)
    except ModelOutputError as exc:
        print(f"diffviz info: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0
