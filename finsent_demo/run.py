"""`finsent demo`: the whole daily job over the bundled corpus served on 127.0.0.1, offline.

It runs the real pipeline on the demo site, then writes the drift summary and the daily HTML
report exactly as `finsent run --report` does, and prints where the report is and what to try
next. It writes where `finsent report|drift|email|query` look by default, so those commands
work right after it without options.
"""

from __future__ import annotations

import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path

from finsent.constants import DEFAULT_OUTPUT
from finsent.errors import EXIT_OK
from finsent.pipeline_commands import report_health
from finsent_demo.corpus import load_corpus
from finsent_demo.site import DemoSite
from pipelines.runner import RunOutcome, format_summary, run_pipeline
from reports.cli import DEFAULT_REPORTS, publish_day, report_path
from reports.data import open_source

DEMO_OUTPUT = DEFAULT_OUTPUT
"""The demo's Parquet output: the folder the report, drift, email and query commands read by default."""
DEMO_REPORTS = DEFAULT_REPORTS
"""Where the demo writes its drift summary and daily report: the report commands' default."""


@dataclass(frozen=True)
class DemoOutcome:
    """What `finsent demo` did: the pipeline run, the report page, and the exit status (as `finsent run`'s)."""

    run: RunOutcome
    report: Path
    status: int


def demo_run_date() -> str:
    """The demo's run date: the last day of the corpus, so reports show its whole week."""
    corpus = load_corpus()
    return max(article.published for article in corpus.articles.values()).date().isoformat()


def run_demo(output: str = DEMO_OUTPUT, beam_args: list[str] | None = None,
             reports: str = DEMO_REPORTS) -> DemoOutcome:
    """Run the pipeline over the local demo site, then the drift summary and the report; print next steps."""
    with DemoSite() as site, tempfile.TemporaryDirectory(prefix="finsent-demo-") as folder:
        feeds = site.write_feeds_yaml(Path(folder) / "feeds.yaml")
        argv = ["--feeds", str(feeds), "--output", output, "--run_date", demo_run_date(),
                "--allow_private_hosts", *(beam_args or [])]
        outcome = run_pipeline(argv)
    if outcome is None:
        raise RuntimeError(f"the demo writes to a local folder, not {output}")
    print(format_summary(outcome))
    health = report_health(outcome, "demo")
    status = publish_day(open_source(output), outcome.run.run_date.isoformat(), [], out=reports)
    report = report_path(Path(reports), outcome.run.run_date)
    if status == EXIT_OK:
        print(next_steps(output, reports, report, outcome.run.run_date.isoformat()))
    return DemoOutcome(outcome, report, status or health)


def next_steps(output: str, reports: str, report: Path, run_date: str) -> str:
    """The report's path and the commands to try next, with `--data`/`--out` only where not the default."""
    data = [] if output == DEFAULT_OUTPUT else ["--data", output]
    out = [] if reports == DEFAULT_REPORTS else ["--out", reports]
    commands = [
        (["finsent", "report", *data, *out], "re-render the daily report"),
        (["finsent", "drift", *data, *out, "--reference", "trailing"], "drift against the days before"),
        (["finsent", "query", "daily_sentiment_by_source", *data, "--param", f"run_date={run_date}"],
         "a shipped query, run locally"),
        (["finsent", "email", *data, *out, "--to", "you@example.com", "--smtp-host", "localhost"],
         "mail the report"),
        (["finsent", "analyze", "https://example.com/some-article.html"], "one article, sentence by sentence"),
        (["finsent", "run", "--feeds", "feeds.yaml"], "the daily job on your own feeds"),
    ]
    width = max(len(shlex.join(words)) for words, _ in commands)
    lines = [f"daily report: {report.resolve()}", "try next:"]
    lines += [f"  {shlex.join(words):{width}}  # {why}" for words, why in commands]
    return "\n".join(lines)
