"""The one fake news site core: a real HTTP server on loopback, an RSS writer and a feeds.yaml writer.

The demo (`finsent_demo.site`), the tests (`tests/httpserver.py`, `tests/faultsite.py`) and the
benchmarks (`benchmarks/newsite.py`) all serve their pages through `FakeSite`::

    with FakeSite() as site:
        site.add("/page", b"<html>...</html>")
        site.add_sequence("/flaky", [Reply(status=503), Reply(b"ok")])
        site.add("/feed.xml", rss_feed(RssChannel("News", site.url("/"), "headlines"), items),
                 content_type="application/rss+xml")
        write_feeds_yaml(tmp / "feeds.yaml", [FeedListing("news", site.url("/feed.xml"), "News")])

The server listens on a loopback address (port 0, so sites never collide) in a daemon thread. It
counts requests per path and the most concurrent requests per `Host` header, so a test can reach
the same server as `127.0.0.1` and as `localhost` and see two "domains".
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import yaml

__all__ = ["NOT_FOUND", "FakeSite", "FeedListing", "Reply", "RssChannel", "RssItem", "add_child", "rss_feed",
           "write_feeds_yaml"]

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
ET.register_namespace("atom", ATOM_NS)
ET.register_namespace("dc", DC_NS)


@dataclass(frozen=True)
class Reply:
    """One canned answer.

    `delay` waits before answering (less if the client hangs up first); `trickle` sends the body
    one byte per `trickle` seconds; `reset` drops the connection with a TCP RST instead of
    answering; `content_length=False` omits the header (the body then ends when the connection closes).
    """

    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    trickle: float = 0.0
    reset: bool = False
    content_length: bool = True


NOT_FOUND = Reply(b"not found", status=404, content_type="text/plain")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    @property
    def protocol_version(self) -> str:  # type: ignore[override]
        """HTTP/1.1 (keep-alive) or HTTP/1.0, as the site was made."""
        return self.server.site.protocol_version

    def do_GET(self) -> None:
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def _serve(self, with_body: bool) -> None:
        site = self.server.site
        host = self.headers.get("Host", "").rsplit(":", 1)[0]
        reply = site._next_reply(self.path, dict(self.headers.items()))
        try:
            self._delay(site, host, site.latency + reply.delay)
            self._answer(reply, with_body)
        except OSError:
            self.close_connection = True

    def _delay(self, site: FakeSite, host: str, seconds: float) -> None:
        """Wait before answering, counted as in progress for `host` (the answer itself is not
        counted: a client may have read it all and moved on before this thread gets to leave)."""
        site._enter(host)
        try:
            if seconds:
                self._wait(seconds)
        finally:
            site._leave(host)

    def _answer(self, reply: Reply, with_body: bool) -> None:
        if reply.reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        if reply.content_length:
            self.send_header("Content-Length", str(len(reply.body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not with_body:
            return
        if not reply.trickle:
            self.wfile.write(reply.body)
            return
        for index in range(len(reply.body)):
            self.wfile.write(reply.body[index:index + 1])
            time.sleep(reply.trickle)

    def _wait(self, seconds: float) -> None:
        """Sleep `seconds`, ending early (OSError) when the client hangs up, so concurrency counts stay true."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.05))
            if not readable:
                continue
            if not self.connection.recv(1, socket.MSG_PEEK):
                raise ConnectionAbortedError("the client hung up")
            time.sleep(left)  # the client sent more data; just wait out the delay
            return

    def log_message(self, format: str, *args: Any) -> None:
        """Keep output quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256

    def __init__(self, site: FakeSite, host: str, port: int) -> None:
        self.site = site
        super().__init__((host, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up early are part of the tests; stay quiet."""


