"""Sentence splitting: finsent's cuts against pysbd alone on real and generated paragraphs, and how fast each is.

Paragraphs: the human-annotated article bodies of the extraction dev set (real news pages) and the
paragraphs of a generated benchmark site (`benchmarks/newsite.py`). For each paragraph it checks
that `pipelines.sentences` cuts exactly where pysbd alone does, and times both.

    python benchmarks/split_speed.py [--data DIR] [--articles 300]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from extraction_f1 import DEFAULT_DATA  # noqa: E402
from newsite import generate_article  # noqa: E402

from pipelines import sentences  # noqa: E402


def real_paragraphs(data: Path) -> list[str]:
    """The non-empty lines of the dev set's annotated article bodies."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    return [line.strip() for item in truth.values() for line in item["articleBody"].splitlines() if line.strip()]


def generated_paragraphs(articles: int) -> list[str]:
    """The paragraphs of the first `articles` articles of a generated site (6 sources)."""
    return [" ".join(paragraph) for index in range(articles) for paragraph in generate_article(index, 6).paragraphs]


def timed(split: Callable[[str, str], list[str]], paragraphs: list[str]) -> tuple[list[list[str]], float]:
    """Each paragraph's segments and the seconds it took."""
    started = time.perf_counter()
    segments = [split(paragraph, "en") for paragraph in paragraphs]
    return segments, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Print agreement and speed per corpus; exit 1 if any paragraph is cut differently."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("FINSENT_EXTRACTION_DEV", DEFAULT_DATA)))
    parser.add_argument("--articles", type=int, default=300, help="generated articles")
    args = parser.parse_args(argv)
    print("command: python benchmarks/split_speed.py " + " ".join(sys.argv[1:] if argv is None else argv))
    sentences._segments("Warm up. The segmenter is built once.", "en")
    differing = 0
    print("| paragraphs | count | cut differently | pysbd alone ms/paragraph | finsent ms/paragraph | speed-up |")
    print("|---|---|---|---|---|---|")
    for name, paragraphs in (("extraction dev set (real news)", real_paragraphs(args.data)),
                             (f"generated site ({args.articles} articles)", generated_paragraphs(args.articles))):
        reference, pysbd_seconds = timed(sentences._pysbd_segments, paragraphs)
        ours, our_seconds = timed(sentences._segments, paragraphs)
        different = sum(a != b for a, b in zip(reference, ours, strict=True))
        differing += different
        print(f"| {name} | {len(paragraphs)} | {different} | {1000 * pysbd_seconds / len(paragraphs):.2f} | "
              f"{1000 * our_seconds / len(paragraphs):.2f} | {pysbd_seconds / our_seconds:.1f}× |")
    return int(differing > 0)


if __name__ == "__main__":
    sys.exit(main())
