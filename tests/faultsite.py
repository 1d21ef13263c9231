"""A misbehaving news site for reliability tests and benchmarks: every fault a scraper meets, on 127.0.0.1.

`FaultSite` is a `LocalSite` that serves generated articles. `install_faults(site)` adds one feed
(`/feeds/faults.xml`) whose entries each hit one fault — 5xx, 429 with Retry-After, resets, hangs,
trickles, redirect loops, redirects to private addresses, oversized and gzip-bomb bodies, PDFs,
images, wrong charsets, empty pages, robots.txt, duplicate GUIDs, missing and non-http links, IDN
hosts, very long URLs — plus feeds that are themselves broken (malformed XML, billion laughs, 500).
Each `Fault` says what the pipeline must turn it into, so tests and benchmarks share one catalogue:

    with FaultSite() as site:
        catalogue = install_faults(site)
        feeds = write_feeds_yaml(tmp / "feeds.yaml", catalogue.feed_urls)
        run_pipeline([*fast_run_args(site), "--feeds", str(feeds), "--output", ..., "--run_date", ...])
        assert outcome.failures_by_reason == catalogue.failure_counts()

The site itself is reached as 127.0.0.1 and localhost (two "domains" for the per-domain limit);
`allowed_hosts(site)` is the `--allowed_private_hosts` value that admits exactly those, so every
other private address (10.0.0.1, 169.254.169.254, another local port) stays blocked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html import escape
from pathlib import Path

from httpserver import LocalSite, Reply

from finsent_demo.fakesite import FeedListing, RssChannel, RssItem, rss_feed
from finsent_demo.fakesite import write_feeds_yaml as write_feed_listings

ARTICLE = "article"
"""`Fault.expected` of an entry that must end as an article row."""
DUPLICATE = "duplicate"
"""`Fault.expected` of an entry that must be skipped as a duplicate of another entry."""

PUBLISHED = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
ROBOTS_TXT = "User-agent: *\nDisallow: /private/\n"
MAX_BODY_BYTES = 200_000
"""`--max_body_bytes` of `fast_run_args`; the oversized routes send more than this."""
FETCH_TIMEOUT = 2.0
"""`--fetch_timeout` of `fast_run_args`."""
FETCH_DEADLINE = 3 * FETCH_TIMEOUT
"""`--fetch_deadline_s` of `fast_run_args`: everything fetching one URL takes."""
MAX_RETRY_AFTER = 1.5
"""`--max_retry_after` of `fast_run_args`."""
FETCH_RETRIES = 2
"""`--fetch_retries` of `fast_run_args`."""
PER_DOMAIN = 2
"""`--per_domain_concurrency` of `fast_run_args`."""

_SENTENCES = (
    "{company} reported quarterly revenue of {n} million euros, up {p} percent from a year earlier.",
    "Operating profit at {company} rose to {m} million euros as margins improved in every region.",
    "The board of {company} proposed a dividend of {d} euros per share for the financial year.",
    "Analysts had expected weaker sales because of the slowdown in industrial demand.",
    "{company} said it would cut about {k} jobs as part of a cost savings programme.",
    "Shares in {company} fell {p} percent in early trading after the announcement.",
    "The company expects net sales to grow slightly next year despite currency headwinds.",
)
_COMPANIES = ("Aurora Metals", "Baltic Freight", "Cobalt Systems", "Delta Paper", "Elm Retail",
              "Fjord Energy", "Granite Bank", "Harbor Foods")


def article_html(title: str, seed: int, extra: str = "", charset_meta: str | None = "utf-8") -> str:
    """A plain news page with a headline and six sentences of financial text, varied by `seed`."""
    company = _COMPANIES[seed % len(_COMPANIES)]
    values = {"company": company, "n": 100 + 7 * seed, "p": 2 + seed % 9, "m": 10 + seed,
              "d": f"0.{10 + seed % 80}", "k": 50 + 10 * seed}
    sentences = [_SENTENCES[(seed + i) % len(_SENTENCES)].format(**values) for i in range(6)]
    paragraphs = "".join(f"<p>{escape(s)}</p>" for s in [*sentences[:3], extra, *sentences[3:]] if s)
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    return (f"<!DOCTYPE html><html lang=\"en\"><head>{meta}<title>{escape(title)}</title></head><body>"
            f"<header><nav><a href=\"/\">Home</a> <a href=\"/markets\">Markets</a></nav></header>"
            f"<article><h1>{escape(title)}</h1>{paragraphs}</article>"
            f"<footer>© Fault News. All rights reserved.</footer></body></html>")


def rss(items: list[RssItem], title: str = "Fault News") -> bytes:
    """An RSS 2.0 document of `items` (the shared writer, unindented)."""
    return rss_feed(RssChannel(title, "http://news.invalid/", "test feed"), items, indent=False)


def billion_laughs(levels: int = 10) -> bytes:
    """The classic entity-expansion bomb as an RSS feed (10 levels: 10^9 'lol's once expanded)."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, levels)]
    return (f'<?xml version="1.0"?><!DOCTYPE rss [{"".join(entities)}]><rss version="2.0"><channel>'
            f"<title>&lol{levels - 1};</title><item><title>&lol{levels - 1};</title>"
            "<link>http://news.invalid/a</link></item></channel></rss>").encode()


