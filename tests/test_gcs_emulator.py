"""The gs:// commit and read-back, against the real Cloud Storage emulator (gcp-storage-emulator).

The emulator runs as a separate process on 127.0.0.1 (tests/gcs_emulator.py) and
`STORAGE_EMULATOR_HOST` points everything at it: Beam's own GCS IO (google-cloud-storage, anonymous)
writes the Parquet files, pyarrow's GcsFileSystem writes and reads the manifests and reads the
rows back (`pipelines/commits.py`), and the official google-cloud-storage client lists and deletes
objects here. The same site is also run to a local folder: both outputs must read the same.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from faultsite import FaultSite, fast_run_args, serve_story_feed, write_feeds_yaml
from gcs_emulator import GcsEmulator

from pipelines.commits import read_commits, read_table
from pipelines.runner import RunOutcome, run_pipeline
from pipelines.schema import TABLES
from reports.daily import build_daily_report
from reports.data import ParquetSource

BUCKET = "finsent-test"
GS_OUTPUT = f"gs://{BUCKET}/finsent-data"
RUN_DATE = "2026-11-23"
DAY = date.fromisoformat(RUN_DATE)
REPO = Path(__file__).resolve().parents[1]
KEYS = {"articles": ("article_id", "label", "score"), "sentences": ("sentence_id", "label"),
        "failures": ("failure_id", "reason"), "mentions": ("mention_id",),
        "runs": ("entries", "articles", "failures", "duplicates", "sentences")}

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Scenario:
    folder: Path
    local: RunOutcome
    first: RunOutcome
    second: RunOutcome
    run_folders_after_second: set[str]
    crashed_run_id: str
    rows_after_crash: dict[str, set]
    rows_after_second: dict[str, set]
    refused: subprocess.CompletedProcess
    last: RunOutcome
    run_folders_after_last: set[str]
    objects_after_last: list[str]


def rows(output: str) -> dict[str, set]:
    """The identifying columns of every committed row of every table."""
    return {table: {tuple(round(v, 6) if isinstance(v, float) else v for v in row.values())
                    for row in read_table(output, table, list(columns)).to_pylist()}
            for table, columns in KEYS.items()}


def object_names(prefix: str) -> list[str]:
    """Object names under `prefix` of the bucket, through the official client."""
    from google.cloud import storage

    client = storage.Client.create_anonymous_client()
    return sorted(blob.name for blob in client.list_blobs(BUCKET, prefix=prefix))


def run_folders(names: list[str]) -> set[str]:
    """Run folders of the date named by object paths `<prefix>/<table>/run_date=D/<run_id>/...`."""
    return {match[1] for name in names if (match := re.search(rf"/run_date={RUN_DATE}/([^/]+)/", name))}


def delete_object(name: str) -> None:
    """Delete one object of the bucket, through the official client."""
    from google.cloud import storage

    storage.Client.create_anonymous_client().bucket(BUCKET).blob(name).delete()


def finsent(*words: str) -> subprocess.CompletedProcess:
    """The `finsent` command in a child process (which inherits STORAGE_EMULATOR_HOST)."""
    return subprocess.run([sys.executable, "-m", "finsent.cli", *words], cwd=REPO, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def emulator() -> GcsEmulator:
    """The emulator, with STORAGE_EMULATOR_HOST set for this module's tests and their children."""
    with GcsEmulator(BUCKET) as running, pytest.MonkeyPatch.context() as patch:
        for name, value in running.environment().items():
            patch.setenv(name, value)
        yield running


