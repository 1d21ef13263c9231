"""A run killed with SIGKILL mid-fetch loses nothing: readers never see partial files, a re-run equals a clean run.

`finsent run` runs in a child process against a slow site and is killed (kill -9) while it is
fetching pages; then the same date is run again in this process. Readers are modelled by what
every reader does: resolve the files through the dates' manifests. (Kills during the commit
itself: tests/test_commit_crash.py.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from faultsite import FaultSite, article_html, fast_run_args, rss, write_feeds_yaml

from finsent_demo.fakesite import RssItem
from pipelines.commits import read_commits, read_table
from pipelines.runner import run_pipeline
from pipelines.schema import TABLES

RUN_DATE = "2026-11-23"
STORIES = 10
SLOW = 0.5
"""Seconds each story page takes, so the child is still fetching when it is killed."""
REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Scenario:
    """Row sets of a clean run, and of the killed-then-rerun output at each step."""

    clean: dict[str, set[tuple]]
    after_first_kill: list[Path]
    rerun: dict[str, set[tuple]]
    rerun_counts: dict[str, tuple[int, int]]
    before_second_kill: list[Path]
    after_second_kill: list[Path]
    rerun_after_second_kill: dict[str, set[tuple]]


def visible_files(output: Path) -> list[Path]:
    """What readers see: every file the dates' manifests name."""
    return sorted(output / relative for commit in read_commits(str(output)).values()
                  for table in TABLES for relative in commit.files[table])


def row_sets(output: Path) -> dict[str, set[tuple]]:
    """The identifying columns (and labels) of every visible row, per table."""
    columns = {"articles": ("article_id", "label"), "sentences": ("sentence_id", "label"),
               "failures": ("failure_id", "reason"),
               "runs": ("entries", "articles", "failures", "duplicates", "sentences")}
    return {table: {tuple(row[c] for c in cols) for row in table_rows(output, table)}
            for table, cols in columns.items()}


def table_rows(output: Path, table: str) -> list[dict]:
    return read_table(str(output), table).to_pylist()


KEYS = {"articles": "article_id", "sentences": "sentence_id", "failures": "failure_id", "runs": "run_id"}


def row_counts(output: Path) -> dict[str, tuple[int, int]]:
    """(rows, distinct keys) per table; "runs" is keyed by run_id, so a second run row shows up too."""
    counts = {}
    for table, key in KEYS.items():
        rows = table_rows(output, table)
        counts[table] = (len(rows), len({row[key] for row in rows}))
    return counts


def install_slow_site(site: FaultSite, delay: float) -> list[str]:
    """Story pages taking `delay` seconds, a 404 and a javascript: entry; returns the story paths."""
    paths = [f"/news/story-{index}" for index in range(STORIES)]
    for index, path in enumerate(paths):
        site.add(path, article_html(f"Story {index}", index), delay=delay)
    items = [RssItem(f"Story {index}", site.url(path), path) for index, path in enumerate(paths)]
    items += [RssItem("Gone", site.url("/missing"), "gone"), RssItem("Script", "javascript:alert(1)", "js")]
    site.add("/feeds/slow.xml", rss(items), content_type="application/rss+xml")
    return paths


def run_and_kill(argv: list[str], site: FaultSite, paths: list[str], log: Path) -> None:
    """Start `finsent run` in a child, SIGKILL it once it is fetching story pages."""
    before = sum(site.hits(path) for path in paths)
    with log.open("w") as output:
        child = subprocess.Popen([sys.executable, "-m", "finsent.cli", "run", *argv], cwd=REPO,
                                 stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while sum(site.hits(path) for path in paths) < before + 2:
            assert child.poll() is None, f"the run ended before it was killed:\n{log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "the run never started fetching"
            time.sleep(0.05)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    folder = tmp_path_factory.mktemp("crash")
    clean_out, crash_out = folder / "clean", folder / "crashed"
    with FaultSite() as site:
        paths = install_slow_site(site, SLOW)
        feeds = write_feeds_yaml(folder / "feeds.yaml", {"slow": site.url("/feeds/slow.xml")})

        def argv(output: Path) -> list[str]:
            return [*fast_run_args(site), "--feeds", str(feeds), "--output", str(output), "--run_date", RUN_DATE]

        assert run_pipeline(argv(clean_out)) is not None
        run_and_kill(argv(crash_out), site, paths, folder / "killed-1.log")
        after_first_kill = visible_files(crash_out)
        assert run_pipeline(argv(crash_out)) is not None
        rerun = row_sets(crash_out)
        counts = row_counts(crash_out)
        before_second_kill = visible_files(crash_out)
        run_and_kill(argv(crash_out), site, paths, folder / "killed-2.log")
        after_second_kill = visible_files(crash_out)
        rerun_after_second_kill = row_sets(crash_out)
    return Scenario(row_sets(clean_out), after_first_kill, rerun, counts, before_second_kill,
                    after_second_kill, rerun_after_second_kill)


def test_a_killed_first_run_leaves_nothing_visible_to_readers(scenario: Scenario) -> None:
    assert scenario.after_first_kill == []


def test_the_rerun_after_a_kill_equals_a_clean_run(scenario: Scenario) -> None:
    assert scenario.clean["articles"] and scenario.clean["sentences"] and scenario.clean["failures"]
    assert scenario.rerun == scenario.clean
    (runs,) = scenario.clean["runs"]
    assert runs[:4] == (STORIES + 2, STORIES, 2, 0)  # entries, articles, failures, duplicates


def test_the_rerun_stores_no_row_twice(scenario: Scenario) -> None:
    for table, (rows, distinct) in scenario.rerun_counts.items():
        assert rows == distinct, table
    assert scenario.rerun_counts["runs"] == (1, 1)


def test_a_rerun_killed_mid_flight_leaves_the_committed_rows_untouched(scenario: Scenario) -> None:
    assert scenario.after_second_kill == scenario.before_second_kill
    assert scenario.rerun_after_second_kill == scenario.rerun
