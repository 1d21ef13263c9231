"""Builds the daily report email (plain text + HTML with inline CID charts) and sends it over SMTP.

SMTP settings (`reports/smtp.py`) come from options or the environment (`FINSENT_SMTP_HOST`,
`FINSENT_SMTP_PORT`, `FINSENT_SMTP_USER`, `FINSENT_SMTP_SECURITY` = none / starttls / ssl,
`FINSENT_MAIL_FROM`); the password only from `FINSENT_SMTP_PASSWORD`, never logged or shown.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

from reports.daily import DailyReport
from reports.drift import DriftSummary
from reports.render import drift_phrase, render_daily_html, render_daily_text, signed
from reports.smtp import MailError, SmtpSettings


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
    """`finsent 2026-11-23 · net +0.123 (change vs 7 days −0.010) · top mover ACME −0.420 · 40 articles · no drift`."""
    mover = report.movers[0] if report.movers else None
    moved = f"top mover {mover.key} {signed(mover.change)}" if mover else "no mover"
    return one_line(f"finsent {report.date.isoformat()} · net {signed(report.headline.net_sentiment)} "
                    f"(change vs 7 days {signed(report.headline.change)}) · {moved} · "
                    f"{report.headline.articles} articles · {drift_phrase(drift)}")


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


def _starttls(client: smtplib.SMTP, settings: SmtpSettings) -> None:
    try:
        client.starttls(context=ssl.create_default_context())
    except (smtplib.SMTPException, ssl.SSLError) as error:
        raise MailError(f"STARTTLS with {settings.host}:{settings.port} failed: {error}; for a server without "
                        f"TLS pass --smtp-security none (or set FINSENT_SMTP_SECURITY=none), for TLS from the "
                        f"first byte --smtp-security ssl") from error


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
                _starttls(client, settings)
            if settings.user:
                client.login(settings.user, settings.password)
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(f"sending to {settings.host}:{settings.port} ({settings.security}) failed: "
                        f"{error}") from error
