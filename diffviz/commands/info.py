"""``diffviz info MODEL``: check a model against the contract and say what it is and how fast it runs."""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from diffviz.core import Denoiser

HELP = (
    "Check a model against the diffviz contract (docs/model-format.md) and print its metadata, training "
    "schedule, the execution provider that runs it and a probe timing. Exit code 2 if it is not valid."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="an .onnx file, a bundled model name, analytic:8gaussians or ideal:<data set>")
    parser.add_argument("--n", type=int, default=1000, help="batch size of the probe timing (default 1000)")


def _lines(model: Denoiser, n: int) -> list[str]:
    from diffviz.runtime import OnnxDenoiser, time_model_call

    card = model.card
    schedule = card.train_schedule
    rows = [
        ("model", card.name),
        ("file", card.path),
        ("sha256", card.sha256),
        ("description", card.description or None),
        ("contract", "valid (version 1)" if isinstance(model, OnnxDenoiser) else "analytic model (no ONNX file)"),
        ("prediction type", card.prediction_type),
        ("training schedule", schedule.describe() if schedule is not None else "none (exact at every noise level)"),
        ("data shape", "(N, " + ", ".join(map(str, card.data_shape)) + ")"),
        ("time input", card.time_input or "alpha_bar (analytic)"),
        ("batch size", card.batch_size or "dynamic"),
        ("data", card.data),
        ("data range", card.data_range),
        # ONNX models name ORT's execution provider exactly (the card says it in words: CUDA, CPU).
        ("provider", model.provider if isinstance(model, OnnxDenoiser) else card.provider),
    ]
    lines = [f"{key + ':':<19}{value}" for key, value in rows if value is not None]
    if card.metadata is not None:
        lines.append("metadata:" + ("" if card.metadata else "          (none in the file)"))
        lines += [f"  {k} = {v}" for k, v in sorted(card.metadata.items())]
    lines.append("notices:" + ("" if card.notices else "           none"))
    lines += [f"  - {text}" for text in card.notices]
    ms = time_model_call(model, n)
    lines.append(f"{'probe timing:':<19}{ms:.3f} ms per call at N={n} ({ms * 1e6 / n:.1f} ns per sample)")
    return lines


MAX_PROBE_BYTES = 2 << 30  # the same bound as a run's recording


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
    probe_bytes = 2 * 4 * args.n * math.prod(model.data_shape)  # float32 input and output of one call
    if probe_bytes > MAX_PROBE_BYTES:
        print(
            f"diffviz info: --n {args.n} would need {probe_bytes / 2**30:.3g} GiB for one probe call (the limit is "
            f"{MAX_PROBE_BYTES / 2**30:g} GiB); give a smaller --n",
            file=sys.stderr,
        )
        return 2
    try:
        lines = _lines(model, args.n)
    except ModelOutputError as exc:
        print(f"diffviz info: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0
