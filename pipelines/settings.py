"""Every knob of a run, as one small frozen dataclass per stage: the only place a default is written.

Each field declares its command-line option (`--fetch_timeout`, with the hyphenated spelling
`--fetch-timeout` as a declared alias), its help and its bounds. `FinsentOptions` (the Beam
options), `finsent run --help` and `finsent analyze` all declare their options from these fields
with `add_setting_options`, and build the settings back with `RunSettings.from_values`, so a run
and `analyze` can never disagree on a default. Importing this module loads neither Beam nor torch.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from finsent.constants import DEFAULT_BATCH_SIZE, DEFAULT_OUTPUT, DEFAULT_USER_AGENT, parse_dataset
from pipelines.netguard import parse_host_ports


def option(default: Any, flag: str, help: str, *, minimum: float | None = None, maximum: float | None = None,
           check: Callable[[str], Any] | None = None, parse: Callable[[str], Any] | None = None) -> Any:
    """A settings field that is also the command-line option `flag`.

    `minimum`/`maximum` bound numbers; `check` validates the text of the option (raising ValueError
    with the message to show); `parse` turns the option's text into the field's value (the option
    then defaults to nothing and an absent option keeps the field's default).
    """
    meta = {"flag": flag, "help": help, "minimum": minimum, "maximum": maximum, "check": check, "parse": parse}
    return field(default=default, metadata=meta)


def iso_date(text: str) -> str:
    """`text` if it is a YYYY-MM-DD date, else a ValueError saying so."""
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"must be a date YYYY-MM-DD, got {text!r}") from None
    return text


def dataset(text: str) -> str:
    """`text` if it is PROJECT:DATASET, else the ValueError of `parse_dataset`."""
    parse_dataset(text)
    return text


def host_ports(text: str) -> str:
    """`text` if it is a comma-separated host:port list, else the ValueError of `parse_host_ports`."""
    parse_host_ports(text)
    return text


@dataclass(frozen=True)
class JobSettings:
    """What to read, where to write, and when a finished run counts as unhealthy."""

    feeds: str = option("feeds.yaml", "--feeds", "feeds.yaml to read")
    output: str = option(DEFAULT_OUTPUT, "--output", "root of the Parquet datasets (local path or gs://)")
    run_date: str | None = option(None, "--run_date", "YYYY-MM-DD partition to write (default: today, UTC)",
                                  check=iso_date)
    reprocess: bool = option(False, "--reprocess", "scrape articles that earlier run dates already stored")
    bigquery_dataset: str | None = option(None, "--bigquery_dataset",
                                          "PROJECT:DATASET to also write BigQuery tables to", check=dataset)
    max_entries_per_feed: int = option(1000, "--max_entries_per_feed",
                                       "entries of one feed fetched, in feed order; each later one becomes an "
                                       "over_entry_limit failure row", minimum=1)
    max_failure_rate: float = option(0.5, "--max_failure_rate",
                                     "share of feed entries that may fail before the run is unhealthy "
                                     "(exit status 3)", minimum=0.0, maximum=1.0)


@dataclass(frozen=True)
class FetchSettings:
    """Every knob of the fetcher; `timeout` bounds connect and each read, `deadline` one whole fetch.

    The deadline covers everything fetching one URL takes: redirect hops, retries, backoff and
    Retry-After waits, and reading the origin's robots.txt when it is not cached yet.

    `allowed_private_hosts` are exact (host, port) pairs exempt from the SSRF check (a local test or
    demo site), while every other private address stays blocked; `allow_private_hosts` lifts it all.
    """

    timeout: float = option(15.0, "--fetch_timeout", "seconds for connect and for each read of one HTTP request",
                            minimum=0.001)
    deadline: float = option(45.0, "--fetch_deadline_s",
                             "seconds everything fetching one URL may take: redirects, retries, Retry-After "
                             "waits and robots.txt", minimum=0.001)
    retries: int = option(2, "--fetch_retries", "retries after a 429/5xx/connection error", minimum=0)
    backoff: float = option(0.5, "--fetch_backoff", "first retry delay in seconds, doubled on each retry",
                            minimum=0.0)
    max_retry_after: float = option(30.0, "--max_retry_after", "cap in seconds on a server's Retry-After",
                                    minimum=0.0)
    max_body_bytes: int = option(10_000_000, "--max_body_bytes",
                                 "largest page or feed body accepted, after decompression (a page's "
                                 "<script>/<style> content is dropped while it streams in)", minimum=1)
    max_redirects: int = option(5, "--max_redirects", "redirect hops followed", minimum=0)
    concurrency: int = option(16, "--fetch_concurrency", "pages fetched at once per worker process", minimum=1)
    per_domain_concurrency: int = option(2, "--per_domain_concurrency",
                                         "requests at once to one host, per worker process", minimum=1)
    batch_size: int = option(96, "--fetch_batch_size",
                             "URLs handed to one concurrent fetch batch per worker; a page body is held from "
                             "its download until its extraction", minimum=1)
    user_agent: str = option(DEFAULT_USER_AGENT, "--fetch_user_agent",
                             "User-Agent header of the fetcher (Beam itself owns --user_agent)")
    ignore_robots: bool = option(False, "--ignore_robots", "do not read robots.txt")
    allow_private_hosts: bool = option(False, "--allow_private_hosts",
                                       "allow URLs on loopback/private addresses (tests, the demo)")
    allowed_private_hosts: frozenset[tuple[str, int]] = option(
        frozenset(), "--allowed_private_hosts",
        "comma-separated host:port pairs allowed although private (a local site), e.g. 127.0.0.1:8080; "
        "every other private address stays blocked", check=host_ports, parse=parse_host_ports)


@dataclass(frozen=True)
class ScrapeSettings:
    """How much extracted text makes an article."""

    min_article_chars: int = option(200, "--min_article_chars",
                                    "extracted text shorter than this counts as empty_text", minimum=1)


@dataclass(frozen=True)
class SentenceSettings:
    """Which split pieces count as sentences."""

    min_chars: int = option(20, "--min_sentence_chars", "shorter sentences are dropped as fragments", minimum=1)
    max_chars: int = option(600, "--max_sentence_chars", "longer sentences are dropped as run-on boilerplate",
                            minimum=1)
    max_per_article: int = option(250, "--max_sentences_per_article",
                                  "sentences of one article classified (a long story has about 100); the "
                                  "rest are recorded as a too_many_sentences failure row", minimum=1)


@dataclass(frozen=True)
class ModelSettings:
    """Which model classifies the sentences, and how it runs in one worker process."""

    path: str | None = option(None, "--model_path", "model artifact folder (default: the shipped model)")
    threads: int = option(0, "--model_threads", "torch threads per worker process (0: the process's cores)",
                          minimum=0)
    batch_size: int = option(DEFAULT_BATCH_SIZE, "--inference_batch_size",
                             "sentences per model batch (length-sorted, within one article)", minimum=1)


@dataclass(frozen=True)
class ScoreSettings:
    """How sentence predictions become an article's score, label and evidence."""

    evidence_per_side: int = option(2, "--evidence_sentences",
                                    "most positive / most negative sentences kept per article", minimum=0)
    label_threshold: float = option(0.1, "--article_label_threshold",
                                    "article score beyond ±this is labelled positive / negative",
                                    minimum=0.0, maximum=1.0)


@dataclass(frozen=True)
class MentionSettings:
    """Which companies the mention detector knows."""

    companies: str | None = option(None, "--companies",
                                   "company dictionary YAML (default: the shipped pipelines/companies.yaml; "
                                   "format in README)")


STAGE_SETTINGS: tuple[type, ...] = (FetchSettings, ScrapeSettings, SentenceSettings, ModelSettings, ScoreSettings,
                                    MentionSettings)
"""The settings of the stages that turn one page into an article row (what `analyze` runs too)."""


@dataclass(frozen=True)
class RunSettings:
    """All settings of one run, one object per stage."""

    job: JobSettings = field(default_factory=JobSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    scrape: ScrapeSettings = field(default_factory=ScrapeSettings)
    sentences: SentenceSettings = field(default_factory=SentenceSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    score: ScoreSettings = field(default_factory=ScoreSettings)
    mentions: MentionSettings = field(default_factory=MentionSettings)

    @classmethod
    def from_values(cls, values: Any) -> RunSettings:
        """Settings from parsed options (an argparse namespace or a Beam options view).

        An option `values` does not have (e.g. `analyze` has no `--feeds`) keeps its default.
        """
        return cls(job=settings_from_values(JobSettings, values), fetch=settings_from_values(FetchSettings, values),
                   scrape=settings_from_values(ScrapeSettings, values),
                   sentences=settings_from_values(SentenceSettings, values),
                   model=settings_from_values(ModelSettings, values), score=settings_from_values(ScoreSettings, values),
                   mentions=settings_from_values(MentionSettings, values))


ALL_SETTINGS: tuple[type, ...] = (JobSettings, *STAGE_SETTINGS)
"""Every settings class, in the order `finsent run --help` lists their options."""


def dest(flag: str) -> str:
    """The attribute name of an option: `--fetch_timeout` → `fetch_timeout`."""
    return flag.lstrip("-")


def _number_type(kind: Callable[[str], Any], flag: str, minimum: float | None,
                 maximum: float | None) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {'an integer' if kind is int else 'a number'}, "
                                             f"got {text!r}") from None
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum:g}, got {text}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:g}, got {text}")
        return value

    convert.__name__ = flag
    return convert


