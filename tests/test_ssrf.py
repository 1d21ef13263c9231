"""SSRF: nothing in a feed or a redirect makes the pipeline connect to a private address it was not allowed.

The site under test is on 127.0.0.1 and allowed with `--allowed_private_hosts 127.0.0.1:<port>`;
an "internal service" on another local port stands for what an attacker wants to reach, and
must see no request at all, whatever the feed links to or the allowed site redirects to.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultsite import FaultSite, fast_run_args, install_faults, write_feeds_yaml
from httpserver import LocalSite

from finsent.errors import UsageError
from pipelines.commits import read_table
from pipelines.fetch import Fetcher, FetchError
from pipelines.options import FinsentOptions, run_settings
from pipelines.runner import check_known_options, run_pipeline
from pipelines.settings import FetchSettings

HTML = "<html><body><p>Internal dashboard.</p></body></html>"


@pytest.fixture(scope="module")
def internal() -> Iterator[LocalSite]:
    """The service an attacker wants to reach: answers everything, must never be asked."""
    with LocalSite() as site:
        site.add("/", HTML)
        site.add("/feed.xml", "<rss version='2.0'><channel><title>secret</title></channel></rss>",
                 content_type="application/rss+xml")
        yield site


def private_targets(internal: LocalSite, site: LocalSite) -> dict[str, str]:
    """Names → URLs that are, or resolve to, addresses nobody allowed."""
    other = internal.port
    return {
        "cloud metadata (link-local)": "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "private 10/8": "http://10.0.0.1/admin",
        "private 192.168/16": "http://192.168.1.1/",
        "loopback on another port": f"http://127.0.0.1:{other}/",
        "the allowed site under another name": f"http://localhost:{site.port}/news/ok-1",
        "IPv6 loopback": f"http://[::1]:{other}/",
        "IPv4-mapped IPv6 loopback": f"http://[::ffff:127.0.0.1]:{other}/",
        "unspecified 0.0.0.0": f"http://0.0.0.0:{other}/",
        "decimal 2130706433": f"http://2130706433:{other}/",
        "octal 0177.0.0.1": f"http://0177.0.0.1:{other}/",
    }


# --- the allow-list ------------------------------------------------------------------------------

def test_the_allow_list_admits_exact_host_port_pairs_only() -> None:
    options = FinsentOptions(["--allowed_private_hosts", "127.0.0.1:8080, [::1]:9000,LocalHost:81"])
    settings = run_settings(options).fetch
    assert settings.allowed_private_hosts == {("127.0.0.1", 8080), ("::1", 9000), ("localhost", 81)}
    assert not settings.allow_private_hosts


@pytest.mark.parametrize("value", ["127.0.0.1", "127.0.0.1:http", "http://127.0.0.1:80", "127.0.0.1:80/x", ":80"])
def test_a_malformed_allow_list_names_the_option_and_the_entry(value: str) -> None:
    with pytest.raises(UsageError, match=r"--allowed_private_hosts: .* is not host:port"):
        check_known_options(["--allowed_private_hosts", value])


def test_every_redirect_hop_from_an_allowed_host_is_checked(internal: LocalSite) -> None:
    with LocalSite() as site:
        targets = private_targets(internal, site)
        for index, target in enumerate(targets.values()):
            site.redirect(f"/r{index}", target)
            site.redirect(f"/twice{index}", f"/r{index}")  # allowed → allowed → private
        settings = FetchSettings(timeout=2, retries=0, ignore_robots=True,
                                 allowed_private_hosts=frozenset({("127.0.0.1", site.port)}))
        paths = [f"/{kind}{index}" for kind in ("r", "twice") for index in range(len(targets))]
        results = Fetcher(settings).fetch_many([site.url(path) for path in paths])
    reasons = {path: result.reason for path, result in zip(paths, results, strict=True)
               if isinstance(result, FetchError)}
    assert reasons == dict.fromkeys(paths, "blocked_private_address")
    assert internal.requests == []


# --- the pipeline --------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_pipeline_never_connects_to_a_private_address(internal: LocalSite, tmp_path: Path) -> None:
    with FaultSite() as site:
        install_faults(site)
        targets = private_targets(internal, site)
        links = dict(targets)
        for index, (name, target) in enumerate(targets.items()):
            site.redirect(f"/go/{index}", target)
            links[f"redirect to {name}"] = site.url(f"/go/{index}")
        allowed_page = site.url("/news/ok-1")
        items = "".join(f"<item><title>{name}</title><link>{url}</link></item>"
                        for name, url in [*links.items(), ("a page of the allowed site", allowed_page)])
        site.add("/feeds/ssrf.xml", f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>",
                 content_type="application/rss+xml")
        feeds = write_feeds_yaml(tmp_path / "feeds.yaml", {
            "ssrf": site.url("/feeds/ssrf.xml"), "on-a-private-address": "http://10.0.0.1/feed.xml",
            "on-the-internal-service": internal.url("/feed.xml")})
        outcome = run_pipeline([*fast_run_args(site, hosts=("127.0.0.1",)), "--feeds", str(feeds),
                                "--output", str(tmp_path / "data"), "--run_date", "2026-11-23"])
        via_localhost = [path for path, headers in site.requests if headers.get("Host", "").startswith("localhost")]
    assert outcome is not None
    failures = read_table(str(tmp_path / "data"), "failures").to_pylist()
    scrape = {row["url"]: row["reason"] for row in failures if row["stage"] == "scrape"}
    assert scrape == dict.fromkeys(links.values(), "blocked_private_address")
    feed_rows = {row["feed"]: (row["reason"], row["detail"].split(":")[0])
                 for row in failures if row["stage"] == "feeds"}
    assert feed_rows == {"on-a-private-address": ("blocked_private_address", "blocked_private_address"),
                         "on-the-internal-service": ("blocked_private_address", "blocked_private_address")}
    assert outcome.runs_row["articles"] == 1
    assert internal.requests == [] and via_localhost == []


# --- DNS: the address checked is the address connected to ---------------------------------------

PUBLIC = "93.184.216.34"
NAME = "news.example"


class Listener:
    """A bare TCP listener on 127.0.0.1 that counts the connections reaching it (it never answers)."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self._server.accept()
                self.accepted += 1
                connection.close()

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.close()


