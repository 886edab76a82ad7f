"""The ``diffviz`` command: bare ``diffviz [MODEL]`` opens the window; subcommands work headless."""

from __future__ import annotations

import argparse
import importlib
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


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = args_list[0] if args_list and args_list[0] in COMMANDS else None
    parser = build_parser(command)
    args = parser.parse_args(args_list[1:] if command else args_list)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
