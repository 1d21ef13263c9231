"""Renders the daily report, the drift summary and the email bodies from jinja2 templates.

Every HTML template is autoescaped: titles and sentences are scraped, untrusted text. Styles are
written inline on the elements (from `STYLES`), because mail clients drop `<style>` blocks; the
same template serves the standalone page (images as data: URIs) and the email (cid: images).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reports.charts import NEGATIVE, NEUTRAL, POSITIVE, tone
from reports.daily import DailyReport
from reports.drift import DriftSummary, status_phrase
from reports.movers import MIN_MOVER_ARTICLES, MIN_MOVER_SENTENCES

TEMPLATES = Path(__file__).resolve().parent / "templates"
FONT = "-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif"
STATUS_COLOURS = {"ok": POSITIVE, "insufficient": "#6e7781", "warning": "#9a6700", "drift": NEGATIVE}
LICENCE_NOTE = ("Licence: the shipped model's weights are for non-commercial use only (trained on Financial "
                "PhraseBank, CC BY-NC-SA 3.0; see model/artifacts/MODEL_CARD.md).")
STYLES = {
    "body": f"margin:0;padding:0;background:#f6f8fa;font-family:{FONT};color:#1f2328;",
    "page": "max-width:760px;margin:0 auto;padding:20px 24px;background:#ffffff;",
    "h1": "font-size:20px;margin:0 0 2px 0;font-weight:600;",
    "sub": "font-size:12px;color:#59636e;margin:0 0 16px 0;",
    "h2": "font-size:14px;margin:24px 0 8px 0;padding-bottom:4px;border-bottom:1px solid #d8dee4;"
          "font-weight:600;text-transform:uppercase;letter-spacing:0.04em;color:#59636e;",
    "kpis": "margin:0 0 4px 0;font-size:0;",
    "kpi": "display:inline-block;box-sizing:border-box;width:136px;min-height:116px;margin:0 6px 6px 0;"
           "background:#f6f8fa;border:1px solid #d8dee4;border-radius:6px;padding:8px 10px;vertical-align:top;",
    "kpi_label": "font-size:11px;color:#59636e;text-transform:uppercase;letter-spacing:0.03em;",
    "kpi_value": "font-size:20px;font-weight:600;font-variant-numeric:tabular-nums;",
    "kpi_note": "font-size:11px;color:#59636e;",
    "table": "width:100%;border-collapse:collapse;font-size:12px;margin:4px 0 8px 0;",
    "th": "text-align:left;padding:4px 6px;border-bottom:1px solid #d8dee4;color:#59636e;font-weight:600;",
    "thn": "text-align:right;padding:4px 6px;border-bottom:1px solid #d8dee4;color:#59636e;font-weight:600;",
    "td": "padding:3px 6px;border-bottom:1px solid #eaeef2;",
    "tdn": "padding:3px 6px;border-bottom:1px solid #eaeef2;text-align:right;"
           "font-variant-numeric:tabular-nums;white-space:nowrap;",
    "img": "display:block;width:100%;max-width:712px;height:auto;margin:4px 0 8px 0;border:0;",
    "article": "padding:8px 0;border-bottom:1px solid #eaeef2;",
    "title": "font-size:14px;font-weight:600;color:#0969da;text-decoration:none;",
    "meta": "font-size:11px;color:#59636e;",
    "evidence": "font-size:12px;margin:4px 0 0 0;padding:2px 0 2px 8px;border-left:3px solid #d8dee4;",
    "badge": "display:inline-block;padding:1px 6px;border-radius:10px;font-size:11px;font-weight:600;"
             "color:#ffffff;",
    "note": "font-size:12px;color:#59636e;",
    "footer": "font-size:11px;color:#59636e;margin-top:24px;padding-top:8px;border-top:1px solid #d8dee4;",
}


def signed(value: float | None, digits: int = 3) -> str:
    """`+0.123` / `−0.045` (typographic minus), or an en dash when missing."""
    if value is None:
        return "–"
    return f"{'+' if value >= 0 else '−'}{abs(value):.{digits}f}"


def colour(value: float | None) -> str:
    """CSS colour of a signed value: green positive, red negative, grey otherwise."""
    return tone(value)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 source`, `4 sources`, `2 stories` (pass `plural_form` where adding an s is wrong)."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"


def drift_phrase(summary: DriftSummary | None) -> str:
    """The drift status in words, for the report's subtitle and the email (see `status_phrase`)."""
    return status_phrase(summary.status if summary is not None else None)


def when(value: dt.datetime | dt.date | None) -> str:
    """A timestamp as `YYYY-MM-DD HH:MM UTC` (dates as `YYYY-MM-DD`); an en dash when missing."""
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def environment() -> Environment:
    """The jinja2 environment: HTML templates autoescaped, undefined names are errors."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html", "html.j2"),
                                                   default_for_string=True, default=False),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(signed=signed, colour=colour, when=when, plural=plural, drift_phrase=drift_phrase)
    env.globals.update(S=STYLES, STATUS_COLOURS=STATUS_COLOURS, NEUTRAL=NEUTRAL, LICENCE_NOTE=LICENCE_NOTE,
                       MIN_MOVER_SENTENCES=MIN_MOVER_SENTENCES, MIN_MOVER_ARTICLES=MIN_MOVER_ARTICLES,
                       LABEL_COLOURS={"negative": NEGATIVE, "neutral": NEUTRAL, "positive": POSITIVE})
    return env


def data_uri(png: bytes) -> str:
    """A PNG as a `data:` URI, for the standalone page."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_daily_html(report: DailyReport, drift: DriftSummary | None, image_src: Callable[[str], str],
                      evidently_link: str | None = None) -> str:
    """The daily report as HTML; `image_src(name)` gives each chart's src (data: or cid:)."""
    return environment().get_template("daily.html.j2").render(
        r=report, h=report.headline, drift=drift, image=image_src, evidently_link=evidently_link)


def render_daily_text(report: DailyReport, drift: DriftSummary | None) -> str:
    """The plain-text alternative of the email."""
    return environment().get_template("daily.txt.j2").render(r=report, h=report.headline, drift=drift)


def render_drift_html(summary: DriftSummary) -> str:
    """The compact drift summary as a standalone HTML page."""
    return environment().get_template("drift.html.j2").render(drift=summary)