def _checked_text(check: Callable[[str], Any]) -> Callable[[str], str]:
    def convert(text: str) -> str:
        try:
            check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return text

    return convert


def _argument(f: dataclasses.Field) -> tuple[list[str], dict[str, Any]]:
    meta = f.metadata
    flag = meta["flag"]
    names = [flag] + ([flag.replace("_", "-")] if "_" in flag else [])
    kwargs: dict[str, Any] = {"dest": dest(flag), "help": meta["help"], "metavar": "VALUE"}
    if isinstance(f.default, bool):
        kwargs.update(action="store_true", default=False)
        del kwargs["metavar"]
        return names, kwargs
    kwargs["default"] = None if meta["parse"] else f.default
    if isinstance(f.default, int | float):
        kwargs["type"] = _number_type(type(f.default), flag, meta["minimum"], meta["maximum"])
        kwargs["metavar"] = "N" if isinstance(f.default, int) else "X"
    elif meta["check"] is not None:
        kwargs["type"] = _checked_text(meta["check"])
    return names, kwargs


def add_setting_options(parser: argparse.ArgumentParser | Any, classes: Iterable[type] = ALL_SETTINGS) -> None:
    """Declare the options of the settings `classes` on an argparse parser or argument group."""
    for cls in classes:
        for f in dataclasses.fields(cls):
            names, kwargs = _argument(f)
            parser.add_argument(*names, **kwargs)


