"""The headline set: cleaning, label mapping, the fixed splits, and clear errors for bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from model.data import file_sha256
from model.headlines import (
    FILE_SHA256,
    HEADLINES_DIR_ENV,
    TEST_FILE,
    TRAIN_FILE,
    HeadlineDataError,
    clean_headline,
    load_headline_splits,
    read_headlines,
    resolve_headlines_dir,
    shared_headlines_dir,
)


@pytest.fixture(scope="module")
def headlines_dir() -> Path:
    folder = shared_headlines_dir()
    if not (folder / TEST_FILE).is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"headline set not found at {folder}")
        pytest.skip(f"headline set not found at {folder}")
    return folder


def write_csv(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_links_are_removed_and_whitespace_trimmed():
    assert clean_headline("$AAPL - Apple beats estimates https://t.co/abc123 ") == "$AAPL - Apple beats estimates"
    assert clean_headline("Fed holds rates http://t.co/x and more https://t.co/y") == "Fed holds rates and more"


def test_labels_map_bearish_bullish_neutral_and_repeats_are_dropped(tmp_path: Path):
    path = write_csv(tmp_path, TRAIN_FILE, 'text,label\n'
                     '"Stock cut to Sell https://t.co/a",0\n'
                     'Stock jumps on earnings beat,1\n'
                     '"Company holds annual meeting,\nwith a line break",2\n'
                     'Stock cut to Sell https://t.co/b,0\n'
                     'Same words two labels,0\nSame words two labels,1\n')
    sentences = read_headlines(path)
    assert [(s.text, s.label, s.agreement) for s in sentences] == [
        ("Stock cut to Sell", "negative", 100),
        ("Stock jumps on earnings beat", "positive", 100),
        ("Company holds annual meeting,\nwith a line break", "neutral", 100),
    ]


def test_a_bad_label_names_the_file_and_line(tmp_path: Path):
    path = write_csv(tmp_path, TRAIN_FILE, "text,label\nfine,2\nbroken,bullish\n")
    with pytest.raises(HeadlineDataError, match=r"sent_train\.csv:3: label must be 0, 1 or 2, got 'bullish'"):
        read_headlines(path)


def test_a_wrong_header_is_refused(tmp_path: Path):
    path = write_csv(tmp_path, TRAIN_FILE, "sentence,sentiment\nfine,2\n")
    with pytest.raises(HeadlineDataError, match=r"expected the header 'text,label'"):
        read_headlines(path)


def test_a_missing_folder_names_it_and_how_to_get_the_files(tmp_path: Path, monkeypatch):
    with pytest.raises(HeadlineDataError, match=r"not found at .*nowhere \(from --headlines-dir\).*--download"):
        resolve_headlines_dir(tmp_path / "nowhere")
    monkeypatch.setenv(HEADLINES_DIR_ENV, str(tmp_path / "from-env"))
    with pytest.raises(HeadlineDataError, match=rf"from \${HEADLINES_DIR_ENV}"):
        resolve_headlines_dir()


def test_the_shared_files_are_the_published_copy(headlines_dir: Path):
    for name, expected in FILE_SHA256.items():
        assert file_sha256(headlines_dir / name) == expected, name


def test_the_test_set_is_never_trained_or_selected_on(headlines_dir: Path):
    splits = load_headline_splits(headlines_dir)
    test = {s.text for s in splits.test}
    train, validation = {s.text for s in splits.train}, {s.text for s in splits.validation}
    assert not (test & train) and not (test & validation) and not (train & validation)
    assert len(splits.test) == 2377  # 2,388 rows; 11 repeat another once their links are removed
    assert len(splits.validation) == pytest.approx(0.1 * (len(splits.train) + len(splits.validation)), abs=3)
    shares = {label: n / len(splits.train) for label, n in Counter(s.label for s in splits.train).items()}
    validation_shares = {label: n / len(splits.validation)
                         for label, n in Counter(s.label for s in splits.validation).items()}
    for label, share in shares.items():
        assert validation_shares[label] == pytest.approx(share, abs=0.01)
    assert load_headline_splits(headlines_dir) == splits


def test_training_without_the_headline_folder_is_a_one_line_error(tmp_path: Path, phrasebank_dir: Path):
    result = subprocess.run(
        [sys.executable, "-m", "finsent.cli", "train", "--output", str(tmp_path / "out"),
         "--headlines-dir", str(tmp_path / "missing"), "--set", "headlines=true"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"finsent train: headline set not found at {tmp_path / 'missing'} (from --headlines-dir): missing "
        f"{TRAIN_FILE}, {TEST_FILE}. Pass --headlines-dir, set ${HEADLINES_DIR_ENV}, or run "
        "`finsent train --download` when online."]
    assert not (tmp_path / "out").exists()
