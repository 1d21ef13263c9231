"""The fetcher, specified against a real local HTTP server: failure reasons, retries, limits, SSRF, robots."""

from __future__ import annotations

import pickle
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from email.utils import formatdate

import pytest
from httpserver import LocalSite, Reply

from pipelines.extract import extract_article
from pipelines.fetch import Fetcher, FetchError, FetchResponse
from pipelines.netguard import BlockedAddressError, IPAddress, resolve_host, vetted_addresses
from pipelines.options import FinsentOptions, run_settings
from pipelines.settings import FetchSettings

HTML = b"<html><body><p>Stocks rallied.</p></body></html>"
FAST = FetchSettings(timeout=2.0, deadline=3.0, retries=2, backoff=0.01, max_retry_after=0.3,
                     max_body_bytes=100_000, max_redirects=3, allow_private_hosts=True, ignore_robots=True)


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as local:
        yield local


def fetch_error(settings: FetchSettings, url: str, accept: str = "html") -> FetchError:
    with pytest.raises(FetchError) as caught:
        Fetcher(settings).fetch(url, accept)  # type: ignore[arg-type]
    return caught.value


# --- success -------------------------------------------------------------------------------------

def test_fetches_a_page_with_a_browser_user_agent(site: LocalSite) -> None:
    site.add("/article", HTML)
    response = Fetcher(FAST).fetch(site.url("/article"))
    assert response == FetchResponse(site.url("/article"), 200, "text/html; charset=utf-8", HTML,
                                     response.headers)
    user_agent = site.requests[0][1]["User-Agent"]
    assert user_agent.startswith("Mozilla/5.0") and "finsent" in user_agent


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_decompresses_gzip_deflate_and_brotli(site: LocalSite, encoding: str) -> None:
    site.compressed("/z", HTML * 50, encoding)
    assert Fetcher(FAST).fetch(site.url("/z")).body == HTML * 50


def test_follows_redirects_to_the_final_url(site: LocalSite) -> None:
    site.redirect("/a", "/b", 301)
    site.redirect("/b", site.url("/c"), 307)
    site.add("/c", HTML)
    response = Fetcher(FAST).fetch(site.url("/a"))
    assert response.final_url == site.url("/c") and response.body == HTML


@pytest.mark.parametrize("content_type", ["application/rss+xml", "application/atom+xml; charset=utf-8",
                                          "text/xml", "application/xml", "text/plain", "text/html"])
def test_feeds_accept_xml_rss_atom_plain_and_html(site: LocalSite, content_type: str) -> None:
    site.add("/feed", b"<rss/>", content_type=content_type)
    assert Fetcher(FAST).fetch(site.url("/feed"), accept="feed").body == b"<rss/>"


# --- HTTP status reasons -------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "reason"), [(404, "http_404"), (410, "http_410"), (403, "http_403"),
                                                (401, "http_error"), (418, "http_error")])
def test_client_errors_are_not_retried(site: LocalSite, status: int, reason: str) -> None:
    site.add("/x", b"no", status=status)
    error = fetch_error(FAST, site.url("/x"))
    assert (error.reason, error.http_status) == (reason, status)
    assert site.hits("/x") == 1


def test_server_errors_are_retried_then_reported_as_http_5xx(site: LocalSite) -> None:
    site.add("/down", b"", status=503)
    error = fetch_error(FAST, site.url("/down"))
    assert (error.reason, error.http_status) == ("http_5xx", 503)
    assert site.hits("/down") == 1 + FAST.retries


def test_a_503_then_200_succeeds_on_the_retry(site: LocalSite) -> None:
    site.add_sequence("/flaky", [Reply(status=503), Reply(HTML)])
    assert Fetcher(FAST).fetch(site.url("/flaky")).body == HTML
    assert site.hits("/flaky") == 2


