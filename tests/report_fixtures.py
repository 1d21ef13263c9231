"""Session fixtures of the report tests: one real pipeline run on the demo corpus, and its reports.

Loaded with `pytest_plugins = ["report_fixtures"]` so the pipeline runs once per session. The run
uses an untrained model (base encoder, one layer, a seeded random head): it needs no training
data, and its labels are mixed, so positive and negative sections both have rows. One article's
title and one evidence sentence are then replaced with hostile HTML, as a scraped page could
carry it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import torch
from committed import committed_files, parquet_scan

from model.artifact import save_artifact
from model.base_encoder import base_encoder_dir
from model.network import network_from_base
from model.predict import SentimentClassifier
from model.reference import write_reference
from pipelines.demo import run_demo

XSS_TITLE = "<script>alert(1)</script>"
XSS_SENTENCE = 'Shares <img src=x onerror="alert(2)"> plunged after the warning.'


@dataclass(frozen=True)
class DemoData:
    """The demo run's Parquet output, its date, the model that classified it, and reports of it."""

    data: Path
    date: dt.date
    model: Path
    xss_article_id: str
    xss_title: str = XSS_TITLE
    xss_sentence: str = XSS_SENTENCE


def make_untrained_model(folder: Path) -> Path:
    """A one-layer artifact from the base encoder with a seeded random head (mixed labels)."""
    torch.manual_seed(7)
    network = network_from_base(base_encoder_dir(), num_layers=1)
    torch.nn.init.normal_(network.head.weight, std=2.0)
    torch.nn.init.zeros_(network.head.bias)
    save_artifact(network, folder, "untrained-test", 128, {"note": "report tests"})
    return folder


def inject_hostile_text(data: Path, date: dt.date) -> str:
    """Give the most negative article a script title and an HTML evidence sentence; its ID."""
    files = committed_files(data, date, "articles")
    assert len(files) == 1, files
    table = pq.read_table(files[0])
    rows = table.to_pylist()
    target = min((r for r in rows if r["score"] is not None), key=lambda r: r["score"])
    target["title"] = XSS_TITLE
    target["evidence"][0]["text"] = XSS_SENTENCE
    pq.write_table(table.from_pylist(rows, schema=table.schema), files[0])
    return target["article_id"]


def shipped(data: Path, name: str, **params: object) -> list[dict]:
    """Rows of the shipped query `name` (reports/queries) over `data`, as `finsent query` runs it."""
    from reports.sql import bind_params, load_query, run_duckdb

    query = load_query(name)
    return run_duckdb(query, bind_params(query, [f"{k}={v}" for k, v in params.items()]), data).records()


def shown_as(shown: str, value: float | None) -> bool:
    """Whether a page's signed 3-digit number (`+0.123`, `−0.045`) shows `value` (a query's, rounded
    to 4 digits): equal within the two roundings."""
    if value is None:
        return shown == "–"
    return abs(float(shown.replace("−", "-")) - value) <= 0.0005 + 0.00005 + 1e-9


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> DemoData:
    """`finsent demo` output (one run, articles published over 8 days) with hostile text injected."""
    root = tmp_path_factory.mktemp("report-demo")
    model = make_untrained_model(root / "model")
    outcome = run_demo(str(root / "data"), ["--model_path", str(model), "--model_threads", "1"])
    date = outcome.run.run_date
    return DemoData(root / "data", date, model, inject_hostile_text(root / "data", date))


@pytest.fixture(scope="session")
def same_day_reference(demo_data: DemoData, tmp_path_factory) -> Path:
    """A drift reference predicted by the run's model on the run's own sentences: nothing drifts."""
    import duckdb

    texts = [row[0] for row in duckdb.execute(
        f"SELECT text FROM {parquet_scan(demo_data.data, 'sentences')} ORDER BY sentence_id").fetchall()]
    path = tmp_path_factory.mktemp("reference") / "reference_predictions.parquet"
    write_reference(SentimentClassifier.load(demo_data.model, threads=1), texts, path)
    return path


@pytest.fixture(scope="session")
def reports_out(demo_data: DemoData, same_day_reference: Path, tmp_path_factory) -> Path:
    """`finsent drift` (vs `same_day_reference`) then `finsent report` into one folder."""
    from finsent.cli import main

    out = tmp_path_factory.mktemp("reports")
    common = ["--data", str(demo_data.data), "--out", str(out)]
    assert main(["drift", *common, "--reference-file", str(same_day_reference)]) == 0
    assert main(["report", *common]) == 0
    return out
