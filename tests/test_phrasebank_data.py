"""Financial PhraseBank loading and the fixed evaluation protocol."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.data import (
    FILE_SHA256,
    LabelledSentence,
    PhraseBankError,
    deduplicate,
    load_phrasebank,
    load_splits,
    parse_line,
    resolve_data_dir,
    split_phrasebank,
    verify_checksums,
)


def test_a_line_splits_on_its_last_at_sign():
    assert parse_line("Shares of X@Y Oyj rose 5 % .@positive\n", "f", 1) == (
        "Shares of X@Y Oyj rose 5 % .", "positive")


def test_a_line_without_a_valid_label_names_the_file_and_line():
    with pytest.raises(PhraseBankError, match=r"bank\.txt:7: expected 'sentence@label'"):
        parse_line("no label here", "bank.txt", 7)
    with pytest.raises(PhraseBankError, match=r"bank\.txt:8"):
        parse_line("Sales grew .@great", "bank.txt", 8)


def test_duplicates_are_removed_and_conflicting_labels_dropped():
    pairs = [("a", "positive"), ("b", "neutral"), ("a", "positive"), ("c", "neutral"), ("c", "negative")]
    kept = deduplicate(pairs, {"a": 100})
    assert kept == [LabelledSentence("a", "positive", 100), LabelledSentence("b", "neutral", 50)]


def test_a_missing_folder_says_where_to_put_the_files(tmp_path: Path):
    with pytest.raises(PhraseBankError, match=r"not found at .*--data-dir.*--download"):
        resolve_data_dir(tmp_path / "nowhere")


def test_the_shared_files_are_the_official_release(phrasebank_dir: Path):
    verify_checksums(phrasebank_dir)
    assert set(FILE_SHA256) == {p.name for p in phrasebank_dir.glob("Sentences_*.txt")}


def test_a_modified_file_fails_the_checksum(phrasebank_dir: Path, tmp_path: Path):
    for name in FILE_SHA256:
        (tmp_path / name).write_bytes((phrasebank_dir / name).read_bytes())
    with (tmp_path / "Sentences_75Agree.txt").open("ab") as handle:
        handle.write(b"Profit rose .@positive\n")
    with pytest.raises(PhraseBankError, match=r"Sentences_75Agree\.txt: sha256"):
        verify_checksums(tmp_path)


def test_both_encodings_decode_to_the_same_sentences(phrasebank_dir: Path):
    sentences = load_phrasebank(phrasebank_dir)
    texts = [s.text for s in sentences]
    assert len(texts) == len(set(texts))
    assert not any("Ã" in t for t in texts), "ISO-8859-1 file decoded as UTF-8 (or the reverse)"
    assert sum(s.agreement == 100 for s in sentences) > 2200, "AllAgree sentences not matched"


def test_the_split_is_stratified_disjoint_and_reproducible(phrasebank_dir: Path):
    splits = load_splits(phrasebank_dir)
    again = split_phrasebank(load_phrasebank(phrasebank_dir))
    assert splits == again
    parts = (splits.train, splits.validation, splits.test)
    train, validation, test = ({s.text for s in part} for part in parts)
    assert not (train & test) and not (validation & test) and not (train & validation)
    assert len(splits.test) == 483 and len(splits.validation) == 483 and len(splits.train) == 3870
    assert 215 <= len(splits.test_all_agree) <= 235
    for label in ("negative", "neutral", "positive"):
        share_all = sum(s.label == label for s in splits.train) / len(splits.train)
        share_test = sum(s.label == label for s in splits.test) / len(splits.test)
        assert abs(share_all - share_test) < 0.01
