"""The exit statuses of `finsent` and the error a user can fix; the CLI root turns each into one line.

| status | meaning |
|---|---|
| 0 | done, and the run (if any) was healthy |
| 1 | failed: a problem with the input, the environment or the run, told in one line |
| 2 | the command line is wrong: unknown option, bad value, missing argument |
| 3 | the run finished and wrote its rows, but is unhealthy (see `finsent run --help`) |
| 4 | `finsent drift --fail-on-drift` found drift |
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNHEALTHY = 3
EXIT_DRIFT = 4


class FinsentError(Exception):
    """A failure the user can fix (bad file, unreachable server, missing setting): one line, exit 1."""


class UsageError(FinsentError):
    """The command line is wrong (unknown option, bad value): one line, exit 2."""
