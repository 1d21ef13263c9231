"""Bounded cost per entry through `finsent run`: feed and sentence caps, the fetch deadline, large pages.

One module-scoped run over a local site whose feeds each push one limit: a feed longer than
`--max_entries_per_feed`, an article of 6,000 sentences, a chain of slow redirects, and an
article padded to 5.3 MB by an inline JSON `<script>`. What is cut must be recorded, so that
entries = articles + failures + duplicates still holds.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from faultsite import FETCH_DEADLINE, FaultSite, article_html, fast_run_args, rss, write_feeds_yaml
from helpers import read_rows
from test_cli import finsent

from finsent_demo.fakesite import RssItem

pytestmark = pytest.mark.slow  # these tests run the whole pipeline in a subprocess

REPO = Path(__file__).resolve().parents[1]
RUN_DATE = "2026-11-24"
LONG_FEED, ENTRY_CAP = 12, 5
SENTENCES, SENTENCE_CAP = 6_000, 100
HOPS, HOP_DELAY = 6, 1.5


TEMPLATES = (
    "Revenue at the {n}th unit rose {p} percent from a year earlier, the company said on Tuesday.",
    "Operating profit in region {n} fell to {p} million euros as demand for steel weakened.",
    "Analysts expect the board to propose a dividend of {p} euros per share for year {n}.",
    "Shares in subsidiary {n} gained {p} percent in early trading after the announcement.",
)


def wordy_page(sentences: int) -> bytes:
    """An article of `sentences` short sentences, ten to a paragraph."""
    lines = [TEMPLATES[n % len(TEMPLATES)].format(n=n, p=n % 9 + 1) for n in range(sentences)]
    paragraphs = "".join(f"<p>{' '.join(lines[start:start + 10])}</p>" for start in range(0, sentences, 10))
    return (f"<html><head><title>Units</title></head><body><article><h1>Units</h1>{paragraphs}"
            "</article></body></html>").encode()


def padded_page(size: int) -> bytes:
    """A real-looking article whose inline JSON app state pads it to `size` bytes."""
    html = article_html("Padded story", 40).encode()
    opening, closing = b'<script id="__NEXT_DATA__" type="application/json">{"state": "', b'"}</script></head>'
    filler = b"x" * (size - len(html) - len(opening) - len(closing) + len(b"</head>"))
    return html.replace(b"</head>", opening + filler + closing)


@dataclass(frozen=True)
class LimitRun:
    """The finished run: the command's result, its rows, and what the site saw."""

    done: subprocess.CompletedProcess
    rows: dict[str, list[dict]]
    hits: dict[str, int]
    hop_times: list[float]
    urls: dict[str, str]


def entries(site: FaultSite, paths: list[str]) -> bytes:
    return rss([RssItem(path, site.url(path), path) for path in paths])


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> LimitRun:
    folder = tmp_path_factory.mktemp("limits")
    output = folder / "data"
    with FaultSite() as site:
        long_paths = [f"/long/{n}" for n in range(LONG_FEED)]
        for seed, path in enumerate(long_paths):
            site.add_article(path, seed)
        site.add("/wordy", wordy_page(SENTENCES))
        site.add("/padded", padded_page(5_300_000))
        for hop in range(HOPS):
            site.add(f"/hop-{hop}", b"", 302, {"Location": f"/hop-{hop + 1}"}, content_type=None, delay=HOP_DELAY)
        site.add_article(f"/hop-{HOPS}", 41)
        feeds = {"long": long_paths, "wordy": ["/wordy"], "padded": ["/padded"], "slow": ["/hop-0"]}
        for name, paths in feeds.items():
            site.add(f"/feeds/{name}.xml", entries(site, paths), content_type="application/rss+xml")
        feeds_yaml = write_feeds_yaml(folder / "feeds.yaml", {name: site.url(f"/feeds/{name}.xml") for name in feeds})
        argv = [*fast_run_args(site), "--max_body_bytes", "10000000", "--max_redirects", "10",
                "--max_failure_rate", "1", "--max_entries_per_feed", str(ENTRY_CAP),
                "--max_sentences_per_article", str(SENTENCE_CAP),
                "--feeds", str(feeds_yaml), "--output", str(output), "--run_date", RUN_DATE]
        done = finsent("run", *argv, cwd=REPO, timeout=600)
        hits = {path: site.hits(path) for path in [*long_paths, *(f"/hop-{hop}" for hop in range(HOPS + 1))]}
        hop_times = [time for hop in range(HOPS + 1) for time in site.hit_times(f"/hop-{hop}")]
        urls = {path: site.url(path) for path in [*long_paths, "/wordy", "/padded", "/hop-0"]}
    rows = {table: read_rows(output, table) for table in ("articles", "failures", "runs")}
    return LimitRun(done, rows, hits, hop_times, urls)


def test_the_run_succeeds_and_every_entry_is_accounted_for(limited: LimitRun) -> None:
    assert limited.done.returncode == 0, limited.done.stderr[-3000:]
    assert "= articles + failures + duplicates: ok" in limited.done.stdout
    (runs,) = limited.rows["runs"]
    assert runs["entries"] == LONG_FEED + 3
    assert (runs["articles"], runs["failures"], runs["duplicates"]) == (ENTRY_CAP + 2, LONG_FEED - ENTRY_CAP + 1, 0)


def test_entries_past_the_feed_limit_are_recorded_and_never_fetched(limited: LimitRun) -> None:
    cut = [f"/long/{n}" for n in range(ENTRY_CAP, LONG_FEED)]
    over = sorted(row["url"] for row in limited.rows["failures"] if row["reason"] == "over_entry_limit")
    assert over == sorted(limited.urls[path] for path in cut)
    assert all(row["entry_level"] for row in limited.rows["failures"] if row["reason"] == "over_entry_limit")
    assert [limited.hits[path] for path in cut] == [0] * len(cut)


def test_an_article_of_6000_sentences_is_classified_up_to_the_limit(limited: LimitRun) -> None:
    (wordy,) = [row for row in limited.rows["articles"] if row["url"] == limited.urls["/wordy"]]
    assert wordy["n_sentences"] == SENTENCE_CAP
    (cut,) = [row for row in limited.rows["failures"] if row["reason"] == "too_many_sentences"]
    assert (cut["url"], cut["stage"], cut["entry_level"]) == (limited.urls["/wordy"], "sentences", False)
    assert f"{SENTENCES - SENTENCE_CAP} of {SENTENCES} sentences" in cut["detail"]


def test_a_chain_of_slow_redirects_ends_at_the_fetch_deadline(limited: LimitRun) -> None:
    (row,) = [row for row in limited.rows["failures"] if row["url"] == limited.urls["/hop-0"]]
    assert row["reason"] == "timeout"
    assert limited.hits[f"/hop-{HOPS}"] == 0
    assert limited.hop_times[-1] - limited.hop_times[0] < FETCH_DEADLINE


def test_a_page_padded_to_5_mb_by_inline_json_is_still_an_article(limited: LimitRun) -> None:
    (padded,) = [row for row in limited.rows["articles"] if row["url"] == limited.urls["/padded"]]
    assert padded["n_sentences"] >= 5
