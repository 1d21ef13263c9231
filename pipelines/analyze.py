"""`finsent analyze URL|FILE`: one article through the same scrape, sentence and model code as a run."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from model.predict import SentimentClassifier
from pipelines.classify import in_article_order, predict_article
from pipelines.fetch import Fetcher, FetchError, FetchResponse, FetchSettings
from pipelines.records import FeedEntry
from pipelines.score import article_row
from pipelines.scrape import page_to_article
from pipelines.sentences import article_sentences
from pipelines.urls import canonicalize_url, make_article_id


def load_page(target: str, settings: FetchSettings) -> FetchResponse:
    """A saved HTML file, or the page at an http(s) URL fetched with the pipeline's fetcher."""
    path = Path(target)
    if path.is_file():
        return FetchResponse(final_url=path.resolve().as_uri(), status=200, content_type="text/html",
                             body=path.read_bytes())
    if not target.startswith(("http://", "https://")):
        raise SystemExit(f"finsent analyze: {target!r} is neither a file nor an http(s) URL")
    try:
        return Fetcher(settings).fetch(target, accept="html")
    except FetchError as error:
        raise SystemExit(f"finsent analyze: {target}: {error}") from error


def analyze(target: str, settings: FetchSettings, model_path: str | None = None,
            min_sentence_chars: int = 20, max_sentence_chars: int = 600) -> dict:
    """The `articles` row of one page, with `sentences` holding each sentence's prediction."""
    page = load_page(target, settings)
    url = page.final_url if page.final_url.startswith("http") else target
    canonical = canonicalize_url(url) if url.startswith("http") else page.final_url
    entry = FeedEntry(feed="analyze", source="analyze", url=url, canonical_url=canonical,
                      article_id=make_article_id(canonical))
    article = page_to_article(entry, page, 1, datetime.now(timezone.utc))
    sentences = article_sentences(article, min_sentence_chars, max_sentence_chars) \
        if article.language == "en" else []
    classifier = SentimentClassifier.load(model_path)
    ordered = in_article_order(sentences)
    classified = [(sentence, prediction, classifier.model_version)
                  for sentence, prediction in zip(ordered, predict_article(classifier, ordered), strict=True)]
    row = article_row(article, classified, "analyze", date.today(), 2, 0.1)
    row["sentences"] = [{"index": s.index, "text": s.text, "label": p.label, "p_negative": p.p_negative,
                         "p_neutral": p.p_neutral, "p_positive": p.p_positive} for s, p, _ in classified]
    return row


def format_analysis(row: dict) -> str:
    """A per-sentence table followed by the article's score and label."""
    lines = [f"{row['title']}", f"{row['url']}  ({row['language']}, {row['extractor']})", ""]
    lines.append(f"{'#':>3}  {'label':8s}  {'neg':>5}  {'neu':>5}  {'pos':>5}  sentence")
    for s in row["sentences"]:
        lines.append(f"{s['index']:3d}  {s['label']:8s}  {s['p_negative']:5.2f}  {s['p_neutral']:5.2f}  "
                     f"{s['p_positive']:5.2f}  {s['text']}")
    if row["score"] is None:
        lines.append("\nnot classified (no English sentences)")
    else:
        counts = f"{row['n_positive']} positive, {row['n_neutral']} neutral, {row['n_negative']} negative"
        lines.append(f"\narticle score {row['score']:+.3f} → {row['label']}  ({counts})")
    return "\n".join(lines)
