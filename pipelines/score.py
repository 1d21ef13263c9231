"""ScoreArticles: joins each article with its classified sentences into one `articles` row.

score = mean over the article's sentences of P(positive) − P(negative); the article's label is
positive / negative when the score is beyond ±`label_threshold`, else neutral. The evidence is
the most positive and the most negative sentences with their probabilities. Articles not
classified (non-English, or no sentence left) get no score and no label.

The title is classified on its own and reported beside the score (`title_label`, `title_p_*`,
`title_score`), never averaged into it: the score keeps meaning "the body's sentences", comparable
across runs, and most leads restate their title, so adding it would count that claim twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import apache_beam as beam

from model.predict import Prediction
from pipelines.records import Article, Sentence
from pipelines.settings import ScoreSettings

Classified = tuple[Sentence, Prediction, str]


def article_label(score: float | None, threshold: float) -> str | None:
    """positive / neutral / negative for an article score (None stays None)."""
    if score is None:
        return None
    if score > threshold:
        return "positive"
    if score < -threshold:
        return "negative"
    return "neutral"


def evidence(classified: list[Classified], per_side: int) -> list[dict]:
    """The `per_side` most positive (score > 0) and most negative (score < 0) sentences."""
    ranked = sorted(classified, key=lambda item: (item[1].score, item[0].index))
    positives = [item for item in reversed(ranked) if item[1].score > 0][:per_side]
    negatives = [item for item in ranked if item[1].score < 0][:per_side]
    return [
        {"sentence_id": sentence.sentence_id, "text": sentence.text, "label": prediction.label,
         "score": prediction.score, "p_negative": prediction.p_negative,
         "p_positive": prediction.p_positive}
        for sentence, prediction, _ in positives + negatives
    ]


def title_columns(title: Classified | None) -> dict:
    """The `title_*` columns of an article row: the title's label and probabilities (None: unclassified)."""
    if title is None:
        return {"title_label": None, "title_p_negative": None, "title_p_neutral": None,
                "title_p_positive": None, "title_score": None}
    prediction = title[1]
    return {"title_label": prediction.label, "title_p_negative": prediction.p_negative,
            "title_p_neutral": prediction.p_neutral, "title_p_positive": prediction.p_positive,
            "title_score": prediction.score}


def article_row(article: Article, classified: Iterable[Classified], run_id: str, run_date: date,
                settings: ScoreSettings | None = None, title: Classified | None = None) -> dict:
    """The `articles` table row of one article (see `pipelines.schema.TABLES`).

    `classified` are the body's sentences; `title` is the title's own prediction, if it was classified.
    """
    settings = settings or ScoreSettings()
    items = sorted(classified, key=lambda item: item[0].index)
    labels = [prediction.label for _, prediction, _ in items]
    score = sum(p.score for _, p, _ in items) / len(items) if items else None
    entry = article.entry
    return {
        "article_id": article.article_id, "run_date": run_date, "url": article.url,
        "final_url": article.final_url, "feed": entry.feed, "feeds": list(entry.feeds or (entry.feed,)),
        "source": entry.source,
        "tags": list(entry.tags), "tickers": list(entry.tickers), "title": article.title,
        "authors": list(article.authors), "published_at": article.published_at or entry.published_at,
        "scraped_at": article.scraped_at, "language": article.language,
        "classified": bool(items), "extractor": article.extractor, "text": article.text,
        "n_sentences": len(items), "n_positive": labels.count("positive"),
        "n_neutral": labels.count("neutral"), "n_negative": labels.count("negative"),
        "score": score, "label": article_label(score, settings.label_threshold),
        **title_columns(title),
        "evidence": evidence(items, settings.evidence_per_side),
        "model_version": items[0][2] if items else title[2] if title else None, "run_id": run_id,
    }


class _JoinAndScore(beam.DoFn):
    def __init__(self, run_id: str, run_date: date, settings: ScoreSettings) -> None:
        self._run_id, self._run_date, self._settings = run_id, run_date, settings
        self._scored = beam.metrics.Metrics.counter("score", "articles")

    def process(self, element: tuple[str, dict[str, list]]) -> Iterable[dict]:
        _, grouped = element
        title = next(iter(grouped.get("titles", ())), None)
        for article in grouped["articles"]:
            self._scored.inc()
            yield article_row(article, grouped["sentences"], self._run_id, self._run_date, self._settings,
                              title=title)


class ScoreArticles(beam.PTransform):
    """`{"articles": …, "sentences": PCollection[Classified], "titles": PCollection[Classified]}` → rows.

    `titles` (each classified title) is optional."""

    def __init__(self, run_id: str, run_date: date, settings: ScoreSettings | None = None) -> None:
        super().__init__()
        self._fn = _JoinAndScore(run_id, run_date, settings or ScoreSettings())

    def expand(self, inputs: dict[str, beam.PCollection]) -> beam.PCollection:
        """Group sentences under their article and build one row per article."""
        keyed = {
            "articles": inputs["articles"] | "KeyArticles" >> beam.Map(lambda a: (a.article_id, a)),
            "sentences": inputs["sentences"] | "KeySentences" >> beam.Map(lambda c: (c[0].article_id, c)),
        }
        if "titles" in inputs:
            keyed["titles"] = inputs["titles"] | "KeyTitles" >> beam.Map(lambda c: (c[0].article_id, c))
        return keyed | "Join" >> beam.CoGroupByKey() | "Score" >> beam.ParDo(self._fn)
