"""`finsent drift`: evidently signals vs the training-style reference and trailing days, offline."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow.parquet as pq
import pytest
from committed import copy_date, parquet_scan

from finsent.cli import main
from model.predict import SentimentClassifier
from model.reference import DESCRIPTORS, PREDICTION_COLUMNS, read_reference, write_reference
from reports.data import ParquetSource
from reports.drift import DriftSummary, compute_drift, status_of, worst

if TYPE_CHECKING:
    from helpers import DemoData



def day_texts(demo_data: DemoData) -> list[str]:
    return [row[0] for row in duckdb.execute(
        f"SELECT text FROM {parquet_scan(demo_data.data, 'sentences')} ORDER BY sentence_id").fetchall()]


def test_reference_file_holds_predictions_and_descriptors_but_no_text(demo_data: DemoData, tmp_path: Path):
    texts = day_texts(demo_data)[:40]
    path = tmp_path / "reference_predictions.parquet"
    model = SentimentClassifier.load(demo_data.model, threads=1)
    write_reference(model, texts, path)
    frame, version = read_reference(path)
    assert version == model.model_version
    assert list(frame.columns) == [*PREDICTION_COLUMNS, *DESCRIPTORS]
    assert len(frame) == 40
    assert frame["confidence"].equals(frame[["p_negative", "p_neutral", "p_positive"]].max(axis=1))
    assert frame["n_chars"].tolist() == [len(t) for t in texts]
    raw = path.read_bytes()
    assert not [t for t in texts if t[:30].encode() in raw]


def test_summary_of_a_day_against_its_own_distribution_is_ok(reports_out: Path, demo_data: DemoData):
    summary = DriftSummary.from_json((reports_out / f"drift-{demo_data.date}-training.json").read_text())
    signals = {s.name: s for s in summary.signals}
    (sentences,), = duckdb.execute(f"SELECT count(*) FROM {parquet_scan(demo_data.data, 'sentences')}").fetchall()
    assert summary.current_sentences == summary.reference_sentences == sentences
    for name in ("label_distribution", "confidence", "sentence_length", "text_descriptors"):
        assert signals[name].status == "ok"  # int8 inference varies a little with the batch
    assert signals["failed_share"].current == "7% of 43"  # 3 entry-level failures, 40 articles
    assert summary.status == "ok" and summary.moved == []
    evidently_html = reports_out / summary.evidently_html
    assert evidently_html.stat().st_size > 500_000
    compact = (reports_out / f"drift-{demo_data.date}-training.html").read_text()
    assert "<script" not in compact and "Predicted label distribution" in compact


def test_short_sentence_reference_flags_sentence_length_drift(demo_data: DemoData, tmp_path: Path, capsys):
    short = sorted(day_texts(demo_data), key=len)[:60]
    reference = tmp_path / "short.parquet"
    write_reference(SentimentClassifier.load(demo_data.model, threads=1), short, reference)
    summary = compute_drift(ParquetSource(demo_data.data), demo_data.date, "training", 7, reference)
    signals = {s.name: s for s in summary.signals}
    assert signals["sentence_length"].status == "drift"
    assert signals["sentence_length"].score > signals["sentence_length"].threshold
    assert summary.status == "drift"
    assert "Sentence length (words)" in [s.title for s in summary.moved]
    # --fail-on-drift: exit 4 (README "Exit codes"), the summary still written; without it, exit 0
    common = ["drift", "--data", str(demo_data.data), "--out", str(tmp_path / "out"),
              "--reference-file", str(reference)]
    assert main([*common, "--fail-on-drift"]) == 4
    assert capsys.readouterr().out.startswith("drift detected: summary ")
    assert (tmp_path / "out" / f"drift-{demo_data.date}-training.json").is_file()
    assert main(common) == 0


def test_a_trailing_reference_without_earlier_days_is_insufficient_never_ok(demo_data: DemoData, tmp_path: Path,
                                                                           capsys):
    from reports.daily import build_daily_report
    from reports.mail import subject
    from reports.render import render_daily_text

    out = tmp_path / "out"
    common = ["--data", str(demo_data.data), "--out", str(out)]
    assert main(["drift", *common, "--reference", "trailing", "--fail-on-drift"]) == 0  # not drift, not ok
    printed = capsys.readouterr().out
    assert printed.startswith("drift: insufficient reference (fewer than 10 sentences): summary ")
    assert f"drift-{demo_data.date}-trailing-7d.json" in printed and "drift drift" not in printed
    summary = DriftSummary.from_json((out / f"drift-{demo_data.date}-trailing-7d.json").read_text())
    assert summary.status == "insufficient" and summary.reference_sentences == 0
    assert "need 10" in summary.signals[0].note
    report = build_daily_report(ParquetSource(demo_data.data), demo_data.date)
    assert subject(report, summary).endswith("· drift: insufficient reference (fewer than 10 sentences)")
    assert "Drift           drift: insufficient reference" in render_daily_text(report, summary)
    assert main(["report", *common]) == 0
    page = (out / f"finsent-report-{demo_data.date}.html").read_text()
    assert "DRIFT: INSUFFICIENT REFERENCE" in page and " ok<" not in page


def test_trailing_days_reference_and_shares(demo_data: DemoData, tmp_path: Path, capsys):
    data = tmp_path / "data"
    shutil.copytree(demo_data.data, data)
    copy_date(data, demo_data.date, dt.date(2026, 11, 20))
    out = tmp_path / "out"
    assert main(["drift", "--data", str(data), "--out", str(out), "--reference", "trailing", "--days", "3"]) == 0
    assert capsys.readouterr().out.startswith("no drift: summary ")
    raw = json.loads((out / f"drift-{demo_data.date}-trailing-3d.json").read_text())
    assert raw["reference"] == "trailing 3 days (2026-11-20 – 2026-11-22)"
    shares = {s["name"]: s for s in raw["signals"]}
    assert shares["non_english_share"]["score"] == 0.0 and shares["failed_share"]["score"] == 0.0


def test_missing_training_reference_is_a_clear_error(demo_data: DemoData, tmp_path: Path, capsys):
    status = main(["drift", "--data", str(demo_data.data), "--out", str(tmp_path),
                   "--reference-file", str(tmp_path / "none.parquet")])
    assert status == 1
    assert "no drift reference at" in capsys.readouterr().err


def test_drift_never_touches_the_network(demo_data: DemoData, same_day_reference: Path, monkeypatch):
    attempts = []
    real_connect = socket.socket.connect

    def guarded(self, address):
        if not (isinstance(address, tuple) and str(address[0]).startswith(("127.", "::1"))) \
                and self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
            raise OSError("network disabled in this test")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    summary = compute_drift(ParquetSource(demo_data.data), demo_data.date, "training", 7, same_day_reference)
    assert summary.status == "ok"
    assert attempts == []


def test_status_thresholds():
    assert status_of(None, 0.1) == "ok"
    assert status_of(0.05, 0.15) == "ok"
    assert status_of(0.1, 0.15) == "warning"
    assert status_of(0.15, 0.15) == "drift"
    assert worst(["ok", "drift", "warning"]) == "drift"
    assert worst([]) == "ok"


def test_reference_without_needed_columns_is_refused(tmp_path: Path):
    import pyarrow as pa

    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"label": ["positive"]}), path)
    with pytest.raises(ValueError, match="lacks columns"):
        read_reference(path)
