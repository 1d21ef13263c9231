"""`finsent drift`: compares one day's sentences and predictions with a reference using evidently.

Signals (each ok / warning / drift, with the distance that decided it):
- predicted label distribution (Jensen–Shannon distance), confidence (the top probability) and
  sentence length in words (normed Wasserstein distance), text descriptors (digits, capitals,
  [UNK] tokens, WordPiece pieces per word; normed Wasserstein) — current day vs the reference:
  the model's training distribution (`model/artifacts/reference_predictions.parquet`, written by
  `model.reference.write_reference`) or the sentences of the trailing N days;
- share of non-English articles and share of failed feed entries — current day vs the trailing N
  days' articles and failures (the training data has no articles), plus fixed ceilings that
  apply even without trailing data.
A signal is *drift* at or above its threshold, *warning* from two thirds of it (day-sized samples
of one distribution differ by about 0.05 in normed Wasserstein distance from sampling alone);
*insufficient* when the day or the reference has fewer than `MIN_ROWS` sentences to compare, so a
young deployment's trailing reference never reads as "ok". The summary's status is its worst
signal's (ok < insufficient < warning < drift). Only offline evidently metrics are used: its
sentiment and OOV descriptors call nltk.download and are never used here.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from finsent.constants import REFERENCE_FILE, SHIPPED_MODEL_DIR
from model.reference import (
    DESCRIPTORS,
    PREDICTION_COLUMNS,
    prediction_frame,
    read_reference,
    sentence_descriptors,
)
from reports.data import ResultsSource

TRAINING_REFERENCE = SHIPPED_MODEL_DIR / REFERENCE_FILE
STATUSES = ("ok", "insufficient", "warning", "drift")
MIN_ROWS = 10
LABEL_THRESHOLD = 0.1
NUMERIC_THRESHOLD = 0.15
WARNING_FRACTION = 2 / 3
SHARE_THRESHOLD = 0.1
NON_ENGLISH_CEILING = 0.25
FAILED_CEILING = 0.2
TEXT_DESCRIPTORS = tuple(name for name in DESCRIPTORS if name not in ("n_chars", "n_words"))


@dataclass(frozen=True)
class Signal:
    """One drift check: how far the day moved from the reference, and what that means."""

    name: str
    title: str
    status: str
    method: str
    score: float | None
    threshold: float
    current: str
    reference: str
    note: str = ""


@dataclass
class DriftSummary:
    """The compact result of `finsent drift` that the daily report and the email include."""

    date: str
    reference: str
    status: str
    signals: list[Signal]
    current_sentences: int
    reference_sentences: int
    model_version: str | None
    reference_model_version: str | None
    notes: list[str] = field(default_factory=list)
    evidently_html: str | None = None
    reference_kind: str = ""

    @property
    def moved(self) -> list[Signal]:
        """The signals at warning or drift."""
        return [s for s in self.signals if s.status in ("warning", "drift")]

    def to_json(self) -> str:
        """The summary as JSON (what `drift-DATE.json` holds)."""
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> DriftSummary:
        """Parse `to_json`'s output."""
        raw = json.loads(text)
        raw["signals"] = [Signal(**signal) for signal in raw["signals"]]
        return cls(**raw)


def status_phrase(status: str | None) -> str:
    """The status in words: `no drift`, `drift warning`, `drift detected`, `drift: insufficient reference …`."""
    return {None: "drift not computed", "ok": "no drift", "warning": "drift warning", "drift": "drift detected",
            "insufficient": f"drift: insufficient reference (fewer than {MIN_ROWS} sentences)"}[status]


def reference_kind(reference: str, days: int) -> str:
    """The reference's short name in file names: `training` or `trailing-7d`."""
    return reference if reference == "training" else f"{reference}-{days}d"


def status_of(score: float | None, threshold: float) -> str:
    """drift at or above `threshold`, warning from WARNING_FRACTION of it, else ok (None: ok)."""
    if score is None:
        return "ok"
    if score >= threshold:
        return "drift"
    return "warning" if score >= threshold * WARNING_FRACTION else "ok"


def worst(statuses: list[str]) -> str:
    """The most severe of `statuses` (ok when empty)."""
    return max(statuses, key=STATUSES.index, default="ok")


