"""Canonical URLs, article IDs and link validation, by example and by property."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote_plus, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.urls import canonicalize_url, is_tracking_param, make_article_id, validate_article_url


@pytest.mark.parametrize(("url", "canonical"), [
    ("HTTPS://WWW.Example.COM:443/Markets/Story?b=2&utm_source=rss&a=1#top",
     "https://www.example.com/Markets/Story?a=1&b=2"),
    ("http://example.com", "http://example.com/"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("http://example.com:443/a", "http://example.com:443/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("http://bücher.example/Kurs", "http://xn--bcher-kva.example/Kurs"),
    ("https://x.com/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ref=rss&cmpid=5&ocid=6&guccounter=1&_ga=7",
     "https://x.com/a"),
    ("https://x.com/a?UTM_Medium=x&id=7&&", "https://x.com/a?id=7"),
    ("https://x.com/a?z=1&a=3&z=0", "https://x.com/a?a=3&z=1&z=0"),  # same name keeps its value order
    ("https://x.com/a%20b?q=a+b&r=%2F", "https://x.com/a%20b?q=a+b&r=%2F"),  # encoding untouched
    ("  https://[2001:DB8::1]:443/x  ", "https://[2001:db8::1]/x"),
    ("https://user:pass@Example.com/a", "https://example.com/a"),
    ("https://token@example.com:8443/a", "https://example.com:8443/a"),
])
def test_canonical_form(url: str, canonical: str) -> None:
    assert canonicalize_url(url) == canonical


def test_article_id_is_a_24_digit_hash_of_the_canonical_url() -> None:
    article_id = make_article_id("https://example.com/a")
    assert len(article_id) == 24 and int(article_id, 16) >= 0
    assert article_id == make_article_id("https://example.com/a")
    assert article_id != make_article_id("https://example.com/b")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://example.com/f",
                                 "data:text/html,hi", "mailto:news@example.com", "/relative/path",
                                 "http:///no-host", "", "   ", "https://example.com/" + "a" * 2100,
                                 "https://example.com:99999/", "https://exa mple.com/", "https://example.com/a\nb"])
def test_unusable_links_get_a_reason(url: str) -> None:
    assert validate_article_url(url)


def test_validation_names_the_problem() -> None:
    assert "javascript" in (validate_article_url("javascript:void(0)") or "")
    assert "2048" in (validate_article_url("https://e.com/" + "x" * 3000) or "")
    assert "host" in (validate_article_url("https://") or "")


@pytest.mark.parametrize("url", ["https://www.cnbc.com/2024/01/02/stocks.html", "HTTP://Example.com",
                                 "https://example.com:8080/a?b=c#d"])
def test_usable_links_pass(url: str) -> None:
    assert validate_article_url(url) is None


# --- properties ----------------------------------------------------------------------------------

TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-._~%", min_size=1, max_size=8)
TRACKERS = st.sampled_from(["utm_source", "UTM_campaign", "utm_", "fbclid", "gclid", "mc_cid", "mc_eid",
                            "ref", "cmpid", "ocid", "guccounter", "_ga"])
PARAM_NAMES = st.one_of(TOKEN, TRACKERS)
PAIRS = st.lists(st.tuples(PARAM_NAMES, st.text(alphabet="abcXYZ019+%-", max_size=6)), max_size=6)


@st.composite
def urls(draw: st.DrawFn) -> dict[str, object]:
    """A URL together with the parts it was built from."""
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    labels = draw(st.lists(st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?", fullmatch=True),
                           min_size=1, max_size=3))
    host = ".".join([*labels, "com"])
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "".join("/" + segment for segment in draw(st.lists(TOKEN, max_size=3)))
    pairs = draw(PAIRS)
    query = "&".join(f"{name}={value}" for name, value in pairs)
    fragment = draw(st.sampled_from(["", "#", "#section-2"]))
    url = f"{scheme}://{host}{port}{path}{'?' + query if query else ''}{fragment}"
    return {"url": url, "scheme": scheme.lower(), "host": host.lower(), "path": path or "/", "pairs": pairs}


@given(urls())
def test_canonicalisation_is_idempotent(parts: dict[str, object]) -> None:
    once = canonicalize_url(str(parts["url"]))
    assert canonicalize_url(once) == once


@given(urls())
def test_canonicalisation_removes_tracking_params_and_fragments(parts: dict[str, object]) -> None:
    canonical = urlsplit(canonicalize_url(str(parts["url"])))
    names = [unquote_plus(piece.partition("=")[0]) for piece in canonical.query.split("&") if piece]
    assert not any(is_tracking_param(name) for name in names)
    assert canonical.fragment == ""


@given(urls())
def test_canonicalisation_keeps_scheme_host_path_and_other_params(parts: dict[str, object]) -> None:
    canonical = urlsplit(canonicalize_url(str(parts["url"])))
    assert (canonical.scheme, canonical.hostname, canonical.path) == (parts["scheme"], parts["host"],
                                                                       parts["path"])
    pairs: list[tuple[str, str]] = parts["pairs"]  # type: ignore[assignment]
    kept = [(name, value) for name, value in pairs if not is_tracking_param(unquote_plus(name))]
    expected = sorted(kept, key=lambda pair: unquote_plus(pair[0]))
    assert parse_qsl(canonical.query, keep_blank_values=True) == parse_qsl(
        "&".join(f"{name}={value}" for name, value in expected), keep_blank_values=True)
