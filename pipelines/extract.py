"""Article extraction: decode a fetched HTML page and pull out title, body text and metadata, offline.

trafilatura (precision mode, no comments) gives the body text. newspaper4k (~4x slower) also runs
only when trafilatura found little or nothing, and its text wins when clearly longer
(`benchmarks/extraction_f1.py` measures the F1 and ms/page of each strategy).
Nothing is downloaded or executed: the page is parsed as text only.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import charset_normalizer
import py3langid
import trafilatura

log = logging.getLogger(__name__)

#: Newspaper4k's text replaces trafilatura's when trafilatura kept less than this share of it.
NEWSPAPER_PREFERRED_RATIO = 0.7
#: The default strategy runs newspaper4k as well only when trafilatura's text is shorter than this:
#: when trafilatura (nearly) failed. On the 88 dev pages thresholds of 0, 300 and 1,000 characters
#: all score F1 0.969; at 1,000, every short news brief paid for newspaper4k (4x trafilatura's time).
NEWSPAPER_FALLBACK_CHARS = 200
#: How far into the page a `<meta charset>` declaration is looked for.
_META_SCAN_BYTES = 4096
_HEADER_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
# WHATWG: these labels mean windows-1252 on the web.
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
                    "us-ascii": "cp1252", "ascii": "cp1252"}
# Legacy encodings still seen on news sites; detection chooses among these only.
_WEB_ENCODINGS = ["cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
                  "iso8859_2", "iso8859_15", "koi8_r", "shift_jis", "euc_jp", "gb18030", "big5", "euc_kr"]
_BLANK_LINES_RE = re.compile(r"\n\s*\n+")


class EmptyTextError(ValueError):
    """No usable article text is left on the page; the scrape stage reports reason `empty_text`."""

    reason = "empty_text"


@dataclass(frozen=True)
class ExtractedText:
    """What extraction found on one page; `published_at` is aware UTC or None."""

    title: str
    text: str
    authors: tuple[str, ...]
    published_at: datetime | None
    language: str
    extractor: str


@dataclass(frozen=True)
class _Candidate:
    """One extractor's output, before language detection."""

    extractor: str
    title: str
    text: str
    authors: tuple[str, ...]
    published_at: datetime | None


def decode_html(body: bytes, content_type: str = "") -> str:
    """Decode a page body: BOM, valid UTF-8, declared charset (header, then meta), then detection.

    Valid UTF-8 wins over a declared single-byte charset, so a mislabelled UTF-8 page never turns
    into mojibake (non-ASCII UTF-8 is practically never valid text in another encoding).
    """
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return _strip_nul(body.decode(encoding, errors="replace"))
    for encoding in ("utf-8", *_declared_charsets(body, content_type)):
        try:
            return _strip_nul(body.decode(encoding))
        except (UnicodeDecodeError, LookupError):
            continue
    return _strip_nul(body.decode(_detect_charset(body), errors="replace"))


def _detect_charset(body: bytes) -> str:
    """The likeliest common web encoding of undeclared, non-UTF-8 bytes; windows-1252 on a tie."""
    matches = charset_normalizer.from_bytes(body, cp_isolation=_WEB_ENCODINGS)
    best = matches.best()
    if best is None:
        return "cp1252"
    western = next((match for match in matches if match.encoding == "cp1252"), None)
    return "cp1252" if western is not None and western.chaos <= best.chaos else best.encoding


def _declared_charsets(body: bytes, content_type: str) -> list[str]:
    """Charsets named by the Content-Type header and the page's meta tag, in that order."""
    found = []
    if match := _HEADER_CHARSET_RE.search(content_type or ""):
        found.append(match.group(1))
    if match := _META_CHARSET_RE.search(body[:_META_SCAN_BYTES]):
        found.append(match.group(1).decode("ascii", errors="ignore"))
    return [_CHARSET_ALIASES.get(name.lower(), name) for name in found]


def _strip_nul(html: str) -> str:
    """lxml refuses NUL characters; they never carry text."""
    return html.replace("\x00", "")


