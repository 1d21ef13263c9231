"""`finsent analyze URL|FILE`: one article through the same scrape, sentence, model and score code as a run.

It takes the run's own settings objects (`pipelines.settings`), so its defaults are a run's.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from finsent.errors import FinsentError
from pipelines.classify import classify_article, load_classifier
from pipelines.extract import EmptyTextError
from pipelines.fetch import Fetcher, FetchError, FetchResponse
from pipelines.mentions import MentionMatcher, detect_mentions, load_companies
from pipelines.records import FeedEntry
from pipelines.score import score_article
from pipelines.scrape import page_to_article
from pipelines.sentences import split_article
from pipelines.settings import FetchSettings, RunSettings
from pipelines.urls import canonicalize_url, make_article_id


def load_page(target: str, settings: FetchSettings) -> FetchResponse:
    """A saved HTML file, or the page at an http(s) URL fetched with the pipeline's fetcher."""
    path = Path(target)
    if path.is_file():
        body = path.read_bytes()
        if b"\x00" in body[:4096]:
            raise FinsentError(f"{target}: not an HTML page (binary data)")
        return FetchResponse(final_url=path.resolve().as_uri(), status=200, content_type="text/html", body=body)
    if not target.startswith(("http://", "https://")):
        raise FinsentError(f"{target!r} is neither a file nor an http(s) URL")
    try:
        return Fetcher(settings).fetch(target, accept="html")
    except FetchError as error:
        raise FinsentError(f"{target}: {error}") from error


def analyze(target: str, settings: RunSettings | None = None) -> dict:
    """The `articles` row of one page, with `sentences` holding each sentence's prediction.

    The page goes through a run's per-article chain: split, classify, detect mentions, score.
    """
    settings = settings or RunSettings()
    page = load_page(target, settings.fetch)
    url = page.final_url if page.final_url.startswith("http") else target
    canonical = canonicalize_url(url) if url.startswith("http") else page.final_url
    entry = FeedEntry(feed="analyze", source="analyze", url=url, canonical_url=canonical,
                      article_id=make_article_id(canonical))
    try:
        article = page_to_article(entry, page, settings.scrape.min_article_chars, datetime.now(timezone.utc))
    except EmptyTextError as error:
        raise FinsentError(f"{target}: {error}") from error
    classified = classify_article(load_classifier(settings.model), split_article(article, settings.sentences).split)
    matcher = MentionMatcher(load_companies(settings.mentions.companies))
    tables = score_article(detect_mentions(matcher, classified), "analyze", date.today(), settings.score)
    return {**tables.article, "sentences": tables.sentences}


def format_analysis(row: dict) -> str:
    """A per-sentence table followed by the article's score and label."""
    lines = [f"{row['title']}", f"{row['url']}  ({row['language']}, {row['extractor']})"]
    if row["title_label"] is not None:
        lines.append(f"title: {row['title_label']} (score {row['title_score']:+.3f}; not part of the article score)")
    lines.append("")
    lines.append(f"{'#':>3}  {'label':8s}  {'neg':>5}  {'neu':>5}  {'pos':>5}  sentence")
    for s in row["sentences"]:
        lines.append(f"{s['index']:3d}  {s['label']:8s}  {s['p_negative']:5.2f}  {s['p_neutral']:5.2f}  "
                     f"{s['p_positive']:5.2f}  {s['text']}")
    if row["score"] is None:
        lines.append("\nnot classified (no English sentences)")
    else:
        counts = f"{row['n_positive']} positive, {row['n_neutral']} neutral, {row['n_negative']} negative"
        lines.append(f"\narticle score {row['score']:+.3f} → {row['label']}  ({counts})")
    if row["entities"]:
        lines.append("companies: " + ", ".join(f"{e['ticker']} {e['sentiment']:+.2f} ({e['mentions']})"
                                              for e in row["entities"]))
    return "\n".join(lines)
