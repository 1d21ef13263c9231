"""A small real HTTP server for tests: canned replies, redirects, retries, trickles, bombs and resets.

    with LocalSite() as site:
        site.add("/page", b"<html>...</html>")
        site.add_sequence("/flaky", [Reply(status=503), Reply(b"ok")])
        fetcher.fetch(site.url("/flaky"))
        assert site.hits("/flaky") == 2

The server listens on 127.0.0.1 (port 0, so tests never collide) in a background thread. It counts
requests per path and the most concurrent requests per `Host` header, so a test can reach the same
server as `127.0.0.1` and as `localhost` and see two "domains".
"""

from __future__ import annotations

import gzip
import select
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


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

    def do_GET(self) -> None:
        site = self.server.site
        host = self.headers.get("Host", "").rsplit(":", 1)[0]
        reply = site._next_reply(self.path, dict(self.headers.items()))
        try:
            self._delay(site, host, reply.delay)
            self._answer(reply)
        except OSError:
            self.close_connection = True

    def _delay(self, site: LocalSite, host: str, seconds: float) -> None:
        """Wait before answering, counted as in progress for `host` (the answer itself is not
        counted: a client may have read it all and moved on before this thread gets to leave)."""
        site._enter(host)
        try:
            if seconds:
                self._wait(seconds)
        finally:
            site._leave(host)

    def _answer(self, reply: Reply) -> None:
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
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
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
        """Keep test output quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64

    def __init__(self, site: LocalSite) -> None:
        self.site = site
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up early are part of the tests; stay quiet."""


class LocalSite:
    """A real HTTP server on 127.0.0.1 with canned replies per path; use as a context manager."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, list[Reply]] = {}
        self._hits: Counter[str] = Counter()
        self._active: Counter[str] = Counter()
        self._max_active: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._server = _Server(self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> LocalSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """The absolute URL of `path`, reached through `host` (127.0.0.1 or localhost)."""
        return f"http://{host}:{self.port}{path}"

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

    def trickle(self, path: str, body: bytes, interval: float) -> None:
        """Send `body` one byte every `interval` seconds."""
        self.add_sequence(path, [Reply(body, trickle=interval)])

    def reset(self, path: str) -> None:
        """Reset the connection (TCP RST) on every request."""
        self.add_sequence(path, [Reply(reset=True)])

    def gzip_bomb(self, path: str, decoded_size: int) -> None:
        """A small gzip body that inflates to `decoded_size` zero bytes."""
        body = gzip.compress(b"\0" * decoded_size, compresslevel=9)
        self.add_sequence(path, [Reply(body, headers={"Content-Encoding": "gzip"})])

    def compressed(self, path: str, body: bytes, encoding: str) -> None:
        """Serve `body` with Content-Encoding gzip, deflate (zlib-wrapped) or br."""
        if encoding == "gzip":
            data = gzip.compress(body)
        elif encoding == "deflate":
            data = zlib.compress(body)
        else:
            import brotli

            data = brotli.compress(body)
        self.add_sequence(path, [Reply(data, headers={"Content-Encoding": encoding})])

    def hits(self, path: str) -> int:
        """How many requests reached `path`."""
        with self._lock:
            return self._hits[path]

    def max_concurrent(self, host: str) -> int:
        """The most requests in progress at once for one Host header (port stripped).

        A request counts from its arrival until its answer starts, so a request whose client hung
        up during a `delay` may still count for up to 50 ms after the client moved on.
        """
        with self._lock:
            return self._max_active[host]

    def _next_reply(self, path: str, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append((path, headers))
            self._hits[path] += 1
            replies = self._routes.get(path) or self._routes.get(path.split("?")[0])
            if not replies:
                return NOT_FOUND
            return replies[min(self._hits[path], len(replies)) - 1]

    def _enter(self, host: str) -> None:
        with self._lock:
            self._active[host] += 1
            self._max_active[host] = max(self._max_active[host], self._active[host])

    def _leave(self, host: str) -> None:
        with self._lock:
            self._active[host] -= 1
