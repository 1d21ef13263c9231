"""The script a user would write instead of finsent: for each article URL in turn, download, extract, split, classify.

It reads the feeds of a feeds.yaml, then for each linked page, one after another: download with
urllib, extract with newspaper4k, split into sentences, classify that article's sentences with the
same model. Prints one JSON line: articles, sentences, seconds (the loop, model loading excluded).

    python benchmarks/sequential_baseline.py --feeds FEEDS.yaml [--limit 100] [--model_path DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from pathlib import Path

import feedparser
import newspaper
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model.predict import SentimentClassifier
from pipelines.sentences import clean_sentences, split_sentences


def article_urls(feeds_yaml: Path, limit: int) -> list[str]:
    """The first `limit` entry links of the feeds, in feed order."""
    urls: list[str] = []
    for feed in yaml.safe_load(feeds_yaml.read_text(encoding="utf-8"))["feeds"]:
        with urllib.request.urlopen(feed["url"], timeout=30) as response:
            urls += [entry.link for entry in feedparser.parse(response.read()).entries]
    return urls[:limit]


def process(url: str, classifier: SentimentClassifier) -> int:
    """Download, extract, split and classify one article; the number of sentences classified."""
    with urllib.request.urlopen(url, timeout=30) as response:
        html = response.read().decode("utf-8", errors="replace")
    article = newspaper.Article(url)
    article.download(input_html=html)
    article.parse()
    sentences = clean_sentences(split_sentences(article.text))
    if sentences:
        classifier.predict(sentences)
    return len(sentences)


def main(argv: list[str] | None = None) -> int:
    """Run the loop and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=100, help="articles to process")
    parser.add_argument("--model_path", default=None)
    args = parser.parse_args(argv)
    classifier = SentimentClassifier.load(args.model_path)
    started = time.perf_counter()
    urls = article_urls(args.feeds, args.limit)
    sentences = sum(process(url, classifier) for url in urls)
    seconds = time.perf_counter() - started
    print(json.dumps({"articles": len(urls), "sentences": sentences, "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
