"""Builds the daily report email (plain text + HTML with inline CID charts) and sends it over SMTP.

SMTP settings come from options or the environment (`FINSENT_SMTP_HOST`, `FINSENT_SMTP_PORT`,
`FINSENT_SMTP_USER`, `FINSENT_SMTP_SECURITY` = none / starttls / ssl, `FINSENT_MAIL_FROM`); the
password only from `FINSENT_SMTP_PASSWORD`, and it is never logged or shown.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

from reports.daily import DailyReport
from reports.drift import DriftSummary
from reports.render import render_daily_html, render_daily_text, signed

SECURITY_MODES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


class MailError(RuntimeError):
    """The email could not be built or sent; the message says why (never the password)."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send; `password` is read from the environment only."""

    host: str
    port: int
    security: str
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0


def smtp_settings(host: str | None = None, port: int | None = None, security: str | None = None,
                  sender: str | None = None, user: str | None = None,
                  environ: dict[str, str] | None = None) -> SmtpSettings:
    """Settings from explicit options, falling back to the FINSENT_* environment variables."""
    env = os.environ if environ is None else environ
    security = (security or env.get("FINSENT_SMTP_SECURITY") or "starttls").lower()
    if security not in SECURITY_MODES:
        raise MailError(f"SMTP security {security!r}: use one of {', '.join(SECURITY_MODES)}")
    host = host or env.get("FINSENT_SMTP_HOST")
    if not host:
        raise MailError("no SMTP host: pass --smtp-host or set FINSENT_SMTP_HOST")
    raw_port = port if port is not None else env.get("FINSENT_SMTP_PORT") or DEFAULT_PORTS[security]
    try:
        port = int(raw_port)
    except ValueError as error:
        raise MailError(f"SMTP port {raw_port!r} is not a number") from error
    sender = sender or env.get("FINSENT_MAIL_FROM")
    if not sender:
        raise MailError("no sender address: pass --from or set FINSENT_MAIL_FROM")
    return SmtpSettings(host, port, security, sender, user or env.get("FINSENT_SMTP_USER") or None,
                        env.get("FINSENT_SMTP_PASSWORD") or None)


def parse_address(value: str, what: str) -> Address:
    """One email address; refuses line breaks and anything that is not a single addr-spec."""
    if re.search(r"[\r\n]", value) or not re.fullmatch(r"[^\s@<>,;\"]+@[^\s@<>,;\"]+", value.strip()):
        raise MailError(f"{what} {value!r} is not a single email address")
    try:
        return Address(addr_spec=value.strip())
    except (ValueError, IndexError) as error:
        raise MailError(f"{what} {value!r} is not a valid email address: {error}") from error


def one_line(text: str) -> str:
    """Collapse every run of whitespace (line breaks included) to one space: header-safe."""
    return " ".join(text.split())


def subject(report: DailyReport, drift: DriftSummary | None) -> str:
    """`finsent 2026-11-23 · net +0.123 (Δ7d −0.010) · 40 articles · drift ok`."""
    status = drift.status if drift is not None else "n/a"
    return one_line(f"finsent {report.date.isoformat()} · net {signed(report.headline.net_sentiment)} "
                    f"(Δ7d {signed(report.headline.change)}) · {report.headline.articles} articles · "
                    f"drift {status}")


def build_message(report: DailyReport, drift: DriftSummary | None, charts: dict[str, bytes],
                  sender: str, recipients: list[str]) -> EmailMessage:
    """multipart/alternative: plain text, then multipart/related (HTML + the charts as CID PNGs)."""
    if not recipients:
        raise MailError("no recipient: pass --to ADDRESS")
    domain = parse_address(sender, "sender").domain
    cids = {name: make_msgid(idstring=name, domain=domain) for name in charts}
    message = EmailMessage()
    message["Subject"] = subject(report, drift)
    message["From"] = parse_address(sender, "sender")
    message["To"] = [parse_address(address, "recipient") for address in recipients]
    message.set_content(render_daily_text(report, drift))
    html = render_daily_html(report, drift, lambda name: "cid:" + cids[name][1:-1])
    message.add_alternative(html, subtype="html")
    html_part = message.get_payload()[1]
    for name, png in charts.items():
        html_part.add_related(png, maintype="image", subtype="png", cid=cids[name],
                              filename=f"{name}.png", disposition="inline")
    return message


def send(message: EmailMessage, settings: SmtpSettings) -> None:
    """Send over SMTP as `settings` say; raises MailError with the server's error on failure."""
    try:
        if settings.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.user:
                if not settings.password:
                    raise MailError("FINSENT_SMTP_USER is set but FINSENT_SMTP_PASSWORD is not")
                client.login(settings.user, settings.password)
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(f"sending to {settings.host}:{settings.port} ({settings.security}) failed: "
                        f"{error}") from error