def settings_from_values(cls: type, values: Any) -> Any:
    """An instance of the settings class `cls` from parsed options; absent options keep their defaults."""
    kwargs = {}
    for f in dataclasses.fields(cls):
        name = dest(f.metadata["flag"])
        if not hasattr(values, name):
            continue
        value = getattr(values, name)
        if value is None:
            continue
        kwargs[f.name] = f.metadata["parse"](value) if f.metadata["parse"] else value
    return cls(**kwargs)


def option_names(classes: Iterable[type] = ALL_SETTINGS) -> list[str]:
    """The attribute names of the options of `classes`, e.g. for the `runs` row's options JSON."""
    return [dest(f.metadata["flag"]) for cls in classes for f in dataclasses.fields(cls)]


def settings_words(values: Any, classes: Iterable[type] = ALL_SETTINGS) -> list[str]:
    """The command-line words of the options in `values` that differ from their defaults.

    Lets a command that parsed the options itself (to check them before importing Beam) hand
    them on to `PipelineOptions`.
    """
    words = []
    for cls in classes:
        for f in dataclasses.fields(cls):
            flag = f.metadata["flag"]
            value = getattr(values, dest(flag), None)
            if value is True:
                words.append(flag)
            elif value is not None and value is not False and (f.metadata["parse"] or value != f.default):
                words.append(f"{flag}={value}")
    return words
