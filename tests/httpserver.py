"""The tests' HTTP server: the shared `FakeSite` plus the faults only tests serve (trickles, resets, bombs).

    with LocalSite() as site:
        site.add("/page", b"<html>...</html>")
        site.add_sequence("/flaky", [Reply(status=503), Reply(b"ok")])
        fetcher.fetch(site.url("/flaky"))
        assert site.hits("/flaky") == 2

See `finsent_demo.fakesite` for the server itself (127.0.0.1, port 0, per-path hit counts and
per-Host concurrency, so `127.0.0.1` and `localhost` are two "domains").
"""

from __future__ import annotations

import gzip
import zlib

from finsent_demo.fakesite import NOT_FOUND, FakeSite, Reply

__all__ = ["NOT_FOUND", "LocalSite", "Reply"]


class LocalSite(FakeSite):
    """A `FakeSite` on 127.0.0.1 (HTTP/1.0) with helpers for misbehaving replies."""

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
