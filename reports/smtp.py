"""SMTP settings of `finsent email` from options and FINSENT_* variables, checked all at once and cheaply.

Importing this module loads nothing heavy, so `finsent email` reports every missing setting
before it reads any data or imports pandas. The password comes only from `FINSENT_SMTP_PASSWORD`
and is never logged or shown.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from finsent.errors import FinsentError

SECURITY_MODES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


class MailError(FinsentError):
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
    """Settings from explicit options, falling back to the FINSENT_* environment variables.

    Raises one `MailError` that lists every missing or invalid setting.
    """
    env = os.environ if environ is None else environ
    problems = []
    security = (security or env.get("FINSENT_SMTP_SECURITY") or "starttls").lower()
    if security not in SECURITY_MODES:
        problems.append(f"SMTP security {security!r}: use one of {', '.join(SECURITY_MODES)}")
    host = host or env.get("FINSENT_SMTP_HOST")
    if not host:
        problems.append("no SMTP host: pass --smtp-host or set FINSENT_SMTP_HOST")
    raw_port = port if port is not None else env.get("FINSENT_SMTP_PORT") or DEFAULT_PORTS.get(security, 25)
    try:
        port = int(raw_port)
    except ValueError:
        problems.append(f"SMTP port {raw_port!r} is not a number")
    sender = sender or env.get("FINSENT_MAIL_FROM")
    if not sender:
        problems.append("no sender address: pass --from or set FINSENT_MAIL_FROM")
    user = user or env.get("FINSENT_SMTP_USER") or None
    password = env.get("FINSENT_SMTP_PASSWORD") or None
    if user and not password:
        problems.append("FINSENT_SMTP_USER is set but FINSENT_SMTP_PASSWORD is not")
    if problems:
        raise MailError("; ".join(problems))
    return SmtpSettings(host, port, security, sender, user, password)  # type: ignore[arg-type]