@pytest.fixture(scope="module")
def scenario(emulator: GcsEmulator, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    folder = tmp_path_factory.mktemp("gcs")
    with FaultSite() as site:
        serve_story_feed(site, 4)
        feeds = write_feeds_yaml(folder / "feeds.yaml", {"news": site.url("/feeds/news.xml")})

        def argv(output: str) -> list[str]:
            return [*fast_run_args(site), "--feeds", str(feeds), "--output", output, "--run_date", RUN_DATE]

        local = run_pipeline(argv(str(folder / "local")))
        first = run_pipeline(argv(GS_OUTPUT))
        second = run_pipeline(argv(GS_OUTPUT))
        after_second = run_folders(object_names("finsent-data/"))
        rows_after_second = rows(GS_OUTPUT)
        log = folder / "crash.log"
        with log.open("w") as output:
            crashed = subprocess.run([sys.executable, "tests/crash_during_commit.py", "before_manifest",
                                      *argv(GS_OUTPUT)], cwd=REPO, stdout=output, stderr=subprocess.STDOUT,
                                     timeout=600)
        assert crashed.returncode == -9, log.read_text()[-2000:]
        crashed_run_id = re.search(r"run (\S+): feeds ", log.read_text())[1]
        rows_after_crash = rows(GS_OUTPUT)
        refused = finsent("run", *argv(GS_OUTPUT))
        delete_object(f"finsent-data/_locks/{RUN_DATE}.lock")  # as the operator told to, the run being dead
        last = run_pipeline(argv(GS_OUTPUT))
        objects = object_names("finsent-data/")
    return Scenario(folder, local, first, second, after_second, crashed_run_id, rows_after_crash,
                    rows_after_second, refused, last, run_folders(objects), objects)


def test_the_gs_output_holds_the_same_rows_as_the_local_one(scenario: Scenario) -> None:
    local = rows(str(scenario.local.output))
    assert local["articles"] and local["sentences"] and local["failures"]
    assert scenario.rows_after_second == local
    assert scenario.second.runs_row["articles"] == scenario.local.runs_row["articles"] == 4


def test_the_files_and_manifest_are_objects_in_the_bucket(scenario: Scenario) -> None:
    assert f"finsent-data/_manifests/{RUN_DATE}.json" in scenario.objects_after_last
    for table in TABLES:
        assert any(name.startswith(f"finsent-data/{table}/run_date={RUN_DATE}/{scenario.last.run.run_id}/part-")
                   for name in scenario.objects_after_last), table


def test_re_running_the_date_on_gs_replaces_it(scenario: Scenario) -> None:
    assert scenario.run_folders_after_second == {scenario.first.run.run_id, scenario.second.run.run_id}
    assert {row[0] for row in scenario.rows_after_second["runs"]} == {scenario.second.runs_row["entries"]}
    assert len(scenario.rows_after_second["runs"]) == 1


def test_a_run_killed_before_its_gs_commit_leaves_the_previous_run(scenario: Scenario) -> None:
    assert scenario.rows_after_crash == scenario.rows_after_second


def test_a_dead_runs_lock_object_refuses_the_next_run_with_one_line(scenario: Scenario) -> None:
    lines = scenario.refused.stderr.strip().splitlines()
    assert scenario.refused.returncode == 1 and len(lines) == 1, scenario.refused.stderr
    assert scenario.crashed_run_id in lines[0]
    assert lines[0].endswith(f"delete the lock if that run is dead (lock {GS_OUTPUT}/_locks/{RUN_DATE}.lock)")


def test_the_next_gs_run_cleans_up_and_releases_its_lock(scenario: Scenario) -> None:
    commit = read_commits(GS_OUTPUT)[DAY]
    assert (commit.run_id, commit.replaced_run_id) == (scenario.last.run.run_id, scenario.second.run.run_id)
    assert scenario.run_folders_after_last == {scenario.last.run.run_id, scenario.second.run.run_id}
    assert not [name for name in scenario.objects_after_last if "/_locks/" in name]


def comparable(source: ParquetSource):
    """The day's report without what differs between two runs of the same pages (run IDs, times)."""
    report = build_daily_report(source, DAY)
    return dataclasses.replace(report, freshness=None, generated_at=None)


def test_report_and_queries_read_gs_as_they_read_local(scenario: Scenario) -> None:
    local = str(scenario.local.output)
    assert comparable(ParquetSource(GS_OUTPUT)) == comparable(ParquetSource(local))
    done = finsent("report", "--data", GS_OUTPUT, "--out", str(scenario.folder / "reports"))
    assert done.returncode == 0, done.stderr
    assert (scenario.folder / "reports" / f"finsent-report-{RUN_DATE}.html").is_file()
    for query in ("daily_sentiment_by_source", "failure_rates_by_feed"):
        words = ("query", query, "--param", f"run_date={RUN_DATE}", "--format", "json")
        on_gs, on_local = finsent(*words, "--data", GS_OUTPUT), finsent(*words, "--data", local)
        assert on_gs.returncode == on_local.returncode == 0, on_gs.stderr + on_local.stderr
        assert on_gs.stdout == on_local.stdout and on_gs.stdout.strip() != "[]", query