@dataclass(frozen=True)
class Fault:
    """One feed entry and what the pipeline must make of it: `ARTICLE`, `DUPLICATE` or a failure reason."""

    name: str
    link: str | None
    expected: str
    guid: str | None = None
    published: datetime = PUBLISHED


@dataclass
class Catalogue:
    """The faults installed on a site: entry faults of the `faults` feed, and whole-feed faults."""

    entries: list[Fault]
    feed_urls: dict[str, str]
    feed_faults: dict[str, str] = field(default_factory=dict)
    """feed name → the failure reason of the whole feed."""

    def failure_counts(self) -> dict[str, int]:
        """Expected failure rows by reason (entry-level and feed-level together)."""
        reasons = [f.expected for f in self.entries if f.expected not in (ARTICLE, DUPLICATE)]
        return dict(sorted(Counter([*reasons, *self.feed_faults.values()]).items()))

    def count(self, expected: str) -> int:
        """How many entries must end as `expected`."""
        return sum(fault.expected == expected for fault in self.entries)


class FaultSite(LocalSite):
    """A `LocalSite` that also serves readable generated articles."""

    def add_article(self, path: str, seed: int, delay: float = 0.0) -> None:
        """Serve a readable article page at `path`."""
        self.add(path, article_html(f"Fault News story {seed}", seed), delay=delay)


