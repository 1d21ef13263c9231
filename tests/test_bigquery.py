"""The BigQuery sink: schemas agree with Parquet, rows become valid BigQuery JSON, tables are partitioned."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta, timezone

import apache_beam as beam
import pyarrow as pa
import pytest
from apache_beam.io.gcp import bigquery_tools

from finsent.constants import parse_dataset
from pipelines.bigquery import WriteBigQueryTables, bigquery_row
from pipelines.schema import PARTITION_COLUMN, TABLES, arrow_schema, bigquery_schema
from pipelines.warehouse import CLUSTERING, commit_script, staging_table, table_parameters

ARROW_OF_BIGQUERY = {
    "STRING": pa.string(), "INT64": pa.int64(), "FLOAT64": pa.float64(), "BOOL": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"), "DATE": pa.date32(),
}
RUN_DATE = date(2026, 11, 23)


def expected_arrow_type(field: dict) -> pa.DataType:
    if field["type"] == "RECORD":
        base = pa.struct([pa.field(sub["name"], expected_arrow_type(sub), nullable=sub["mode"] != "REQUIRED")
                          for sub in field["fields"]])
    else:
        base = ARROW_OF_BIGQUERY[field["type"]]
    return pa.list_(base) if field["mode"] == "REPEATED" else base


@pytest.mark.parametrize("table", sorted(TABLES))
def test_bigquery_and_parquet_schemas_agree_field_by_field(table: str):
    bq_fields = bigquery_schema(table)["fields"]
    arrow = arrow_schema(table, with_partition_column=True)
    assert [f["name"] for f in bq_fields] == arrow.names
    for bq_field, arrow_field in zip(bq_fields, arrow, strict=True):
        assert arrow_field.type == expected_arrow_type(bq_field), bq_field["name"]
        assert arrow_field.nullable == (bq_field["mode"] != "REQUIRED"), bq_field["name"]


@pytest.mark.parametrize("table", sorted(TABLES))
def test_beam_parses_each_schema_and_the_partition_column_is_a_required_date(table: str):
    parsed = bigquery_tools.parse_table_schema_from_json(json.dumps(bigquery_schema(table)))
    fields = {field.name: field for field in parsed.fields}
    assert len(fields) == len(TABLES[table])
    assert (fields[PARTITION_COLUMN].type, fields[PARTITION_COLUMN].mode) == ("DATE", "REQUIRED")


@pytest.mark.parametrize("table", sorted(TABLES))
def test_tables_are_day_partitioned_on_run_date_and_clustered_on_top_level_columns(table: str):
    parameters = table_parameters(table)
    assert parameters["timePartitioning"] == {"type": "DAY", "field": "run_date"}
    clustered = parameters.get("clustering", {}).get("fields", [])
    assert clustered == list(CLUSTERING.get(table, ()))
    assert len(clustered) <= 4
    modes = {f["name"]: (f["type"], f["mode"]) for f in bigquery_schema(table)["fields"]}
    for column in clustered:
        assert modes[column][0] in {"STRING", "INT64", "DATE", "BOOL", "TIMESTAMP"}
        assert modes[column][1] != "REPEATED"


def test_articles_and_sentences_are_clustered_for_the_analysts_filters():
    assert table_parameters("articles")["clustering"]["fields"] == ["source", "label"]
    assert table_parameters("sentences")["clustering"]["fields"] == ["article_id", "label"]
    assert table_parameters("failures")["clustering"]["fields"] == ["reason", "feed"]
    assert "clustering" not in table_parameters("runs")


def test_each_run_loads_into_its_own_staging_tables_whose_names_beam_accepts():
    name = staging_table("articles", "20261123-ab12cd34")
    assert name == "_staging_articles_20261123_ab12cd34"
    reference = bigquery_tools.parse_table_reference(f"my-project:finsent.{name}")
    assert (reference.projectId, reference.datasetId, reference.tableId) == ("my-project", "finsent", name)
    assert staging_table("articles", "20261123-ab12cd34") != staging_table("articles", "20261123-ff12cd34")


def test_the_commit_replaces_the_date_in_every_table_in_one_transaction():
    script = commit_script("my-project:finsent", "20261123-ab12cd34", RUN_DATE).splitlines()
    assert script[0] == "BEGIN TRANSACTION;" and script[-1] == "COMMIT TRANSACTION;"
    assert len(script) == 2 + 2 * len(TABLES)
    for table in TABLES:
        assert f"DELETE FROM `my-project.finsent.{table}` WHERE run_date = DATE '2026-11-23';" in script
        (insert,) = [line for line in script if line.startswith(f"INSERT INTO `my-project.finsent.{table}` ")]
        assert insert.endswith(f"FROM `my-project.finsent.{staging_table(table, '20261123-ab12cd34')}`;")
        assert insert.count("`run_date`") == 2


def test_the_commit_refuses_anything_but_a_date_and_a_checked_dataset():
    with pytest.raises(TypeError, match="run_date must be a date"):
        commit_script("my-project:finsent", "r", "2026-11-23' OR TRUE --")
    with pytest.raises(ValueError, match="PROJECT:DATASET"):
        commit_script("my-project:fin`sent", "r", RUN_DATE)


@pytest.mark.parametrize("value, expected", [
    ("my-project:finsent", ("my-project", "finsent")),
    ("example.com:my-project:finsent_prod", ("example.com:my-project", "finsent_prod")),
])
def test_dataset_option_accepts_project_colon_dataset(value, expected):
    assert parse_dataset(value) == expected


@pytest.mark.parametrize("value", ["finsent", "my-project.finsent", "My-Project:finsent",
                                   "my-project:fin-sent", "p:finsent", ""])
def test_a_malformed_dataset_option_is_refused_with_the_expected_form(value):
    with pytest.raises(ValueError, match="PROJECT:DATASET"):
        parse_dataset(value)


# --- rows as BigQuery JSON ----------------------------------------------------------------------

def sentence(**changes) -> dict:
    row = {"sentence_id": "a1-0", "article_id": "a1", "run_date": RUN_DATE, "index": 0,
           "text": "Profit rose.", "label": "positive", "p_negative": 0.1, "p_neutral": 0.2,
           "p_positive": 0.7, "score": 0.6, "model_version": "v1"}
    return {**row, **changes}


def article(**changes) -> dict:
    row = {field.name: None for field in TABLES["articles"]}
    row.update({
        "article_id": "a1", "run_date": RUN_DATE, "url": "https://example.com/a", "feed": "f",
        "source": "S", "tags": ["markets"], "tickers": ("ACME",), "authors": None,
        "published_at": datetime(2026, 11, 23, 9, 30, tzinfo=timezone(timedelta(hours=2))),
        "scraped_at": datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=timezone.utc),
        "classified": True, "extractor": "trafilatura", "text": "Profit rose.", "n_sentences": 1,
        "n_positive": 1, "n_neutral": 0, "n_negative": 0, "score": 0.6, "label": "positive",
        "evidence": [{"sentence_id": "a1-0", "text": "Profit rose.", "label": "positive", "score": 0.6,
                      "p_negative": 0.1, "p_positive": 0.7}],
        "run_id": "20261123-abc",
    })
    if "entities" in row:
        row["entities"] = []
    row.update(changes)
    return row


def test_timestamps_become_iso_utc_dates_iso_and_repeated_fields_lists():
    row = bigquery_row("articles", article())
    assert row["published_at"] == "2026-11-23T07:30:00.000000Z"
    assert row["scraped_at"] == "2026-11-23T10:00:00.123456Z"
    assert row["run_date"] == "2026-11-23"
    assert row["tickers"] == ["ACME"] and row["tags"] == ["markets"]
    assert row["authors"] == []
    assert row["evidence"][0] == {"sentence_id": "a1-0", "text": "Profit rose.", "label": "positive",
                                  "score": 0.6, "p_negative": 0.1, "p_positive": 0.7}
    assert set(row) == {field.name for field in TABLES["articles"]}


def test_converted_rows_are_strict_json_that_reads_back_equal():
    row = bigquery_row("articles", article(score=float("nan"), label=None))
    text = json.dumps(row, allow_nan=False)
    assert json.loads(text) == row
    assert row["score"] is None


def test_beams_own_json_writer_accepts_the_converted_rows(tmp_path):
    from apache_beam.io.filesystems import FileSystems

    path = str(tmp_path / "rows.json")
    with FileSystems.create(path) as handle:
        writer = bigquery_tools.JsonRowWriter(handle)
        writer.write(bigquery_row("sentences", sentence()))
        writer.write(bigquery_row("articles", article()))
        writer.close()
    lines = (tmp_path / "rows.json").read_text().splitlines()
    assert [json.loads(line)["article_id"] for line in lines] == ["a1", "a1"]


def test_non_finite_probability_in_a_required_column_is_refused_by_name():
    with pytest.raises(ValueError, match=r"sentences\.p_positive: REQUIRED FLOAT64 column is not finite"):
        bigquery_row("sentences", sentence(p_positive=math.inf))


@pytest.mark.parametrize("changes, message", [
    ({"text": None}, r"sentences\.text: REQUIRED column is missing or null"),
    ({"index": True}, r"sentences\.index: INT64 column cannot hold bool"),
    ({"index": "0"}, r"sentences\.index: INT64 column cannot hold str"),
    ({"run_date": datetime(2026, 11, 23, tzinfo=timezone.utc)}, r"sentences\.run_date: DATE column"),
    ({"extra": 1}, r"sentences: unknown columns \['extra'\]"),
])
def test_bad_values_are_refused_naming_table_and_column(changes, message):
    with pytest.raises(ValueError, match=message):
        bigquery_row("sentences", sentence(**changes))


def test_naive_timestamps_are_refused_rather_than_guessed():
    with pytest.raises(ValueError, match=r"articles\.scraped_at: TIMESTAMP needs a timezone-aware"):
        bigquery_row("articles", article(scraped_at=datetime(2026, 11, 23, 10, 0)))


def test_repeated_records_are_checked_element_by_element():
    bad = [{"sentence_id": "a1-0", "text": "x", "label": "positive", "score": 0.6, "p_negative": 0.1}]
    with pytest.raises(ValueError, match=r"articles\.evidence\[0\]\.p_positive: REQUIRED column"):
        bigquery_row("articles", article(evidence=bad))
    with pytest.raises(ValueError, match=r"articles\.tags: REPEATED column needs a list, got str"):
        bigquery_row("articles", article(tags="markets"))


def test_unknown_table_is_refused():
    with pytest.raises(ValueError, match="unknown table 'article'"):
        bigquery_row("article", {})


def test_loading_without_a_cloud_storage_temp_location_is_refused_when_the_graph_is_built():
    pipeline = beam.Pipeline(argv=["--temp_location", "/tmp/local"])
    tables = {table: pipeline | f"Create{table}" >> beam.Create([]) for table in TABLES}
    with pytest.raises(ValueError, match=r"set --temp_location gs://BUCKET/PATH \(got '/tmp/local'\)"):
        _ = tables | WriteBigQueryTables("my-project:finsent", "20261123-ab12cd34", RUN_DATE)


def test_the_sink_needs_every_table():
    pipeline = beam.Pipeline(argv=["--temp_location", "gs://b/t"])
    with pytest.raises(ValueError, match="needs exactly the tables"):
        _ = {"runs": pipeline | beam.Create([])} | WriteBigQueryTables("my-project:finsent", "r1", RUN_DATE)
