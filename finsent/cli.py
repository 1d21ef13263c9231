"""The `finsent` command line: registers every subcommand and owns the error, exit-status and logging rules.

- A failure the user can cause prints `finsent CMD: <message>` on one line and exits 1; a wrong
  command line exits 2; `--debug` shows the traceback instead (`finsent.errors` lists every status).
- Logging: finsent's own loggers at INFO (progress lines), `-q` for warnings only, `-v` for
  debug; libraries stay at WARNING unless `--debug`.
- Registering the commands imports neither Beam nor torch, so `--help` is quick; each handler
  imports what it runs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import NoReturn

from finsent.errors import EXIT_ERROR, EXIT_USAGE, FinsentError, UsageError

FINSENT_LOGGERS = ("finsent", "pipelines", "model", "reports")
# Extraction libraries log every page they cannot read as an ERROR; finsent records those pages as
# failure rows with a reason, so their own messages only show with --debug.
EXTRACTION_LOGGERS = ("trafilatura", "newspaper", "htmldate", "courlan", "justext")
INTERRUPTED = 130


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows each option's default (when it has a meaningful one) after its help."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS, []) or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors raise `UsageError` (one line, exit 2) instead of exiting."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def _logging_flags() -> argparse.ArgumentParser:
    flags = argparse.ArgumentParser(add_help=False)
    group = flags.add_argument_group("output")
    group.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="only warnings and errors (no progress lines)")
    group.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                       help="finsent's debug messages")
    group.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="debug messages of every library, and tracebacks on errors")
    return flags


def package_version() -> str:
    """The installed finsent version (or 'unknown' when run from an uninstalled checkout)."""
    try:
        return version("finsent")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> Parser:
    """The `finsent` parser with every subcommand registered (cheap: no Beam or torch import)."""
    from finsent.pipeline_commands import add_pipeline_commands
    from model.cli import add_model_commands
    from reports.cli import add_report_commands
    from reports.sql import add_query_commands

    flags = _logging_flags()
    parser = Parser(prog="finsent", parents=[flags],
                    description="Financial-news sentiment: feeds → articles → sentences → sentiment → "
                                "Parquet/BigQuery → reports.",
                    epilog="Exit status: 0 ok, 1 failed, 2 wrong command line, 3 unhealthy run, "
                           "4 drift found (drift --fail-on-drift).")
    parser.add_argument("--version", action="version", version=f"finsent {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for add in (add_pipeline_commands, add_model_commands, add_report_commands, add_query_commands):
        add(_Commands(commands, flags))
    parser.command_names = frozenset(commands.choices)
    for command in commands.choices.values():
        add_spelling_aliases(command)
    return parser


def add_spelling_aliases(parser: argparse.ArgumentParser) -> None:
    """Give every long option both spellings, `--run_date` first and `--run-date` as its declared alias.

    One style for finsent's own options (underscores, as Beam's), whichever way a command declared
    them, without ever dropping the other spelling silently.
    """
    for action in parser._actions:
        longs = [flag for flag in action.option_strings if flag.startswith("--")]
        for flag in longs:
            for spelling in ("--" + flag[2:].replace("-", "_"), "--" + flag[2:].replace("_", "-")):
                if spelling not in parser._option_string_actions:
                    parser._option_string_actions[spelling] = action
                    action.option_strings.append(spelling)
        action.option_strings.sort(key=lambda flag: (flag.startswith("--"), "-" in flag[2:]))


class _Commands:
    """The subparsers action, handing every subcommand the logging flags and finsent's parser class."""

    def __init__(self, commands: argparse._SubParsersAction, flags: argparse.ArgumentParser) -> None:
        self._commands, self._flags = commands, flags

    def add_parser(self, name: str, **kwargs) -> Parser:
        """A subcommand parser (same keywords as argparse's `add_parser`)."""
        kwargs.setdefault("description", kwargs.get("help"))
        return self._commands.add_parser(name, parents=[self._flags, *kwargs.pop("parents", [])], **kwargs)


def configure_logging(args: argparse.Namespace) -> None:
    """finsent's loggers at INFO (WARNING with -q, DEBUG with -v); libraries at WARNING unless --debug."""
    debug = getattr(args, "debug", False)
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    if getattr(args, "quiet", False):
        level = logging.WARNING
    elif getattr(args, "verbose", False) or debug:
        level = logging.DEBUG
    else:
        level = logging.INFO
    for name in FINSENT_LOGGERS:
        logging.getLogger(name).setLevel(level)
    if not debug:
        for name in EXTRACTION_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)


def main(argv: list[str] | None = None) -> int:
    """Run one `finsent` subcommand; returns the process exit status (see `finsent.errors`)."""
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    command = next((word for word in words if word in parser.command_names), "")
    try:
        args, extra = parser.parse_known_args(words)
        if extra and not getattr(args, "accepts_extra", False):
            raise UsageError(f"unrecognized arguments: {' '.join(extra)} (see finsent {args.command} --help)")
        args.extra = extra
    except UsageError as error:
        print(f"finsent{' ' + command if command else ''}: {error}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(args)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print(f"finsent {args.command}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except Exception as error:
        if getattr(args, "debug", False):
            raise
        print(f"finsent {args.command}: {one_line_message(error)}", file=sys.stderr)
        return EXIT_USAGE if isinstance(error, UsageError) else EXIT_ERROR


def one_line_message(error: BaseException) -> str:
    """The error's message on one line; errors that are not finsent's also name their type and --debug."""
    text = " ".join(str(error).split()) or type(error).__name__
    if len(text) > 500:
        text = text[:500] + " …"
    if isinstance(error, FinsentError | OSError | ValueError):
        return text
    return f"{type(error).__name__}: {text} (finsent --debug shows the traceback)"


if __name__ == "__main__":
    sys.exit(main())
