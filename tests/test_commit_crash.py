"""A run killed (SIGKILL) at any point of its date commit leaves readers one whole run; the next run cleans up.

One output folder, one run date, and a site whose feed lists one more story for every run, so
rows of two runs cannot pass for one. A clean run commits first; then four real `finsent run`
child processes are each killed at a different point of the commit (tests/crash_during_commit.py);
then a clean run again. After each, the readers (reports' ParquetSource and `finsent query`'s
DuckDB views) must show exactly one run's rows in all five tables: the old run's when the kill
came before the manifest was replaced, the new run's after.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from faultsite import FaultSite, article_html, fast_run_args, serve_story_feed, write_feeds_yaml

from pipelines.commits import MANIFESTS, read_commits, run_folder
from pipelines.datelock import LOCKS
from pipelines.runner import run_pipeline
from pipelines.schema import TABLES
from reports.data import ParquetSource
from reports.sql import open_duckdb

pytestmark = pytest.mark.slow  # these tests run the whole pipeline in a subprocess

RUN_DATE = "2026-11-23"
DAY = date.fromisoformat(RUN_DATE)
REPO = Path(__file__).resolve().parents[1]
FIRST_STORIES = 3
KEYS = {"articles": "article_id", "sentences": "sentence_id", "failures": "failure_id", "runs": "run_id",
        "mentions": "mention_id"}


@dataclass(frozen=True)
class View:
    """What the readers showed after one run: row keys per table, and the one run row."""

    keys: dict[str, set]
    run: dict


@dataclass(frozen=True)
class Scenario:
    output: Path
    stories: dict[str, int]  # run_id → stories its feed listed
    views: dict[str, View]  # after which run → what readers showed
    run_ids: dict[str, str]  # step → run_id
    folders_after_crashes: set[str]


def reader_view(output: Path) -> View:
    """Read the date through the reports' source and through `finsent query`'s DuckDB views."""
    source = ParquetSource(output)
    frames = {table: source.read(table, DAY, DAY) for table in TABLES}
    (run,) = frames["runs"].to_dict("records")
    keys = {table: set(frames[table][key]) for table, key in KEYS.items()}
    connection = open_duckdb(output)
    for table, key in KEYS.items():
        rows = {row[0] for row in connection.execute(f"SELECT {key} FROM {table} WHERE run_date = ?", [DAY]).fetchall()}
        assert rows == keys[table], f"DuckDB and ParquetSource disagree on {table}"
    articles = frames["articles"]
    assert len(articles) == run["articles"] and set(articles["run_id"]) == {run["run_id"]}
    assert len(frames["sentences"]) == run["sentences"] == articles["n_sentences"].sum()
    assert keys["sentences"] >= set(frames["mentions"]["sentence_id"])
    assert set(frames["failures"]["run_id"]) == {run["run_id"]}
    return View(keys, run)


def run_killed_at(point: str, argv: list[str], log: Path, output: Path) -> str:
    """Run `finsent run` in a child that SIGKILLs itself at `point` of the commit; its run_id.

    Checks that it died in the commit: every table of the run was completely written.
    """
    with log.open("w") as handle:
        child = subprocess.run([sys.executable, "tests/crash_during_commit.py", point, *argv], cwd=REPO,
                               stdout=handle, stderr=subprocess.STDOUT, timeout=600)
    text = log.read_text()
    assert child.returncode == -9, f"{point}: the run was not killed (exit {child.returncode}):\n{text[-2000:]}"
    run_id = re.search(r"run (\S+): feeds ", text)[1]
    for table in TABLES:
        assert list(Path(run_folder(str(output), table, DAY, run_id)).glob("part-*.parquet")), (point, table)
    return run_id


def run_folders(output: Path) -> set[str]:
    """Run folders present under the date, over all tables."""
    return {path.name for table in TABLES for path in (output / table / f"run_date={RUN_DATE}").iterdir()}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    folder = tmp_path_factory.mktemp("commit-crash")
    output = folder / "data"
    stories, views, run_ids = {}, {}, {}
    with FaultSite() as site:
        feeds = write_feeds_yaml(folder / "feeds.yaml", {"news": site.url("/feeds/news.xml")})
        argv = [*fast_run_args(site), "--feeds", str(feeds), "--output", str(output), "--run_date", RUN_DATE]
        steps = ["clean_first", "before_manifest", "before_rename", "before_cleanup", "mid_cleanup", "clean_last"]
        for count, step in enumerate(steps, start=FIRST_STORIES):
            serve_story_feed(site, count)
            if step.startswith("clean"):
                run_ids[step] = run_pipeline(argv).run.run_id
            else:
                run_ids[step] = run_killed_at(step, argv, folder / f"{step}.log", output)
            stories[run_ids[step]] = count
            views[step] = reader_view(output)
            if step == "mid_cleanup":
                folders_after_crashes = run_folders(output)
    return Scenario(output, stories, views, run_ids, folders_after_crashes)


def test_every_view_is_one_whole_run_with_that_runs_stories(scenario: Scenario) -> None:
    for step, view in scenario.views.items():
        assert view.run["articles"] == scenario.stories[view.run["run_id"]], step
        assert len(view.keys["articles"]) == scenario.stories[view.run["run_id"]], step


@pytest.mark.parametrize("step", ["before_manifest", "before_rename"])
def test_killed_before_the_manifest_is_replaced_readers_see_the_old_run(scenario: Scenario, step: str) -> None:
    assert scenario.views[step] == scenario.views["clean_first"]


@pytest.mark.parametrize("step", ["before_cleanup", "mid_cleanup"])
def test_killed_after_the_manifest_is_replaced_readers_see_the_new_run(scenario: Scenario, step: str) -> None:
    assert scenario.views[step].run["run_id"] == scenario.run_ids[step]
    assert scenario.views[step].keys["articles"] > scenario.views["clean_first"].keys["articles"]


def test_the_next_run_commits_and_removes_what_dead_runs_left(scenario: Scenario) -> None:
    ids = scenario.run_ids
    # a kill mid-cleanup leaves some dead folders; the next clean run removes all of them
    assert scenario.folders_after_crashes > {ids["mid_cleanup"], ids["before_cleanup"]}
    commit = read_commits(str(scenario.output))[DAY]
    assert (commit.run_id, commit.replaced_run_id) == (ids["clean_last"], ids["mid_cleanup"])
    assert run_folders(scenario.output) == {ids["clean_last"], ids["mid_cleanup"]}
    assert [path.name for path in (scenario.output / MANIFESTS).iterdir()] == [f"{RUN_DATE}.json"]


def test_a_second_run_of_the_same_date_fails_clearly_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    with FaultSite() as site:
        serve_story_feed(site, 2)
        site.add("/news/story-0", article_html("Story 0", 0), delay=30)  # keeps the first run busy
        feeds = write_feeds_yaml(tmp_path / "feeds.yaml", {"news": site.url("/feeds/news.xml")})
        argv = ["run", *fast_run_args(site), "--fetch_timeout", "60", "--fetch_deadline_s", "60", "--feeds", str(feeds),
                "--output", str(tmp_path / "data"), "--run_date", RUN_DATE]
        first = subprocess.Popen([sys.executable, "-m", "finsent.cli", *argv], cwd=REPO,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 300
            while not site.hits("/news/story-0"):
                assert first.poll() is None and time.monotonic() < deadline, "the first run never fetched"
                time.sleep(0.1)
            second = subprocess.run([sys.executable, "-m", "finsent.cli", *argv], cwd=REPO,
                                    capture_output=True, text=True, timeout=300)
            assert first.poll() is None, "the first run ended before the second was refused"
        finally:
            first.kill()
            first.wait()
    lines = second.stderr.strip().splitlines()
    assert second.returncode == 1 and len(lines) == 1, second.stderr
    assert lines[0].startswith(f"finsent run: --output {tmp_path / 'data'}: run_date {RUN_DATE} is being "
                               "written by another run (")
    assert f"wait for it to finish (lock {tmp_path / 'data' / LOCKS / RUN_DATE}.lock)" in lines[0]
    assert not (tmp_path / "data" / MANIFESTS).exists()
