"""Runs the finsent job: parse options, build the pipeline, wait, print the one-screen summary."""

from __future__ import annotations

import contextlib
import ctypes
import difflib
import logging
import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NoReturn

import apache_beam as beam
import pyarrow.compute as pc
from apache_beam.options.pipeline_options import (
    DirectOptions,
    PipelineOptions,
    SetupOptions,
    StandardOptions,
    _BeamArgumentParser,
)

from finsent.errors import FinsentError, UsageError
from pipelines.classify import start_loading
from pipelines.commits import read_commits, read_table
from pipelines.datelock import date_lock
from pipelines.feeds import load_feed_configs
from pipelines.mentions import load_companies
from pipelines.options import run_settings
from pipelines.pipeline import build_pipeline
from pipelines.progress import ProgressReporter
from pipelines.runs import RunInfo
from pipelines.schema import TABLES
from pipelines.settings import RunSettings
from pipelines.worker_guard import LAUNCHER_PID_VARIABLE

LOG = logging.getLogger(__name__)

MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter number for the arena cap


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """Cap glibc's malloc arenas in this process and the worker processes it starts.

    glibc gives threads their own arenas (up to 8 per core) and keeps what is freed in them, so
    the launcher's gRPC threads held on to message buffers: at N = 3,000 articles its peak RSS was
    1.03 GiB by default and 0.82 GiB with this cap (benchmarks/RESULTS.md). A `MALLOC_ARENA_MAX`
    the user set is left alone; elsewhere than glibc this does nothing.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    os.environ["MALLOC_ARENA_MAX"] = str(arenas)  # read by the workers' glibc when they start
    with contextlib.suppress(OSError, AttributeError):  # not glibc: no libc.so.6 or no mallopt
        ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, arenas)


@dataclass(frozen=True)
class RunOutcome:
    """What a finished local run wrote: its `runs` row, failure counts by reason, wall time, health."""

    run: RunInfo
    output: str
    runs_row: dict
    failures_by_reason: dict[str, int]
    seconds: float
    problems: tuple[str, ...] = ()
    """Why the run is unhealthy (empty when it is healthy); see `health_problems`."""


def health_problems(row: dict, max_failure_rate: float) -> tuple[str, ...]:
    """Why a finished run's `runs` row is unhealthy: every feed failed, no article although the feeds
    listed entries, or more than `max_failure_rate` of the entries failed."""
    problems = []
    if row["feeds"] and row["feed_failures"] >= row["feeds"]:
        problems.append(f"every feed failed ({row['feed_failures']} of {row['feeds']} unreachable or malformed)")
    if row["entries"] and not row["articles"]:
        problems.append(f"no article stored although the feeds listed {row['entries']} entries")
    if row["entries"] and row["failures"] / row["entries"] > max_failure_rate:
        problems.append(f"{row['failures']} of {row['entries']} entries failed "
                        f"(more than --max_failure_rate {max_failure_rate:g})")
    return tuple(problems)


WORKER_GUARD_PLUGIN = "pipelines.worker_guard"


def pipeline_options(argv: list[str]) -> PipelineOptions:
    """PipelineOptions from command-line words; DirectRunner unless `--runner` says otherwise.

    Every word must be a finsent option or a known Beam option: anything else raises `UsageError`
    (Beam itself would only log "Discarding unparseable args" and run with its defaults). Local
    SDK worker processes import `pipelines.worker_guard`, so they exit if the launcher dies.
    """
    check_known_options(argv)
    options = PipelineOptions(argv)
    standard = options.view_as(StandardOptions)
    if not standard.runner:
        standard.runner = "DirectRunner"
    setup = options.view_as(SetupOptions)
    if WORKER_GUARD_PLUGIN not in (setup.beam_plugins or []):
        setup.beam_plugins = [*(setup.beam_plugins or []), WORKER_GUARD_PLUGIN]
    return options


def runs_in_this_process(options: PipelineOptions) -> bool:
    """Whether the DirectRunner executes the stages in this process (not in SDK worker processes)."""
    runner = options.view_as(StandardOptions).runner
    direct = options.view_as(DirectOptions)
    return runner in ("DirectRunner", "direct") and direct.direct_running_mode != "multi_processing"


class _StrictParser(_BeamArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def check_known_options(argv: list[str]) -> None:
    """Raise `UsageError` naming the first words of `argv` that no finsent or Beam option takes."""
    parser = _StrictParser(allow_abbrev=False, add_help=False)
    for cls in {str(cls): cls for cls in PipelineOptions.__subclasses__()}.values():
        cls._add_argparse_args(parser)
    _, unknown = parser.parse_known_args(argv)
    if unknown:
        known = [flag for action in parser._actions for flag in action.option_strings]
        guesses = [match for word in unknown if word.startswith("-")
                   for match in difflib.get_close_matches(word.split("=", 1)[0], known, n=1)]
        hint = f" (did you mean {guesses[0]}?)" if guesses else ""
        raise UsageError(f"unrecognized arguments: {' '.join(unknown)}{hint}")


def check_inputs(settings: RunSettings) -> None:
    """Read the feeds file and the company dictionary before anything is written: a mistake stops the run here."""
    load_feed_configs(settings.job.feeds)
    load_companies(settings.mentions.companies)


def check_output_writable(output: str) -> None:
    """Raise `FinsentError` when a local `--output` folder cannot be created or written."""
    if "://" in output:
        return
    folder = Path(output)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".finsent-write-check-"):
            pass
    except OSError as error:
        raise FinsentError(f"--output {output}: cannot write there ({error.strerror or error})") from error


def run_pipeline(argv: list[str]) -> RunOutcome:
    """Run the job to completion, holding the lock of its output and date; returns what it committed.

    The options, the feeds file, the company dictionary, the runner and the output folder are all
    checked before anything runs, so a mistake never writes or replaces a partition. Raises
    `DateLockedError` when another run of the same date and output is under way.
    """
    limit_malloc_arenas()
    options = pipeline_options(argv)
    settings = run_settings(options)
    check_inputs(settings)
    pipeline = beam.Pipeline(options=options)  # an unknown --runner fails here
    check_output_writable(settings.job.output)
    run = RunInfo.new(settings.job.run_date)
    started = time.perf_counter()
    if runs_in_this_process(options):
        start_loading(settings.model)
    os.environ[LAUNCHER_PID_VARIABLE] = str(os.getpid())  # read by worker_guard in local SDK workers
    with date_lock(settings.job.output, run.run_date, run.run_id):
        build_pipeline(pipeline, options, run)
        LOG.info("run %s: feeds %s → %s (run_date %s)", run.run_id, settings.job.feeds, settings.job.output,
                 run.run_date)
        with ProgressReporter():
            pipeline.run().wait_until_finish()
    outcome = read_outcome(settings.job.output, run, time.perf_counter() - started)
    return replace(outcome, problems=health_problems(outcome.runs_row, settings.job.max_failure_rate))


def read_outcome(output: str, run: RunInfo, seconds: float) -> RunOutcome:
    """Read back the committed `runs` row and failure reasons of `run`."""
    commit = read_commits(output)[run.run_date]
    if commit.run_id != run.run_id:
        raise RuntimeError(f"run {run.run_id} finished but run_date {run.run_date} of {output} "
                           f"is committed by run {commit.run_id}")
    (row,) = read_table(output, "runs", commits=[commit]).to_pylist()
    reasons = read_table(output, "failures", ["reason"], [commit]).column("reason")
    by_reason = {item["values"]: item["counts"] for item in pc.value_counts(reasons).to_pylist()}
    return RunOutcome(run, output, row, dict(sorted(by_reason.items())), seconds)


def format_summary(outcome: RunOutcome) -> str:
    """The one-screen summary printed at the end of a run."""
    row = outcome.runs_row
    balanced = row["entries"] == row["articles"] + row["failures"] + row["duplicates"]
    lines = [
        f"run {row['run_id']}  date {outcome.run.run_date}  model {row['model_version'] or '-'}",
        f"  feeds            {row['feeds']:6d}   (unreachable or malformed: {row['feed_failures']})",
        f"  entries          {row['entries']:6d}   = articles + failures + duplicates: "
        f"{'ok' if balanced else 'MISMATCH'}",
        f"  articles         {row['articles']:6d}   (not English, kept unclassified: {row['non_english']})",
        f"  sentences        {row['sentences']:6d}",
        f"  failures         {row['failures']:6d}",
        f"  duplicates       {row['duplicates']:6d}   (stored by earlier dates: {row['already_stored']})",
    ]
    if outcome.failures_by_reason:
        lines.append("  failure reasons  " + ", ".join(f"{reason} {count}" for reason, count
                                                       in outcome.failures_by_reason.items()))
    rate = row["articles"] / outcome.seconds if outcome.seconds else 0.0
    lines.append(f"  wall time        {outcome.seconds:6.1f} s   ({rate:.2f} articles/s)")
    lines.append(f"  output           {outcome.output}/{{{','.join(TABLES)}}}/"
                 f"run_date={outcome.run.run_date}/{row['run_id']}/ (committed by "
                 f"_manifests/{outcome.run.run_date}.json)")
    return "\n".join(lines)
