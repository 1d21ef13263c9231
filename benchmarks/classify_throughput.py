"""Sentences/s of the shipped model vs a BERT-base-shaped model (FinBERT's architecture).

Both run on the same PhraseBank test sentences, with the same tokenizer, batch size and CPU
layout. The BERT-base model has random weights (its speed does not depend on them) and runs in
float32, as FinBERT is usually served. Two layouts use 2 cores:

- `--threads 2`: one process with 2 torch threads (`finsent classify`, `finsent evaluate`);
- `--processes 2 --threads 1`: two processes with one thread each, each labelling half of the
  sentences at the same time — how `finsent run` uses the cores (one model per worker process).

    python benchmarks/classify_throughput.py [--processes 1] [--threads 2] [--batch-size 8]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import torch

from finsent.constants import DEFAULT_BATCH_SIZE
from model.data import load_splits
from model.encoder import EncoderConfig
from model.network import SentimentNetwork
from model.predict import SentimentClassifier


@dataclass(frozen=True)
class Setup:
    """What one process loads: the model kind, its torch threads and batch size."""

    bert_base: bool
    threads: int
    batch_size: int


_classifier: SentimentClassifier | None = None


def load(setup: Setup) -> SentimentClassifier:
    """The shipped model (int8), or a randomly initialised BERT-base (110 M, float32) with its tokenizer."""
    torch.set_num_threads(setup.threads)
    shipped = SentimentClassifier.load(threads=setup.threads, batch_size=setup.batch_size)
    if not setup.bert_base:
        return shipped
    torch.manual_seed(0)
    network = SentimentNetwork(EncoderConfig()).eval()
    return SentimentClassifier(network, shipped.tokenizer, "bert-base-random", setup.batch_size)


def _load_in_worker(setup: Setup) -> None:
    global _classifier
    _classifier = load(setup)


def _predict_in_worker(sentences: list[str]) -> int:
    assert _classifier is not None
    return len(_classifier.predict(sentences))


def throughput(setup: Setup, sentences: list[str], processes: int, repeats: int) -> float:
    """Best sentences/s over `repeats` runs, after one warm-up run; `processes` share the sentences."""
    with ProcessPoolExecutor(processes, initializer=_load_in_worker, initargs=(setup,)) as pool:
        shares = [sentences[i::processes] for i in range(processes)]
        best = float("inf")
        for attempt in range(repeats + 1):
            started = time.perf_counter()
            done = sum(pool.map(_predict_in_worker, shares))
            if attempt:  # the first run warms each process up
                best = min(best, time.perf_counter() - started)
    return done / best


def main(argv: list[str] | None = None) -> int:
    """Print both throughputs and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=1, help="model processes, each with --threads")
    parser.add_argument("--threads", type=int, default=2, help="torch threads per process")
    parser.add_argument("--sentences", type=int, default=485)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    sentences = [s.text for s in load_splits().test][: args.sentences]
    version = SentimentClassifier.load(threads=1).model_version
    ours = throughput(Setup(False, args.threads, args.batch_size), sentences, args.processes, args.repeats)
    print(f"shipped model ({version}, int8): {ours:8.1f} sentences/s", flush=True)
    bert = throughput(Setup(True, args.threads, args.batch_size), sentences, args.processes,
                      max(1, args.repeats - 2))
    print(f"BERT-base shape (FinBERT architecture, fp32): {bert:8.1f} sentences/s")
    print(f"ratio: {ours / bert:.1f}x   ({len(sentences)} sentences, {args.processes} process(es) x "
          f"{args.threads} thread(s), batch {args.batch_size})")
    print("command: python benchmarks/classify_throughput.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