def test_retry_after_seconds_is_honoured_up_to_the_cap(site: LocalSite) -> None:
    site.add_sequence("/busy", [Reply(status=429, headers={"Retry-After": "5"}), Reply(HTML)])
    started = time.monotonic()
    assert Fetcher(FAST).fetch(site.url("/busy")).body == HTML
    waited = time.monotonic() - started
    assert FAST.max_retry_after <= waited < 2  # waited the cap (0.3 s), not 5 s nor the 0.01 s backoff
    assert site.hits("/busy") == 2


def test_persistent_429_with_an_http_date_retry_after_ends_as_http_429(site: LocalSite) -> None:
    later = formatdate(time.time() + 60, usegmt=True)
    site.add("/busy", b"", status=429, headers={"Retry-After": later})
    started = time.monotonic()
    error = fetch_error(FAST, site.url("/busy"))
    assert (error.reason, error.http_status) == ("http_429", 429)
    assert site.hits("/busy") == 1 + FAST.retries
    assert time.monotonic() - started >= FAST.retries * FAST.max_retry_after


def test_connection_resets_are_retried_then_reported(site: LocalSite) -> None:
    site.reset("/rst")
    assert fetch_error(FAST, site.url("/rst")).reason == "connection_error"
    assert site.hits("/rst") == 1 + FAST.retries


def test_a_refused_connection_is_a_connection_error() -> None:
    with LocalSite() as closed:
        url = closed.url("/")
    assert fetch_error(replace(FAST, retries=0), url).reason == "connection_error"


# --- timeouts ------------------------------------------------------------------------------------

def test_a_server_that_does_not_answer_times_out(site: LocalSite) -> None:
    site.add("/slow", HTML, delay=1.5)
    started = time.monotonic()
    assert fetch_error(replace(FAST, timeout=0.3), site.url("/slow")).reason == "timeout"
    assert time.monotonic() - started < 1.2
    assert site.hits("/slow") == 1  # timeouts are not retried


def test_a_trickling_body_hits_the_overall_deadline(site: LocalSite) -> None:
    site.trickle("/drip", HTML, interval=0.1)  # each read is quick, the whole body takes 5 s
    started = time.monotonic()
    assert fetch_error(replace(FAST, timeout=1.0, deadline=0.6), site.url("/drip")).reason == "timeout"
    assert time.monotonic() - started < 1.5


def test_a_chain_of_slow_redirects_ends_at_the_deadline(site: LocalSite) -> None:
    """Each hop answers within the timeout; the deadline bounds the chain, not each hop."""
    for hop in range(6):
        site.add(f"/slow{hop}", b"", 302, {"Location": f"/slow{hop + 1}"}, content_type=None, delay=0.5)
    site.add("/slow6", HTML)
    settings = replace(FAST, timeout=1.0, deadline=1.2, max_redirects=10)
    started = time.monotonic()
    error = fetch_error(settings, site.url("/slow0"))
    elapsed = time.monotonic() - started
    assert error.reason == "timeout"
    assert settings.deadline <= elapsed < settings.deadline + 0.5
    assert site.hits("/slow3") == 0 and site.hits("/slow6") == 0


def test_a_retry_after_past_the_deadline_is_not_waited_for(site: LocalSite) -> None:
    site.add("/busy", b"", status=429, headers={"Retry-After": "5"})
    started = time.monotonic()
    error = fetch_error(replace(FAST, deadline=1.0, max_retry_after=10.0), site.url("/busy"))
    assert (error.reason, error.http_status) == ("http_429", 429)
    assert time.monotonic() - started < 0.8
    assert site.hits("/busy") == 1


def test_reading_robots_txt_counts_against_the_deadline(site: LocalSite) -> None:
    site.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain", delay=0.8)
    site.add("/a", HTML, delay=0.8)
    settings = replace(FAST, deadline=1.2, ignore_robots=False)
    started = time.monotonic()
    assert fetch_error(settings, site.url("/a")).reason == "timeout"
    assert time.monotonic() - started < 1.7