def _to_utc(value: datetime | str | None) -> datetime | None:
    """An aware UTC datetime from a datetime or ISO string; naive values are taken as UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _normalize_text(text: str | None) -> str:
    """Strip lines and collapse blank-line runs to one paragraph break."""
    lines = "\n".join(line.strip() for line in (text or "").splitlines())
    return _BLANK_LINES_RE.sub("\n\n", lines).strip()


def _run_newspaper(html: str, url: str) -> _Candidate | None:
    """newspaper4k on an already decoded page; None when it fails (e.g. a language it cannot tokenize).

    newspaper4k (with nltk) is imported here, not at module level: it adds ~0.2 GiB and seconds of
    start-up to every worker, and the default strategy rarely needs it.
    """
    import newspaper
    from newspaper.configuration import Configuration

    config = Configuration()
    config.fetch_images = False  # never touch the network
    config.follow_meta_refresh = False
    try:
        article = newspaper.Article(url, config=config)
        article.download(input_html=html, ignore_read_more=True)
        article.parse()
    except Exception as error:  # any parser failure just means "no result"
        log.debug("newspaper4k failed on %s: %r", url, error)
        return None
    return _Candidate(
        extractor="newspaper4k",
        title=(article.title or "").strip(),
        text=_normalize_text(article.text),
        authors=tuple(a.strip() for a in article.authors if a.strip()),
        published_at=_to_utc(article.publish_date),
    )


def _run_trafilatura(html: str, url: str) -> _Candidate | None:
    """trafilatura in precision mode without comments; None when it finds nothing."""
    try:
        document = trafilatura.bare_extraction(
            html, url=url, favor_precision=True, include_comments=False, with_metadata=True,
            date_extraction_params={"extensive_search": True, "original_date": True,
                                    "outputformat": "%Y-%m-%dT%H:%M:%S%z"})
    except Exception as error:  # any parser failure just means "no result"
        log.debug("trafilatura failed on %s: %r", url, error)
        return None
    if document is None:
        return None
    authors = tuple(a.strip() for a in (document.author or "").split(";") if a.strip())
    return _Candidate(
        extractor="trafilatura",
        title=(document.title or "").strip(),
        text=_normalize_text(document.text),
        authors=authors,
        published_at=_to_utc(document.date),
    )


def _run_combined(html: str, url: str) -> _Candidate | None:
    """Both extractors on every page, merged by `_merge`."""
    return _merge(_run_trafilatura(html, url), _run_newspaper(html, url))


def _run_fallback(html: str, url: str) -> _Candidate | None:
    """trafilatura alone when its text is long enough; otherwise merged with newspaper4k as `_run_combined`."""
    tf = _run_trafilatura(html, url)
    if tf is not None and len(tf.text) >= NEWSPAPER_FALLBACK_CHARS:
        return tf
    return _merge(tf, _run_newspaper(html, url))


def _merge(tf: _Candidate | None, np: _Candidate | None) -> _Candidate | None:
    """trafilatura's text unless newspaper4k found clearly more; metadata merged from both."""
    if tf is None or np is None:
        return tf or np
    body = np if len(tf.text) < NEWSPAPER_PREFERRED_RATIO * len(np.text) else tf
    return replace(
        body,
        title=np.title or tf.title,
        authors=tf.authors or np.authors,
        published_at=np.published_at or tf.published_at,
    )


#: Extraction strategies by name; `extract_article` uses `DEFAULT_STRATEGY`.
STRATEGIES: dict[str, Callable[[str, str], _Candidate | None]] = {
    "newspaper4k": _run_newspaper,
    "trafilatura": _run_trafilatura,
    "trafilatura+newspaper4k": _run_combined,
    "trafilatura, newspaper4k if short": _run_fallback,
}
DEFAULT_STRATEGY = "trafilatura, newspaper4k if short"


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, offline (py3langid)."""
    return str(py3langid.classify(text)[0])


def extract_article(html: bytes, url: str, content_type: str = "", *, min_chars: int = 1,
                    strategy: str = DEFAULT_STRATEGY) -> ExtractedText:
    """Extract the article of one fetched page.

    Raises `EmptyTextError` when the extracted body is shorter than `min_chars` characters.
    """
    candidate = STRATEGIES[strategy](decode_html(html, content_type), url)
    if candidate is None or len(candidate.text) < max(min_chars, 1):
        found = len(candidate.text) if candidate else 0
        raise EmptyTextError(f"{found} characters of article text extracted (minimum {min_chars})")
    return ExtractedText(
        title=candidate.title,
        text=candidate.text,
        authors=candidate.authors,
        published_at=candidate.published_at,
        language=detect_language(candidate.text),
        extractor=candidate.extractor,
    )
