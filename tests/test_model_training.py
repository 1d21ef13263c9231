"""`finsent train` end to end on a tiny configuration, and the artifact's safety checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from finsent.cli import main
from finsent.constants import SHIPPED_MODEL_DIR
from model.artifact import META_FILE, ModelArtifactError, read_artifact_meta
from model.data import LABELS
from model.predict import SentimentClassifier


@pytest.fixture(scope="module")
def tiny_artifact(tmp_path_factory, phrasebank_dir: Path) -> Path:
    output = tmp_path_factory.mktemp("tiny-model")
    status = main(["train", "--output", str(output), "--data-dir", str(phrasebank_dir),
                   "--set", "epochs=1", "--set", "num_layers=1", "--set", "train_limit=96",
                   "--set", "headlines=false", "--set", "model_version=tiny-test"])
    assert status == 0
    return output


def test_training_writes_a_loadable_artifact(tiny_artifact: Path):
    meta = read_artifact_meta(tiny_artifact)
    assert meta.model_version == "tiny-test"
    assert meta.encoder["num_hidden_layers"] == 1
    assert meta.training["train_sentences"] == 96
    assert len(meta.training["history"]) == 1
    classifier = SentimentClassifier.load(tiny_artifact, threads=1)
    predictions = classifier.predict(["Net sales rose 12 % to EUR 40 mn .", "The plant will close ."])
    assert len(predictions) == 2
    for prediction in predictions:
        assert prediction.label in LABELS
        total = prediction.p_negative + prediction.p_neutral + prediction.p_positive
        assert total == pytest.approx(1.0, abs=1e-4)


def test_predictions_keep_input_order_whatever_the_batching(tiny_artifact: Path):
    # float32 here: int8 dynamic quantization scales activations per batch, so it is only
    # batch-independent to about 1e-2.
    texts = ["Short .", "A much longer sentence about operating profit that rose sharply in Q3 .",
             "Mid-length sentence on sales ."] * 5
    one_batch = SentimentClassifier.load(tiny_artifact, quantize=False, batch_size=64).predict_proba(texts)
    small_batches = SentimentClassifier.load(tiny_artifact, quantize=False, batch_size=2).predict_proba(texts)
    np.testing.assert_allclose(one_batch, small_batches, atol=1e-4)
    np.testing.assert_allclose(one_batch[0], one_batch[3], atol=1e-5)


def test_corrupt_weights_are_refused(tiny_artifact: Path, tmp_path: Path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_artifact, broken)
    with (broken / "model.safetensors").open("r+b") as handle:
        handle.seek(2000)
        handle.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelArtifactError, match="corrupt"):
        SentimentClassifier.load(broken)


def test_missing_artifact_says_how_to_get_one(tmp_path: Path):
    with pytest.raises(ModelArtifactError, match="finsent train"):
        SentimentClassifier.load(tmp_path)


def test_wrong_labels_in_metadata_are_refused(tiny_artifact: Path, tmp_path: Path):
    broken = tmp_path / "labels"
    shutil.copytree(tiny_artifact, broken)
    meta = json.loads((broken / META_FILE).read_text())
    meta["labels"] = ["bad", "neutral", "good"]
    (broken / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelArtifactError, match="labels"):
        read_artifact_meta(broken)


def test_unknown_training_setting_is_an_error(tmp_path: Path, capsys):
    assert main(["train", "--output", str(tmp_path), "--set", "epochz=3"]) == 1
    assert "unknown training settings ['epochz']" in capsys.readouterr().err


def test_training_mixes_in_the_headline_set_and_selects_on_both_validation_splits(tmp_path: Path,
                                                                                 phrasebank_dir: Path):
    output = tmp_path / "mixed"
    status = main(["train", "--output", str(output), "--data-dir", str(phrasebank_dir),
                   "--set", "headlines=true", "--set", "epochs=1", "--set", "num_layers=1",
                   "--set", "train_limit=48", "--set", "model_version=tiny-mixed"])
    assert status == 0
    training = read_artifact_meta(output).training
    assert training["train_sentences"] == 96
    (epoch,) = training["history"]
    scores = epoch["validation_macro_f1_by_set"]
    assert set(scores) == {"phrasebank", "headlines", "mean"}
    assert scores["mean"] == pytest.approx((scores["phrasebank"] + scores["headlines"]) / 2)
    assert training["best_validation_macro_f1"] == pytest.approx(scores["mean"])


def test_the_teacher_only_distils_the_registers_it_is_given():
    from model.data import LabelledSentence
    from model.train import TrainConfig, TrainingData, training_targets

    data = TrainingData([LabelledSentence("Sales rose .", "positive", 100),
                         LabelledSentence("$X cut to Sell", "negative", 100)],
                        ["phrasebank", "headlines"], {})
    teacher = np.array([[0.1, 0.6, 0.3], [0.2, 0.7, 0.1]], dtype=np.float32)
    config = TrainConfig(distill_weight=0.8, distill_registers=["phrasebank"])
    targets = training_targets(data, config, teacher).numpy()
    np.testing.assert_allclose(targets[0], 0.2 * np.array([0, 0, 1]) + 0.8 * teacher[0], atol=1e-6)
    np.testing.assert_allclose(targets[1], [1, 0, 0])
    config.distill_registers = ["phrasebank", "headlines"]
    np.testing.assert_allclose(training_targets(data, config, teacher).numpy()[1],
                               0.2 * np.array([1, 0, 0]) + 0.8 * teacher[1], atol=1e-6)


@pytest.mark.slow
def test_evaluate_reports_and_writes_all_three_test_sets(tiny_artifact: Path, tmp_path: Path):
    import subprocess
    import sys

    from model.evaluate import TEST_SETS

    folder = tmp_path / "artifact"
    shutil.copytree(tiny_artifact, folder)
    result = subprocess.run([sys.executable, "-m", "finsent.cli", "evaluate", "--model", str(folder),
                             "--threads", "1", "--write"], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for title in TEST_SETS.values():
        (line,) = [line for line in lines if line.startswith(title)]
        assert "accuracy" in line and "macro-F1" in line and "negative" in line and "positive" in line
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["headlines"]["sentences"] == metrics["split_sizes"]["test_headlines"] > 2000
    card = (folder / "MODEL_CARD.md").read_text()
    for name, title in TEST_SETS.items():
        figures = metrics[name]
        low, high = figures["macro_f1_ci95"]
        assert low <= figures["macro_f1"] <= high
        assert set(figures["per_class_f1"]) == set(LABELS)
        assert f"| {title} | {figures['sentences']} | {100 * figures['accuracy']:.1f} (" in card


def test_init_starts_from_an_artifacts_weights(tiny_artifact: Path, tmp_path: Path, phrasebank_dir: Path):
    output = tmp_path / "warm"
    status = main(["train", "--output", str(output), "--data-dir", str(phrasebank_dir),
                   "--set", f"init={tiny_artifact}", "--set", "num_layers=1", "--set", "epochs=1",
                   "--set", "train_limit=32", "--set", "headlines=false",
                   "--set", "learning_rate=0.0", "--set", "head_learning_rate=0.0"])
    assert status == 0
    texts = ["Net sales rose 12 % to EUR 40 mn .", "The plant will close ."]
    started = SentimentClassifier.load(tiny_artifact, quantize=False).predict_proba(texts)
    np.testing.assert_allclose(SentimentClassifier.load(output, quantize=False).predict_proba(texts), started,
                               atol=2e-3)  # float16 storage


def test_train_without_output_writes_under_the_working_folder_and_leaves_the_shipped_model(
        tiny_artifact: Path, tmp_path: Path, phrasebank_dir: Path, monkeypatch: pytest.MonkeyPatch):
    shipped = {path.name: path.stat().st_mtime_ns for path in SHIPPED_MODEL_DIR.iterdir()}
    monkeypatch.chdir(tmp_path)
    status = main(["train", "--data-dir", str(phrasebank_dir), "--set", f"init={tiny_artifact}",
                   "--set", "num_layers=1", "--set", "epochs=1", "--set", "train_limit=32",
                   "--set", "headlines=false"])
    assert status == 0
    assert SentimentClassifier.load(tmp_path / "runs" / "finsent-model").model_version
    assert {path.name: path.stat().st_mtime_ns for path in SHIPPED_MODEL_DIR.iterdir()} == shipped

