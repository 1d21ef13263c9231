"""Sentences/s of the shipped model vs a BERT-base-shaped model (FinBERT's architecture).

Both run on the same PhraseBank test sentences, with the same tokenizer, batch size and torch
thread count, in this one process. The BERT-base model has random weights (its speed does not
depend on them) and runs in float32, as FinBERT is usually served.

    python benchmarks/classify_throughput.py [--threads 2] [--sentences 485] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import sys

import torch

from model.data import load_splits
from model.encoder import EncoderConfig
from model.evaluate import measure_throughput
from model.network import SentimentNetwork
from model.predict import SentimentClassifier


def bert_base_classifier(shipped: SentimentClassifier) -> SentimentClassifier:
    """A randomly initialised BERT-base (12 layers, 768 wide, 110 M) classifier, float32."""
    torch.manual_seed(0)
    network = SentimentNetwork(EncoderConfig()).eval()
    return SentimentClassifier(network, shipped.tokenizer, "bert-base-random", shipped.batch_size)


def main(argv: list[str] | None = None) -> int:
    """Print both throughputs and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sentences", type=int, default=485)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    sentences = [s.text for s in load_splits().test][: args.sentences]
    shipped = SentimentClassifier.load(threads=args.threads, batch_size=args.batch_size)
    ours = measure_throughput(shipped, sentences, args.repeats)
    print(f"shipped model ({shipped.model_version}, int8): {ours:8.1f} sentences/s", flush=True)
    bert = measure_throughput(bert_base_classifier(shipped), sentences, max(1, args.repeats - 2))
    print(f"BERT-base shape (FinBERT architecture, fp32): {bert:8.1f} sentences/s")
    print(f"ratio: {ours / bert:.1f}x   ({len(sentences)} sentences, {args.threads} threads, "
          f"batch {args.batch_size})")
    print("command: python benchmarks/classify_throughput.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
