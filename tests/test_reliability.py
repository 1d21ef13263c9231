"""The real pipeline against a site where everything goes wrong: every entry accounted for, re-runs identical.

One module-scoped pair of runs over `FaultSite` (DirectRunner, the same run date twice) backs the
tests; each fault of `faultsite.install_faults` must end exactly as its catalogue entry says.
"""

from __future__ import annotations

import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path

import duckdb
import pytest
from committed import commit_rows, parquet_scan
from faultsite import (
    ARTICLE,
    CHARSET_TEXT,
    DUPLICATE,
    FETCH_RETRIES,
    MAX_RETRY_AFTER,
    PER_DOMAIN,
    Catalogue,
    FaultSite,
    big_feed,
    billion_laughs,
    fast_run_args,
    install_faults,
    write_feeds_yaml,
)
from helpers import read_rows

from pipelines.commits import read_table
from pipelines.feeds import parse_feed
from pipelines.records import FeedConfig
from pipelines.runner import RunOutcome, run_pipeline
from pipelines.schema import TABLES
from pipelines.urls import canonicalize_url, make_article_id

RUN_DATE = "2026-11-23"
ROUTES = ("/error-500", "/error-503", "/reset", "/rate-limited", "/hang", "/trickle", "/flaky",
          "/busy-then-ok", "/forbidden", "/loop-a", "/loop-b", "/chain-0", "/chain-3", "/chain-4",
          "/to-metadata", "/gzip-bomb")


@dataclass(frozen=True)
class FaultRun:
    """One finished run: its outcome and every row it committed, read back before the next run."""

    outcome: RunOutcome
    rows: dict[str, list[dict]]


@dataclass(frozen=True)
class Observed:
    """Both runs of the date, and what the server saw during the first one."""

    catalogue: Catalogue
    first: FaultRun
    second: FaultRun
    hits: dict[str, int]
    hit_times: dict[str, list[float]]
    max_concurrent: dict[str, int]
    output: Path


def all_rows(output: Path) -> dict[str, list[dict]]:
    """Every committed row of every table, through the readers' glob `run_date=*/*.parquet`."""
    return {table: read_rows(output, table) for table in TABLES}


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Observed:
    folder = tmp_path_factory.mktemp("faults")
    output = folder / "data"
    with FaultSite() as site:
        catalogue = install_faults(site)
        feeds = write_feeds_yaml(folder / "feeds.yaml", catalogue.feed_urls)
        argv = [*fast_run_args(site), "--feeds", str(feeds), "--output", str(output), "--run_date", RUN_DATE]
        first = run_pipeline(argv)
        assert first is not None
        first_run = FaultRun(first, all_rows(output))
        seen = ({path: site.hits(path) for path in ROUTES}, {path: site.hit_times(path) for path in ROUTES},
                {host: site.max_concurrent(host) for host in ("127.0.0.1", "localhost")})
        second = run_pipeline(argv)
        assert second is not None
    return Observed(catalogue, first_run, FaultRun(second, all_rows(output)), *seen, output)


# --- every entry accounted for -------------------------------------------------------------------

def test_the_run_completes_and_entries_equal_articles_plus_failures_plus_duplicates(observed: Observed) -> None:
    runs = observed.first.outcome.runs_row
    catalogue = observed.catalogue
    assert runs["entries"] == len(catalogue.entries) == 44
    assert runs["articles"] == catalogue.count(ARTICLE) == 16
    assert runs["duplicates"] == catalogue.count(DUPLICATE) == 1
    assert runs["failures"] == len(catalogue.entries) - runs["articles"] - runs["duplicates"] == 27
    assert runs["entries"] == runs["articles"] + runs["failures"] + runs["duplicates"]
    assert runs["feed_failures"] == len(catalogue.feed_faults) == 3


