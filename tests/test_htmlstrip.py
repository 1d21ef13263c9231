"""Dropping script and style content from HTML as it streams: same result however the bytes are cut."""

from __future__ import annotations

import pytest

from pipelines.htmlstrip import LD_JSON_MAX_BYTES, ScriptStripper

PAGE = (b'<html><head><SCRIPT>var a = "</scr" + "ipt>";</SCRIPT><style>p { color: red }</style>'
        b'<script type="application/ld+json">{"headline": "H", "author": "A"}</script>'
        b'<script src="app.js"></script><scripts>not a script</scripts></head>'
        b'<body><p>Shares rose <b>3%</b>.</p><script>' + b"x" * 100_000 + b'</script><p>The end.</p></body></html>')
STRIPPED = (b'<html><head><SCRIPT></SCRIPT><style></style>'
            b'<script type="application/ld+json">{"headline": "H", "author": "A"}</script>'
            b'<script src="app.js"></script><scripts>not a script</scripts></head>'
            b'<body><p>Shares rose <b>3%</b>.</p><script></script><p>The end.</p></body></html>')


def stripped(data: bytes, chunk: int) -> bytes:
    stripper = ScriptStripper()
    pieces = [stripper.feed(data[start:start + chunk]) for start in range(0, len(data), chunk)]
    return b"".join(pieces) + stripper.finish()


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 8, 9, 64, 65_536, len(PAGE)])
def test_script_and_style_content_goes_however_the_stream_is_cut(chunk: int) -> None:
    assert stripped(PAGE, chunk) == STRIPPED


def test_an_oversized_json_ld_is_dropped_like_any_script() -> None:
    page = b'<script type="application/ld+json">' + b" " * (LD_JSON_MAX_BYTES + 1) + b'</script><p>x</p>'
    assert stripped(page, 4096) == b'<script type="application/ld+json"></script><p>x</p>'


def test_an_unclosed_script_drops_the_rest_and_text_without_scripts_is_unchanged() -> None:
    assert stripped(b"<p>a</p><script>var x = 1;", 5) == b"<p>a</p><script>"
    plain = "<p>Prix: 3 € — «citation» <scrip></p>".encode("cp1252")
    assert stripped(plain, 3) == plain
