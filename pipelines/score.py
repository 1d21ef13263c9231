"""ScoreArticles: each classified article → its `articles` row, its `sentences` rows and its `mentions` rows.

score = mean over the article's sentences of P(positive) − P(negative); the article's label is
positive / negative when the score is beyond ±`label_threshold`, else neutral. The evidence is
the most positive and the most negative sentences with their probabilities. Articles not
classified (non-English, or no sentence left) get no score and no label.

The title is classified on its own and reported beside the score (`title_label`, `title_p_*`,
`title_score`), never averaged into it: the score keeps meaning "the body's sentences", comparable
across runs, and most leads restate their title, so adding it would count that claim twice.

Each article's story is the one GroupStories (`pipelines/stories.py`) gave it before the chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import apache_beam as beam
from apache_beam.pvalue import TaggedOutput

from pipelines.records import ClassifiedArticle
from pipelines.rows import article_entities, article_row, mention_row, sentence_row
from pipelines.settings import ScoreSettings

SENTENCES = "sentences"
MENTIONS = "mentions"


@dataclass(frozen=True)
class ArticleTables:
    """The rows one article adds to the `articles`, `sentences` and `mentions` tables."""

    article: dict
    sentences: list[dict]
    mentions: list[dict]


def score_article(classified: ClassifiedArticle, run_id: str, run_date: date,
                  settings: ScoreSettings | None = None) -> ArticleTables:
    """The article's rows: scored and labelled from its sentences, with its story and companies."""
    story_id = classified.article.story
    per_sentence = classified.mentions or ((),) * len(classified.sentences)  # none detected: no mentions
    mentions = [mention_row(mention, item, story_id, run_date)
                for item, found in zip(classified.sentences, per_sentence, strict=True) for mention in found]
    entities = article_entities(mentions, len(classified.sentences)) if mentions else []
    return ArticleTables(article_row(classified, run_id, run_date, entities, settings),
                         [sentence_row(item, run_date) for item in classified.sentences], mentions)


class _ScoreFn(beam.DoFn):
    def __init__(self, run_id: str, run_date: date, settings: ScoreSettings) -> None:
        self._run_id, self._run_date, self._settings = run_id, run_date, settings
        self._scored = beam.metrics.Metrics.counter("score", "articles")

    def process(self, classified: ClassifiedArticle) -> Iterator:
        tables = score_article(classified, self._run_id, self._run_date, self._settings)
        self._scored.inc()
        yield tables.article
        for row in tables.sentences:
            yield TaggedOutput(SENTENCES, row)
        for row in tables.mentions:
            yield TaggedOutput(MENTIONS, row)


class ScoreArticles(beam.PTransform):
    """ClassifiedArticle → `articles` rows (main output `articles`), `sentences` and `mentions` rows.

    Use: `rows = classified | ScoreArticles(run_id, run_date, settings)`, then `rows.articles`,
    `rows.sentences`, `rows.mentions`.
    """

    def __init__(self, run_id: str, run_date: date, settings: ScoreSettings | None = None) -> None:
        super().__init__()
        self._fn = _ScoreFn(run_id, run_date, settings or ScoreSettings())

    def expand(self, classified: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        """Build each article's rows where the article is."""
        return classified | "Rows" >> beam.ParDo(self._fn).with_outputs(SENTENCES, MENTIONS, main="articles")