def test_each_fault_ends_as_a_failure_row_with_its_reason(observed: Observed) -> None:
    failures = observed.first.rows["failures"]
    assert observed.first.outcome.failures_by_reason == observed.catalogue.failure_counts()
    reason_by_url = {row["url"]: row["reason"] for row in failures if row["entry_level"]}
    wrong = {fault.name: reason_by_url.get(fault.link or "") for fault in observed.catalogue.entries
             if fault.expected not in (ARTICLE, DUPLICATE) and (fault.link or "").startswith("http")
             and len(fault.link or "") <= 2048 and reason_by_url.get(fault.link or "") != fault.expected}
    assert wrong == {}
    by_feed = {row["feed"]: row["reason"] for row in failures if not row["entry_level"]}
    assert by_feed == observed.catalogue.feed_faults


def test_entries_that_must_become_articles_do(observed: Observed) -> None:
    stored = {row["article_id"] for row in observed.first.rows["articles"]}
    expected = {make_article_id(canonicalize_url(fault.link or "")): fault.name
                for fault in observed.catalogue.entries if fault.expected == ARTICLE}
    assert {name for article_id, name in expected.items() if article_id not in stored} == set()
    assert stored == set(expected)


def test_wrong_or_missing_charsets_still_decode_the_text(observed: Observed) -> None:
    texts = {row["final_url"].rsplit("/", 1)[-1]: row["text"] for row in observed.first.rows["articles"]}
    assert CHARSET_TEXT in texts["charset-wrong"]  # UTF-8 served as iso-8859-1
    assert CHARSET_TEXT in texts["charset-missing"]  # windows-1252, no charset anywhere


# --- retries, Retry-After, per-domain limit ------------------------------------------------------

def test_retries_are_bounded(observed: Observed) -> None:
    retried = 1 + FETCH_RETRIES
    assert observed.hits == {
        "/error-500": retried, "/error-503": retried, "/reset": retried, "/rate-limited": retried,
        "/hang": 1, "/trickle": 1,  # timeouts are not retried
        "/flaky": 2, "/busy-then-ok": 2,  # recovered on the first retry
        "/forbidden": 1, "/loop-a": 1, "/loop-b": 1, "/to-metadata": 1, "/gzip-bomb": 1,
        "/chain-0": 1, "/chain-3": 1, "/chain-4": 0,  # --max_redirects 3: the 4th hop is never requested
    }


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in pairwise(times)]


def test_retry_after_is_honoured_up_to_the_cap(observed: Observed) -> None:
    (honoured,) = gaps(observed.hit_times["/busy-then-ok"])
    assert honoured >= 1.0  # Retry-After: 1, not the 0.05 s backoff
    capped = gaps(observed.hit_times["/rate-limited"])
    assert len(capped) == FETCH_RETRIES
    assert all(MAX_RETRY_AFTER <= gap < 60 for gap in capped)  # Retry-After: 3600, capped


def test_one_host_never_sees_more_than_the_per_domain_limit(observed: Observed) -> None:
    """Measured on `localhost`, whose four slow pages all start at once (32 fetch threads).

    127.0.0.1 also serves the hanging routes, which the server may count for a moment after
    the client gave up on them, so its count says nothing exact.
    """
    assert observed.max_concurrent["localhost"] == PER_DOMAIN  # reached, never exceeded


# --- re-runs -------------------------------------------------------------------------------------

def row_set(rows: list[dict], *columns: str) -> set[tuple]:
    return {tuple(row[column] for column in columns) for row in rows}


def test_running_the_same_date_twice_gives_identical_rows(observed: Observed) -> None:
    first, second = observed.first.rows, observed.second.rows
    assert row_set(second["articles"], "article_id", "label") == row_set(first["articles"], "article_id", "label")
    assert row_set(second["sentences"], "sentence_id", "label") == row_set(first["sentences"], "sentence_id",
                                                                           "label")
    assert row_set(second["failures"], "failure_id", "reason") == row_set(first["failures"], "failure_id",
                                                                          "reason")
    counts = ("entries", "articles", "failures", "duplicates", "feed_failures", "sentences")
    assert row_set(second["runs"], *counts) == row_set(first["runs"], *counts)
    assert second["runs"][0]["run_id"] != first["runs"][0]["run_id"]


