"""A generated local news site of N articles for benchmarks, served over real HTTP with per-request latency.

Articles are realistic financial prose assembled from sentence templates and a fictional vocabulary
(deterministic per seed), of varied length, on several sources. Each source is its own "domain": its
own ThreadingHTTPServer on a distinct loopback address (127.0.0.1, 127.0.0.2, ...), so per-domain
politeness limits apply as they would on the web. Each source publishes RSS feeds of at most
`FEED_ITEMS` items. Every response waits `latency` seconds first, in its own thread, so slow answers
never block each other::

    with NewsSite(n_articles=300, latency=0.2) as site:
        site.write_feeds_yaml(tmp / "feeds.yaml")
        ...  # finsent run --feeds tmp/feeds.yaml --allow_private_hosts
        for url, html in site.pages(): ...

Run `python benchmarks/newsite.py --articles 300 --latency 0.2` to browse one by hand.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from finsent_demo.fakesite import (
    FakeSite,
    FeedListing,
    Reply,
    RssChannel,
    RssItem,
    rss_feed,
    write_feeds_yaml,
)

FEED_ITEMS = 500
"""Most items in one RSS feed; a source with more articles publishes several feeds."""

SOURCES = (
    ("harbour-street", "Harbour Street Journal"), ("ledger-daily", "The Ledger Daily"),
    ("meridian-wire", "Meridian Wire"), ("northgate", "Northgate Markets"),
    ("copperfield", "Copperfield Business Review"), ("eastbank", "Eastbank Financial Times"),
    ("tidewater", "Tidewater Investor"), ("summit-post", "The Summit Post"),
)
COMPANIES = (
    "Arcadia Foods", "Brightwater Energy", "Calder Mining", "Dunmore Logistics", "Everline Pharma",
    "Fairhaven Bank", "Granite Peak Steel", "Halcyon Software", "Ironbridge Motors", "Juniper Telecom",
    "Kestrel Aerospace", "Lanthorn Retail", "Marlowe Insurance", "Northwind Airlines", "Oakridge Homes",
    "Pelican Shipping", "Quarry Cement", "Redfern Chemicals", "Silverline Semiconductors", "Tamsin Media",
    "Umber Paper", "Vantage Payments", "Westmoor Utilities", "Yarrow Biotech", "Zephyr Renewables",
)
PEOPLE = ("Anna Lindqvist", "Marcus Obi", "Priya Raman", "Tomás Ferreira", "Helen Park", "David Asante",
          "Sofia Marchetti", "Kenji Watanabe", "Laura Byrne", "Omar Haddad", "Claire Dubois", "Ravi Menon")
ROLES = ("chief executive", "chief financial officer", "chairman", "head of investor relations")
ANALYSTS = ("an analyst at Castlegate Securities", "a strategist at Pinecrest Capital",
            "a portfolio manager at Alder & Finch", "an economist at Redwood Partners")
METRICS = ("operating profit", "net sales", "revenue", "net income", "EBITDA", "order intake",
           "earnings per share", "gross margin", "free cash flow", "comparable sales")
PERIODS = ("the first quarter", "the second quarter", "the third quarter", "the fourth quarter",
           "the first half", "the full year", "the nine-month period")
UP = ("rose", "climbed", "increased", "jumped", "improved", "grew")
DOWN = ("fell", "declined", "dropped", "slipped", "decreased", "slumped")
CAUSES = ("higher raw material costs", "weaker demand in Europe", "strong sales in Asia",
          "a one-off restructuring charge", "favourable currency effects", "lower freight rates",
          "price increases across its main markets", "a slowdown in construction activity",
          "robust demand from data-centre customers", "the integration of its latest acquisition")
MARKETS = ("the benchmark index", "the broader market", "the sector index", "regional bank shares",
           "technology stocks", "European equities", "the ten-year Treasury yield")
CITIES = ("London", "New York", "Frankfurt", "Helsinki", "Singapore", "Toronto", "Zurich", "Sydney")
SECTIONS = ("Markets", "Companies", "Economy", "Technology", "Energy", "Banking")

TEMPLATES = (
    "{company} said its {metric} {up} {pct} percent to {money} in {period}, helped by {cause}.",
    "{company} reported that {metric} {down} {pct} percent year on year in {period} because of {cause}.",
    "Shares of {company} {up} {pct2} percent in {city} trading after the results were published.",
    "Shares of {company} {down} {pct2} percent by midday, underperforming {market}.",
    "The company now expects full-year {metric} of between {money} and {money2}.",
    "{person}, the {role} of {company}, said the group was \"well placed to keep growing\" next year.",
    "\"We saw {cause} during the quarter, and we expect that to continue,\" {person} told reporters.",
    "{company} cut its outlook for the year, citing {cause}.",
    "{company} raised its dividend to {cents} cents per share and announced a buyback of up to {money}.",
    "Analysts polled by the company had expected {metric} of {money} on average.",
    "\"The numbers were better than feared, but guidance remains cautious,\" said {person}, {analyst}.",
    "The order backlog stood at {money} at the end of {period}, compared with {money2} a year earlier.",
    "{company} agreed to buy a smaller rival for {money} in cash, its largest deal in a decade.",
    "The acquisition is expected to add to earnings per share from the second year after closing.",
    "Regulators in {city} are reviewing the transaction, which is expected to close in {period}.",
    "The board of {company} has appointed {person} as its new {role}, effective immediately.",
    "{company} will cut about {count} jobs as part of a cost-saving programme worth {money} a year.",
    "Net debt fell to {money} from {money2}, giving the group room for further investment.",
    "{market} {up} {pct2} percent on the day as investors welcomed the latest inflation figures.",
    "{market} {down} {pct2} percent after the central bank signalled that rates would stay higher.",
    "Trading volumes were roughly {mult} times the three-month average.",
    "The company's operating margin narrowed to {pct} percent from {pct3} percent a year ago.",
    "{company} said it had signed a {money} contract to supply equipment to a customer in {city}.",
    "The new plant in {city} is expected to start production in {period} next year.",
    "Credit rating agencies kept their ratings on {company} unchanged, with a stable outlook.",
    "Sales in its largest division {up} {pct} percent, while the smaller services unit was flat.",
    "{company} warned that {cause} could weigh on profitability in the coming months.",
    "Inventories rose to {money}, and management said it would reduce them before the year end.",
    "The results were published before the market opened in {city} on {weekday}.",
    "{person} said the company would present a new strategy to investors at a capital markets day.",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
BOILERPLATE_LINKS = ("Markets", "Companies", "Economy", "Technology", "Energy", "Banking", "Opinion",
                     "Personal Finance", "Data", "Podcasts", "Newsletters", "Events")
EPOCH = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class GeneratedArticle:
    """One article of the site: where it lives and what it says."""

    index: int
    source: int
    path: str
    title: str
    standfirst: str
    author: str
    section: str
    published: datetime
    paragraphs: tuple[tuple[str, ...], ...]

    @property
    def sentences(self) -> int:
        """How many body sentences the article has."""
        return sum(len(paragraph) for paragraph in self.paragraphs)


def _sentence(rng: random.Random, company: str) -> str:
    pct = rng.uniform(0.5, 40)
    money = rng.uniform(5, 4000)
    text = rng.choice(TEMPLATES).format(
        company=company if rng.random() < 0.7 else rng.choice(COMPANIES),
        metric=rng.choice(METRICS), up=rng.choice(UP), down=rng.choice(DOWN),
        pct=f"{pct:.1f}", pct2=f"{pct / 8:.1f}", pct3=f"{pct * 1.1:.1f}",
        money=f"{money:,.0f} million euros", money2=f"{money * rng.uniform(0.7, 1.3):,.0f} million euros",
        period=rng.choice(PERIODS), cause=rng.choice(CAUSES), city=rng.choice(CITIES),
        market=rng.choice(MARKETS), person=rng.choice(PEOPLE), role=rng.choice(ROLES),
        analyst=rng.choice(ANALYSTS), cents=rng.randint(5, 180), count=rng.randrange(100, 5000, 50),
        mult=rng.randint(2, 6), weekday=rng.choice(WEEKDAYS),
    )
    return text[0].upper() + text[1:]


def generate_article(index: int, sources: int, seed: int = 0) -> GeneratedArticle:
    """Article `index` of the site; the same (index, sources, seed) always gives the same article."""
    rng = random.Random(seed * 1_000_003 + index)
    company = rng.choice(COMPANIES)
    # Lengths are skewed like real news: many short items, some long features (6 to ~60 sentences).
    total = min(60, 6 + int(rng.expovariate(1 / 16)))
    sentences = [_sentence(rng, company) for _ in range(total)]
    paragraphs, start = [], 0
    while start < total:
        size = rng.randint(2, 5)
        paragraphs.append(tuple(sentences[start:start + size]))
        start += size
    published = EPOCH - timedelta(minutes=7 * index + rng.randint(0, 6))
    title = f"{company} {rng.choice(UP + DOWN)} on {rng.choice(METRICS)} in {rng.choice(PERIODS)}"
    source = index % sources
    slug = f"{company.lower().replace(' ', '-')}-{index}"
    return GeneratedArticle(
        index=index, source=source, path=f"/{published:%Y/%m/%d}/{slug}.html", title=title,
        standfirst=_sentence(rng, company), author=rng.choice(PEOPLE), section=rng.choice(SECTIONS),
        published=published, paragraphs=tuple(paragraphs),
    )


def site_chrome(source_name: str) -> tuple[str, str]:
    """A source's page header and footer: a mega-menu, a market-data strip, styles, scripts, link farms.

    Real news pages weigh ~100 KB, mostly such chrome; extractors must parse and discard it all.
    """
    rng = random.Random(source_name)
    esc = html.escape
    menu = "".join(
        f'<li class="menu-group"><a href="/{section.lower().replace(" ", "-")}/">{section}</a><ul>'
        + "".join(f'<li><a href="/{section.lower().replace(" ", "-")}/{company.lower().replace(" ", "-")}">'
                  f"{company}</a></li>" for company in rng.sample(COMPANIES, 12))
        + "</ul></li>" for section in BOILERPLATE_LINKS)
    quotes = "".join(
        f'<tr><td><a href="/quote/{company[:4].upper()}">{company[:4].upper()}</a></td>'
        f"<td>{rng.uniform(5, 900):.2f}</td><td class=\"chg\">{rng.uniform(-4, 4):+.2f}%</td></tr>"
        for company in COMPANIES)
    style = "".join(f".c{k}{{margin:{k % 7}px;padding:{k % 5}px;color:#{k * 2654435 % 16777216:06x}}}"
                    for k in range(600))
    script = "window.__ADS__=" + str([{"slot": f"ad-{k}", "sizes": [[300, 250], [728, 90]], "targeting":
                                       {"section": rng.choice(SECTIONS), "k": rng.random()}}
                                      for k in range(150)]) + ";"
    head = (f"<style>{style}</style><script>{script}</script>"
            f'<header class="masthead"><a class="logo" href="/">{esc(source_name)}</a>'
            f'<nav class="mega-menu"><ul>{menu}</ul></nav>'
            '<form class="search" action="/search"><input name="q" placeholder="Search quotes and news"></form>'
            f'<table class="ticker-strip"><tbody>{quotes}</tbody></table></header>')
    links = "".join(f'<li><a href="/info/{k}">{rng.choice(BOILERPLATE_LINKS)} {k}</a></li>' for k in range(80))
    foot = (f'<footer><ul class="sitemap">{links}</ul><p>Sign up for our markets newsletter.</p>'
            f"<p>© 2026 {esc(source_name)}. All rights reserved. Fictional content generated for finsent "
            "benchmarks.</p></footer>")
    return head, foot


def render_page(article: GeneratedArticle, source_name: str, chrome: tuple[str, str]) -> bytes:
    """The article's HTML page inside its source's `site_chrome`, with related links and page state."""
    esc = html.escape
    body = "\n".join(f"<p>{esc(' '.join(paragraph))}</p>" for paragraph in article.paragraphs)
    related = "".join(f'<li><a href="/related/{article.index}-{k}.html">{esc(company)} shares in focus'
                      f"</a></li>" for k, company in enumerate(COMPANIES[article.index % 20:][:5]))
    iso = article.published.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(article.title)} | {esc(source_name)}</title>
<meta name="description" content="{esc(article.standfirst)}">
<meta name="author" content="{esc(article.author)}">
<meta property="og:title" content="{esc(article.title)}">
<meta property="article:published_time" content="{iso}">
<meta property="article:section" content="{esc(article.section)}">
</head><body>
{chrome[0]}
<main><article>
<h1>{esc(article.title)}</h1>
<p class="standfirst">{esc(article.standfirst)}</p>
<div class="byline">By <a rel="author" href="/authors/{article.index % 12}">{esc(article.author)}</a>
<time datetime="{iso}">{article.published:%B %d, %Y %H:%M} UTC</time></div>
<div class="article-body">
{body}
</div>
</article>
<aside class="related"><h2>Related coverage</h2><ul>{related}</ul></aside>
</main>
<script>window.__STATE__={json.dumps({"article": article.index, "paragraphs": article.paragraphs})};</script>
{chrome[1]}</body></html>
""".encode()


