"""SplitSentences: Article → its sentences and title (ArticleSentences), offline (pysbd), without boilerplate.

`split_sentences` never loses or invents text: its sentences joined give the input back, up to
whitespace. English paragraphs get exactly pysbd's cuts, but pysbd reads only the parts of a
paragraph where a cut is in doubt (plain prose is cut by one regex: ~30× faster).
`clean_sentences` then drops boilerplate and fragments, `SplitSentences` is the stage (it passes on
at most `--max_sentences_per_article` per article, with the article, and records the cut as a
failure row).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import apache_beam as beam
import pysbd
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput
from pysbd.lang.english import English
from pysbd.languages import LANGUAGE_CODES

from pipelines.records import ENGLISH, Article, ArticleSentences, Failure, Sentence
from pipelines.settings import SentenceSettings

STAGE = "sentences"
FAILURES = "failures"

# Abbreviations that do not end a sentence even before a capital or a number ("approx. 500").
_NON_TERMINAL_ABBREVIATIONS = frozenset({
    "approx.", "appr.", "ca.", "incl.", "excl.", "est.", "no.", "nos.", "vol.", "vols.", "vs.",
    "fig.", "ref.", "resp.", "avg.", "mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "e.g.", "i.e.",
})
# A short dotted token ("pct.", "mln.", "p.m.") before a lowercase continuation is an abbreviation.
_SHORT_ABBREVIATION_RE = re.compile(r"(?:^|\s)[\w.]{1,5}\.$")
# "4 p.m. | ET on Friday": a time zone after a.m./p.m. continues the sentence.
_TIME_ZONE_RE = re.compile(r"^(?:[ECMP][SD]?T|GMT|BST|CES?T|UTC|HKT|JST|SGT)\b")
_WIRE = r"Reuters|Bloomberg|AP|AFP|Dow Jones|MarketWatch|CNBC|IFR|Business Wire|PRNewswire|GLOBE NEWSWIRE"
# "LONDON, March 3 (Reuters) -" / "(Bloomberg) --": the prefix goes, the sentence stays.
_DATELINE_RE = re.compile(rf"^(?:[A-Z][\w .,'/-]{{0,60}}?\s*)?\((?:{_WIRE})\)\s*[-–—]+\s*")
_IMAGE_CREDIT_RE = re.compile(r"\s*\((?:photo|image|picture|credit)s?\b[^)]*\)", re.IGNORECASE)
_BOILERPLATE_RE = re.compile("|".join((
    r"^(?:share|tweet|e-?mail|print|pin|save|copy link)\b(?:\s+(?:this|on|via|to)\b.*)?$",
    r"^(?:read|see|watch|listen)\s+(?:more|also|next|now)\b",
    r"^(?:related|recommended|most popular|trending|more from \w+)"
    r"(?:\s+(?:articles?|stories|news|content|coverage|reading|topics|links))?\s*(?::|$)",
    r"^(?:photo|image|picture|video|graphic|illustration|credit|caption)s?\s*(?:credit|by)?\s*:",
    r"^(?:©|\(c\)|copyright\b)",
    r"\ball rights reserved\b",
    r"\b(?:sign up|subscribe)\b.*\bnewsletters?\b",
    r"^subscribe\b",
    r"\bclick here\b",
    r"^follow (?:us|\w+(?: \w+)? on (?:twitter|x|facebook|linkedin|instagram))\b",
    r"^(?:advertisement|sponsored( content)?|ad)\.?$",
    r"\b(?:we|this (?:web)?site) uses? cookies\b",
    r"^(?:additional )?(?:reporting|writing|editing) by\b",
    r"^our standards:",
)), re.IGNORECASE)
_NAME = r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}"
_BYLINE_RE = re.compile(rf"^[Bb][Yy]\s+{_NAME}(?:\s*(?:,|and|&)\s*{_NAME})*(?:\s*[|,]\s*.{{0,40}})?\.?$")


# pysbd's cost grows faster than the text (~0.4 ms for one sentence, ~2.3 ms for three), so English
# paragraphs are first cut where pysbd certainly cuts, and pysbd only reads the parts that may hold
# a boundary. A cut needs: a plain word ("percent", "York"; not an abbreviation pysbd or we know) after
# whitespace, "." or "?", whitespace and a capital letter (or an opening quote and one; or, after a
# closing quote, the capital letter alone), and no quote, bracket or dash span open before the cut.
_CLEAR_BOUNDARY_RE = re.compile(
    r"(?:^|(?<=\s))([A-Za-z][a-z]+)[.?](?:[\"”](?=\s+[A-Z])|(?=\s+[\"“]?[A-Z]))")
_KNOWN_ABBREVIATIONS = frozenset(English.Abbreviation.ABBREVIATIONS) | {
    abbreviation.rstrip(".") for abbreviation in _NON_TERMINAL_ABBREVIATIONS}
_PAIRED_MARKS = (("(", ")"), ("[", "]"), ("“", "”"), ("«", "»"), ("（", "）"), ("「", "」"))
# What pysbd reads across the whole paragraph, so the paragraph is left to it uncut: quotes opened
# by ' or ‘ after a space and -- dashes (a count of marks cannot pair them), and list items such as
# "a)", "2." or "iv)".
_WHOLE_PARAGRAPH_RULES_RE = re.compile(r"\s['‘]|--|(?:^|\s)\(?(?:[A-Za-z]|\d{1,2}|[ivxIVX]{1,4})[.)](?=\s|$)")
# What pysbd may cut at inside a part: sentence punctuation not inside a number, a bracket, a closing
# double quote not after a comma before a capital (`"rose" Monday`, not `"...," he said`), or two
# single quotes (a lone apostrophe, as in "the company's", is not a quote).
_POSSIBLE_BOUNDARY_RE = re.compile(
    r"[.!?。．！？…ȸȹ☉☈☇☄](?!\d)|[()（）「」\[\]«»‘]|[^,][\"”](?=\s[A-Z])|'.*'")
_FINAL_PUNCTUATION_RE = re.compile(r"[.!?。．！？…]+$")
_PYSBD_PUNCTUATION_RE = re.compile(r"[.!?。．！？]")


@lru_cache(maxsize=8)
def _segmenter(language: str) -> pysbd.Segmenter:
    """One pysbd segmenter per language and process (building one is slow)."""
    return pysbd.Segmenter(language=language, clean=False)


def _pysbd_language(language: str) -> str:
    return language if language in LANGUAGE_CODES else "en"


def _pysbd_segments(text: str, language: str) -> list[str]:
    """pysbd's non-empty segments of `text`, stripped."""
    segments = (segment.strip() for segment in _segmenter(_pysbd_language(language)).segment(text))
    return [segment for segment in segments if segment]