def test_a_robots_txt_cut_off_by_one_fetchs_deadline_is_not_cached_as_unreadable(site: LocalSite) -> None:
    site.add_sequence("/robots.txt", [Reply(b"User-agent: *\nAllow: /\n", content_type="text/plain", delay=1.0),
                                      Reply(b"User-agent: *\nAllow: /\n", content_type="text/plain")])
    site.add("/a", HTML)
    fetcher = Fetcher(replace(FAST, deadline=0.5, ignore_robots=False))
    with pytest.raises(FetchError, match="timeout"):
        fetcher.fetch(site.url("/a"))
    assert fetcher.fetch(site.url("/a")).body == HTML
    assert site.hits("/robots.txt") == 2


def test_time_queued_for_a_host_slot_is_not_charged_to_the_deadline(site: LocalSite) -> None:
    for index in range(4):
        site.add(f"/q{index}", HTML, delay=0.4)
    settings = replace(FAST, deadline=0.9, concurrency=4, per_domain_concurrency=1)
    results = Fetcher(settings).fetch_many([site.url(f"/q{index}") for index in range(4)])
    assert all(isinstance(result, FetchResponse) for result in results)  # the last waited ~1.2 s


# --- redirects -----------------------------------------------------------------------------------

def test_a_redirect_loop_is_too_many_redirects(site: LocalSite) -> None:
    site.redirect("/ping", "/pong")
    site.redirect("/pong", "/ping")
    assert fetch_error(FAST, site.url("/ping")).reason == "too_many_redirects"


def test_a_chain_longer_than_max_redirects_is_refused(site: LocalSite) -> None:
    for hop in range(5):
        site.redirect(f"/r{hop}", f"/r{hop + 1}")
    site.add("/r5", HTML)
    assert fetch_error(FAST, site.url("/r0")).reason == "too_many_redirects"
    assert Fetcher(replace(FAST, max_redirects=5)).fetch(site.url("/r0")).body == HTML


def test_credentials_in_links_never_reach_the_final_url(site: LocalSite) -> None:
    site.redirect("/a", f"http://reader:s3cret@127.0.0.1:{site.port}/b")
    site.add("/b", HTML)
    response = Fetcher(FAST).fetch(f"http://user:pw@127.0.0.1:{site.port}/a")
    assert response.final_url == site.url("/b")


def test_a_redirect_to_a_non_http_scheme_is_refused(site: LocalSite) -> None:
    site.redirect("/r", "file:///etc/passwd")
    assert fetch_error(FAST, site.url("/r")).reason == "http_error"


# --- content checks and size limits --------------------------------------------------------------

@pytest.mark.parametrize("content_type", ["application/pdf", "image/png", "application/json"])
def test_non_html_pages_are_not_html(site: LocalSite, content_type: str) -> None:
    site.add("/doc", b"%PDF-1.7", content_type=content_type)
    assert fetch_error(FAST, site.url("/doc")).reason == "not_html"


def test_an_rss_body_is_not_an_html_page(site: LocalSite) -> None:
    site.add("/feed", b"<rss/>", content_type="application/rss+xml")
    assert fetch_error(FAST, site.url("/feed"), accept="html").reason == "not_html"


def test_an_announced_content_length_over_the_limit_is_too_large(site: LocalSite) -> None:
    site.add("/big", b"x" * 200_000)
    assert fetch_error(FAST, site.url("/big")).reason == "too_large"


def test_an_unannounced_body_over_the_limit_is_too_large(site: LocalSite) -> None:
    site.add_sequence("/big", [Reply(b"x" * 200_000, content_length=False)])
    assert fetch_error(FAST, site.url("/big")).reason == "too_large"


