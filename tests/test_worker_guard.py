"""SDK worker processes of `--direct_running_mode multi_processing` exit when `finsent run` is SIGKILLed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from faultsite import FaultSite, fast_run_args, serve_story_feed, write_feeds_yaml

import pipelines
from pipelines.worker_guard import LAUNCHER_PID_VARIABLE, watch_launcher

CODE_ROOT = Path(pipelines.__file__).resolve().parents[1]
STORIES = 12
EXIT_WITHIN_S = 5.0


def sdk_workers(launcher: psutil.Process) -> list[psutil.Process]:
    """The launcher's descendants that run Beam's SDK worker (each a Python process under `sh -c`)."""
    found = []
    for process in launcher.children(recursive=True):
        try:
            if any("sdk_worker_main" in part for part in process.cmdline()):
                found.append(process)
        except psutil.NoSuchProcess:
            continue
    return found


@pytest.mark.slow
def test_workers_exit_within_seconds_of_the_launcher_being_killed(tmp_path: Path) -> None:
    with FaultSite() as site:
        serve_story_feed(site, STORIES, delay=5)
        feeds = write_feeds_yaml(tmp_path / "feeds.yaml", {"news": site.url("/feeds/news.xml")})
        launcher = subprocess.Popen(
            [sys.executable, "-m", "finsent.cli", "run", *fast_run_args(site), "--fetch_timeout", "30",
             "--feeds", str(feeds), "--output", str(tmp_path / "data"), "--run_date", "2026-11-23",
             "--direct_running_mode", "multi_processing", "--direct_num_workers", "2"],
            cwd=CODE_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        workers: list[psutil.Process] = []
        try:
            deadline = time.monotonic() + 300
            while not any(site.hits(f"/news/story-{i}") for i in range(STORIES)):
                assert launcher.poll() is None and time.monotonic() < deadline, "the run never fetched a story"
                time.sleep(0.1)
            workers = sdk_workers(psutil.Process(launcher.pid))
            assert len([worker for worker in workers if worker.name().startswith("python")]) == 2
            os.kill(launcher.pid, signal.SIGKILL)
            launcher.wait()
            killed_at = time.monotonic()
            _, alive = psutil.wait_procs(workers, timeout=EXIT_WITHIN_S)
            waited = time.monotonic() - killed_at
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(launcher.pid, signal.SIGKILL)  # whatever is left of the run's session
    print(f"{len(workers) - len(alive)} of {len(workers)} SDK worker processes gone {waited:.1f} s after "
          "the launcher was killed")
    assert alive == []


def test_the_guard_does_nothing_outside_a_worker(monkeypatch) -> None:
    monkeypatch.delenv(LAUNCHER_PID_VARIABLE, raising=False)
    assert watch_launcher() is None
    monkeypatch.setenv(LAUNCHER_PID_VARIABLE, str(os.getpid()))  # the launcher itself
    assert watch_launcher() is None
    monkeypatch.setenv(LAUNCHER_PID_VARIABLE, str(os.getppid()))  # a process that is not an SDK worker
    assert watch_launcher() is None