def _balanced(text: str) -> bool:
    """Whether `text` has an even number of double quotes, every bracket pair closed in order, and no
    quote opened inside another (pysbd reads nested quotes as one span, whatever closes them)."""
    return text.count('"') % 2 == 0 and all(_closed_in_order(text, open_, close, 1 if open_ == "“" else None)
                                             for open_, close in _PAIRED_MARKS)


def _closed_in_order(text: str, open_: str, close: str, max_depth: int | None = None) -> bool:
    if open_ not in text and close not in text:
        return True
    depth = 0
    for char in text:
        depth += (char == open_) - (char == close)
        if depth < 0 or (max_depth is not None and depth > max_depth):
            return False
    return depth == 0


def _clear_parts(paragraph: str) -> list[str]:
    """The paragraph cut at the sentence boundaries pysbd always makes (English)."""
    if _WHOLE_PARAGRAPH_RULES_RE.search(paragraph):
        return [paragraph]
    parts, start = [], 0
    for match in _CLEAR_BOUNDARY_RE.finditer(paragraph):
        if match.group(1).lower() not in _KNOWN_ABBREVIATIONS and _balanced(paragraph[start:match.end()]):
            parts.append(paragraph[start:match.end()])
            start = match.end()
    rest = paragraph[start:]
    if parts and not _PYSBD_PUNCTUATION_RE.search(rest):
        # pysbd applies its quote and bracket rules only to text with sentence punctuation, so a
        # tail without any must be read with the sentence before it, as in the whole paragraph.
        return [*parts[:-1], parts[-1] + rest]
    return [*parts, rest]


