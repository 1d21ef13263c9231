"""The HTTP fetcher for feeds and pages: timeouts, retries, redirects, SSRF checks, size caps, robots.txt.

Built on `http.client` so that every hop, read and byte is under our control:

- connect and each read are bounded by `timeout`; one `deadline` bounds the whole fetch of a URL:
  every redirect hop, retry, backoff or Retry-After wait and the robots.txt read it needs (a
  watchdog closes the socket when it passes, so a server trickling a byte a second ends as `timeout`);
- 429/5xx/connection errors are retried `retries` times with exponential backoff, honouring
  `Retry-After` (seconds or HTTP date) up to `max_retry_after`, while the deadline leaves time;
- redirects are followed by hand, at most `max_redirects`, with the SSRF check on every hop: the
  name is resolved once, refused if any address is private, and the connection goes to a vetted
  address (the name only in the Host header and TLS SNI), so nothing is sent anywhere unchecked;
- bodies are capped at `max_body_bytes` while streaming, before and after gzip/deflate/br decoding,
  and an HTML page's `<script>`/`<style>` content is dropped as it arrives (`pipelines.htmlstrip`);
- robots.txt is read once per origin (through this same fetcher), parsed by protego (RFC 9309,
  `*` and `$` included) and obeyed unless `ignore_robots`;
- one host never sees more than `per_domain_concurrency` requests at once from one Fetcher.

Every failure is a `FetchError` whose `reason` is a code of `records.REASONS`.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import SplitResult, quote, urljoin, urlsplit

from protego import Protego

from pipelines.htmlstrip import ScriptStripper
from pipelines.netguard import BlockedAddressError, IPAddress, resolve_host, vetted_addresses
from pipelines.settings import FetchSettings
from pipelines.urls import validate_article_url, without_userinfo

try:
    import brotli
except ImportError:  # pragma: no cover - brotli is optional on workers
    brotli = None

Accept = Literal["html", "feed", "robots"]
AddressVet = Callable[[str, int], Sequence[IPAddress]]

ROBOTS_AGENT = "finsent"
"""The product token matched against robots.txt `User-agent` lines."""
ROBOTS_MAX_BYTES = 512_000
CHUNK_BYTES = 65_536
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset({"text/html", "text/plain"})
ACCEPT_HEADERS: dict[str, str] = {
    "html": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    "feed": "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5",
    "robots": "text/plain,*/*;q=0.5",
}
ACCEPT_ENCODING = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
STATUS_REASONS = {403: "http_403", 404: "http_404", 410: "http_410", 429: "http_429"}


class FetchError(Exception):
    """A request that produced no usable body; `reason` is a code of `records.REASONS`."""

    def __init__(self, reason: str, detail: str, http_status: int | None = None) -> None:
        super().__init__(reason, detail, http_status)
        self.reason = reason
        self.detail = detail
        self.http_status = http_status

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


@dataclass(frozen=True)
class FetchResponse:
    """A successful (2xx) response after redirects; `body` is decompressed, `headers` lowercased.

    For an HTML page, `body` has no `<script>`/`<style>` content (JSON-LD excepted).
    """

    final_url: str
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Answer:
    """One HTTP exchange: the status, lowercased headers and (for 2xx only) the decoded body."""

    status: int
    headers: dict[str, str]
    body: bytes = b""


class _Budget:
    """The time left to fetch one URL, shared by its redirect hops, retries, waits and robots.txt."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds until the deadline (negative once it passed)."""
        return self._end - time.monotonic()

    def extend(self, seconds: float) -> None:
        """Move the deadline `seconds` later (time queued behind other fetches is not this one's)."""
        self._end += seconds

    def within(self, seconds: float) -> float:
        """`seconds`, or less when the deadline comes sooner (a socket timeout for the next step)."""
        return max(min(seconds, self.left()), 0.001)

    def check(self, url: str) -> None:
        """Raise `timeout` when the deadline has passed."""
        if self.left() <= 0:
            raise FetchError("timeout", f"{url}: the fetch deadline of {self.seconds:g} s passed")


