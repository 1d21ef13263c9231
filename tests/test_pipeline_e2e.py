"""The real pipeline on DirectRunner over the demo site: rows, IDs, accounting, re-runs, incremental runs."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines.commits import read_commits, read_table
from pipelines.demo_site import DemoSite, expected_counts
from pipelines.runner import MALLOC_ARENAS, limit_malloc_arenas, run_pipeline
from pipelines.schema import TABLES, arrow_schema
from pipelines.urls import canonicalize_url, make_article_id

README = Path(__file__).resolve().parents[1] / "README.md"


def table(output: str, name: str):
    """Committed rows of every date, as readers see them."""
    return read_table(output, name)


def sql(output: str, query: str) -> list[tuple]:
    """`query` on DuckDB over the committed files, found through the manifests as README shows."""
    connection = duckdb.connect()
    for name in TABLES:
        connection.execute(f"SET VARIABLE {name} = (SELECT list('{output}/' || file) FROM "
                           f"(SELECT unnest(tables.{name}) AS file FROM read_json('{output}/_manifests/*.json')))")
        connection.execute(f"CREATE VIEW {name} AS SELECT * FROM "
                           f"read_parquet(getvariable('{name}'), hive_partitioning = true)")
    return connection.execute(query).fetchall()


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
        (relative, *_) = read_commits(demo_run.output)[demo_run.run.run_date].files[name]
        written = pq.read_schema(Path(demo_run.output) / relative)
        assert written.remove_metadata().equals(arrow_schema(name)), name
    articles = table(demo_run.output, "articles").to_pylist()
    for article in articles:
        assert article["article_id"] == make_article_id(canonicalize_url(article["url"]))
        assert article["text"] and article["title"]
    sentences = table(demo_run.output, "sentences").to_pylist()
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


def test_every_english_title_is_classified_on_its_own_and_kept_out_of_the_score(demo_run):
    from model.predict import SentimentClassifier

    rows = sql(demo_run.output, """
        SELECT title, language, title_label, title_p_negative, title_p_neutral, title_p_positive, title_score
        FROM articles ORDER BY article_id""")
    english = [row for row in rows if row[1] == "en"]
    assert english and all(row[2] is not None for row in english)
    assert [row[2:] for row in rows if row[1] != "en"] == [(None, None, None, None, None)]
    titles = [" ".join(row[0].split()) for row in english]
    expected = [SentimentClassifier.load().predict([title])[0] for title in titles]
    for (_, _, label, p_negative, p_neutral, p_positive, score), prediction in zip(english, expected, strict=True):
        assert label == prediction.label
        assert (p_negative, p_neutral, p_positive) == pytest.approx(
            (prediction.p_negative, prediction.p_neutral, prediction.p_positive), abs=1e-5)
        assert score == pytest.approx(p_positive - p_negative, abs=1e-9)
    # The article score stays the mean over the body's sentences (test_article_scores_summarise_their_sentences);
    # titles are not sentence rows.
    assert not sql(demo_run.output, "SELECT * FROM sentences WHERE sentence_id LIKE '%-title'")


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


def test_rerunning_a_date_replaces_its_rows(tmp_path):
    output = str(tmp_path / "data")
    with DemoSite() as site:
        first = run_on_site(site, output)
        first_ids = sql(output, "SELECT article_id FROM articles ORDER BY 1")
        second = run_on_site(site, output)
    assert sql(output, "SELECT article_id FROM articles ORDER BY 1") == first_ids
    assert first.runs_row["articles"] == second.runs_row["articles"] == expected_counts()["articles"]
    ids = sql(output, "SELECT count(*), count(DISTINCT article_id) FROM articles")[0]
    assert ids[0] == ids[1] == expected_counts()["articles"]
    assert sql(output, "SELECT count(*) FROM runs")[0][0] == 1
    assert sql(output, "SELECT count(*), count(DISTINCT failure_id) FROM failures")[0] == (3, 3)
    commit = read_commits(output)[second.run.run_date]
    assert (commit.run_id, commit.replaced_run_id) == (second.run.run_id, first.run.run_id)


def test_a_later_date_skips_what_earlier_dates_stored(tmp_path):
    output = str(tmp_path / "data")
    with DemoSite() as site:  # one site, one port: the same URLs on both dates
        run_on_site(site, output, "2026-11-23")
        later = run_on_site(site, output, "2026-11-24")
    runs = later.runs_row
    assert runs["articles"] == 0
    expected = expected_counts()
    assert runs["duplicates"] == expected["articles"] + expected["duplicates"]
    assert runs["already_stored"] >= expected["articles"]
    assert runs["failures"] == expected["failures_total"]  # the 404 page was never stored
    assert runs["entries"] == runs["articles"] + runs["failures"] + runs["duplicates"]


def test_multi_process_mode_gives_the_same_rows(demo_run, tmp_path):
    output = str(tmp_path / "data")
    with DemoSite() as site:
        outcome = run_on_site(site, output, "2026-11-23", "--direct_num_workers", "2",
                              "--direct_running_mode", "multi_processing")
    runs = outcome.runs_row
    assert (runs["entries"], runs["articles"], runs["sentences"]) == (
        demo_run.runs_row["entries"], demo_run.runs_row["articles"], demo_run.runs_row["sentences"])
    query = "SELECT text, label, round(p_positive, 5), round(p_negative, 5) FROM sentences ORDER BY ALL"
    # Each article's sentences are predicted together, so labels cannot depend on the batching.
    assert sql(output, query) == sql(demo_run.output, query)


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


def test_the_readme_duckdb_example_reads_the_committed_rows(demo_run):
    (example,) = re.findall(r"```sql\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    *setup, select = [part for part in example.replace("finsent-data/", f"{demo_run.output}/").split(";")
                      if part.strip()]
    connection = duckdb.connect()
    for statement in setup:
        connection.execute(statement)
    means = dict(connection.execute(select).fetchall())
    expected = table(demo_run.output, "articles").to_pandas().groupby("source")["score"].mean()
    assert means == pytest.approx(expected.to_dict())


def test_the_reports_source_reads_an_fsspec_filesystem(demo_run):
    import fsspec

    from reports.data import ParquetSource

    memory = fsspec.filesystem("memory")
    memory.put(str(demo_run.output), "/finsent-copy", recursive=True)
    day = demo_run.run.run_date
    copy, local = ParquetSource("memory://finsent-copy"), ParquetSource(demo_run.output)
    assert copy.run_dates() == local.run_dates() == [day]
    for name in TABLES:
        assert copy.read(name, day, day).equals(local.read(name, day, day)), name