def padded_article(size: int) -> bytes:
    """A readable article whose inline JSON app state pads the page to `size` bytes."""
    text = "".join(f"<p>Shares in Acme Corp rose {n} percent after the company raised its outlook.</p>"
                   for n in range(8))
    head = b'<html><head><title>Acme</title><script id="__NEXT_DATA__" type="application/json">{"blob": "'
    tail = f'"}}</script></head><body><article><h1>Acme</h1>{text}</article></body></html>'.encode()
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_a_9_mb_page_is_read_and_extracted_in_bounded_memory(site: LocalSite) -> None:
    site.add("/big", padded_article(9_000_000))
    fetcher = Fetcher(replace(FAST, max_body_bytes=FetchSettings().max_body_bytes))
    extract_article(padded_article(20_000), "http://warm.up/", "text/html")  # the extractors' imports
    tracemalloc.start()
    try:
        response = fetcher.fetch(site.url("/big"))
        extracted = extract_article(response.body, response.final_url, response.content_type)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "raised its outlook" in extracted.text
    assert len(response.body) < 5_000
    assert peak < 3_000_000, f"peak {peak:,} bytes"  # the page is 9 MB


@pytest.mark.parametrize("announced", [True, False])
def test_only_a_body_over_the_default_10_mb_is_too_large(site: LocalSite, announced: bool) -> None:
    site.add_sequence("/huge", [Reply(padded_article(10_000_001), content_length=announced)])
    settings = replace(FAST, max_body_bytes=FetchSettings().max_body_bytes)
    assert FetchSettings().max_body_bytes == 10_000_000
    assert fetch_error(settings, site.url("/huge")).reason == "too_large"


def test_a_gzip_bomb_is_too_large(site: LocalSite) -> None:
    site.gzip_bomb("/bomb", decoded_size=20_000_000)  # ~20 KB on the wire
    assert fetch_error(FAST, site.url("/bomb")).reason == "too_large"


# --- SSRF ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
                                  "::1", "[::1]", "0.0.0.0", "::ffff:127.0.0.1", "fe80::1", "224.0.0.1",
                                  "2130706433", "0177.0.0.1", "localhost"])
def test_private_and_special_addresses_are_blocked(host: str) -> None:
    with pytest.raises(BlockedAddressError):
        vetted_addresses(host, 80, allow_private=False)
    assert vetted_addresses(host, 80, allow_private=True)


@pytest.mark.parametrize("host", ["8.8.8.8", "2001:4860:4860::8888", "93.184.216.34"])
def test_public_addresses_are_allowed(host: str) -> None:
    assert vetted_addresses(host, 443, allow_private=False)


def test_a_loopback_url_is_blocked_before_any_request(site: LocalSite) -> None:
    site.add("/", HTML)
    error = fetch_error(replace(FAST, allow_private_hosts=False), site.url("/"))
    assert error.reason == "blocked_private_address"
    assert site.hits("/") == 0


def test_every_redirect_hop_is_checked(site: LocalSite) -> None:
    """`localhost` plays a public host; its redirect to 127.0.0.1 (a private address) is refused."""
    def localhost_is_public(host: str, port: int) -> list[IPAddress]:
        if host == "localhost":
            return resolve_host(host, port)
        return vetted_addresses(host, port, allow_private=False)

    site.redirect("/go", site.url("/internal"))
    site.add("/internal", b"secret")
    fetcher = Fetcher(replace(FAST, allow_private_hosts=False), vet=localhost_is_public)
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(site.url("/go", host="localhost"))
    assert caught.value.reason == "blocked_private_address"
    assert (site.hits("/go"), site.hits("/internal")) == (1, 0)


# --- robots.txt ----------------------------------------------------------------------------------

def test_robots_txt_is_obeyed_and_read_once_per_host(site: LocalSite) -> None:
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.add("/public/a", HTML)
    site.add("/private/b", HTML)
    fetcher = Fetcher(replace(FAST, ignore_robots=False))
    assert fetcher.fetch(site.url("/public/a")).body == HTML
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(site.url("/private/b"))
    assert caught.value.reason == "robots_disallowed"
    assert (site.hits("/robots.txt"), site.hits("/private/b")) == (1, 0)


def test_robots_rules_for_finsent_apply(site: LocalSite) -> None:
    site.add("/robots.txt", "User-agent: finsent\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
             content_type="text/plain")
    site.add("/a", HTML)
    assert fetch_error(replace(FAST, ignore_robots=False), site.url("/a")).reason == "robots_disallowed"
    assert Fetcher(FAST).fetch(site.url("/a")).body == HTML  # ignore_robots


