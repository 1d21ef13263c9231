"""The pipeline's `finsent` subcommands: `run` (the daily job), `demo` and `analyze` (one article)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import TYPE_CHECKING

from finsent.errors import EXIT_OK, EXIT_UNHEALTHY
from pipelines.settings import ALL_SETTINGS, STAGE_SETTINGS, add_setting_options, settings_words

if TYPE_CHECKING:
    from pipelines.runner import RunOutcome

LOG = logging.getLogger("finsent")

BEAM_OPTIONS_NOTE = """\
Beam pipeline options are accepted too, e.g. --runner DataflowRunner, --direct_num_workers 2
--direct_running_mode multi_processing, --project, --region, --temp_location; any other word is refused.
Every finsent option may also be spelled with hyphens (--run-date for --run_date).

Exit status: 0 healthy; 1 failed (nothing committed); 2 wrong command line; 3 the run committed its
rows but is unhealthy: every feed failed, no article although the feeds listed entries, or more
than --max_failure_rate of the entries failed."""


def add_pipeline_commands(commands) -> None:
    """Register `run`, `demo` and `analyze`."""
    run = commands.add_parser("run", help="run the daily job (Beam): feeds → Parquet (+ BigQuery)",
                              epilog=BEAM_OPTIONS_NOTE)
    add_setting_options(run.add_argument_group("finsent options"), ALL_SETTINGS)
    after = run.add_argument_group("after the run")
    after.add_argument("--report", action="store_true", help="then write the drift summary and daily report")
    after.add_argument("--email_to", "--email-to", action="append", default=[], metavar="ADDRESS",
                       help="then email the daily report (implies --report; SMTP settings from FINSENT_* env)")
    after.add_argument("--watchlist", default=None, metavar="FILE",
                       help="tickers (one per line) the report and email put first (see finsent report --help)")
    run.set_defaults(handler=run_job, accepts_extra=True)

    demo = commands.add_parser("demo", help="offline quick start: the daily job over a demo site served locally",
                               epilog="Beam and finsent run options are accepted too (see finsent run --help).")
    demo.add_argument("--output", default=None, help="where to write (default ./finsent-data, where report, "
                                                       "drift, email and query look)")
    demo.set_defaults(handler=run_demo_command, accepts_extra=True)

    analyze = commands.add_parser("analyze", help="one article (URL or saved HTML file): sentences and score, "
                                                  "with a run's own stage code and settings")
    analyze.add_argument("target", help="http(s) URL or path of a saved HTML page")
    analyze.add_argument("--json", action="store_true", help="print the article row as JSON")
    add_setting_options(analyze.add_argument_group("run options that apply to one article"), STAGE_SETTINGS)
    analyze.set_defaults(handler=run_analyze)


def run_job(args: argparse.Namespace) -> int:
    """`finsent run`: the Beam job over feeds.yaml, then the report and email when asked."""
    from pipelines.runner import format_summary, run_pipeline

    outcome = run_pipeline(settings_words(args) + args.extra)
    print(format_summary(outcome))
    status = report_health(outcome, "run")
    if args.report or args.email_to:
        from reports.cli import publish_day
        from reports.data import open_source

        data, dataset, date = (outcome.output, None, outcome.run.run_date.isoformat()) \
            if "://" not in outcome.output else report_location(args)
        status = status or publish_day(open_source(data, dataset), date, args.email_to,
                                          watchlist=args.watchlist)
    return status


def report_location(args: argparse.Namespace) -> tuple[str | None, str | None, str | None]:
    """(Parquet folder, BigQuery dataset, run date) that a run with a non-local --output reports from.

    BigQuery when the run also wrote there (one query per table instead of reading the trend
    window's Parquet files remotely); else the --output itself. The run date is --run_date, or
    None: the latest run date there, which is the run's own (today).
    """
    if args.bigquery_dataset:
        return None, args.bigquery_dataset, args.run_date
    return args.output, None, args.run_date


def report_health(outcome: RunOutcome, command: str) -> int:
    """Print why the run is unhealthy, one line per problem; EXIT_UNHEALTHY if there is any, else EXIT_OK."""
    for problem in outcome.problems:
        print(f"finsent {command}: unhealthy: {problem}", file=sys.stderr)
    return EXIT_UNHEALTHY if outcome.problems else EXIT_OK


def run_demo_command(args: argparse.Namespace) -> int:
    """`finsent demo`."""
    from finsent_demo.run import DEMO_OUTPUT, run_demo

    return run_demo(args.output or DEMO_OUTPUT, args.extra).status


def run_analyze(args: argparse.Namespace) -> int:
    """`finsent analyze`."""
    from pipelines.analyze import analyze, format_analysis
    from pipelines.settings import RunSettings

    row = analyze(args.target, RunSettings.from_values(args))
    print(json.dumps(row, default=str, indent=2) if args.json else format_analysis(row))
    return EXIT_OK
