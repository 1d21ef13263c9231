"""The `finsent` command line: one entry point whose subcommands live beside what they run."""

from __future__ import annotations

import argparse
import logging
import sys

from model.cli import add_model_commands


def build_parser() -> argparse.ArgumentParser:
    """The `finsent` parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="finsent",
        description="Financial-news sentiment: feeds → articles → sentences → sentiment → Parquet → reports.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_model_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one `finsent` subcommand; returns the process exit status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if extra and not getattr(args, "accepts_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
