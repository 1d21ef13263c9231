"""One run per output folder and run date at a time: a lock held for the whole run.

Locally the lock is an flock on `<output>/_locks/YYYY-MM-DD.lock`, which the kernel releases when
the process holding it dies, however it dies. On object stores (gs://) it is an object, created
when absent and deleted at the end of the run: a run killed there leaves it behind, and the error
names it, so that it can be deleted once that run is known to be dead.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone

import pyarrow.fs as pafs

from finsent.errors import FinsentError
from pipelines.commits import filesystem

LOCKS = "_locks"


class DateLockedError(FinsentError):
    """Another run holds the lock of this output folder and run date (one line, exit 1)."""


@contextlib.contextmanager
def date_lock(output: str, run_date: date, run_id: str) -> Iterator[None]:
    """Hold the lock of (`output`, `run_date`) for the block; raises DateLockedError if another run has it.

    Locally an flock on `_locks/DATE.lock`, which the kernel releases when its process dies. On
    object stores a lock object, created when absent and deleted at the end: a run killed there
    leaves it, and the error names it so that it can be deleted once that run is known dead.
    Two runs starting within the same moment on an object store can both miss each other's lock.
    """
    fs, root = filesystem(output)
    path = f"{root}/{LOCKS}/{run_date.isoformat()}.lock"
    shown = f"{output.rstrip('/')}/{LOCKS}/{run_date.isoformat()}.lock"
    holder = json.dumps({"run_id": run_id, "host": socket.gethostname(), "pid": os.getpid(),
                         "since": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    if isinstance(fs, pafs.LocalFileSystem):
        with _local_lock(path, holder, _refusal(output, run_date, shown, "wait for it to finish")):
            yield
    else:
        with _object_lock(fs, path, holder, _refusal(output, run_date, shown,
                                                     "wait for it, or delete the lock if that run is dead")):
            yield


def _refusal(output: str, run_date: date, lock: str, hint: str) -> Callable[[str], DateLockedError]:
    """The error to raise, given what the lock says about the run holding it."""
    def refuse(holder: str) -> DateLockedError:
        return DateLockedError(f"--output {output}: run_date {run_date} is being written by another run "
                               f"({holder.strip() or 'unknown'}); {hint} (lock {lock})")
    return refuse


@contextlib.contextmanager
def _local_lock(path: str, holder: str, refuse: Callable[[str], DateLockedError]) -> Iterator[None]:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise refuse(handle.read()) from None
        handle.seek(0)
        handle.truncate()
        handle.write(holder)
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _object_lock(fs: pafs.FileSystem, path: str, holder: str,
                 refuse: Callable[[str], DateLockedError]) -> Iterator[None]:
    if fs.get_file_info(path).type == pafs.FileType.File:
        with fs.open_input_stream(path) as stream:
            held_by = stream.read().decode("utf-8", "replace")
        raise refuse(held_by)
    with fs.open_output_stream(path) as stream:
        stream.write(holder.encode("utf-8"))
    try:
        yield
    finally:
        fs.delete_file(path)