def _may_hold_boundary(part: str) -> bool:
    """Whether pysbd could cut `part` anywhere but at its end."""
    return bool(_POSSIBLE_BOUNDARY_RE.search(_FINAL_PUNCTUATION_RE.sub("", part)))


def _segments(paragraph: str, language: str) -> list[str]:
    """pysbd's segments of one paragraph, computed by pysbd only where a boundary is in doubt."""
    if _pysbd_language(language) != "en":
        return _pysbd_segments(paragraph, language)
    segments: list[str] = []
    for part in _clear_parts(paragraph):
        segments.extend(_pysbd_segments(part, "en") if _may_hold_boundary(part) else [part.strip()])
    return segments


def _squash(text: str) -> str:
    """The text without any whitespace, to compare texts up to whitespace."""
    return "".join(text.split())


def _merge_abbreviations(segments: list[str]) -> list[str]:
    """Join segments that pysbd cut after an abbreviation ("approx. | 500 people")."""
    merged: list[str] = []
    for segment in segments:
        if merged and _continues(merged[-1], segment):
            merged[-1] = f"{merged[-1]} {segment}"
        else:
            merged.append(segment)
    return merged


def _continues(previous: str, segment: str) -> bool:
    """Whether `segment` continues `previous` rather than starting a new sentence."""
    last_word = previous.rsplit(maxsplit=1)[-1].lower()
    if last_word in _NON_TERMINAL_ABBREVIATIONS:
        return True
    if last_word in ("a.m.", "p.m.") and _TIME_ZONE_RE.match(segment):
        return True
    return segment[:1].islower() and bool(_SHORT_ABBREVIATION_RE.search(previous))


def _realign(paragraph: str, segments: list[str]) -> list[str]:
    """Cut the original paragraph where the segments end, so no character is lost or altered.

    If the segmenter changed the text itself, the whole paragraph is kept as one sentence.
    """
    if _squash("".join(segments)) != _squash(paragraph):
        return [paragraph]
    sentences, position = [], 0
    for segment in segments:
        start, needed = position, len(_squash(segment))
        while needed:
            needed -= not paragraph[position].isspace()
            position += 1
        sentences.append(paragraph[start:position].strip())
    return [s for s in sentences if s]


def _split_paragraph(paragraph: str, language: str) -> list[str]:
    """Sentences of one paragraph (a line of text)."""
    return _realign(paragraph, _merge_abbreviations(_segments(paragraph, language)))


def split_sentences(text: str, language: str = "en") -> list[str]:
    """Split text into sentences: lines first (paragraphs, headings), then pysbd within each line.

    `language` is an ISO 639-1 code; languages pysbd does not know are split with English rules.
    """
    sentences: list[str] = []
    for line in text.splitlines():
        if line.strip():
            sentences.extend(_split_paragraph(line.strip(), language))
    return sentences


def _clean(sentence: str) -> str:
    """The sentence without dateline or image credits, whitespace collapsed; '' if it is boilerplate."""
    sentence = " ".join(_IMAGE_CREDIT_RE.sub("", sentence).split())
    sentence = _DATELINE_RE.sub("", sentence)
    if _BOILERPLATE_RE.search(sentence) or _BYLINE_RE.match(sentence):
        return ""
    return sentence


def clean_sentences(sentences: Iterable[str], settings: SentenceSettings | None = None) -> list[str]:
    """Drop boilerplate (share buttons, credits, bylines, newsletter/copyright lines) and fragments.

    Datelines such as "LONDON (Reuters) -" are stripped and the rest kept; sentences shorter than
    `settings.min_chars` or longer than `settings.max_chars` (after cleaning) are dropped.
    """
    settings = settings or SentenceSettings()
    kept = (_clean(sentence) for sentence in sentences)
    return [s for s in kept if settings.min_chars <= len(s) <= settings.max_chars]