def render_feed(title: str, feed_url: str, base_url: str, articles: list[GeneratedArticle]) -> bytes:
    """An RSS 2.0 feed listing `articles` (newest first)."""
    channel = RssChannel(title, base_url + "/", f"{title} headlines")
    items = [RssItem(a.title, base_url + a.path, base_url + a.path, True, a.published, a.standfirst)
             for a in articles]
    return rss_feed(channel, items, indent=False)


class NewsSite:
    """N generated articles on `sources` loopback "domains" (one `FakeSite` each), with feeds.

    Use as a context manager.
    """

    def __init__(self, n_articles: int, latency: float = 0.0, sources: int = 6, seed: int = 0) -> None:
        if n_articles < 1:
            raise ValueError(f"n_articles must be at least 1, got {n_articles}")
        if not 1 <= sources <= len(SOURCES):
            raise ValueError(f"sources must be between 1 and {len(SOURCES)}, got {sources}")
        self.articles = [generate_article(i, sources, seed) for i in range(n_articles)]
        self._sites = [FakeSite(f"127.0.0.{k + 1}", keep_alive=True) for k in range(sources)]
        self.latency = latency
        self._feeds: list[FeedListing] = []
        for k, site in enumerate(self._sites):
            self._publish(k, site)

    @property
    def latency(self) -> float:
        """Seconds every response waits before it is sent."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._latency = seconds
        for site in self._sites:
            site.latency = seconds

    def base_url(self, source: int) -> str:
        """`http://127.0.0.K:PORT` of one source."""
        return self._sites[source].base_url

    def _publish(self, k: int, site: FakeSite) -> None:
        key, name = SOURCES[k]
        own = sorted((a for a in self.articles if a.source == k), key=lambda a: a.published, reverse=True)
        site.add("/robots.txt", b"User-agent: *\nAllow: /\n", content_type="text/plain")
        chrome = site_chrome(name)
        for article in own:
            site.add(article.path, render_page(article, name, chrome))
        for part, start in enumerate(range(0, len(own), FEED_ITEMS)):
            path = f"/feeds/{key}-{part}.xml"
            body = render_feed(name, site.url(path), site.base_url, own[start:start + FEED_ITEMS])
            site.add_sequence(path, [Reply(body, content_type="application/rss+xml; charset=utf-8")])
            self._feeds.append(FeedListing(f"{key}-{part}", site.url(path), name, ("benchmark",)))

    def __enter__(self) -> NewsSite:
        for site in self._sites:
            site.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for site in self._sites:
            site.stop()

    def url(self, article: GeneratedArticle) -> str:
        """The absolute URL of an article."""
        return self.base_url(article.source) + article.path

    def pages(self) -> list[tuple[str, bytes]]:
        """(url, HTML) of every article, in article order."""
        return [(self.url(a), self._sites[a.source].body(a.path)) for a in self.articles]

    def feed_urls(self) -> list[str]:
        """Every feed's URL."""
        return [feed.url for feed in self._feeds]

    def write_feeds_yaml(self, path: Path) -> Path:
        """Write a feeds.yaml listing every feed of the site; returns `path`."""
        return write_feeds_yaml(path, self._feeds)


def main(argv: list[str] | None = None) -> int:
    """Serve a generated site until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each response")
    parser.add_argument("--sources", type=int, default=6)
    parser.add_argument("--feeds-yaml", type=Path, default=Path("/tmp/newsite-feeds.yaml"))
    args = parser.parse_args(argv)
    with NewsSite(args.articles, args.latency, args.sources) as site:
        site.write_feeds_yaml(args.feeds_yaml)
        sentences = sum(a.sentences for a in site.articles)
        print(f"{len(site.articles)} articles, {sentences} sentences, {len(site.feed_urls())} feeds; "
              f"feeds.yaml: {args.feeds_yaml}")
        print("\n".join(site.feed_urls()))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
