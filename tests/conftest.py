"""Session fixtures: the PhraseBank folder, ONE `finsent demo` run shared by every test that only reads
its output, one 2-process run, and the report-test copy of the demo output.

Every test that uses a fixture which runs the whole pipeline is marked `slow` here, so
`python3 -m pytest -m "not slow"` (the inner loop) never runs it.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pytest
from helpers import DemoData, DemoRun, inject_hostile_text, read_rows, skip_or_fail

from model.data import AGREEMENT_FILES, resolve_data_dir

PIPELINE_FIXTURES = {
    "demo_run", "multiprocess_run", "demo_data", "same_day_reference", "reports_out",  # this file
    "history",  # test_pipeline_e2e.py: three runs on one site
    "observed",  # test_reliability.py: two runs over the fault site
    "scenario",  # test_crash_rerun.py: killed and clean runs
}
"""Fixtures that run the whole pipeline (directly or through another): their tests are `slow`.

A test that runs the pipeline itself carries `@pytest.mark.slow`."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `slow` every test that needs a whole pipeline run."""
    for item in items:
        if PIPELINE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def feeds_file(tmp_path: Path) -> Path:
    """A valid feeds.yaml whose only feed is on a closed loopback port (never reached by these tests)."""
    path = tmp_path / "feeds.yaml"
    path.write_text('feeds:\n  - {name: desk, url: "http://127.0.0.1:9/feed.xml"}\n')
    return path


@pytest.fixture(scope="session")
def phrasebank_dir() -> Path:
    """The PhraseBank folder; in CI (`CI=true`) a missing folder fails loudly, elsewhere skips."""
    try:
        return resolve_data_dir()
    except RuntimeError:
        skip_or_fail(f"Financial PhraseBank ({AGREEMENT_FILES[50][0]}) not found in ../shared/data "
                     "or $FINSENT_PHRASEBANK_DIR")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """`finsent demo` (DirectRunner, shipped model): pipeline, drift summary and report, run once.

    Tests must not modify its output; copy it first (see `demo_data`).
    """
    from finsent_demo.run import run_demo

    root = tmp_path_factory.mktemp("demo-run")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        done = run_demo(str(root / "data"), reports=str(root / "reports"))
    run = done.run
    return DemoRun(run.output, root / "reports", done.report, printed.getvalue(), run.runs_row,
                   run.failures_by_reason, run.run.run_date, done.status)


@pytest.fixture(scope="session")
def multiprocess_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One run over the demo site with 2 SDK worker processes: its outcome, expected counts and rows."""
    from finsent_demo.run import demo_run_date
    from finsent_demo.site import DemoSite
    from pipelines.runner import run_pipeline
    from pipelines.schema import TABLES

    folder = tmp_path_factory.mktemp("multiprocess")
    output = folder / "data"
    with DemoSite() as site:
        feeds = site.write_feeds_yaml(folder / "feeds.yaml")
        expected = site.expected_counts()
        outcome = run_pipeline(["--feeds", str(feeds), "--output", str(output), "--run_date", demo_run_date(),
                                "--allow_private_hosts", "--direct_running_mode", "multi_processing",
                                "--direct_num_workers", "2"])
    assert outcome is not None
    return {"outcome": outcome, "expected": expected, "output": output,
            "rows": {table: read_rows(output, table) for table in TABLES}}


@pytest.fixture(scope="session")
def demo_data(demo_run: DemoRun, tmp_path_factory: pytest.TempPathFactory) -> DemoData:
    """A copy of the demo run's output (articles over 8 days) with hostile text injected."""
    from finsent.constants import SHIPPED_MODEL_DIR

    data = tmp_path_factory.mktemp("report-demo") / "data"
    shutil.copytree(demo_run.output, data)
    return DemoData(data, demo_run.run_date, SHIPPED_MODEL_DIR, inject_hostile_text(data, demo_run.run_date))


@pytest.fixture(scope="session")
def same_day_reference(demo_data: DemoData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A drift reference predicted by the run's model on the run's own sentences: nothing drifts."""
    import duckdb
    from committed import parquet_scan

    from model.predict import SentimentClassifier
    from model.reference import write_reference

    texts = [row[0] for row in duckdb.execute(
        f"SELECT text FROM {parquet_scan(demo_data.data, 'sentences')} ORDER BY sentence_id").fetchall()]
    path = tmp_path_factory.mktemp("reference") / "reference_predictions.parquet"
    write_reference(SentimentClassifier.load(demo_data.model, threads=1), texts, path)
    return path


@pytest.fixture(scope="session")
def reports_out(demo_data: DemoData, same_day_reference: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`finsent drift` (vs `same_day_reference`) then `finsent report` into one folder."""
    from finsent.cli import main

    out = tmp_path_factory.mktemp("reports")
    common = ["--data", str(demo_data.data), "--out", str(out)]
    assert main(["drift", *common, "--reference-file", str(same_day_reference)]) == 0
    assert main(["report", *common]) == 0
    return out