def _connect_to_any(addresses: Sequence[IPAddress], port: int, timeout: float) -> socket.socket:
    """A TCP connection to the first of `addresses` that accepts one (never resolving a name)."""
    error: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            return socket.create_connection((str(address), port), timeout=timeout)
        except OSError as failed:
            error = failed
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to vetted addresses: the hostname is used only in the Host header."""

    def __init__(self, host: str, port: int, addresses: Sequence[IPAddress], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self) -> None:
        self.sock = _connect_to_any(self._addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to vetted addresses: the hostname is used only in the Host header, SNI and certificate check."""

    def __init__(self, host: str, port: int, addresses: Sequence[IPAddress], timeout: float,
                 context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._addresses = addresses

    def connect(self) -> None:
        sock = _connect_to_any(self._addresses, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _Watchdog:
    """Shuts a connection's socket down when a request outlives its deadline."""

    def __init__(self, sock: socket.socket, seconds: float) -> None:
        self.fired = False
        self._sock = sock
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        """Stop the timer (the request finished in time)."""
        self._timer.cancel()


class _Decoder:
    """Streams a Content-Encoding'd body into bytes, raising `too_large` past `limit` decoded bytes."""

    def __init__(self, encoding: str, limit: int) -> None:
        self._encoding = encoding.strip().lower()
        self._limit = limit
        self._size = 0
        self._zlib: Any = None
        self._brotli: Any = None
        if self._encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self._encoding == "br" and brotli is not None:
            self._brotli = brotli.Decompressor()
        elif self._encoding not in ("", "identity", "deflate"):
            raise FetchError("http_error", f"unsupported Content-Encoding {encoding!r}")

    def feed(self, data: bytes) -> bytes:
        """Decode one raw chunk."""
        if self._encoding == "deflate" and self._zlib is None:
            is_zlib = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] * 256 + data[1]) % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS)
        try:
            if self._zlib is not None:
                return self._feed_zlib(data)
            if self._brotli is not None:
                return self._feed_brotli(data)
        except (zlib.error, getattr(brotli, "error", zlib.error)) as error:
            raise FetchError("http_error", f"corrupt {self._encoding} body: {error}") from error
        return self._count(data)

    def _feed_zlib(self, data: bytes) -> bytes:
        pieces = []
        while data:
            pieces.append(self._count(self._zlib.decompress(data, self._room())))
            data = self._zlib.unconsumed_tail
        return b"".join(pieces)

    def _feed_brotli(self, data: bytes) -> bytes:
        pieces = [self._count(self._brotli.process(data, output_buffer_limit=self._room()))]
        while not self._brotli.can_accept_more_data():
            pieces.append(self._count(self._brotli.process(b"", output_buffer_limit=self._room())))
        return b"".join(pieces)

    def _room(self) -> int:
        return self._limit - self._size + 1

    def _count(self, data: bytes) -> bytes:
        self._size += len(data)
        if self._size > self._limit:
            raise FetchError("too_large", f"body exceeds {self._limit} bytes after decoding")
        return data


def _media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def _check_content_type(content_type: str, accept: Accept) -> None:
    """Raise `not_html` when a 2xx body is not what the caller can use (a missing type is accepted)."""
    media = _media_type(content_type)
    if not media or accept == "robots":
        return
    if accept == "html":
        ok = media in HTML_TYPES
    else:
        ok = media in FEED_TYPES or "xml" in media or media.endswith(("rss", "atom"))
    if not ok:
        wanted = "an HTML page" if accept == "html" else "a feed"
        raise FetchError("not_html", f"content type {media!r} is not {wanted}")


def _error_for_status(status: int, url: str) -> FetchError:
    reason = STATUS_REASONS.get(status) or ("http_5xx" if 500 <= status < 600 else "http_error")
    return FetchError(reason, f"HTTP {status} from {url}", status)