def sentence_frame(sentences: pd.DataFrame) -> pd.DataFrame:
    """Predictions (label, probabilities, confidence) and descriptors of stored sentences."""
    probabilities = sentences[["p_negative", "p_neutral", "p_positive"]].to_numpy()
    return pd.concat([prediction_frame(probabilities),
                      sentence_descriptors(sentences["text"].tolist())], axis=1)


def empty_sentence_frame() -> pd.DataFrame:
    """`sentence_frame`'s columns without rows (a day or trailing window without sentences)."""
    return pd.DataFrame(columns=[*PREDICTION_COLUMNS, *DESCRIPTORS])


def _label_shares(labels: pd.Series) -> str:
    shares = labels.value_counts(normalize=True)
    return " · ".join(f"{label[:3]} {shares.get(label, 0.0):.0%}" for label in ("negative", "neutral", "positive"))


def _mean(values: pd.Series, digits: int = 2) -> str:
    return f"mean {values.mean():.{digits}f}" if len(values) else "no rows"


def _share(flags: pd.Series) -> str:
    return f"{flags.mean():.0%} of {len(flags)}" if len(flags) else "no rows"


def run_evidently(current: pd.DataFrame, reference: pd.DataFrame, checks: dict[str, tuple[str, float]],
                  html_path: Path | None) -> dict[str, float]:
    """Run evidently's ValueDrift per column (`checks`: column → (method, threshold)).

    Returns column → drift distance; writes evidently's full HTML report to `html_path`.
    """
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    categorical = [c for c in checks if current[c].dtype == object]
    numerical = [c for c in checks if c not in categorical]
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
    columns = list(checks)
    report = Report([ValueDrift(column=c, method=m, threshold=t) for c, (m, t) in checks.items()])
    snapshot = report.run(Dataset.from_pandas(current[columns], data_definition=definition),
                          Dataset.from_pandas(reference[columns], data_definition=definition))
    if html_path is not None:
        snapshot.save_html(str(html_path))
    values = {}
    for result in snapshot.dict()["metrics"]:
        column = result["config"]["column"]
        values[column] = float(result["value"])
    return values


SENTENCE_CHECKS = {"label": ("jensenshannon", LABEL_THRESHOLD), "confidence": ("wasserstein", NUMERIC_THRESHOLD),
                   "n_words": ("wasserstein", NUMERIC_THRESHOLD),
                   **{name: ("wasserstein", NUMERIC_THRESHOLD) for name in TEXT_DESCRIPTORS}}
METHOD_NAMES = {"jensenshannon": "Jensen–Shannon distance", "wasserstein": "Wasserstein distance (normed)"}


def sentence_signals(current: pd.DataFrame, reference: pd.DataFrame, html_path: Path | None) -> list[Signal]:
    """Label, confidence, length and text-descriptor signals of the day vs the reference."""
    if len(current) < MIN_ROWS or len(reference) < MIN_ROWS:
        why = f"too few sentences to compare (day {len(current)}, reference {len(reference)}; need {MIN_ROWS})"
        return [Signal("sentences", "Sentence predictions and text", "insufficient", "-", None, 0.0,
                       str(len(current)), str(len(reference)), why)]
    scores = run_evidently(current, reference, SENTENCE_CHECKS, html_path)

    def signal(name: str, title: str, column: str, describe) -> Signal:
        method, threshold = SENTENCE_CHECKS[column]
        return Signal(name, title, status_of(scores[column], threshold), METHOD_NAMES[method],
                      scores[column], threshold, describe(current[column]), describe(reference[column]))

    signals = [signal("label_distribution", "Predicted label distribution", "label", _label_shares),
               signal("confidence", "Model confidence", "confidence", _mean),
               signal("sentence_length", "Sentence length (words)", "n_words", lambda v: _mean(v, 1))]
    text = {name: scores[name] for name in TEXT_DESCRIPTORS}
    moved = max(text, key=text.get)
    signals.append(Signal(
        "text_descriptors", "Text descriptors", status_of(text[moved], NUMERIC_THRESHOLD),
        METHOD_NAMES["wasserstein"] + ", largest of " + ", ".join(TEXT_DESCRIPTORS), text[moved],
        NUMERIC_THRESHOLD, f"{moved} {_mean(current[moved], 3)}", f"{moved} {_mean(reference[moved], 3)}",
        "; ".join(f"{name} {value:.3f}" for name, value in text.items())))
    return signals


