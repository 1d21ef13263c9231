"""`finsent report`, `finsent drift` and `finsent email`, and the report step of `finsent run --report`.

Each reads the local Parquet output (`--data`) or the BigQuery dataset (`--bigquery_dataset`).

Heavy imports (pandas, matplotlib, evidently) happen inside the handlers, so registering these
commands costs nothing and a Beam worker never loads evidently.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING

from finsent.constants import DEFAULT_OUTPUT
from finsent.errors import EXIT_DRIFT, FinsentError

if TYPE_CHECKING:
    from reports.data import ResultsSource

DEFAULT_REPORTS = "./finsent-reports"


def _add_common(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data", default=None,
                       help=f"the pipeline's output: a folder or gs://bucket/prefix (default {DEFAULT_OUTPUT})")
    where.add_argument("--bigquery_dataset", default=None, metavar="PROJECT:DATASET",
                       help="read the BigQuery tables of the pipeline's --bigquery_dataset instead")
    parser.add_argument("--out", default=DEFAULT_REPORTS, help=f"where to write (default {DEFAULT_REPORTS})")
    parser.add_argument("--date", default=None, help="YYYY-MM-DD run date (default: the latest in the data)")


def _add_watchlist(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--watchlist", default=None, metavar="FILE",
                        help="tickers (one or more a line, # comments) shown first, with every article naming them")


def add_report_commands(commands: argparse._SubParsersAction) -> None:
    """Register `report`, `drift` and `email`."""
    report = commands.add_parser("report", help="write the daily HTML report of one run date")
    _add_common(report)
    _add_watchlist(report)
    report.add_argument("--email_to", "--email-to", action="append", default=[], metavar="ADDRESS",
                        help="first write the drift summary, then email the report to ADDRESS (repeatable; "
                             "SMTP settings from FINSENT_* env): the cloud loop's last step")
    report.set_defaults(handler=run_report)

    drift = commands.add_parser("drift", help="drift of one day vs the model's training data or trailing days")
    _add_common(drift)
    drift.add_argument("--reference", choices=("training", "trailing"), default="training",
                       help="compare with the training distribution shipped with the model (default) "
                            "or with the trailing --days")
    drift.add_argument("--days", type=int, default=7, help="trailing days compared with (default 7)")
    drift.add_argument("--reference-file", default=None,
                       help="reference_predictions.parquet to use (default: the shipped model's)")
    drift.add_argument("--fail-on-drift", action="store_true",
                       help=f"exit {EXIT_DRIFT} when the status is drift (summary still written)")
    drift.set_defaults(handler=run_drift)

    email = commands.add_parser("email", help="email the daily report (SMTP settings: options or FINSENT_* env)")
    _add_common(email)
    _add_watchlist(email)
    add_email_options(email)
    email.set_defaults(handler=run_email)


def add_email_options(parser: argparse.ArgumentParser) -> None:
    """--to, --from and the SMTP options (the password comes only from FINSENT_SMTP_PASSWORD)."""
    parser.add_argument("--to", action="append", required=True, metavar="ADDRESS",
                        help="recipient (repeat for several)")
    parser.add_argument("--from", dest="sender", default=None, help="sender (default $FINSENT_MAIL_FROM)")
    parser.add_argument("--smtp-host", default=None, help="default $FINSENT_SMTP_HOST")
    parser.add_argument("--smtp-port", type=int, default=None,
                        help="default $FINSENT_SMTP_PORT, else 25 / 587 / 465 by security")
    parser.add_argument("--smtp-user", default=None, help="default $FINSENT_SMTP_USER")
    parser.add_argument("--smtp-security", default=None, choices=("none", "starttls", "ssl"),
                        help="default $FINSENT_SMTP_SECURITY, else starttls")


def output_folder(out: str, create: bool = True) -> Path:
    """The `--out` folder, created if needed (unless `create` is false: only checked, so a command
    refused later writes nothing); a clear error when it is a file or cannot be created."""
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise FinsentError(f"--out {out}: is a file, not a folder")
    if not create:
        return folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FinsentError(f"--out {out}: cannot create the folder ({error.strerror or error})") from error
    return folder


def report_path(out: Path, date: dt.date) -> Path:
    """Where `finsent report` writes the page of `date`."""
    return out / f"finsent-report-{date.isoformat()}.html"


def write_report(source: ResultsSource, out: str, date: str | None, watchlist: str | None = None) -> Path:
    """Write the standalone daily report (charts as data: URIs); includes the drift summary if any."""
    from reports.charts import render_charts
    from reports.daily import build_daily_report
    from reports.data import resolve_date
    from reports.drift import load_summary
    from reports.movers import load_watchlist
    from reports.render import data_uri, render_daily_html

    tickers = load_watchlist(watchlist) if watchlist else ()
    folder = output_folder(out)
    day = resolve_date(source, date)
    report = build_daily_report(source, day, tickers)
    charts = render_charts(report)
    drift = load_summary(folder, day)
    link = drift.evidently_html if drift is not None and drift.evidently_html else None
    html = render_daily_html(report, drift, lambda name: data_uri(charts[name]), evidently_link=link)
    path = report_path(folder, day)
    path.write_text(html, encoding="utf-8")
    return path


def write_drift(source: ResultsSource, out: str, date: str | None, reference: str = "training", days: int = 7,
                reference_file: str | None = None) -> tuple[Path, str]:
    """Run the drift checks; write the JSON + HTML summary and evidently's full HTML.

    Returns the JSON summary's path and the status.
    """
    from reports.data import resolve_date
    from reports.drift import TRAINING_REFERENCE, compute_drift, reference_kind, summary_path
    from reports.render import render_drift_html

    folder = output_folder(out)
    day = resolve_date(source, date)
    path = summary_path(folder, day, reference_kind(reference, days))
    summary = compute_drift(source, day, reference, days,
                            Path(reference_file) if reference_file else TRAINING_REFERENCE,
                            path.with_name(path.stem + "-evidently.html"))
    path.write_text(summary.to_json(), encoding="utf-8")
    path.with_suffix(".html").write_text(render_drift_html(summary), encoding="utf-8")
    return path, summary.status


def email_report(source: ResultsSource, out: str, date: str | None, recipients: list[str],
                 sender: str | None = None, host: str | None = None, port: int | None = None,
                 user: str | None = None, security: str | None = None, watchlist: str | None = None) -> str:
    """Build the email of the day's report (with the drift summary in `out`, if any) and send it.

    Returns the subject.
    """
    from reports.smtp import smtp_settings

    settings = smtp_settings(host, port, security, sender, user)  # every missing setting, before heavy imports
    from reports.charts import render_charts
    from reports.daily import build_daily_report
    from reports.data import resolve_date
    from reports.drift import load_summary
    from reports.mail import build_message, send
    from reports.movers import load_watchlist

    tickers = load_watchlist(watchlist) if watchlist else ()
    day = resolve_date(source, date)
    report = build_daily_report(source, day, tickers)
    message = build_message(report, load_summary(Path(out), day), render_charts(report), settings.sender,
                            recipients)
    send(message, settings)
    return str(message["Subject"])


def _source(args: argparse.Namespace, smtp: tuple | None = None) -> ResultsSource:
    """The --data or --bigquery_dataset source, opened after the checks that read no data: --out
    and, when an email is to go, every SMTP setting (`smtp`: host, port, security, sender, user)."""
    from reports.data import open_source

    output_folder(args.out, create=False)
    if smtp is not None:
        from reports.smtp import smtp_settings

        smtp_settings(*smtp)
    return open_source(args.data, args.bigquery_dataset)


def run_report(args: argparse.Namespace) -> int:
    """`finsent report` (with `--email_to`: drift summary, report, then the email)."""
    if args.email_to:
        return publish_day(_source(args, smtp=(None,) * 5), args.date, args.email_to, args.out, args.watchlist)
    started = time.perf_counter()
    path = write_report(_source(args), args.out, args.date, args.watchlist)
    print(f"report written to {path} in {time.perf_counter() - started:.1f} s")
    return 0


def run_drift(args: argparse.Namespace) -> int:
    """`finsent drift`."""
    from reports.drift import status_phrase

    started = time.perf_counter()
    path, status = write_drift(_source(args), args.out, args.date, args.reference, args.days,
                               args.reference_file)
    print(f"{status_phrase(status)}: summary {path} (+ .html, evidently report beside it) "
          f"in {time.perf_counter() - started:.1f} s")
    return EXIT_DRIFT if args.fail_on_drift and status == "drift" else 0


def run_email(args: argparse.Namespace) -> int:
    """`finsent email`."""
    smtp = (args.smtp_host, args.smtp_port, args.smtp_security, args.sender, args.smtp_user)
    sent = email_report(_source(args, smtp), args.out, args.date, args.to, args.sender, args.smtp_host,
                        args.smtp_port, args.smtp_user, args.smtp_security, args.watchlist)
    print(f"sent to {', '.join(args.to)}: {sent}")
    return 0


def publish_day(source: ResultsSource, date: str | None, email_to: list[str], out: str = DEFAULT_REPORTS,
                watchlist: str | None = None) -> int:
    """Drift summary, daily report, then the email if `email_to`: `finsent run --report` and
    `finsent report --email_to`. `date` None means the latest run date in `source`.

    Drift uses the shipped training reference, or the trailing 7 days when the model has none.
    """
    from reports.data import resolve_date
    from reports.drift import TRAINING_REFERENCE, status_phrase

    day = resolve_date(source, date).isoformat()
    reference = "training" if TRAINING_REFERENCE.is_file() else "trailing"
    summary, status = write_drift(source, out, day, reference)
    print(f"{status_phrase(status)} (reference: {reference}): {summary}")
    print(f"report: {write_report(source, out, day, watchlist)}")
    if email_to:
        print(f"sent to {', '.join(email_to)}: {email_report(source, out, day, email_to, watchlist=watchlist)}")
    return 0