def _retry_after_seconds(value: str | None) -> float | None:
    """Parse Retry-After as delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _request_target(parts: SplitResult) -> str:
    """The path and query as ASCII, percent-encoding anything that is not."""
    target = quote(parts.path or "/", safe="/%!$&'()*+,;=:@-._~")
    if parts.query:
        target += "?" + quote(parts.query, safe="/?%!$&'()*+,;=:@-._~")
    return target


def _host_and_port(parts: SplitResult) -> tuple[str, int]:
    """The IDNA-encoded host and the port (default for the scheme); `connection_error` if unusable."""
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except (UnicodeError, ValueError) as error:
        raise FetchError("connection_error", f"unusable host in {parts.geturl()}: {error}") from error
    return host, port


class Fetcher:
    """Fetches URLs under `FetchSettings`; thread-safe, picklable (caches are rebuilt after unpickling).

    `vet(host, port)` may replace the SSRF check: it returns the addresses the fetcher may connect
    to, or raises BlockedAddressError (tests use it to treat one local name as public). By default
    it is `vetted_addresses(..., allow_private=settings.allow_private_hosts)`.
    """

    def __init__(self, settings: FetchSettings, vet: AddressVet | None = None) -> None:
        self.settings = settings
        self._vet = vet
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._robots: dict[str, tuple[Protego, str]] = {}
        self._ssl: ssl.SSLContext | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings, "vet": self._vet}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["settings"], state["vet"])  # type: ignore[misc]

    def fetch(self, url: str, accept: Accept = "html") -> FetchResponse:
        """GET `url`, following redirects, within `deadline` seconds; the 2xx response, or raise FetchError."""
        return self._fetch(url, accept, _Budget(self.settings.deadline))

    def fetch_many(self, urls: Sequence[str], accept: Accept = "html") -> list[FetchResponse | FetchError]:
        """Fetch `urls` concurrently (`concurrency` threads); results and errors in input order."""
        if not urls:
            return []
        with ThreadPoolExecutor(max_workers=min(self.settings.concurrency, len(urls))) as pool:
            return list(pool.map(lambda url: self.fetch_or_error(url, accept), urls))

    def fetch_or_error(self, url: str, accept: Accept = "html") -> FetchResponse | FetchError:
        """`fetch`, with a `FetchError` returned instead of raised (for thread pools)."""
        try:
            return self.fetch(url, accept)
        except FetchError as error:
            return error

    def _fetch(self, url: str, accept: Accept, budget: _Budget) -> FetchResponse:
        problem = validate_article_url(url)
        if problem:
            raise FetchError("http_error", f"refusing to fetch {url[:200]!r}: {problem}")
        current = without_userinfo(url)
        seen = {current}
        for _ in range(self.settings.max_redirects + 1):
            answer = self._fetch_hop(current, accept, budget)
            if answer.status not in REDIRECT_STATUSES:
                return self._finish(current, answer)
            current = self._redirect_target(current, answer, seen)
        limit = self.settings.max_redirects
        raise FetchError("too_many_redirects", f"more than {limit} redirects from {url}")

    @staticmethod
    def _redirect_target(current: str, answer: _Answer, seen: set[str]) -> str:
        location = answer.headers.get("location", "").strip()
        if not location:
            detail = f"HTTP {answer.status} without Location from {current}"
            raise FetchError("http_error", detail, answer.status)
        target = urljoin(current, location)
        problem = validate_article_url(target)
        if problem:
            detail = f"redirect from {current} to an unusable link: {problem}"
            raise FetchError("http_error", detail, answer.status)
        target = without_userinfo(target)
        if target in seen:
            raise FetchError("too_many_redirects", f"redirect loop back to {target}", answer.status)
        seen.add(target)
        return target

    @staticmethod
    def _finish(url: str, answer: _Answer) -> FetchResponse:
        if not 200 <= answer.status < 300:
            raise _error_for_status(answer.status, url)
        content_type = answer.headers.get("content-type", "")
        return FetchResponse(url, answer.status, content_type, answer.body, answer.headers)

    def _fetch_hop(self, url: str, accept: Accept, budget: _Budget) -> _Answer:
        """One URL without following redirects: SSRF check, robots, then the request with retries.

        A retry whose wait would pass the deadline is not made: the last answer or error stands.
        """
        parts = urlsplit(url)
        host, port = _host_and_port(parts)
        addresses = self._addresses(host, port)
        if accept != "robots" and not self.settings.ignore_robots:
            self._check_robots(parts, budget)
        attempt = 0
        while True:
            budget.check(url)
            try:
                with self._host_slot(host, budget):
                    answer = self._request(parts, (host, port), addresses, accept, budget)
            except FetchError as error:
                if error.reason != "connection_error" or attempt >= self.settings.retries:
                    raise
                delay = self.settings.backoff * 2**attempt
                if delay >= budget.left():
                    raise
            else:
                retryable = answer.status == 429 or 500 <= answer.status < 600
                if not retryable or attempt >= self.settings.retries:
                    return answer
                delay = self._retry_delay(answer, attempt)
                if delay >= budget.left():
                    return answer
            time.sleep(delay)
            attempt += 1

    def _retry_delay(self, answer: _Answer, attempt: int) -> float:
        """Retry-After (capped at max_retry_after) when the server sent one, else exponential backoff."""
        retry_after = _retry_after_seconds(answer.headers.get("retry-after"))
        if retry_after is None:
            return self.settings.backoff * 2**attempt
        return min(retry_after, self.settings.max_retry_after)

    def _addresses(self, host: str, port: int) -> Sequence[IPAddress]:
        """The addresses `host` may be connected to, resolved once; `blocked_private_address` if any is not allowed.

        Every refusal gives the same reason before any packet is sent, so failure reasons never tell
        whether something listens on a refused address.
        """
        try:
            if (host, port) in self.settings.allowed_private_hosts:
                return resolve_host(host, port)
            if self._vet is not None:
                return self._vet(host, port)
            return vetted_addresses(host, port, self.settings.allow_private_hosts)
        except BlockedAddressError as error:
            raise FetchError("blocked_private_address", f"{host}: {error}") from error
        except (OSError, UnicodeError) as error:
            raise FetchError("connection_error", f"cannot resolve {host}: {error}") from error

    @contextlib.contextmanager
    def _host_slot(self, host: str, budget: _Budget) -> Iterator[None]:
        """Hold one of the host's `per_domain_concurrency` request slots; the wait for it is not charged."""
        with self._lock:
            slot = self._slots.get(host)
            if slot is None:
                slot = self._slots[host] = threading.BoundedSemaphore(self.settings.per_domain_concurrency)
        queued = time.monotonic()
        with slot:
            budget.extend(time.monotonic() - queued)
            yield

    def _connection(self, parts: SplitResult, host: str, port: int, addresses: Sequence[IPAddress],
                    timeout: float) -> http.client.HTTPConnection:
        """An open connection to one of the vetted `addresses` (TLS checked against `host` for https)."""
        if parts.scheme == "https":
            with self._lock:
                if self._ssl is None:
                    self._ssl = ssl.create_default_context()
            conn: http.client.HTTPConnection = _PinnedHTTPSConnection(host, port, addresses, timeout, self._ssl)
        else:
            conn = _PinnedHTTPConnection(host, port, addresses, timeout)
        conn.connect()
        return conn

    def _request(self, parts: SplitResult, host_port: tuple[str, int], addresses: Sequence[IPAddress],
                 accept: Accept, budget: _Budget) -> _Answer:
        """One GET on a fresh connection, bounded by the budget; the body is read for 2xx only."""
        try:
            conn = self._connection(parts, *host_port, addresses, budget.within(self.settings.timeout))
        except TimeoutError as error:
            raise FetchError("timeout", f"connecting to {parts.netloc} timed out") from error
        except OSError as error:
            raise FetchError("connection_error", f"cannot connect to {parts.netloc}: {error}") from error
        assert conn.sock is not None
        watchdog = _Watchdog(conn.sock, budget.left())
        try:
            conn.request("GET", _request_target(parts), headers=self._headers(accept))
            response = conn.getresponse()
            headers = {name.lower(): value for name, value in response.getheaders()}
            body = b""
            if 200 <= response.status < 300:
                _check_content_type(headers.get("content-type", ""), accept)
                body = self._read_body(response, headers, accept)
            if watchdog.fired:
                raise TimeoutError
            return _Answer(response.status, headers, body)
        except (OSError, http.client.HTTPException) as error:
            if watchdog.fired or isinstance(error, TimeoutError):
                raise FetchError("timeout", f"{parts.geturl()} did not answer in time") from error
            detail = f"{parts.geturl()}: {type(error).__name__}: {error}"
            raise FetchError("connection_error", detail) from error
        finally:
            watchdog.cancel()
            conn.close()

    def _headers(self, accept: Accept) -> dict[str, str]:
        return {
            "User-Agent": self.settings.user_agent,
            "Accept": ACCEPT_HEADERS[accept],
            "Accept-Encoding": ACCEPT_ENCODING,
            "Accept-Language": "en-US,en;q=0.9",
            "Connection": "close",
        }

    def _read_body(self, response: http.client.HTTPResponse, headers: dict[str, str], accept: Accept
                   ) -> bytes:
        """Stream the body, refusing it past the size limit (announced, raw, or decoded).

        An HTML page's `<script>`/`<style>` content is dropped as it streams in (JSON-LD kept), so
        what is held is the page's markup and text, whatever its inline scripts weigh.
        """
        limit = self.settings.max_body_bytes
        if accept == "robots":
            limit = min(limit, ROBOTS_MAX_BYTES)
        announced = headers.get("content-length", "").strip()
        if announced.isdigit() and int(announced) > limit:
            detail = f"Content-Length {announced} exceeds {limit} bytes"
            raise FetchError("too_large", detail, response.status)
        decoder = _Decoder(headers.get("content-encoding", ""), limit)
        stripper = ScriptStripper() if accept == "html" else None
        pieces, raw_size = [], 0
        while chunk := response.read1(CHUNK_BYTES):
            raw_size += len(chunk)
            if raw_size > limit:
                raise FetchError("too_large", f"body exceeds {limit} bytes", response.status)
            decoded = decoder.feed(chunk)
            pieces.append(stripper.feed(decoded) if stripper else decoded)
        if stripper:
            pieces.append(stripper.finish())
        return b"".join(pieces)

    def _check_robots(self, parts: SplitResult, budget: _Budget) -> None:
        """Raise `robots_disallowed` when the origin's robots.txt forbids this URL."""
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            cached = self._robots.get(origin)
        if cached is None:
            cached = self._load_robots(origin, budget)
            with self._lock:
                self._robots[origin] = cached
        rules, note = cached
        if not rules.can_fetch(parts.geturl(), ROBOTS_AGENT):
            raise FetchError("robots_disallowed", f"{origin}/robots.txt {note} {parts.path or '/'}")

    def _load_robots(self, origin: str, budget: _Budget) -> tuple[Protego, str]:
        """Read robots.txt (RFC 9309): 4xx but 429, or redirect trouble, allow all; unreachable disallows.

        It is read within the budget of the fetch that needs it; when that budget runs out first,
        the fetch ends as `timeout` and nothing is cached, so the origin is asked again next time.
        """
        try:
            response = self._fetch(f"{origin}/robots.txt", "robots", budget)
        except FetchError as error:
            status = error.http_status or 0
            client_error = 400 <= status < 500 and status != 429
            if client_error or error.reason == "too_many_redirects":
                return Protego.parse(""), "allows"
            if error.reason == "timeout" and budget.left() <= 0:
                raise
            note = f"could not be read ({error.reason}), so everything is disallowed, including"
            return Protego.parse("User-agent: *\nDisallow: /\n"), note
        return Protego.parse(response.body.decode("utf-8", errors="replace")), "disallows"
