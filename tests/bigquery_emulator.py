"""A real BigQuery emulator for tests: bqemulator (BigQuery REST over DuckDB) in its own virtualenv.

    with BigQueryEmulator() as emulator:
        os.environ["BIGQUERY_EMULATOR_HOST"] = emulator.endpoint
        client = bigquery_client("finsent-test")     # pipelines.warehouse: anonymous credentials

bqemulator pins sqlglot and friends differently from finsent, so it lives in its own virtualenv
(`$FINSENT_BQEMULATOR_VENV`, default `~/.cache/finsent/bqemulator-1.4.0`), created from the pip
registry on first use or ahead of time by `.ci/run` (`python3 tests/bigquery_emulator.py --install`).
It runs as a separate process on 127.0.0.1. Offline it does not start as shipped: at boot it
downloads DuckDB's `spatial` and `avro` extensions. `BQEMU_ENABLE_FORMAT_EXTENSIONS=false` skips
avro, and the start code below replaces the spatial loader with a no-op (finsent has no
GEOGRAPHY column).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from processes import free_port, stop_process

REQUIREMENTS = ("bqemulator==1.4.0", "duckdb==2.0.1", "numpy")
DEFAULT_VENV = Path.home() / ".cache" / "finsent" / "bqemulator-1.4.0"
START = """
import sys
from bqemulator.storage.engine import DuckDBEngine
DuckDBEngine._load_spatial = lambda self: None  # INSTALL spatial needs the internet; no GEOGRAPHY here
from bqemulator.cli import main
main(sys.argv[1:])
"""


def venv_python() -> Path:
    """The emulator virtualenv's python, creating the virtualenv first if needed."""
    venv = Path(os.environ.get("FINSENT_BQEMULATOR_VENV", DEFAULT_VENV))
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import bqemulator, duckdb, numpy"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *REQUIREMENTS],
                   check=True)
    return python


class BigQueryEmulator:
    """bqemulator on 127.0.0.1 for the duration of a `with` block, in memory; `endpoint` is its URL."""

    def __init__(self, startup_timeout: float = 90.0) -> None:
        self._timeout = startup_timeout
        self._process: subprocess.Popen | None = None
        self._folder = tempfile.TemporaryDirectory(prefix="bqemulator-")
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        """What the emulator printed so far."""
        path = Path(self._folder.name) / "emulator.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> BigQueryEmulator:
        python = venv_python()
        env = {**os.environ, "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false", "BQEMU_LOG_LEVEL": "warning"}
        with open(Path(self._folder.name) / "emulator.log", "wb") as log:
            self._process = subprocess.Popen(
                [str(python), "-c", START, "start", "--ephemeral", "--rest-host", "127.0.0.1", "--rest-port",
                 str(self.port), "--grpc-host", "127.0.0.1", "--grpc-port", str(free_port())],
                cwd=self._folder.name, env=env, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"bqemulator exited with {self._process.returncode}:\n{self.log[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/readyz", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"bqemulator not ready after {self._timeout:.0f} s:\n{self.log[-3000:]}")

    def __exit__(self, *exc_info) -> None:
        if self._process is not None:
            stop_process(self._process)
        self._folder.cleanup()


if __name__ == "__main__":
    if sys.argv[1:] != ["--install"]:
        sys.exit("usage: python3 tests/bigquery_emulator.py --install   (creates the emulator's virtualenv)")
    print(f"bqemulator virtualenv ready: {venv_python().parent.parent}")
