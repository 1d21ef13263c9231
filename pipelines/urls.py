"""URL hygiene for article links: canonical form, stable article IDs, and link validation."""

from __future__ import annotations

import hashlib
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

MAX_URL_LENGTH = 2048
"""Longer links are refused as junk (no real article URL is this long)."""

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
    "mc_cid", "mc_eid", "mkt_tok", "_hsenc", "_hsmi", "_ga", "_gl", "guccounter", "guce_referrer",
    "guce_referrer_sig", "ref", "ref_src", "cmpid", "ocid", "ncid", "soc_src", "soc_trk", "__source",
    ".tsrc", "yptr", "xtor", "vero_id", "oly_enc_id", "oly_anon_id", "s_cid", "icid",
})
"""Query parameters (compared case-insensitively) that only track clicks; `utm_*` is dropped too."""


def is_tracking_param(name: str) -> bool:
    """True when the (decoded) query parameter name is a click-tracking parameter."""
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in TRACKING_PARAMS


def _idna_host(host: str) -> str:
    """Lowercase the host and IDNA-encode non-ASCII labels; IPv6 literals keep their brackets."""
    if ":" in host:
        return f"[{host}]"
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host.lower()


def _netloc(parts: SplitResult, scheme: str) -> str:
    """Rebuild the netloc: userinfo dropped, host normalised, default port dropped."""
    netloc = _idna_host(parts.hostname or "")
    port = parts.port
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    return netloc


def without_userinfo(url: str) -> str:
    """`url` without the `user:password@` part of its authority, so credentials are never stored or shown."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _query(query: str) -> str:
    """Drop tracking parameters and empty pieces; sort the rest by name, keeping value order and encoding."""
    pairs = [piece for piece in query.split("&") if piece]
    kept = [piece for piece in pairs if not is_tracking_param(unquote_plus(piece.partition("=")[0]))]
    kept.sort(key=lambda piece: unquote_plus(piece.partition("=")[0]))
    return "&".join(kept)


def canonicalize_url(url: str) -> str:
    """The canonical form of an http(s) URL, so one article has one URL whatever feed links to it.

    Lowercases scheme and host, IDNA-encodes the host, drops userinfo (`user:pass@`), the default port, the fragment and
    tracking parameters (`utm_*`, `fbclid`, ...), sorts the remaining query parameters by name
    (stable, raw encoding kept) and turns an empty path into "/". The path's case is kept.
    Raises ValueError for a URL whose port is not a number.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    return urlunsplit((scheme, _netloc(parts, scheme), parts.path or "/", _query(parts.query), ""))


def make_article_id(canonical_url: str) -> str:
    """The article's stable ID: the first 24 hex digits of the SHA-256 of its canonical URL."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:24]


def validate_article_url(url: str) -> str | None:
    """Why `url` cannot be an article link (a human-readable detail), or None when it is usable."""
    if not url or not url.strip():
        return "the link is empty"
    if len(url) > MAX_URL_LENGTH:
        return f"the link is {len(url)} characters long (limit {MAX_URL_LENGTH})"
    if any(ord(char) < 32 or ord(char) == 127 for char in url.strip()):
        return "the link contains control characters"
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as error:
        return f"the link cannot be parsed: {error}"
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        return f"scheme {scheme or '(none)'!r} is not followed (only http and https)"
    if not parts.hostname:
        return "the link has no host"
    if any(char.isspace() for char in parts.hostname):
        return "the link's host contains whitespace"
    return None