def test_robots_wildcards_and_end_anchors_are_obeyed(site: LocalSite) -> None:
    """RFC 9309: `*` matches any characters, `$` anchors the end of the path."""
    site.add("/robots.txt", "User-agent: *\nDisallow: /news/*-merger.html\nDisallow: /*.pdf$\n",
             content_type="text/plain")
    for path in ("/news/acme-merger.html", "/news/acme-results.html", "/files/report.pdf", "/files/report.pdf.html"):
        site.add(path, HTML)
    fetcher = Fetcher(replace(FAST, ignore_robots=False))
    outcomes = {path: fetcher.fetch_or_error(site.url(path)) for path in
                ("/news/acme-merger.html", "/news/acme-results.html", "/files/report.pdf", "/files/report.pdf.html")}
    refused = {path for path, outcome in outcomes.items() if isinstance(outcome, FetchError)}
    assert refused == {"/news/acme-merger.html", "/files/report.pdf"}
    assert {outcome.reason for outcome in outcomes.values() if isinstance(outcome, FetchError)} == {
        "robots_disallowed"}
    assert site.hits("/news/acme-merger.html") == 0


def test_a_missing_robots_txt_allows_everything(site: LocalSite) -> None:
    site.add("/a", HTML)
    assert Fetcher(replace(FAST, ignore_robots=False)).fetch(site.url("/a")).body == HTML
    assert site.hits("/robots.txt") == 1


def test_an_unreachable_robots_txt_disallows_everything(site: LocalSite) -> None:
    site.add("/robots.txt", b"", status=503)
    site.add("/a", HTML)
    assert fetch_error(replace(FAST, ignore_robots=False), site.url("/a")).reason == "robots_disallowed"
    assert site.hits("/a") == 0


# --- concurrency ---------------------------------------------------------------------------------

def test_fetch_many_keeps_input_order_and_returns_errors_in_place(site: LocalSite) -> None:
    site.add("/ok", HTML)
    results = Fetcher(FAST).fetch_many([site.url("/ok"), site.url("/missing"), "javascript:alert(1)"])
    assert isinstance(results[0], FetchResponse) and results[0].body == HTML
    assert isinstance(results[1], FetchError) and results[1].reason == "http_404"
    assert isinstance(results[2], FetchError) and results[2].reason == "http_error"


def test_one_host_never_gets_more_than_per_domain_concurrency(site: LocalSite) -> None:
    for index in range(6):
        site.add(f"/p{index}", HTML, delay=0.25)
    urls = [site.url(f"/p{index}", host) for host in ("127.0.0.1", "localhost") for index in range(6)]
    settings = replace(FAST, concurrency=12, per_domain_concurrency=2)
    started = time.monotonic()
    results = Fetcher(settings).fetch_many(urls)
    assert all(isinstance(result, FetchResponse) for result in results)
    assert [result.final_url for result in results] == urls  # type: ignore[union-attr]
    assert site.max_concurrent("127.0.0.1") == 2
    assert site.max_concurrent("localhost") == 2
    assert time.monotonic() - started >= 3 * 0.25  # 6 pages, 2 at a time


# --- construction --------------------------------------------------------------------------------

def test_settings_come_from_pipeline_options() -> None:
    options = FinsentOptions(["--fetch_timeout", "4", "--fetch-deadline-s", "8", "--fetch_retries", "1",
                              "--per_domain_concurrency", "3", "--ignore_robots", "--allow_private_hosts"])
    settings = run_settings(options).fetch
    assert (settings.timeout, settings.deadline, settings.retries) == (4.0, 8.0, 1)
    assert settings.per_domain_concurrency == 3
    assert settings.ignore_robots and settings.allow_private_hosts


def test_a_fetcher_survives_pickling(site: LocalSite) -> None:
    site.add("/a", HTML)
    fetcher = pickle.loads(pickle.dumps(Fetcher(FAST)))
    assert fetcher.fetch(site.url("/a")).body == HTML
