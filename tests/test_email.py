"""`finsent email`: the message a real SMTP server (aiosmtpd on 127.0.0.1) receives."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

import lxml.html
import pytest
from aiosmtpd.controller import Controller
from helpers import shipped, shown_as
from processes import free_port

from finsent.cli import main
from reports.mail import parse_address
from reports.render import LICENCE_NOTE
from reports.smtp import MailError, smtp_settings

if TYPE_CHECKING:
    from helpers import DemoData


PASSWORD = "s3cret-Pa55word"


class Inbox:
    """aiosmtpd handler keeping every message; answers `reply` to DATA."""

    def __init__(self, reply: str = "250 OK") -> None:
        self.reply = reply
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.reply.startswith("250"):
            message = email.message_from_bytes(envelope.content, policy=policy.default)
            self.messages.append((list(envelope.rcpt_tos), message))
        return self.reply


@contextmanager
def smtp_server(reply: str) -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1 while the block runs."""
    inbox, port = Inbox(reply), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def server() -> Iterator[tuple[Inbox, int]]:
    with smtp_server("250 OK") as running:
        yield running


@pytest.fixture
def rejecting_server() -> Iterator[tuple[Inbox, int]]:
    with smtp_server("554 5.7.1 Message rejected: spam score too high") as running:
        yield running


def send_args(demo_data: DemoData, out: Path, port: int, *extra: str) -> list[str]:
    return ["email", "--data", str(demo_data.data), "--out", str(out), "--to", "desk@example.com",
            "--to", "risk@example.com", "--from", "finsent@example.com", "--smtp-host", "127.0.0.1",
            "--smtp-port", str(port), "--smtp-security", "none", *extra]


@pytest.fixture(scope="module")
def received(demo_data: DemoData, reports_out: Path) -> tuple[list[str], EmailMessage]:
    with smtp_server("250 OK") as (inbox, port):
        assert main(send_args(demo_data, reports_out, port)) == 0
    assert len(inbox.messages) == 1
    return inbox.messages[0]


def test_message_is_text_and_html_with_inline_chart_images(received):
    recipients, message = received
    assert recipients == ["desk@example.com", "risk@example.com"]
    assert message.get_content_type() == "multipart/alternative"
    text, related = message.get_payload()
    assert text.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, *images = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    assert len(images) == 4  # trend, sources, tags, labels: by feed would repeat by source
    html = html_part.get_content()
    referenced = set(re.findall(r'src="cid:([^"]+)"', html))
    attached = {image["Content-ID"].strip("<>") for image in images}
    assert referenced == attached
    for image in images:
        assert image.get_content_type() == "image/png"
        assert image.get_content_disposition() == "inline"
        assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"


def test_html_has_inline_styles_only_and_no_script(received, demo_data: DemoData):
    html = received[1].get_payload()[1].get_payload()[0].get_content()
    assert "<script" not in html.lower() and "<style" not in html.lower()
    assert "data:image" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count('style="') > 50


def test_subject_has_net_sentiment_top_mover_and_drift_status_as_the_queries_say(received,
                                                                                 demo_data: DemoData):
    day = next(row for row in shipped(demo_data.data, "sentiment_trend", run_date=demo_data.date)
               if row["day"] == demo_data.date)
    top = shipped(demo_data.data, "movers", run_date=demo_data.date)[0]
    words = received[1]["Subject"].split(" · ")
    assert words[0] == f"finsent {demo_data.date}" and words[3:] == ["40 articles", "no drift"]
    net, change = re.fullmatch(r"net (\S+) \(change vs 7 days (\S+)\)", words[1]).groups()
    assert shown_as(net, day["net_sentiment"]) and shown_as(change, day["change"])
    mover, moved = re.fullmatch(r"top mover (\S+) (\S+)", words[2]).groups()
    assert mover == top["mover"] and shown_as(moved, top["change"])


def test_both_parts_carry_the_licence_note_and_the_movers(received):
    text = received[1].get_payload()[0].get_content()
    html = received[1].get_payload()[1].get_payload()[0].get_content()
    assert LICENCE_NOTE in text and LICENCE_NOTE in " ".join(lxml.html.fromstring(html).text_content().split())
    assert "Movers (net sentiment" in text and 'id="movers"' in html


def test_plain_text_part_carries_the_headline_and_hostile_title_verbatim(received, demo_data: DemoData):
    text = received[1].get_payload()[0].get_content()
    assert "Articles        40" in text
    assert demo_data.xss_title in text  # plain text is never rendered as HTML


def test_failed_send_exits_non_zero_with_the_smtp_error_and_no_password(
        demo_data: DemoData, reports_out: Path, rejecting_server, capsys, monkeypatch):
    monkeypatch.setenv("FINSENT_SMTP_PASSWORD", PASSWORD)
    _, port = rejecting_server
    assert main(send_args(demo_data, reports_out, port)) == 1
    err = capsys.readouterr().err
    assert "554" in err and "spam score too high" in err
    monkeypatch.setenv("FINSENT_SMTP_USER", "reporter")
    assert main(send_args(demo_data, reports_out, port)) == 1
    err = capsys.readouterr().err
    assert "AUTH" in err and PASSWORD not in err


def test_addresses_with_line_breaks_cannot_inject_headers(demo_data: DemoData, reports_out: Path, server,
                                                          capsys):
    inbox, port = server
    args = send_args(demo_data, reports_out, port)
    args[args.index("desk@example.com")] = "desk@example.com\r\nBcc: thief@example.net"
    assert main(args) == 1
    assert "is not a single email address" in capsys.readouterr().err
    assert inbox.messages == []
    with pytest.raises(MailError):
        parse_address("a@example.com, b@example.com", "recipient")


def test_settings_come_from_the_environment_and_password_only_from_there():
    env = {"FINSENT_SMTP_HOST": "mail.example.com", "FINSENT_SMTP_SECURITY": "ssl",
           "FINSENT_MAIL_FROM": "finsent@example.com", "FINSENT_SMTP_USER": "u", "FINSENT_SMTP_PASSWORD": PASSWORD}
    settings = smtp_settings(environ=env)
    assert (settings.host, settings.port, settings.security, settings.user) == ("mail.example.com", 465, "ssl", "u")
    assert settings.password == PASSWORD and PASSWORD not in repr(settings)
    with pytest.raises(MailError, match="SMTP security 'tls'"):
        smtp_settings(environ={**env, "FINSENT_SMTP_SECURITY": "tls"})
    with pytest.raises(MailError, match="no SMTP host"):
        smtp_settings(environ={"FINSENT_MAIL_FROM": "a@example.com"})
