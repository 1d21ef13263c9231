"""`finsent analyze URL|FILE`: one article through the same scrape, sentence, model and score code as a run.

It takes the run's own settings objects (`pipelines.settings`), so its defaults are a run's.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from finsent.errors import FinsentError
from model.predict import SentimentClassifier
from pipelines.classify import in_article_order, predict_article
from pipelines.extract import EmptyTextError
from pipelines.fetch import Fetcher, FetchError, FetchResponse
from pipelines.mentions import COMPANIES_FILE, MentionMatcher, article_entities, load_companies, mention_row
from pipelines.records import Article, FeedEntry
from pipelines.runs import ENGLISH
from pipelines.score import Classified, article_row
from pipelines.scrape import page_to_article
from pipelines.sentences import article_sentences, title_sentences
from pipelines.settings import FetchSettings, MentionSettings, RunSettings
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
    """The `articles` row of one page, with `sentences` holding each sentence's prediction."""
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
    sentences = article_sentences(article, settings.sentences) if article.language == ENGLISH else []
    classifier = SentimentClassifier.load(settings.model.path, threads=settings.model.threads or None,
                                          batch_size=settings.model.batch_size)
    ordered = in_article_order(sentences)
    classified = [(sentence, prediction, classifier.model_version)
                  for sentence, prediction in zip(ordered, predict_article(classifier, ordered), strict=True)]
    titles = title_sentences(article) if article.language == ENGLISH else []
    title = (titles[0], classifier.predict([titles[0].text])[0], classifier.model_version) if titles else None
    row = article_row(article, classified, "analyze", date.today(), settings.score, title=title)
    row["entities"] = _entities(classified, article, settings.mentions)
    row["sentences"] = [{"index": s.index, "text": s.text, "label": p.label, "p_negative": p.p_negative,
                         "p_neutral": p.p_neutral, "p_positive": p.p_positive} for s, p, _ in classified]
    return row


def _entities(classified: list[Classified], article: Article, settings: MentionSettings) -> list[dict]:
    """The companies the article mentions, as in the `articles.entities` column of a run."""
    matcher = MentionMatcher(load_companies(settings.companies or COMPANIES_FILE))
    found = matcher.article_mentions([sentence.text for sentence, _, _ in classified], article.entry.tickers)
    rows = [mention_row(mention, item, article.article_id, date.today())
            for item, mentions in zip(classified, found, strict=True) for mention in mentions]
    return article_entities(rows, len(classified)) if rows else []


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