def test_after_the_rerun_no_row_is_stored_twice(observed: Observed) -> None:
    connection = duckdb.connect()
    keys = {"articles": "article_id", "sentences": "sentence_id", "failures": "failure_id", "runs": "run_date"}
    for table, key in keys.items():
        total, distinct = connection.execute(
            f"SELECT count(*), count(DISTINCT {key}) FROM {parquet_scan(observed.output, table)}").fetchone()
        assert total == distinct == len(observed.first.rows[table]), table


# --- hostile feeds -------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32", "cp037", "cp500"])
def test_entity_expansion_is_refused_in_any_encoding_without_time_or_memory(encoding: str) -> None:
    text = billion_laughs().decode().replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{encoding}"?>')
    tracemalloc.start()
    started = time.perf_counter()
    entries, failures = parse_feed(text.encode(encoding), FeedConfig("laughs", "http://news.invalid/f", "x"))
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (entries, [failure.reason for failure in failures]) == ([], ["feed_malformed"])
    assert seconds < 0.5 and peak < 5_000_000


@pytest.mark.slow
def test_a_10000_entry_feed_runs_in_bounded_memory(tmp_path: Path) -> None:
    """10,000 entries whose articles an earlier date already stored: read, deduplicated, counted.

    They are already-stored duplicates so the test measures the feed and dedupe path without
    fetching 10,000 pages. Each run is a child process so its peak RSS is its own; memory must
    stay flat from 100 to 10,000 entries (the model, Beam and the libraries are the same).
    """
    small_mb, small_runs = run_stored_feed(tmp_path / "small", 100)
    big_mb, big_runs = run_stored_feed(tmp_path / "big", 10_000)
    assert (big_runs["feed_failures"], big_runs["entries"], big_runs["duplicates"], big_runs["already_stored"],
            big_runs["articles"]) == (0, 10_000, 10_000, 10_000, 0)
    assert small_runs["entries"] == 100
    assert big_mb - small_mb < 250, f"peak RSS {small_mb:.0f} MB at 100 entries, {big_mb:.0f} MB at 10,000"
    assert big_mb < 2048, f"peak RSS {big_mb:.0f} MB"


def run_stored_feed(folder: Path, entries: int) -> tuple[float, dict]:
    """Run over one feed of `entries` already-stored articles; (peak RSS in MB, the runs row)."""
    with FaultSite() as site:
        prefix = site.url("/a/")
        site.add("/feeds/big.xml", big_feed(entries, prefix), content_type="application/rss+xml")
        feeds = write_feeds_yaml(folder / "feeds.yaml", {"big": site.url("/feeds/big.xml")})
        output = folder / "data"
        store_earlier_articles(output, [make_article_id(canonicalize_url(f"{prefix}{n}")) for n in range(entries)])
        argv = [*fast_run_args(site), "--feeds", str(feeds), "--output", str(output), "--run_date", RUN_DATE,
                "--max_body_bytes", "5000000",  # the 10,000-entry feed is 1.7 MB
                "--max_entries_per_feed", str(entries)]  # all of them, past the default cap
        peak_mb = run_child_measuring_rss(argv)
    (runs,) = read_table(str(output), "runs").to_pylist()
    return peak_mb, runs


def store_earlier_articles(output: Path, article_ids: list[str]) -> None:
    """A committed earlier date whose articles hold `article_ids` (only the column dedupe reads)."""
    commit_rows(output, date(2026, 11, 22), "earlier", {"articles": {"article_id": article_ids}})


def run_child_measuring_rss(argv: list[str]) -> float:
    """Run the pipeline in a child process; its peak resident memory in MB."""
    script = ("import resource, sys\nfrom pipelines.runner import run_pipeline\nrun_pipeline(sys.argv[1:])\n"
              "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr[-2000:]
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("PEAK_KB")]
    return int(line.split()[1]) / 1024