class FakeSite:
    """A real HTTP server on `host` with canned replies per path; use as a context manager.

    `latency` seconds are waited before every answer (each in its own thread, so slow answers never
    block each other); `not_found` answers unknown paths; `keep_alive` speaks HTTP/1.1.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, latency: float = 0.0,
                 not_found: Reply = NOT_FOUND, keep_alive: bool = False) -> None:
        self.latency = latency
        self.protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"
        self._not_found = not_found
        self._lock = threading.Lock()
        self._routes: dict[str, list[Reply]] = {}
        self._hits: Counter[str] = Counter()
        self._active: Counter[str] = Counter()
        self._max_active: Counter[str] = Counter()
        self._times: dict[str, list[float]] = defaultdict(list)
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._server = _Server(self, host, port)
        self.host, self.port = self._server.server_address[:2]
        self._thread: threading.Thread | None = None

    def start(self) -> FakeSite:
        """Serve in a daemon thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True,
                                            name=f"fakesite-{self.port}")
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> FakeSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """`http://HOST:PORT`, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def url(self, path: str, host: str | None = None) -> str:
        """The absolute URL of `path`, reached through `host` (default: the address served on)."""
        return f"http://{host or self.host}:{self.port}{path}"

    def add(self, path: str, body: bytes | str = b"", status: int = 200,
            headers: dict[str, str] | None = None, content_type: str | None = "text/html; charset=utf-8",
            delay: float = 0.0) -> None:
        """Answer every request for `path` (query included, if given) the same way."""
        data = body.encode() if isinstance(body, str) else body
        self.add_sequence(path, [Reply(data, status, content_type, headers or {}, delay)])

    def add_sequence(self, path: str, replies: list[Reply]) -> None:
        """Answer the n-th request for `path` with `replies[n]`; the last reply repeats."""
        with self._lock:
            self._routes[path] = list(replies)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        """Redirect `path` to `location` (absolute or relative)."""
        self.add(path, b"", status, {"Location": location}, content_type=None)

    def routes(self) -> list[str]:
        """Every path with a canned reply."""
        with self._lock:
            return sorted(self._routes)

    def body(self, path: str) -> bytes:
        """The body of the reply the first request for `path` gets."""
        with self._lock:
            return self._routes[path][0].body

    def hits(self, path: str) -> int:
        """How many requests reached `path`."""
        with self._lock:
            return self._hits[path]

    def hit_times(self, path: str) -> list[float]:
        """time.monotonic() of each request for `path`, in arrival order."""
        with self._lock:
            return list(self._times[path])

    def max_concurrent(self, host: str) -> int:
        """The most requests in progress at once for one Host header (port stripped).

        A request counts from its arrival until its answer starts, so a request whose client hung
        up during a delay may still count for up to 50 ms after the client moved on.
        """
        with self._lock:
            return self._max_active[host]

    def _next_reply(self, path: str, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append((path, headers))
            self._hits[path] += 1
            self._times[path].append(time.monotonic())
            replies = self._routes.get(path) or self._routes.get(path.split("?")[0])
            if not replies:
                return self._not_found
            return replies[min(self._hits[path], len(replies)) - 1]

    def _enter(self, host: str) -> None:
        with self._lock:
            self._active[host] += 1
            self._max_active[host] = max(self._max_active[host], self._active[host])

    def _leave(self, host: str) -> None:
        with self._lock:
            self._active[host] -= 1


# --------------------------------------------------------------------------------------------- feeds


@dataclass(frozen=True)
class RssChannel:
    """The `<channel>` of an RSS 2.0 feed; `self_url` adds an `atom:link rel="self"`."""

    title: str
    link: str
    description: str
    language: str | None = None
    copyright: str | None = None
    self_url: str | None = None
    ttl: int | None = None


@dataclass(frozen=True)
class RssItem:
    """One `<item>`; `link=None` leaves the element out (a broken entry), `guid=None` too."""

    title: str
    link: str | None
    guid: str | None = None
    guid_is_permalink: bool = False
    published: datetime | None = None
    description: str = ""
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


def add_child(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    """Append `<tag attrs>text</tag>` to `parent`; returns the new element."""
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _rss_item(channel: ET.Element, item: RssItem) -> None:
    node = add_child(channel, "item")
    add_child(node, "title", item.title)
    if item.link is not None:
        add_child(node, "link", item.link)
    if item.guid is not None:
        add_child(node, "guid", item.guid, isPermaLink="true" if item.guid_is_permalink else "false")
    if item.published is not None:
        add_child(node, "pubDate", format_datetime(item.published, usegmt=True))
    if item.description:
        add_child(node, "description", item.description)
    for author in item.authors:
        add_child(node, f"{{{DC_NS}}}creator", author)
    for tag in item.tags:
        add_child(node, "category", tag)


def rss_feed(channel: RssChannel, items: Iterable[RssItem], indent: bool = True) -> bytes:
    """An RSS 2.0 document (UTF-8, with XML declaration) of `items` in the order given."""
    rss = ET.Element("rss", {"version": "2.0"})
    node = add_child(rss, "channel")
    add_child(node, "title", channel.title)
    add_child(node, "link", channel.link)
    add_child(node, "description", channel.description)
    for tag, value in (("language", channel.language), ("copyright", channel.copyright)):
        if value is not None:
            add_child(node, tag, value)
    if channel.self_url:
        add_child(node, f"{{{ATOM_NS}}}link", href=channel.self_url, rel="self", type="application/rss+xml")
    items = list(items)
    dated = [item.published for item in items if item.published is not None]
    if dated:
        add_child(node, "lastBuildDate", format_datetime(max(dated), usegmt=True))
    if channel.ttl is not None:
        add_child(node, "ttl", str(channel.ttl))
    for item in items:
        _rss_item(node, item)
    if indent:
        ET.indent(rss)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


@dataclass(frozen=True)
class FeedListing:
    """One entry of finsent's feeds.yaml (see `pipelines.feeds`)."""

    name: str
    url: str
    source: str
    tags: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()

    def as_config(self) -> dict[str, Any]:
        """The YAML mapping; empty lists are left out."""
        config: dict[str, Any] = {"name": self.name, "url": self.url, "source": self.source}
        config.update({key: list(value) for key, value in (("tags", self.tags), ("tickers", self.tickers))
                       if value})
        return config


def feeds_yaml_text(feeds: Iterable[FeedListing], comment: str = "") -> str:
    """A feeds.yaml document listing `feeds`, after `comment` (each line made a `#` comment)."""
    header = "".join(f"# {line}\n" for line in comment.splitlines())
    body = yaml.safe_dump({"feeds": [feed.as_config() for feed in feeds]}, sort_keys=False, allow_unicode=True)
    return header + body


def write_feeds_yaml(path: Path | str, feeds: Iterable[FeedListing], comment: str = "") -> Path:
    """Write `feeds_yaml_text(feeds, comment)` to `path` (parents created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(feeds_yaml_text(feeds, comment), encoding="utf-8")
    return path
