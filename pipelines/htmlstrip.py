"""ScriptStripper: drops `<script>`/`<style>` content from an HTML byte stream while it arrives.

News pages carry megabytes of inline JavaScript and JSON (app state, ads, analytics) that no
extractor reads. Dropping it chunk by chunk keeps a big page's memory to its markup and text, and
makes extraction faster. The elements themselves stay, empty, so the document keeps its shape.
JSON-LD (`<script type="application/ld+json">`) is kept up to `LD_JSON_MAX_BYTES` per element:
extractors read the headline, authors and publication date from it.

Works on bytes, so any ASCII-compatible encoding passes through unchanged; in others (UTF-16)
nothing matches and nothing is dropped.
"""

from __future__ import annotations

import re

LD_JSON_MAX_BYTES = 256_000
"""A JSON-LD element larger than this is dropped like any other script (real ones are a few kB)."""
_OPEN_TAG_MAX_BYTES = 4096
"""An opening `<script` whose `>` does not come within this many bytes is passed on as text."""
_OPENING_RE = re.compile(rb"<(script|style)(?=[\s>/])", re.IGNORECASE)
_LD_JSON_RE = re.compile(rb"""type\s*=\s*["']?application/ld\+json""", re.IGNORECASE)
_CLOSINGS = {b"script": re.compile(rb"</script", re.IGNORECASE), b"style": re.compile(rb"</style", re.IGNORECASE)}
_HOLD_BACK = len(b"</script") - 1
"""Bytes kept back at a chunk's end, where a tag may be cut in two."""


class ScriptStripper:
    """Feed HTML in chunks (`feed`), then `finish`; the bytes returned are the page without script content.

    Holds at most one opening tag, a few bytes of a chunk's end, and one JSON-LD element.
    """

    def __init__(self) -> None:
        self._pending = b""
        self._inside: bytes | None = None  # b"script" or b"style" while inside one
        self._kept: bytearray | None = None  # the content of a JSON-LD element, while it is kept

    def feed(self, data: bytes) -> bytes:
        """The bytes of `data` (after what came before) that are certainly outside script/style content."""
        self._pending += data
        out = bytearray()
        while self._pending:
            progressed = self._step_inside(out) if self._inside else self._step_outside(out)
            if not progressed:
                break
        return bytes(out)

    def finish(self) -> bytes:
        """What is left at the end of the body (an unclosed script's content is dropped)."""
        rest = b"" if self._inside else self._pending
        self._pending, self._inside, self._kept = b"", None, None
        return rest

    def _step_outside(self, out: bytearray) -> bool:
        match = _OPENING_RE.search(self._pending)
        if match is None:
            cut = max(len(self._pending) - _HOLD_BACK, 0)
            out += self._pending[:cut]
            self._pending = self._pending[cut:]
            return False
        end = self._pending.find(b">", match.end())
        if end < 0:
            if len(self._pending) - match.start() <= _OPEN_TAG_MAX_BYTES:
                out += self._pending[:match.start()]
                self._pending = self._pending[match.start():]
                return False
            end = match.end() - 1  # not a tag we can read: pass "<script" on as text
            out += self._pending[:end + 1]
            self._pending = self._pending[end + 1:]
            return True
        tag = self._pending[match.start():end + 1]
        out += self._pending[:end + 1]
        self._pending = self._pending[end + 1:]
        self._inside = match.group(1).lower()  # "<script/>" opens one too (HTML has no self-closing script)
        keep = self._inside == b"script" and _LD_JSON_RE.search(tag) is not None
        self._kept = bytearray() if keep else None
        return True

    def _step_inside(self, out: bytearray) -> bool:
        assert self._inside is not None
        match = _CLOSINGS[self._inside].search(self._pending)
        cut = match.start() if match else max(len(self._pending) - _HOLD_BACK, 0)
        self._take_content(self._pending[:cut])
        self._pending = self._pending[cut:]
        if match is None:
            return False
        if self._kept is not None:
            out += self._kept
        self._inside, self._kept = None, None
        return True

    def _take_content(self, content: bytes) -> None:
        """Keep JSON-LD content while it stays under its limit; drop everything else."""
        if self._kept is None:
            return
        if len(self._kept) + len(content) <= LD_JSON_MAX_BYTES:
            self._kept += content
        else:
            self._kept = None
