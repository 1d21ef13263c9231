"""Runs `finsent run` and SIGKILLs its own process at a named point of the date commit.

    python tests/crash_during_commit.py POINT [finsent run options...]

The run is real (DirectRunner in_memory, so the commit step runs in this process); only the
moment of death is chosen, by wrapping one function of `pipelines.commits`:

- before_manifest: every table is written, the manifest is not;
- before_rename:   the new manifest is in its temporary file, not yet renamed over the old one;
- before_cleanup:  the manifest is replaced, no dead run's folder is deleted yet;
- mid_cleanup:     one dead run's folder is deleted, the others are not.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pipelines.commits as commits
from finsent.cli import main

POINTS = ("before_manifest", "before_rename", "before_cleanup", "mid_cleanup")


def die(*args: object, **kwargs: object) -> None:
    """SIGKILL this process: no exception handler, `finally` or atexit runs."""
    os.kill(os.getpid(), signal.SIGKILL)


def crash_at(point: str) -> None:
    """Make the commit die at `point`."""
    if point == "before_manifest":
        commits.write_manifest = die
    elif point == "before_rename":
        rename = os.replace

        def replace(source: str, target: str) -> None:
            if Path(target).parent.name == commits.MANIFESTS:  # not, e.g., the progress files
                die()
            rename(source, target)

        os.replace = replace
    elif point == "before_cleanup":
        commits.remove_dead_runs = die
    elif point == "mid_cleanup":
        remove, removed = commits.remove_folder, []

        def remove_one(fs: object, folder: str, files: list[str]) -> None:
            if removed:
                die()
            remove(fs, folder, files)
            removed.append(folder)

        commits.remove_folder = remove_one
    else:
        raise SystemExit(f"unknown point {point!r}; one of {', '.join(POINTS)}")


if __name__ == "__main__":
    crash_at(sys.argv[1])
    sys.exit(main(["run", *sys.argv[2:]]))
