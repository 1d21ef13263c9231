"""The daily report in real headless Chromium: it renders, and hostile titles stay text."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import lxml.html
import matplotlib.image
import pytest
from helpers import chromium_binary

if TYPE_CHECKING:
    from helpers import DemoData


WIDTH, HEIGHT = 1280, 2400


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    """Run Debian's headless Chromium offline (skipped without it, required when CI=true)."""
    binary = chromium_binary()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}"]
    return subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture(scope="module")
def report_url(reports_out: Path, demo_data: DemoData) -> str:
    return (reports_out / f"finsent-report-{demo_data.date}.html").as_uri()


def test_screenshot_is_a_full_rendered_page(report_url: str, tmp_path: Path):
    shot = tmp_path / "report.png"
    chromium(f"--screenshot={shot}", report_url, profile=tmp_path / "profile")
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (WIDTH, HEIGHT)
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.std() > 0.05  # not a blank page
    # the report's colours are on screen: green (positive) and dark text
    assert ((pixels[..., 1] > 0.4) & (pixels[..., 0] < 0.2) & (pixels[..., 2] < 0.3)).sum() > 500
    assert (pixels.max(axis=-1) < 0.25).sum() > 5000


def test_hostile_title_is_shown_as_text_not_run(report_url: str, demo_data: DemoData, tmp_path: Path):
    dom = chromium("--dump-dom", report_url, profile=tmp_path / "profile").stdout
    page = lxml.html.fromstring(dom)
    assert page.xpath("//script") == []
    assert demo_data.xss_title in [a.text_content() for a in page.xpath("//a")]
    assert demo_data.xss_sentence in page.text_content()
    assert page.xpath("//img[@src='x']") == []
    assert len(page.xpath("//img[starts-with(@src, 'data:image/png;base64,')]")) == 4


def test_without_chromium_these_tests_skip_with_a_reason_but_fail_under_ci(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium is not installed"):
        chromium_binary()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required when CI=true"):
        chromium_binary()
