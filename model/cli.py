"""The model's `finsent` subcommands: `train`, `evaluate` and `classify`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from finsent.constants import REFERENCE_FILE, SHIPPED_MODEL_DIR
from finsent.errors import UsageError

DEFAULT_TRAIN_OUTPUT = Path("runs") / "finsent-model"
"""Where `finsent train` writes when not told: under the working folder, never over the shipped weights."""


def add_model_commands(commands: argparse._SubParsersAction) -> None:
    """Register the model subcommands on the `finsent` parser."""
    train = commands.add_parser("train", help="fine-tune the sentiment model on Financial PhraseBank "
                                "(and the headline set)")
    train.add_argument("--config", type=Path, default=None, help="YAML training settings")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override one setting, e.g. --set epochs=3 (repeatable)")
    train.add_argument("--output", type=Path, default=DEFAULT_TRAIN_OUTPUT,
                       help=f"artifact folder to write (default: ./{DEFAULT_TRAIN_OUTPUT}; the shipped model "
                            "is replaced only when you name its folder)")
    train.add_argument("--data-dir", default=None, help="Financial PhraseBank folder")
    train.add_argument("--headlines-dir", default=None,
                       help="headline set folder (sent_train.csv, sent_valid.csv; default: "
                            "$FINSENT_HEADLINES_DIR, else the shared data folder)")
    train.add_argument("--download", action="store_true",
                       help="download and verify the PhraseBank archive (and, with headlines: true, "
                            "the headline set) into --data-dir first")
    train.set_defaults(handler=run_train)

    evaluate = commands.add_parser("evaluate", help="accuracy and macro-F1 on test sets (A), (B) and "
                                   "(H) headlines")
    evaluate.add_argument("--model", default=None, help="artifact folder (default: the shipped model)")
    evaluate.add_argument("--data-dir", default=None, help="Financial PhraseBank folder")
    evaluate.add_argument("--headlines-dir", default=None, help="headline set folder (sent_valid.csv)")
    evaluate.add_argument("--threads", type=int, default=None, help="torch threads")
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluate.add_argument("--write", action="store_true",
                          help="also write metrics.json, MODEL_CARD.md and the drift reference beside the weights")
    evaluate.set_defaults(handler=run_evaluate)

    classify = commands.add_parser("classify", help="label sentences given as arguments or on stdin")
    classify.add_argument("sentences", nargs="*", help="sentences (default: one per line on stdin)")
    classify.add_argument("--model", default=None, help="artifact folder (default: the shipped model)")
    classify.add_argument("--threads", type=int, default=None, help="torch threads")
    classify.add_argument("--json", action="store_true", help="one JSON object per line")
    classify.set_defaults(handler=run_classify)


def run_train(args: argparse.Namespace) -> int:
    """`finsent train`."""
    from model.data import download_phrasebank
    from model.headlines import download_headlines
    from model.train import DEFAULT_CONFIG, TrainConfig, train

    overrides = dict(_key_value(item) for item in args.set)
    config = TrainConfig.from_file(args.config or DEFAULT_CONFIG, overrides)
    data_dir, headlines_dir = args.data_dir, args.headlines_dir
    if args.download:
        target = Path(args.data_dir or "data")
        data_dir = str(download_phrasebank(target))
        if config.headlines:
            headlines_dir = str(download_headlines(target))
    record = train(config, args.output, data_dir, headlines_dir)
    following = (f"finsent train --set teacher={args.output} (a student distils from it)" if config.encoder == "mpnet"
                 else f"finsent evaluate --model {args.output}, then finsent run --model_path {args.output}")
    print(f"saved {args.output} (best validation macro-F1 {record['best_validation_macro_f1']:.4f}); next: {following}")
    return 0


def _key_value(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise UsageError(f"--set expects KEY=VALUE, got {item!r}")
    return key.strip(), value


def run_evaluate(args: argparse.Namespace) -> int:
    """`finsent evaluate`."""
    from model.evaluate import TEST_SETS, evaluate_artifact, evaluate_teacher, write_metrics
    from model.teacher import is_teacher_folder

    teacher = bool(args.model) and is_teacher_folder(args.model)
    if teacher and args.write:
        raise UsageError(f"--write: {args.model} is a large teacher (it is never shipped); evaluate it without --write")
    if teacher:
        metrics = evaluate_teacher(args.model, args.data_dir, headlines_dir=args.headlines_dir)
    else:
        metrics = evaluate_artifact(args.model, args.data_dir, args.threads, headlines_dir=args.headlines_dir)
    if args.write:
        folder = Path(args.model) if args.model else SHIPPED_MODEL_DIR
        write_metrics(metrics, folder)
        write_training_reference(folder, args.data_dir, args.threads)
    if args.json:
        print(json.dumps(metrics, indent=2))
        return 0
    for name, title in TEST_SETS.items():
        figures = metrics[name]
        per_class = "  ".join(f"{label} {f1:.3f}" for label, f1 in figures["per_class_f1"].items())
        low, high = figures["macro_f1_ci95"]
        print(f"{title:14s} n={figures['sentences']:4d}  accuracy {figures['accuracy']:.4f}  "
              f"macro-F1 {figures['macro_f1']:.4f} ({low:.4f}-{high:.4f})  F1: {per_class}")
    if teacher:
        print(f"{metrics['model_version']} (large teacher, float32)")
    else:
        print(f"{metrics['throughput']['sentences_per_second']:.0f} sentences/s on "
              f"{metrics['throughput']['threads']} threads ({metrics['model_version']})")
    return 0


def write_training_reference(folder: Path, data_dir: str | None, threads: int | None) -> None:
    """Store the model's predictions on the training split (no text) as drift's reference."""
    from model.data import load_splits
    from model.predict import SentimentClassifier
    from model.reference import write_reference

    classifier = SentimentClassifier.load(folder, threads=threads)
    write_reference(classifier, [s.text for s in load_splits(data_dir).train], folder / REFERENCE_FILE)


def run_classify(args: argparse.Namespace) -> int:
    """`finsent classify`."""
    from model.predict import SentimentClassifier

    sentences = args.sentences or [line.strip() for line in sys.stdin if line.strip()]
    if not sentences:
        raise SystemExit("finsent classify: give sentences as arguments or one per line on stdin")
    classifier = SentimentClassifier.load(args.model, threads=args.threads)
    for sentence, prediction in zip(sentences, classifier.predict(sentences), strict=True):
        if args.json:
            print(json.dumps({"text": sentence, "label": prediction.label,
                              "p_negative": round(prediction.p_negative, 4),
                              "p_neutral": round(prediction.p_neutral, 4),
                              "p_positive": round(prediction.p_positive, 4)}))
        else:
            print(f"{prediction.label:8s}  neg {prediction.p_negative:.3f}  neu {prediction.p_neutral:.3f}  "
                  f"pos {prediction.p_positive:.3f}  {sentence}")
    return 0
