"""The `finsent` command line: one entry point whose subcommands live beside what they run."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from model.cli import add_model_commands
from reports.cli import add_report_commands
from reports.sql import add_query_commands


def add_pipeline_commands(commands: argparse._SubParsersAction) -> None:
    """Register `run`, `demo` and `analyze`."""
    run = commands.add_parser("run", add_help=False, help="run the daily job (Beam; --help for options)",
                              description="Every finsent option below, plus any Beam pipeline option "
                                          "(--runner, --direct_num_workers, --direct_running_mode, ...).")
    run.add_argument("--report", action="store_true", help="then write the drift summary and daily report")
    run.add_argument("--email-to", action="append", default=[], metavar="ADDRESS",
                     help="then email the daily report (implies --report; SMTP from FINSENT_* env)")
    run.set_defaults(handler=run_job, accepts_extra=True)

    demo = commands.add_parser("demo", help="offline quick start: run on the demo corpus served locally")
    demo.add_argument("--output", default=None, help="where to write (default ./finsent-demo-data)")
    demo.set_defaults(handler=run_demo_command, accepts_extra=True)

    analyze = commands.add_parser("analyze", help="one article (URL or saved HTML file): sentences and score")
    analyze.add_argument("target", help="http(s) URL or path of a saved HTML page")
    analyze.add_argument("--model", default=None, help="artifact folder (default: the shipped model)")
    analyze.add_argument("--allow_private_hosts", action="store_true", help="allow loopback/private hosts")
    analyze.add_argument("--ignore_robots", action="store_true", help="do not read robots.txt")
    analyze.add_argument("--json", action="store_true", help="print the article row as JSON")
    analyze.set_defaults(handler=run_analyze)


def run_job(args: argparse.Namespace) -> int:
    """`finsent run`: the Beam job over feeds.yaml."""
    if {"-h", "--help"} & set(args.extra):
        print_run_help()
        return 0
    from pipelines.runner import format_summary, run_pipeline

    outcome = run_pipeline(args.extra)
    if outcome is not None:
        print(format_summary(outcome))
        if args.report or args.email_to:
            from reports.cli import report_after_run

            return report_after_run(outcome.output, outcome.run.run_date, args.email_to)
    return 0


def print_run_help() -> None:
    """Usage of `finsent run`, listing every FinsentOptions option."""
    from pipelines.options import FinsentOptions

    parser = argparse.ArgumentParser(prog="finsent run", description="Run the finsent Beam job. Beam "
                                     "options (--runner, --direct_num_workers, ...) are accepted too.")
    FinsentOptions._add_argparse_args(parser)
    parser.print_help()


def run_demo_command(args: argparse.Namespace) -> int:
    """`finsent demo`."""
    from pipelines.demo import DEMO_OUTPUT, run_demo

    run_demo(args.output or DEMO_OUTPUT, args.extra)
    return 0


def run_analyze(args: argparse.Namespace) -> int:
    """`finsent analyze`."""
    from pipelines.analyze import analyze, format_analysis
    from pipelines.fetch import FetchSettings

    settings = FetchSettings(allow_private_hosts=args.allow_private_hosts, ignore_robots=args.ignore_robots)
    row = analyze(args.target, settings, args.model)
    print(json.dumps(row, default=str, indent=2) if args.json else format_analysis(row))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The `finsent` parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="finsent",
        description="Financial-news sentiment: feeds → articles → sentences → sentiment → Parquet → reports.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_pipeline_commands(commands)
    add_model_commands(commands)
    add_report_commands(commands)
    add_query_commands(commands)
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