def allowed_hosts(site: LocalSite, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> str:
    """The `--allowed_private_hosts` value admitting exactly `hosts` on the site's port."""
    return ",".join(f"{host}:{site.port}" for host in hosts)


def fast_run_args(site: LocalSite, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> list[str]:
    """Pipeline options that keep fault runs quick: short timeouts and backoff, small body limit."""
    return ["--allowed_private_hosts", allowed_hosts(site, hosts),
            "--fetch_timeout", str(FETCH_TIMEOUT), "--fetch_deadline_s", str(FETCH_DEADLINE),
            "--fetch_retries", str(FETCH_RETRIES),
            "--fetch_backoff", "0.05", "--max_retry_after", str(MAX_RETRY_AFTER),
            "--max_body_bytes", str(MAX_BODY_BYTES), "--max_redirects", "3",
            "--fetch_concurrency", "32", "--per_domain_concurrency", str(PER_DOMAIN)]


def write_feeds_yaml(path: Path, feed_urls: dict[str, str]) -> Path:
    """A feeds.yaml listing `feed_urls` (name → URL); returns `path`."""
    return write_feed_listings(path, [FeedListing(name, url, f"Source {name}") for name, url in feed_urls.items()])


def feed_items(faults: list[Fault]) -> list[RssItem]:
    """RSS items for `faults`, in order."""
    return [RssItem(fault.name, fault.link, fault.guid or fault.name, published=fault.published) for fault in faults]


# --- the catalogue -------------------------------------------------------------------------------

CHARSET_TEXT = "Société Générale agreed to pay 40 million € for the stake, its chief executive said."
"""A sentence with non-ASCII letters and the euro sign, served under wrong or missing charsets."""


def _install_pages(site: FaultSite) -> None:
    """Readable articles, some slow, and the recovering routes."""
    site.add("/robots.txt", ROBOTS_TXT, content_type="text/plain")
    for seed, path in enumerate(["/news/ok-1", "/news/other", "/private-ok"], start=1):
        site.add_article(path, seed)
    for index in range(1, 5):
        site.add_article(f"/news/slow-{index}", 10 + index, delay=0.3)
    page = article_html("Recovered", 20).encode()
    site.add_sequence("/flaky", [Reply(status=503), Reply(page)])
    site.add_sequence("/busy-then-ok", [Reply(status=429, headers={"Retry-After": "1"}), Reply(page)])
    site.add(LONG_PATH, article_html("A long address", 21))
    site.add("/charset-wrong", article_html("Wrong charset", 22, CHARSET_TEXT).encode("utf-8"),
             content_type="text/html; charset=iso-8859-1")
    site.add("/charset-missing", article_html("No charset", 23, CHARSET_TEXT, charset_meta=None)
             .encode("cp1252"), content_type="text/html")


def _install_failing_routes(site: FaultSite) -> None:
    """Routes that must each end as one failure."""
    site.add("/error-500", b"boom", status=500)
    site.add("/error-503", b"later", status=503)
    site.add("/rate-limited", b"", status=429, headers={"Retry-After": "3600"})
    site.add("/forbidden", b"no", status=403)
    site.add("/gone", b"gone", status=410)
    site.reset("/reset")
    site.add("/hang", article_html("Never", 30), delay=3 * FETCH_TIMEOUT)
    site.trickle("/trickle", article_html("Drip", 31).encode(), interval=0.01)
    site.redirect("/loop-a", "/loop-b")
    site.redirect("/loop-b", "/loop-a")
    for hop in range(5):
        site.redirect(f"/chain-{hop}", f"/chain-{hop + 1}")
    site.add_article("/chain-5", 32)
    site.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/iam/security-credentials/")
    site.redirect("/to-private", "http://10.0.0.1/admin")
    site.redirect("/to-file", "file:///etc/passwd")
    site.add("/big-announced", b"x" * (MAX_BODY_BYTES + 1))
    site.add_sequence("/big-streamed", [Reply(b"<p>x</p>" * MAX_BODY_BYTES, content_length=False)])
    site.gzip_bomb("/gzip-bomb", decoded_size=50 * MAX_BODY_BYTES)
    site.add("/report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", content_type="application/pdf")
    site.add("/chart.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", content_type="image/png")
    site.add("/no-text", "<html><body><nav><a href='/'>Home</a></nav><p>Subscribe now.</p></body></html>")
    site.add_article("/private/memo", 33)


LONG_PATH = "/news/long-" + "a" * 1900
TOO_LONG_PATH = "/news/" + "x" * 2100


def _entry_faults(site: FaultSite) -> list[Fault]:
    url = site.url
    later = PUBLISHED + timedelta(hours=1)
    return [
        Fault("ok", url("/news/ok-1"), ARTICLE, guid="story-1"),
        *(Fault(f"slow-{i} via {host}", url(f"/news/slow-{i}", host), ARTICLE)
          for host in ("127.0.0.1", "localhost") for i in range(1, 5)),
        Fault("503 then 200", url("/flaky"), ARTICLE),
        Fault("429 Retry-After 1 then 200", url("/busy-then-ok"), ARTICLE),
        Fault("URL of 1,900 characters", url(LONG_PATH), ARTICLE),
        Fault("UTF-8 labelled iso-8859-1", url("/charset-wrong"), ARTICLE),
        Fault("windows-1252 without charset", url("/charset-missing"), ARTICLE),
        Fault("path under /private-ok, not /private/", url("/private-ok"), ARTICLE),
        Fault("same GUID, same article with a tracking parameter", url("/news/ok-1?utm_source=rss"),
              DUPLICATE, guid="story-1", published=later),
        Fault("same GUID, another article", url("/news/other"), ARTICLE, guid="story-1", published=later),
        Fault("500", url("/error-500"), "http_5xx"),
        Fault("503", url("/error-503"), "http_5xx"),
        Fault("429 Retry-After 3600", url("/rate-limited"), "http_429"),
        Fault("403", url("/forbidden"), "http_403"),
        Fault("404", url("/missing"), "http_404"),
        Fault("410", url("/gone"), "http_410"),
        Fault("connection reset", url("/reset"), "connection_error"),
        Fault("hangs past the timeout", url("/hang"), "timeout"),
        Fault("trickles a byte at a time", url("/trickle"), "timeout"),
        Fault("redirect loop", url("/loop-a"), "too_many_redirects"),
        Fault("redirect chain of 5 (limit 3)", url("/chain-0"), "too_many_redirects"),
        Fault("redirect to 169.254.169.254", url("/to-metadata"), "blocked_private_address"),
        Fault("redirect to 10.0.0.1", url("/to-private"), "blocked_private_address"),
        Fault("redirect to file:", url("/to-file"), "http_error"),
        Fault("body over the limit, announced", url("/big-announced"), "too_large"),
        Fault("body over the limit, not announced", url("/big-streamed"), "too_large"),
        Fault("gzip bomb", url("/gzip-bomb"), "too_large"),
        Fault("PDF as the article", url("/report.pdf"), "not_html"),
        Fault("image as the article", url("/chart.png"), "not_html"),
        Fault("page without article text", url("/no-text"), "empty_text"),
        Fault("disallowed by robots.txt", url("/private/memo"), "robots_disallowed"),
        Fault("no link", None, "entry_invalid"),
        Fault("javascript: link", "javascript:alert(document.cookie)", "entry_invalid"),
        Fault("file: link", "file:///etc/passwd", "entry_invalid"),
        Fault("ftp: link", "ftp://ftp.example.com/pub/report.txt", "entry_invalid"),
        Fault("IDN host that does not resolve", "http://bücher.invalid/artikel", "connection_error"),
        Fault("URL over 2,048 characters", url(TOO_LONG_PATH), "entry_invalid"),
    ]


def install_faults(site: FaultSite) -> Catalogue:
    """Add every route, the `faults` feed and the broken feeds to `site`; returns the catalogue."""
    _install_pages(site)
    _install_failing_routes(site)
    entries = _entry_faults(site)
    site.add("/feeds/faults.xml", rss(feed_items(entries)), content_type="application/rss+xml")
    site.add("/feeds/malformed.xml", b"<?xml version='1.0'?><rss version='2.0'><channel>"
             b"<title>Broken & bad</title></chanel></rss", content_type="application/rss+xml")
    site.add("/feeds/laughs.xml", billion_laughs(), content_type="application/rss+xml")
    site.add("/feeds/down.xml", b"", status=500)
    feed_urls = {name: site.url(f"/feeds/{name}.xml") for name in ("faults", "malformed", "laughs", "down")}
    return Catalogue(entries, feed_urls, {"malformed": "feed_malformed", "laughs": "feed_malformed",
                                          "down": "feed_unreachable"})


def big_feed(count: int, link_prefix: str) -> bytes:
    """An RSS feed of `count` entries linking to `link_prefix + <n>` (for memory tests)."""
    items = [RssItem(f"Entry {n}", f"{link_prefix}{n}", f"entry-{n}", published=PUBLISHED) for n in range(count)]
    return rss(items, title=f"{count} entries")


def serve_story_feed(site: FaultSite, count: int, delay: float = 0.0) -> None:
    """`/feeds/news.xml` lists stories 0..count-1 (each `delay` s slow) and a 404; every story page is served."""
    for index in range(count):
        site.add(f"/news/story-{index}", article_html(f"Story {index}", index), delay=delay)
    items = [RssItem(f"Story {i}", site.url(f"/news/story-{i}"), f"s{i}") for i in range(count)]
    items.append(RssItem("Gone", site.url("/missing"), "gone"))
    site.add("/feeds/news.xml", rss(items), content_type="application/rss+xml")
