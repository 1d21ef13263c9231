"""Makes a local SDK worker process exit when the `finsent run` process that started it dies.

The DirectRunner's `multi_processing` mode starts each SDK worker as a subprocess. If the launcher
is killed (SIGKILL, OOM killer), nothing tells the workers, and they lived on, holding memory and
connections. `finsent run` names its process ID in `FINSENT_LAUNCHER_PID` and the workers import
this module at start (Beam's `--beam_plugins`); a daemon thread then waits for that process to end
and ends the worker. In any other process (the launcher, a Dataflow worker) it does nothing.
"""

from __future__ import annotations

import os
import select
import sys
import threading
import time

LAUNCHER_PID_VARIABLE = "FINSENT_LAUNCHER_PID"
SDK_WORKER_MAIN = "sdk_worker_main.py"  # `python -m apache_beam.runners.worker.sdk_worker_main`
POLL_SECONDS = 0.5
EXIT_STATUS = 70  # EX_SOFTWARE: the worker did not finish its work


def _wait_for_exit(pid: int) -> None:
    """Return once process `pid` has ended (a pidfd where Linux has one, else polling)."""
    try:
        descriptor = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    except (AttributeError, OSError):  # no pidfd_open (not Linux, or a kernel before 5.3)
        while _alive(pid):
            time.sleep(POLL_SECONDS)
        return
    select.select([descriptor], [], [])  # readable once the process has exited
    os.close(descriptor)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exit_when_gone(pid: int) -> None:
    _wait_for_exit(pid)
    os._exit(EXIT_STATUS)  # no cleanup: the launcher that would receive the results is gone


def watch_launcher() -> threading.Thread | None:
    """Start the watch if this process is an SDK worker of a `finsent run`; returns its thread."""
    value = os.environ.get(LAUNCHER_PID_VARIABLE, "")
    is_sdk_worker = bool(sys.argv) and sys.argv[0].endswith(SDK_WORKER_MAIN)
    if not value.isdigit() or int(value) == os.getpid() or not is_sdk_worker:
        return None
    thread = threading.Thread(target=_exit_when_gone, args=(int(value),), name="finsent-launcher-watch",
                              daemon=True)
    thread.start()
    return thread


watch_launcher()
