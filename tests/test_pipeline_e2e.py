"""The real pipeline on DirectRunner over the demo site: rows, IDs, accounting, re-runs, incremental runs."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from committed import committed_files
from helpers import read_rows, sql, stray_run_folders

from finsent_demo.corpus import expected_counts
from finsent_demo.site import DemoSite
from pipelines.runner import MALLOC_ARENAS, limit_malloc_arenas, run_pipeline
from pipelines.schema import TABLES, arrow_schema
from pipelines.urls import canonicalize_url, make_article_id


def test_every_feed_entry_is_accounted_for(demo_run):
    expected = expected_counts()
    runs = demo_run.runs_row
    assert runs["entries"] == expected["feed_entries"]
    assert runs["articles"] == expected["articles"]
    assert runs["duplicates"] == expected["duplicates"]
    assert runs["failures"] == expected["failures_total"]
    assert runs["entries"] == runs["articles"] + runs["failures"] + runs["duplicates"]
    assert demo_run.failures_by_reason == expected["failures"]


def test_rows_have_deterministic_ids_and_the_shared_schema(demo_run):
    for name in TABLES:
        (written_file, *_) = committed_files(Path(demo_run.output), demo_run.run_date, name)
        written = pq.read_schema(written_file)
        assert written.remove_metadata().equals(arrow_schema(name)), name
    articles = read_rows(demo_run.output, "articles")
    for article in articles:
        assert article["article_id"] == make_article_id(canonicalize_url(article["url"]))
        assert article["text"] and article["title"]
    sentences = read_rows(demo_run.output, "sentences")
    by_article = {a["article_id"] for a in articles}
    assert {s["article_id"] for s in sentences} <= by_article
    for sentence in sentences:
        assert sentence["sentence_id"] == f"{sentence['article_id']}-{sentence['index']:04d}"
        assert sentence["p_negative"] + sentence["p_neutral"] + sentence["p_positive"] == pytest.approx(1, abs=1e-4)


def test_article_scores_summarise_their_sentences(demo_run):
    rows = sql(demo_run.output, """
        SELECT a.article_id, a.n_sentences, a.score, count(s.sentence_id), avg(s.p_positive - s.p_negative)
        FROM articles a LEFT JOIN sentences s USING (article_id)
        GROUP BY ALL""")
    assert rows
    for _, n_sentences, score, counted, mean in rows:
        assert n_sentences == counted
        if counted:
            assert score == pytest.approx(mean, abs=1e-6)
        else:
            assert score is None


def test_non_english_articles_are_kept_but_not_classified(demo_run):
    rows = sql(demo_run.output, "SELECT language, classified, n_sentences, label FROM articles WHERE language <> 'en'")
    assert rows == [("de", False, 0, None)]


def test_evidence_holds_the_strongest_sentences(demo_run):
    rows = sql(demo_run.output, """
        SELECT a.article_id, e.sentence_id, e.score, s.p_positive - s.p_negative
        FROM articles a, UNNEST(a.evidence) AS t(e) JOIN sentences s ON s.sentence_id = e.sentence_id""")
    assert rows
    for _, _, evidence_score, sentence_score in rows:
        assert evidence_score == pytest.approx(sentence_score, abs=1e-6)


def test_failures_name_their_reason_feed_and_url(demo_run):
    rows = sql(demo_run.output, "SELECT stage, reason, feed, url, http_status FROM failures ORDER BY reason")
    reasons = [row[1] for row in rows]
    assert reasons == ["entry_invalid", "entry_invalid", "http_404"]
    assert all(row[2] for row in rows)
    assert rows[2][4] == 404 and rows[2][0] == "scrape"


@pytest.fixture(scope="module")
def history(demo_run, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A copy of the session's demo output, the same date run again on a new site, then the next day there.

    The new site has another port, so the re-run's URLs and article IDs all differ from the stored
    ones: only a replaced partition can leave each article once. What the tests check of the re-run
    is read before the next day runs.
    """
    output = str(tmp_path_factory.mktemp("history") / "data")
    shutil.copytree(demo_run.output, output)
    with DemoSite() as site:  # one site, one port for both runs: the same URLs on both dates
        rerun = run_on_site(site, output, str(demo_run.run_date))
        after_rerun = {
            "ids": sql(output, "SELECT article_id FROM articles ORDER BY 1"),
            "distinct": sql(output, "SELECT count(*), count(DISTINCT article_id) FROM articles")[0],
            "runs": sql(output, "SELECT run_id FROM runs"),
            "failures": sql(output, "SELECT count(*), count(DISTINCT failure_id) FROM failures")[0],
            "staging": stray_run_folders(output),
        }
        expected_ids = sorted(make_article_id(canonicalize_url(url)) for url in site.article_urls().values())
        later = run_on_site(site, output, str(demo_run.run_date + timedelta(days=1)))
    return {"rerun": rerun, "after_rerun": after_rerun, "expected_ids": expected_ids, "later": later}


@pytest.mark.slow
def test_rerunning_a_date_replaces_its_rows(history):
    after = history["after_rerun"]
    articles = expected_counts()["articles"]
    assert history["rerun"].runs_row["articles"] == articles
    assert [row[0] for row in after["ids"]] == history["expected_ids"]  # none of the replaced run's IDs
    assert after["distinct"] == (articles, articles)
    assert after["runs"] == [(history["rerun"].run.run_id,)]
    assert after["failures"] == (3, 3)
    assert not after["staging"], "run folders left behind"


@pytest.mark.slow
def test_a_later_date_skips_what_earlier_dates_stored(history):
    runs = history["later"].runs_row
    assert runs["articles"] == 0
    expected = expected_counts()
    assert runs["duplicates"] == expected["articles"] + expected["duplicates"]
    assert runs["already_stored"] >= expected["articles"]
    assert runs["failures"] == expected["failures_total"]  # the 404 page was never stored
    assert runs["entries"] == runs["articles"] + runs["failures"] + runs["duplicates"]


def test_multi_process_mode_gives_the_same_rows(demo_run, multiprocess_run):
    runs = multiprocess_run["outcome"].runs_row
    assert (runs["entries"], runs["articles"], runs["sentences"]) == (
        demo_run.runs_row["entries"], demo_run.runs_row["articles"], demo_run.runs_row["sentences"])
    query = "SELECT text, label, round(p_positive, 5), round(p_negative, 5) FROM sentences ORDER BY ALL"
    # Each article's sentences are predicted together, so labels cannot depend on the batching.
    assert sql(multiprocess_run["output"], query) == sql(demo_run.output, query)


def run_on_site(site: DemoSite, output: str, run_date: str = "2026-11-23", *beam_args: str):
    feeds = site.write_feeds_yaml(Path(output).parent / "feeds.yaml")
    outcome = run_pipeline(["--feeds", str(feeds), "--output", output, "--run_date", run_date,
                            "--allow_private_hosts", *beam_args])
    assert outcome is not None
    return outcome


def test_a_run_caps_malloc_arenas_for_its_workers_unless_the_user_chose(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    limit_malloc_arenas()
    assert os.environ["MALLOC_ARENA_MAX"] == str(MALLOC_ARENAS)  # inherited by worker processes
    monkeypatch.setenv("MALLOC_ARENA_MAX", "6")
    limit_malloc_arenas()
    assert os.environ["MALLOC_ARENA_MAX"] == "6"
