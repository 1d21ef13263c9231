"""Tests of pipelines.extract: golden saved pages, charset decoding, empty pages, extractor fallback."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipelines import extract
from pipelines.extract import EmptyTextError, decode_html, extract_article
from pipelines.records import REASONS

PAGES = Path(__file__).parent / "fixtures" / "pages"
GOLDEN = sorted(PAGES.glob("*.json"))
EN_PAGE = (PAGES / "en_markets_news.html").read_bytes()
EN_URL = "https://www.marketsdaily.example/companies/nordvik-steel-q1-2024"


@pytest.mark.parametrize("golden", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_page(golden: Path) -> None:
    spec = json.loads(golden.read_text(encoding="utf-8"))
    html = golden.with_suffix(".html").read_bytes()
    expected = spec["expected"]
    if expected.get("empty_text"):
        with pytest.raises(EmptyTextError):
            extract_article(html, spec["url"], spec["content_type"], min_chars=spec["min_chars"])
        return
    result = extract_article(html, spec["url"], spec["content_type"], min_chars=spec["min_chars"])
    assert result.title == expected["title"]
    assert result.language == expected["language"]
    assert result.published_at == datetime.fromisoformat(expected["published_at"])
    assert result.published_at.tzinfo is timezone.utc
    if "authors" in expected:
        assert list(result.authors) == expected["authors"]
    for snippet in expected["text_contains"]:
        assert snippet in result.text
    for snippet in expected["text_excludes"]:
        assert snippet not in result.text
    assert result.extractor in ("trafilatura", "newspaper4k")


def test_empty_text_error_maps_to_failure_reason() -> None:
    assert EmptyTextError.reason in REASONS


@pytest.mark.parametrize("body", [b"", b"<html></html>", b"\x00\xff\xfe junk \x81\x8d", b"not html at all"])
def test_unusable_bodies_raise_empty_text(body: bytes) -> None:
    with pytest.raises(EmptyTextError):
        extract_article(body, "https://example.com/x", "text/html", min_chars=200)


@pytest.mark.parametrize("strategy", sorted(extract.STRATEGIES))
def test_every_strategy_extracts_the_article(strategy: str) -> None:
    result = extract_article(EN_PAGE, EN_URL, strategy=strategy)
    assert "Operating profit climbed to SEK 1.42 bn" in result.text
    assert "We use cookies" not in result.text


def test_newspaper_failure_falls_back_to_trafilatura(monkeypatch: pytest.MonkeyPatch) -> None:
    import newspaper

    def broken_parse(self: object) -> None:
        raise LookupError("tokenizer data missing")

    monkeypatch.setattr(extract, "NEWSPAPER_FALLBACK_CHARS", 10**6)  # make newspaper4k run on this page
    monkeypatch.setattr(newspaper.Article, "parse", broken_parse)
    result = extract_article(EN_PAGE, EN_URL)
    assert result.extractor == "trafilatura"
    assert "Operating profit climbed" in result.text


def test_newspaper_runs_only_when_trafilatura_finds_little(monkeypatch: pytest.MonkeyPatch) -> None:
    import newspaper

    parsed: list[object] = []
    original_parse = newspaper.Article.parse
    monkeypatch.setattr(newspaper.Article, "parse", lambda self: parsed.append(self) or original_parse(self))
    assert len(extract_article(EN_PAGE, EN_URL).text) >= extract.NEWSPAPER_FALLBACK_CHARS
    assert parsed == []
    monkeypatch.setattr(extract, "NEWSPAPER_FALLBACK_CHARS", 10**6)
    extract_article(EN_PAGE, EN_URL)
    assert len(parsed) == 1


def test_scripts_are_never_text() -> None:
    page = EN_PAGE.replace(b"<p>Nordvik's", b"<script>alert('pwned')</script><p>Nordvik's")
    assert "alert" not in extract_article(page, EN_URL).text


UTF8_TEXT = "Übernahme für 1,2 Mrd. € – „gut“"


@pytest.mark.parametrize("content_type", ["", "text/html", "text/html; charset=ISO-8859-1",
                                          "text/html; charset=windows-1252", "text/html; charset=bogus"])
def test_utf8_pages_never_become_mojibake(content_type: str) -> None:
    body = f'<html><head><meta charset="latin1"></head><body><p>{UTF8_TEXT}</p></body></html>'.encode()
    assert UTF8_TEXT in decode_html(body, content_type)


def test_header_charset_is_used_for_non_utf8() -> None:
    body = "<p>Акции Сбербанка выросли на 3%</p>".encode("cp1251")
    assert "Акции Сбербанка" in decode_html(body, "text/html; charset=windows-1251")


def test_meta_charset_is_used_without_header() -> None:
    body = '<meta charset="koi8-r"><p>Акции выросли на 3% после отчёта</p>'.encode("koi8_r")
    assert "Акции выросли" in decode_html(body, "text/html")


def test_undeclared_non_utf8_is_detected() -> None:
    body = "<p>Акции Сбербанка выросли на 3%, сообщила биржа. Инвесторы ждут решения.</p>".encode("cp1251")
    assert "Сбербанка" in decode_html(body)


def test_bom_and_nul_bytes() -> None:
    assert decode_html(b"\xef\xbb\xbf<p>caf\xc3\xa9\x00</p>") == "<p>café</p>"
    assert decode_html("<p>café</p>".encode("utf-16")) == "<p>café</p>"