def share_signal(name: str, title: str, current: pd.Series, trailing: pd.Series, ceiling: float) -> Signal:
    """A share (of non-English or failed articles) vs the trailing days and a fixed ceiling."""
    share = float(current.mean()) if len(current) else 0.0
    moved = share - float(trailing.mean()) if len(trailing) else None
    status = worst([status_of(None if moved is None else abs(moved), SHARE_THRESHOLD),
                    "warning" if share > ceiling else "ok"])
    note = f"ceiling {ceiling:.0%}" + ("" if len(trailing) else "; no trailing days to compare with")
    return Signal(name, title, status, "difference of shares", moved, SHARE_THRESHOLD,
                  _share(current), _share(trailing), note)


def article_shares(source: ResultsSource, start: dt.date, end: dt.date) -> tuple[pd.Series, pd.Series]:
    """Per article: not English? Per feed entry (article or entry-level failure): failed?"""
    articles = source.read("articles", start, end, ["classified"])
    failures = source.read("failures", start, end, ["entry_level"])
    failed = int(failures["entry_level"].astype(bool).sum())
    non_english = ~articles["classified"].astype(bool)
    entries = pd.Series([False] * len(articles) + [True] * failed, dtype=bool)
    return non_english, entries


def compute_drift(source: ResultsSource, date: dt.date, reference: str = "training", days: int = 7,
                  reference_path: Path = TRAINING_REFERENCE, html_path: Path | None = None) -> DriftSummary:
    """Drift of `date` vs the training reference (`reference="training"`) or the trailing `days`."""
    if reference not in ("training", "trailing"):
        raise ValueError(f"--reference {reference!r}: use training or trailing")
    if days < 1:
        raise ValueError(f"--days {days}: must be at least 1")
    columns = ["text", "p_negative", "p_neutral", "p_positive", "model_version"]
    trailing_start, trailing_end = date - dt.timedelta(days=days), date - dt.timedelta(days=1)
    notes: list[str] = []
    if reference == "training":
        reference_frame, reference_version = read_reference(reference_path)
        reference_name = f"training distribution ({reference_path.name})"
    else:
        earlier = source.read("sentences", trailing_start, trailing_end, columns)
        reference_frame = sentence_frame(earlier) if len(earlier) else empty_sentence_frame()
        reference_version = ", ".join(sorted(set(earlier["model_version"]))) or None
        reference_name = f"trailing {days} days ({trailing_start} – {trailing_end})"
    day = source.read("sentences", date, date, columns)
    current = sentence_frame(day) if len(day) else empty_sentence_frame()
    model_version = ", ".join(sorted(set(day["model_version"]))) or None
    signals = sentence_signals(current, reference_frame, html_path)
    day_shares = article_shares(source, date, date)
    trailing_shares = article_shares(source, trailing_start, trailing_end)
    signals.append(share_signal("non_english_share", "Non-English articles", day_shares[0],
                                trailing_shares[0], NON_ENGLISH_CEILING))
    signals.append(share_signal("failed_share", "Failed feed entries", day_shares[1], trailing_shares[1],
                                FAILED_CEILING))
    status = worst([s.status for s in signals])
    if reference_version and model_version and reference_version != model_version:
        notes.append(f"the reference was predicted by {reference_version}, the day by {model_version}: "
                     "prediction signals compare two different models")
        status = worst([status, "warning"])
    return DriftSummary(date.isoformat(), reference_name, status, signals, len(current), len(reference_frame),
                        model_version, reference_version, notes,
                        html_path.name if html_path is not None and html_path.exists() else None,
                        reference_kind(reference, days))


def summary_path(out: Path, date: dt.date, kind: str) -> Path:
    """Where `finsent drift` writes the JSON summary of `date` against reference `kind` (`reference_kind`)."""
    return out / f"drift-{date.isoformat()}-{kind}.json"


def load_summary(out: Path, date: dt.date) -> DriftSummary | None:
    """The latest written drift summary of `date` in `out` (any reference), or None when there is none."""
    paths = sorted(out.glob(f"drift-{date.isoformat()}-*.json"), key=lambda path: path.stat().st_mtime_ns)
    return DriftSummary.from_json(paths[-1].read_text()) if paths else None
