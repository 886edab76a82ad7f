"""Bare ``diffviz [--screenshot out.png] [MODEL]``: the desktop app."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = (
    "Open the diffviz window on a model, a saved run (.npz) or a scene (.toml) — default: the bundled default "
    "model — and start sampling at once: linked views of x_t, the score field, ε̂ and Tweedie's x̂_0, with a live "
    "β schedule."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model",
        nargs="?",
        default=None,
        metavar="SOURCE",
        help="a scene (.toml), a saved run (.npz), an .onnx file, a bundled model name, "
        "analytic:8gaussians or ideal:<data set>",
    )
    parser.add_argument(
        "--screenshot",
        metavar="OUT.png",
        type=Path,
        default=None,
        help="open the window, wait for the first finished run, save a PNG of it and exit",
    )
    parser.add_argument(
        "--at",
        type=float,
        default=0.95,
        metavar="FRACTION",
        help="with --screenshot: the step shown, as a fraction from x_T (0) to x_0 (1); default 0.95",
    )


def run(args: argparse.Namespace) -> int:
    if args.screenshot is not None:
        if not 0.0 <= args.at <= 1.0:
            print(f"diffviz: --at {args.at} is outside [0, 1]", file=sys.stderr)
            return 2
        from diffviz.core.atomic import OutputPathError, check_writable

        try:
            check_writable(args.screenshot)
        except OutputPathError as exc:
            print(f"diffviz: {exc}", file=sys.stderr)
            return 2
    from diffviz.ui.app import QtBindingError, run_window, screenshot

    try:
        if args.screenshot is not None:
            return screenshot(args.screenshot, args.model, at=args.at)
        return run_window(args.model)
    except QtBindingError as exc:
        print(f"diffviz: {exc}", file=sys.stderr)
        return 3
