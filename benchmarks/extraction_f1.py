"""Measure article-extraction quality (4-word-shingle P/R/F1) and speed on the extraction dev set.

The metric is the Article Extraction Benchmark's: per document, shingle counts are normalised
to tp + fp + fn = 1, precision and recall are averaged over documents, F1 is taken of the
averages. Usage: `python benchmarks/extraction_f1.py [--data DIR] [--fail-under F1]`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from pipelines.extract import DEFAULT_STRATEGY, STRATEGIES, EmptyTextError, extract_article  # noqa: E402

DEFAULT_DATA = REPO_ROOT / ".." / "shared" / "data" / "extraction-dev"
_TOKEN_RE = re.compile(r"\w+")
Shingles = Counter[tuple[str, ...]]


def shingles(text: str, n: int = 4) -> Shingles:
    """Counts of the n-word sequences of a text (a shorter text is one shingle)."""
    tokens = _TOKEN_RE.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)


def document_scores(truth: str, predicted: str) -> tuple[float | None, float | None]:
    """Precision and recall of one document (None where undefined, as in the benchmark)."""
    true_sh, pred_sh = shingles(truth), shingles(predicted)
    tp = sum((true_sh & pred_sh).values())
    fp = sum((pred_sh - true_sh).values())
    fn = sum((true_sh - pred_sh).values())
    if fp == fn == 0:
        return (1.0 if tp else None), (1.0 if tp else None)
    return (tp / (tp + fp) if tp + fp else None), (tp / (tp + fn) if tp + fn else None)


def evaluate(pages: list[tuple[str, str, bytes]], extract: Callable[[bytes, str], str]) -> dict[str, float]:
    """P, R, F1 and ms/page of one extractor over (truth, url, html) pages."""
    precisions, recalls, elapsed = [], [], 0.0
    extract(pages[0][2], pages[0][1])  # warm-up: lazy loads are not per-page cost
    for truth, url, html in pages:
        start = time.perf_counter()
        predicted = extract(html, url)
        elapsed += time.perf_counter() - start
        precision, recall = document_scores(truth, predicted)
        if precision is not None:
            precisions.append(precision)
        if recall is not None:
            recalls.append(recall)
    p, r = statistics.mean(precisions), statistics.mean(recalls)
    return {"P": p, "R": r, "F1": 2 * p * r / (p + r), "ms": 1000 * elapsed / len(pages)}


def load_pages(data: Path) -> list[tuple[str, str, bytes]]:
    """(truth text, url, raw html bytes) for each page of the dev set."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    html_dir = data / "html"
    return [(item["articleBody"], item["url"], gzip.decompress((html_dir / f"{key}.html.gz").read_bytes()))
            for key, item in sorted(truth.items())]


def strategy_extractor(strategy: str) -> Callable[[bytes, str], str]:
    """`extract_article` with one strategy, as bytes → text ('' for empty_text)."""
    def extract(html: bytes, url: str) -> str:
        try:
            return extract_article(html, url, strategy=strategy).text
        except EmptyTextError:
            return ""
    return extract


def trafilatura_defaults(html: bytes, url: str) -> str:
    """Reference row: trafilatura with its default settings on the raw bytes."""
    return trafilatura.extract(html, url=url) or ""


def main(argv: list[str] | None = None) -> int:
    """Print the P/R/F1 table; exit 1 when the default strategy's F1 is under --fail-under."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path,
                        default=Path(os.environ.get("FINSENT_EXTRACTION_DEV", DEFAULT_DATA)))
    parser.add_argument("--fail-under", type=float, default=0.0, help="F1 floor of the default strategy")
    args = parser.parse_args(argv)
    pages = load_pages(args.data)
    print("command: python " + " ".join(sys.argv))
    print(f"{len(pages)} pages from {args.data.resolve()}")
    extractors = {"trafilatura (library defaults)": trafilatura_defaults}
    extractors |= {name: strategy_extractor(name) for name in STRATEGIES}
    print(f"{'extractor':<32} {'P':>6} {'R':>6} {'F1':>6} {'ms/page':>8}")
    results = {}
    for name, extract in extractors.items():
        results[name] = evaluate(pages, extract)
        marker = "  <- extract_article default" if name == DEFAULT_STRATEGY else ""
        print(f"{name:<32} {results[name]['P']:6.3f} {results[name]['R']:6.3f} "
              f"{results[name]['F1']:6.3f} {results[name]['ms']:8.1f}{marker}")
    return int(results[DEFAULT_STRATEGY]["F1"] < args.fail_under)


if __name__ == "__main__":
    sys.exit(main())
