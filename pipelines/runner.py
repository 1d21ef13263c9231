"""Runs the finsent job: parse options, build the pipeline, wait, print the one-screen summary."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from pipelines.options import FinsentOptions
from pipelines.pipeline import RunInfo, build_pipeline
from pipelines.sinks import partition_dir

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
    """What a finished local run wrote: its `runs` row, failure counts by reason, wall time."""

    run: RunInfo
    output: str
    runs_row: dict
    failures_by_reason: dict[str, int]
    seconds: float


def pipeline_options(argv: list[str]) -> PipelineOptions:
    """PipelineOptions from command-line words; DirectRunner unless `--runner` says otherwise."""
    options = PipelineOptions(argv)
    standard = options.view_as(StandardOptions)
    if not standard.runner:
        standard.runner = "DirectRunner"
    return options


def run_pipeline(argv: list[str]) -> RunOutcome | None:
    """Run the job to completion; returns the outcome when the output is local, else None."""
    limit_malloc_arenas()
    options = pipeline_options(argv)
    opts = options.view_as(FinsentOptions)
    run = RunInfo.new(opts.run_date)
    started = time.perf_counter()
    print(f"finsent run {run.run_id}: feeds {opts.feeds} → {opts.output} (run_date {run.run_date})",
          file=sys.stderr, flush=True)
    pipeline = beam.Pipeline(options=options)
    build_pipeline(pipeline, options, run)
    result = pipeline.run()
    result.wait_until_finish()
    if not Path(opts.output).exists():
        return None
    return read_outcome(opts.output, run, time.perf_counter() - started)


def read_outcome(output: str, run: RunInfo, seconds: float) -> RunOutcome:
    """Read back the committed `runs` row and failure reasons of `run`."""
    runs = pq.read_table(partition_dir(output, "runs", run.run_date)).to_pylist()
    row = next(r for r in runs if r["run_id"] == run.run_id)
    failures = pq.read_table(partition_dir(output, "failures", run.run_date), columns=["reason"])
    by_reason: dict[str, int] = {}
    for reason in failures.column("reason").to_pylist():
        by_reason[reason] = by_reason.get(reason, 0) + 1
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
    lines.append(f"  output           {outcome.output}/{{articles,sentences,failures,runs}}/"
                 f"run_date={outcome.run.run_date}/")
    return "\n".join(lines)
