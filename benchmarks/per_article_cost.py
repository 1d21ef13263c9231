"""What predicting each article on its own costs: the same sentences classified all at once vs per article.

The pipeline predicts each article's sentences apart (and its title alone), so that a label never
depends on the other articles of a batch (`pipelines/classify.py`). This measures the price of that
on the generated site's articles, with 1 torch thread, for several model batch sizes:

    python benchmarks/per_article_cost.py --articles 300
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from newsite import generate_article

from model.predict import SentimentClassifier


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--batch_sizes", type=int, nargs="+", default=[8, 16, 32])
    args = parser.parse_args()
    articles = [generate_article(index, sources=6) for index in range(args.articles)]
    bodies = [[sentence for paragraph in article.paragraphs for sentence in paragraph] for article in articles]
    print(f"command: python benchmarks/per_article_cost.py --articles {args.articles}")
    print(f"{len(articles)} articles, {sum(map(len, bodies))} body sentences, 1 torch thread")
    for batch_size in args.batch_sizes:
        model = SentimentClassifier.load(None, threads=1, batch_size=batch_size)
        model.predict(bodies[0])  # warm-up
        started = time.perf_counter()
        model.predict([sentence for body in bodies for sentence in body])
        together = time.perf_counter() - started
        started = time.perf_counter()
        for body in bodies:
            model.predict(body)
        apart = time.perf_counter() - started
        started = time.perf_counter()
        for article in articles:
            model.predict([article.title])
        titles = time.perf_counter() - started
        print(f"batch {batch_size:3d}: all at once {together:6.2f} s | per article {apart:6.2f} s "
              f"({apart / together:.2f}×) | titles alone {titles:5.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
