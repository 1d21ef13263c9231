"""Progress of a running job: counts bumped in every worker process, summed and logged by the launcher.

Beam's own metrics are only readable once a DirectRunner pipeline has finished, so stages also
call `advance(name, n)`. When the launcher has set `FINSENT_PROGRESS_DIR` (inherited by the SDK
worker processes it starts), each process keeps its running totals in `<dir>/<pid>.json`, rewritten
at most once a second; `ProgressReporter` sums those files and logs a line every `interval` seconds.
Elsewhere (Dataflow, tests of one stage) `advance` does nothing.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from types import TracebackType

ENV = "FINSENT_PROGRESS_DIR"
INTERVAL_ENV = "FINSENT_PROGRESS_INTERVAL_S"
DEFAULT_INTERVAL_S = 10.0
WRITE_INTERVAL_S = 1.0
LABELS = {"entries": "entries read", "pages": "pages fetched", "sentences": "sentences classified"}

LOG = logging.getLogger(__name__)

_counts: Counter[str] = Counter()
_lock = threading.Lock()
_last_write = 0.0


def advance(name: str, amount: int = 1) -> None:
    """Add `amount` to this process's count `name` (one of `LABELS`) when a launcher is listening."""
    global _last_write
    folder = os.environ.get(ENV)
    if not folder:
        return
    with _lock:
        _counts[name] += amount
        now = time.monotonic()
        if now - _last_write < WRITE_INTERVAL_S:
            return
        _last_write = now
        snapshot = dict(_counts)
    _write(Path(folder), snapshot)


def _write(folder: Path, counts: dict[str, int]) -> None:
    target = folder / f"{os.getpid()}.json"
    partial = folder / f".{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        partial.write_text(json.dumps(counts))
        os.replace(partial, target)
    except OSError:  # the launcher removed the folder: the run is over
        pass


def read_totals(folder: Path) -> Counter[str]:
    """The counts of every process that has written to `folder`, summed."""
    totals: Counter[str] = Counter()
    for path in folder.glob("*.json"):
        try:
            totals.update(json.loads(path.read_text()))
        except (OSError, ValueError):  # replaced while read: the next tick sees it
            continue
    return totals


def format_progress(totals: Counter[str], seconds: float) -> str:
    """`progress 35 s: 120 entries read, 80 pages fetched, 1,024 sentences classified`."""
    parts = ", ".join(f"{totals.get(name, 0):,} {label}" for name, label in LABELS.items())
    return f"progress {seconds:.0f} s: {parts}"


class ProgressReporter:
    """Context manager: a folder for the workers' counts and a thread logging their sum every `interval` s.

    The interval defaults to `$FINSENT_PROGRESS_INTERVAL_S`, else 10 s.
    """

    def __init__(self, interval: float | None = None) -> None:
        self._interval = interval or float(os.environ.get(INTERVAL_ENV) or DEFAULT_INTERVAL_S)
        self._stop = threading.Event()
        self._folder = tempfile.TemporaryDirectory(prefix="finsent-progress-")
        self._thread = threading.Thread(target=self._report, name="finsent-progress", daemon=True)
        self._started = time.monotonic()

    def __enter__(self) -> ProgressReporter:
        with _lock:  # a run in this process (in-memory DirectRunner) starts from zero
            _counts.clear()
        os.environ[ENV] = self._folder.name
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        os.environ.pop(ENV, None)
        self._folder.cleanup()

    def _report(self) -> None:
        while not self._stop.wait(self._interval):
            LOG.info(format_progress(read_totals(Path(self._folder.name)), time.monotonic() - self._started))
