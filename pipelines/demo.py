"""`finsent demo`: serves the bundled demo corpus on 127.0.0.1 and runs the real pipeline over it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pipelines.demo_site import DemoSite, load_corpus
from pipelines.runner import RunOutcome, format_summary, run_pipeline

DEMO_OUTPUT = "./finsent-demo-data"


def demo_run_date() -> str:
    """The demo's run date: the last day of the corpus, so reports show its whole week."""
    corpus = load_corpus()
    return max(article.published for article in corpus.articles.values()).date().isoformat()


def run_demo(output: str = DEMO_OUTPUT, beam_args: list[str] | None = None) -> RunOutcome:
    """Run the pipeline over the local demo site; returns what the run wrote."""
    with DemoSite() as site, tempfile.TemporaryDirectory(prefix="finsent-demo-") as folder:
        feeds = site.write_feeds_yaml(Path(folder) / "feeds.yaml")
        argv = ["--feeds", str(feeds), "--output", output, "--run_date", demo_run_date(),
                "--allow_private_hosts", *(beam_args or [])]
        outcome = run_pipeline(argv)
    print(format_summary(outcome))
    return outcome