def scripted_dns(monkeypatch: pytest.MonkeyPatch, answers: list[list[str]]) -> None:
    """`NAME` resolves to `answers[n]` on the n-th lookup (the last repeats); other names as usual."""
    real = socket.getaddrinfo
    lookups = iter(answers)
    last: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list:
        nonlocal last
        if host != NAME:
            return real(host, port, *args, **kwargs)
        last = next(lookups, last)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, int(port or 0))) for ip in last]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def public_hosts_unreachable(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Connections to `PUBLIC` are refused here (no packet leaves the machine); returns the addresses tried."""
    real = socket.create_connection
    tried: list[str] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        tried.append(address[0])
        if address[0] == PUBLIC:
            raise ConnectionRefusedError(f"{PUBLIC} is unreachable in this test")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return tried


GUARDED = FetchSettings(timeout=1, deadline=2, retries=0, ignore_robots=True)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_an_answer_with_any_private_address_is_refused_before_connecting(
        monkeypatch: pytest.MonkeyPatch, scheme: str) -> None:
    scripted_dns(monkeypatch, [[PUBLIC, "127.0.0.1"]])
    tried = public_hosts_unreachable(monkeypatch)
    with Listener() as listener:
        outcome = Fetcher(GUARDED).fetch_or_error(f"{scheme}://{NAME}:{listener.port}/news")
    assert isinstance(outcome, FetchError) and outcome.reason == "blocked_private_address"
    assert (listener.accepted, tried) == (0, [])


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_name_that_rebinds_to_loopback_after_the_check_is_never_connected_to(
        monkeypatch: pytest.MonkeyPatch, scheme: str) -> None:
    """The first lookup answers public, every later one 127.0.0.1: only the vetted address is tried."""
    scripted_dns(monkeypatch, [[PUBLIC], ["127.0.0.1"]])
    tried = public_hosts_unreachable(monkeypatch)
    with Listener() as listener:
        outcome = Fetcher(GUARDED).fetch_or_error(f"{scheme}://{NAME}:{listener.port}/news")
    assert isinstance(outcome, FetchError) and outcome.reason == "connection_error"
    assert (listener.accepted, tried) == (0, [PUBLIC])


def test_refusals_do_not_tell_open_ports_from_closed_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    scripted_dns(monkeypatch, [["127.0.0.1"]])
    with Listener() as listener:
        open_port = Fetcher(GUARDED).fetch_or_error(f"http://{NAME}:{listener.port}/")
        closed_port = Fetcher(GUARDED).fetch_or_error(f"http://{NAME}:1/")
        assert listener.accepted == 0
    assert isinstance(open_port, FetchError) and isinstance(closed_port, FetchError)
    assert (open_port.reason, open_port.detail) == (closed_port.reason, closed_port.detail)
    assert open_port.reason == "blocked_private_address"
