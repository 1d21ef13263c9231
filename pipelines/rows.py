"""The row builders of the five tables (`pipelines.schema.TABLES`): one function per kind of row.

Every row the pipeline writes, to Parquet and BigQuery alike, is built here from the records that
flow between stages, so a column is filled in one place. The columns themselves, their types and
descriptions are declared in `pipelines/schema.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from hashlib import sha256

from pipelines.records import REJECTED_ENTRY_REASONS, Classified, ClassifiedArticle, Failure, Mention
from pipelines.settings import ScoreSettings

RUN_COUNTS = ("entries", "articles", "failures", "feed_failures", "duplicates", "already_stored",
              "sentences", "non_english")
"""The count columns of the `runs` row."""


def article_label(score: float | None, threshold: float) -> str | None:
    """positive / neutral / negative for an article score (None stays None)."""
    if score is None:
        return None
    if score > threshold:
        return "positive"
    if score < -threshold:
        return "negative"
    return "neutral"


def evidence(classified: Sequence[Classified], per_side: int) -> list[dict]:
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


def article_row(classified: ClassifiedArticle, run_id: str, run_date: date, entities: Sequence[dict] = (),
                settings: ScoreSettings | None = None) -> dict:
    """The `articles` row of one article: its metadata, body score and label, title columns, evidence,
    story and companies (`entities`, from `article_entities`)."""
    settings = settings or ScoreSettings()
    article, items, title = classified.article, classified.sentences, classified.title
    labels = [prediction.label for _, prediction, _ in items]
    score = sum(prediction.score for _, prediction, _ in items) / len(items) if items else None
    entry = article.entry
    return {
        "article_id": article.article_id, "run_date": run_date, "url": article.url,
        "final_url": article.final_url, "feed": entry.feed, "feeds": list(entry.feeds or (entry.feed,)),
        "source": entry.source, "tags": list(entry.tags), "tickers": list(classified.tickers),
        "title": article.title, "authors": list(article.authors),
        "published_at": article.published_at or entry.published_at,
        "scraped_at": article.scraped_at, "language": article.language,
        "classified": bool(items), "extractor": article.extractor, "text": article.text,
        "n_sentences": len(items), "n_positive": labels.count("positive"),
        "n_neutral": labels.count("neutral"), "n_negative": labels.count("negative"),
        "score": score, "label": article_label(score, settings.label_threshold),
        **title_columns(title),
        "evidence": evidence(items, settings.evidence_per_side),
        "model_version": items[0][2] if items else title[2] if title else None, "run_id": run_id,
        "story_id": article.story, "entities": list(entities),
    }


def sentence_row(classified: Classified, run_date: date) -> dict:
    """The `sentences` row of one classified sentence."""
    sentence, prediction, model_version = classified
    return {
        "sentence_id": sentence.sentence_id, "article_id": sentence.article_id, "run_date": run_date,
        "index": sentence.index, "text": sentence.text, "label": prediction.label,
        "p_negative": prediction.p_negative, "p_neutral": prediction.p_neutral,
        "p_positive": prediction.p_positive, "score": prediction.score, "model_version": model_version,
    }


def mention_row(mention: Mention, classified: Classified, story_id: str, run_date: date) -> dict:
    """The `mentions` row of one company in one classified sentence."""
    sentence, prediction, model_version = classified
    return {
        "mention_id": f"{sentence.sentence_id}:{mention.ticker}", "article_id": sentence.article_id,
        "sentence_id": sentence.sentence_id, "story_id": story_id, "run_date": run_date,
        "ticker": mention.ticker, "name": mention.name, "exchange": mention.exchange,
        "matched_text": mention.matched_text, "match_type": mention.match_type,
        "label": prediction.label, "p_negative": prediction.p_negative, "p_neutral": prediction.p_neutral,
        "p_positive": prediction.p_positive, "score": prediction.score, "model_version": model_version,
    }


def article_entities(mention_rows: Sequence[dict], n_sentences: int) -> list[dict]:
    """Per company of one article: sentences naming it, their mean score, and their share of all."""
    by_ticker: dict[str, list[dict]] = {}
    for row in mention_rows:
        by_ticker.setdefault(row["ticker"], []).append(row)
    entities = [
        {"ticker": ticker, "name": next((r["name"] for r in group if r["name"]), None),
         "exchange": group[0]["exchange"], "mentions": len(group),
         "sentiment": sum(r["score"] for r in group) / len(group), "relevance": len(group) / n_sentences}
        for ticker, group in by_ticker.items()
    ]
    return sorted(entities, key=lambda e: (-e["mentions"], e["ticker"]))


def is_entry_level(failure: Failure) -> bool:
    """Whether the failure stands for one feed entry: every scrape failure, and the feeds stage's
    rejected entries (a whole-feed, sentence-cap or model failure does not)."""
    if failure.stage == "feeds":
        return failure.reason in REJECTED_ENTRY_REASONS
    return failure.stage == "scrape"


def failure_row(failure: Failure, run_id: str, run_date: date) -> dict:
    """The `failures` row of one failure; its ID is stable across re-runs of the date."""
    key = "\x1f".join([run_date.isoformat(), failure.stage, failure.feed, failure.url, failure.reason,
                       failure.detail if not failure.url else ""])
    return {
        "failure_id": sha256(key.encode()).hexdigest()[:24], "run_id": run_id, "run_date": run_date,
        "stage": failure.stage, "feed": failure.feed or None, "url": failure.url or None,
        "reason": failure.reason, "detail": failure.detail, "http_status": failure.http_status,
        "entry_level": is_entry_level(failure),
    }


def run_row(run_id: str, run_date: date, started_at: datetime, feeds: int, counts: Mapping[str, int],
            model_version: str | None, options: str) -> dict:
    """The `runs` row: the run's identity, its `RUN_COUNTS` (missing ones are 0) and model version."""
    return {
        "run_id": run_id, "run_date": run_date, "started_at": started_at,
        "finished_at": datetime.now(timezone.utc), "feeds": feeds,
        **{name: counts.get(name, 0) for name in RUN_COUNTS},
        "model_version": model_version or None, "options": options,
    }
