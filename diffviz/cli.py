"""The ``diffviz`` command: bare ``diffviz [MODEL]`` opens the window; subcommands work headless."""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import sys
from collections.abc import Sequence

COMMANDS = {
    "info": "diffviz.commands.info",
    "sample": "diffviz.commands.sample",
    "render": "diffviz.commands.render",
    "train": "diffviz.commands.train",
    "import-diffusers": "diffviz.commands.import_diffusers",
}
APP = "diffviz.commands.app"


def build_parser(command: str | None) -> argparse.ArgumentParser:
    if command is None:
        module = importlib.import_module(APP)
        parser = argparse.ArgumentParser(
            prog="diffviz",
            description=module.HELP,
            epilog="subcommands: " + ", ".join(COMMANDS) + " (diffviz COMMAND --help)",
        )
    else:
        module = importlib.import_module(COMMANDS[command])
        parser = argparse.ArgumentParser(prog=f"diffviz {command}", description=module.HELP)
    module.add_arguments(parser)
    parser.set_defaults(_run=module.run)
    return parser


def unknown_command(word: str | None) -> str | None:
    """Why ``diffviz WORD`` is refused, when WORD is a bare word that is no command, no file and no model name (so
    a mistyped command is not taken for a model to open the window on); None for anything the window can be asked
    to open: a file, a path, a name with a suffix (``run.npz``: the window says it is missing), ``analytic:…``,
    ``ideal:…`` or a bundled model."""
    if word is None or word in COMMANDS or os.path.exists(word):
        return None
    if any(mark in word for mark in (":", ".", os.sep, os.altsep or os.sep)):
        return None
    from diffviz.runtime.loader import analytic_names, bundled_models

    models = [*bundled_models(), *analytic_names()]
    if word in models:
        return None
    close = difflib.get_close_matches(word, [*COMMANDS, *models], n=1)
    lines = [
        f"diffviz: unknown command {word!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
        f"commands: {', '.join(COMMANDS)} (diffviz COMMAND --help)",
        "or open the window: diffviz [SOURCE], SOURCE an .onnx, .npz or .toml file or a model: " + ", ".join(models),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = args_list[0] if args_list and args_list[0] in COMMANDS else None
    if command is None and len(args_list) > 1 and not args_list[0].startswith("-"):
        problem = unknown_command(args_list[0])  # `diffviz smaple m -o x`: name the word, not the extra arguments
        if problem is not None:
            print(problem, file=sys.stderr)
            return 2
    parser = build_parser(command)
    args = parser.parse_args(args_list[1:] if command else args_list)
    if command is None:
        problem = unknown_command(args.model)
        if problem is not None:
            print(problem, file=sys.stderr)
            return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt as exc:  # Ctrl+C; SIGTERM/SIGHUP where a command turns them into Terminated
        print(f"interrupted{f' ({exc})' if str(exc) else ''}", file=sys.stderr)
        return 128 + int(getattr(exc, "signum", 2))
