"""`finsent analyze` on golden pages: saved HTML of the demo site + the expected extraction and sentences.

`fixtures/analyze/<name>.html` is a demo-site page saved as served; `<name>.json` is what analyze must
make of it (title, language, extractor, authors, date, sentences), checked once by hand against the
corpus. Labels are the model's business (test_model_accuracy gates them); here they must only agree
with the probabilities, and the score and counts with the labels, as in a run's `articles` row.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import FINSENT

from finsent.cli import main
from finsent_demo.corpus import load_corpus
from pipelines.analyze import analyze, format_analysis

PAGES = Path(__file__).parent / "fixtures" / "analyze"
GOLDEN = sorted(PAGES.glob("*.json"))
SOURCES = {"meridian_wire_en": "meridian-wire/corran-airlines-october-traffic",
           "ledger_daily_de": "ledger-daily/halvard-logistik-senkt-prognose"}


def golden(name: str) -> dict:
    return json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rows() -> dict[str, dict]:
    return {path.stem: analyze(str(path.with_suffix(".html"))) for path in GOLDEN}


def test_every_golden_page_has_its_expected_output_and_source():
    assert {path.stem for path in GOLDEN} == set(SOURCES)
    assert all(path.with_suffix(".html").is_file() for path in GOLDEN)


def test_golden_sentences_are_the_articles_own_body():
    article = load_corpus().articles[SOURCES["meridian_wire_en"]]
    assert " ".join(golden("meridian_wire_en")["sentences"]) == " ".join(article.body)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_analyze_extracts_and_splits_the_page_as_expected(rows, name: str):
    row, expected = rows[name], golden(name)
    for key in ("title", "language", "extractor", "authors", "classified"):
        assert row[key] == expected[key], key
    assert (row["published_at"].isoformat() if row["published_at"] else None) == expected["published_at"]
    assert [s["text"] for s in row["sentences"]] == expected["sentences"]
    assert [s["index"] for s in row["sentences"]] == list(range(len(expected["sentences"])))


def test_labels_score_and_counts_agree_like_a_runs_article_row(rows):
    row = rows["meridian_wire_en"]
    for s in row["sentences"]:
        probabilities = {"negative": s["p_negative"], "neutral": s["p_neutral"], "positive": s["p_positive"]}
        assert s["label"] == max(probabilities, key=probabilities.get)
        assert sum(probabilities.values()) == pytest.approx(1, abs=1e-4)
    scores = [s["p_positive"] - s["p_negative"] for s in row["sentences"]]
    assert row["score"] == pytest.approx(sum(scores) / len(scores), abs=1e-6)
    labels = [s["label"] for s in row["sentences"]]
    assert (row["n_positive"], row["n_neutral"], row["n_negative"]) == (
        labels.count("positive"), labels.count("neutral"), labels.count("negative"))
    assert row["n_sentences"] == len(labels) and row["model_version"]


def test_a_german_page_is_kept_but_not_classified(rows):
    row = rows["ledger_daily_de"]
    assert (row["score"], row["label"], row["sentences"]) == (None, None, [])
    assert "not classified (no English sentences)" in format_analysis(row)


@pytest.mark.slow  # a fresh process imports torch and Beam
def test_the_command_prints_one_line_per_sentence_then_the_score(tmp_path: Path):
    page = PAGES / "meridian_wire_en.html"
    done = subprocess.run([*FINSENT, "analyze", str(page)], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    expected = golden("meridian_wire_en")
    assert lines[0] == expected["title"]
    assert "(en, trafilatura)" in lines[1]
    sentence_lines = [line for line in lines if line[:3].strip().isdigit()]
    assert [line.split(None, 5)[5] for line in sentence_lines] == expected["sentences"]
    assert any(line.startswith("article score ") and "→" in line for line in lines[len(sentence_lines) + 3:])


def test_the_json_output_is_the_api_row(rows, capsys):
    assert main(["analyze", str(PAGES / "ledger_daily_de.html"), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = rows["ledger_daily_de"]
    for key in ("article_id", "title", "language", "text", "n_sentences", "score", "label", "sentences"):
        assert printed[key] == expected[key], key