def _sentences_with_drops(article: Article, settings: SentenceSettings | None) -> tuple[list[Sentence], int]:
    """The article's kept sentences, IDs `{article_id}-{index:04d}` counting kept ones from 0, and how
    many split sentences were dropped."""
    raw = split_sentences(article.text, article.language or "en")
    kept = clean_sentences(raw, settings)
    sentences = [Sentence(sentence_id=f"{article.article_id}-{index:04d}", article_id=article.article_id,
                          index=index, text=text) for index, text in enumerate(kept)]
    return sentences, len(raw) - len(kept)


TITLE_INDEX = -1


def title_sentence(article: Article) -> Sentence | None:
    """The article's title as one Sentence (ID `{article_id}-title`, index -1); None when it has no title.

    The title is classified on its own, whatever its length: it is what a reader sees first.
    """
    title = " ".join(article.title.split())
    if not title:
        return None
    return Sentence(sentence_id=f"{article.article_id}-title", article_id=article.article_id,
                    index=TITLE_INDEX, text=title)


def truncation_failure(article: Article, kept: int, total: int) -> Failure:
    """The `too_many_sentences` row of an article whose sentences after the first `kept` are not classified.

    Its stage is not entry-level: the article still gets its row, so the run's accounting is unchanged.
    """
    return Failure(stage=STAGE, reason="too_many_sentences", feed=article.entry.feed, url=article.url,
                   detail=f"{total - kept} of {total} sentences were not classified: only the first "
                          f"{kept} are (--max_sentences_per_article)")


@dataclass(frozen=True)
class SplitOutcome:
    """One article split: what goes to the model, how many sentences the text had after cleaning
    (`total`, before the cap) and how many were dropped as boilerplate or fragments."""

    split: ArticleSentences
    total: int = 0
    dropped: int = 0

    @property
    def over_limit(self) -> int:
        """Sentences past the cap, not classified."""
        return self.total - len(self.split.sentences)


def split_article(article: Article, settings: SentenceSettings | None = None) -> SplitOutcome:
    """An English article's first `max_per_article` sentences and its title; other languages get none."""
    if article.language != ENGLISH:
        return SplitOutcome(ArticleSentences(article))
    settings = settings or SentenceSettings()
    sentences, dropped = _sentences_with_drops(article, settings)
    kept = tuple(sentences[:settings.max_per_article])
    return SplitOutcome(ArticleSentences(article, kept, title_sentence(article)), len(sentences), dropped)


class _SplitArticleFn(beam.DoFn):
    """Article → ArticleSentences, counting kept, dropped and cut sentences."""

    def __init__(self, settings: SentenceSettings) -> None:
        super().__init__()
        self.settings = settings
        self.kept = Metrics.counter(STAGE, "sentences_kept")
        self.dropped = Metrics.counter(STAGE, "sentences_dropped")
        self.cut = Metrics.counter(STAGE, "sentences_over_limit")
        self.empty = Metrics.counter(STAGE, "articles_without_sentences")

    def process(self, article: Article) -> Iterator[ArticleSentences | TaggedOutput]:
        outcome = split_article(article, self.settings)
        kept = len(outcome.split.sentences)
        if outcome.over_limit:
            self.cut.inc(outcome.over_limit)
            yield TaggedOutput(FAILURES, truncation_failure(article, kept, outcome.total))
        self.kept.inc(kept)
        self.dropped.inc(outcome.dropped)
        if not kept and article.language == ENGLISH:
            self.empty.inc()
        yield outcome.split


class SplitSentences(beam.PTransform):
    """PCollection[Article] → PCollection[ArticleSentences]: each English article's cleaned, numbered
    sentences (at most `settings.max_per_article`) and its title, carried with the article.

    An article with more sentences also yields a `too_many_sentences` Failure on the `failures`
    output. Use: `split, failures = articles | SplitSentences(settings)`.
    """

    def __init__(self, settings: SentenceSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or SentenceSettings()

    def expand(self, articles: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        """Article → ArticleSentences (main output `split`) and Failure (`failures`)."""
        return articles | "SplitArticle" >> beam.ParDo(_SplitArticleFn(self.settings)).with_outputs(
            FAILURES, main="split")
