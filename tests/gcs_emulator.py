"""The real Cloud Storage emulator (`gcp-storage-emulator`, PyPI) as a separate process on 127.0.0.1.

    with GcsEmulator("finsent-test") as emulator:
        env = emulator.environment()        # STORAGE_EMULATOR_HOST=http://127.0.0.1:PORT
        ... gs://finsent-test/... works for google-cloud-storage, Beam's GCS IO and pyarrow ...

The emulator keeps its objects in memory and is stopped (SIGTERM, then SIGKILL) on exit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from processes import free_port, stop_process

START_TIMEOUT_S = 30.0


class GcsEmulator:
    """Starts `python -m gcp_storage_emulator start` with `bucket` created, in memory."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self.port = free_port()
        self._process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        """The emulator's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """Environment variables that point Google's clients (and finsent) at the emulator."""
        return {"STORAGE_EMULATOR_HOST": self.endpoint}

    def __enter__(self) -> GcsEmulator:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1", "--port",
             str(self.port), "--default-bucket", self.bucket, "--in-memory", "--quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"gcp-storage-emulator exited: {self._process.stderr.read().decode()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.__exit__()
                    raise RuntimeError(f"gcp-storage-emulator did not listen on {self.port} "
                                       f"within {START_TIMEOUT_S} s") from None
                time.sleep(0.1)

    def __exit__(self, *exc_info: object) -> None:
        if self._process is None:
            return
        stop_process(self._process)
        self._process.stderr.close()
