"""The `finsent` command as an operator meets it: one line per mistake, documented exit codes, nothing written.

Every test runs the real `finsent` console script in a subprocess. The statuses are those of
`finsent.errors`: 0 ok, 1 failed, 2 wrong command line, 3 unhealthy run. Each of `run`'s refusal
rules is specified case by case in test_cli_messages.py (in-process); here one case of each kind
shows the console script obeys them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from finsent.cli import main
from finsent.errors import EXIT_ERROR, EXIT_UNHEALTHY, EXIT_USAGE
from pipelines.commits import read_table

FIXTURES = Path(__file__).parent / "fixtures"
PAGE = FIXTURES / "pages" / "en_markets_news.html"
FINSENT = shutil.which("finsent") or "finsent"
COMMANDS = ("run", "demo", "analyze", "train", "evaluate", "classify", "report", "drift", "email", "query")

# Each test starts `finsent` in a fresh process (1-6 s apiece, ~50 of them): the full suite runs them,
# the inner loop (`-m "not slow"`) does not.
pytestmark = pytest.mark.slow


def finsent(*words: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `finsent WORDS...` and capture what it prints."""
    return subprocess.run([FINSENT, *words], capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def one_line_error(result: subprocess.CompletedProcess, command: str) -> str:
    """The single stderr line of a refused command, checked to start with `finsent COMMAND:`."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"finsent {command}: "), lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


# --- strict command lines: a typo never runs ----------------------------------------------------
# Every rule is specified in-process in test_cli_messages.py; these prove the console script obeys it.

def test_a_command_line_mistake_exits_2_on_one_line_and_writes_nothing(feeds_file: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    result = finsent("run", "--run-datee", "2026-03-05", "--feeds", str(feeds_file), "--output", str(output))
    assert result.returncode == EXIT_USAGE
    assert "unrecognized arguments: --run-datee 2026-03-05 (did you mean --run-date?)" in one_line_error(result, "run")
    assert not output.exists()


def test_demo_refuses_a_misspelt_option(tmp_path: Path) -> None:
    result = finsent("demo", "--outptu", str(tmp_path / "x"), cwd=tmp_path)
    assert result.returncode == EXIT_USAGE
    assert "did you mean --output?" in one_line_error(result, "demo")
    assert not (tmp_path / "x").exists() and not (tmp_path / "finsent-data").exists()


def test_hyphenated_spellings_are_declared_aliases(feeds_file: Path, tmp_path: Path) -> None:
    """--run-date and --allow-private-hosts are accepted (the run then stops at the bad feeds file)."""
    bad_feeds = tmp_path / "bad.yaml"
    bad_feeds.write_text("feeds: [{name: x}]\n")
    result = finsent("run", "-v", "--run-date", "2026-03-05", "--allow-private-hosts", "--feeds", str(bad_feeds),
                     "--output", str(tmp_path / "out"))
    assert result.returncode == EXIT_ERROR
    assert "feed #1 'x': 'url' must be" in one_line_error(result, "run")


def test_a_bad_input_exits_1_on_one_line_before_anything_is_written(feeds_file: Path, tmp_path: Path) -> None:
    (tmp_path / "companies.yaml").write_text("- just a list\n")
    output = tmp_path / "out"
    result = finsent("run", "--feeds", str(feeds_file), "--output", str(output),
                     "--companies", str(tmp_path / "companies.yaml"))
    assert result.returncode == EXIT_ERROR
    assert "companies.yaml: expected a mapping with a `companies` list" in one_line_error(result, "run")
    assert not output.exists()


# --- other commands: the same rule ---------------------------------------------------------------

def test_analyze_refuses_a_binary_file_on_one_line() -> None:
    result = finsent("analyze", sys.executable)
    assert result.returncode == EXIT_ERROR
    assert "not an HTML page (binary data)" in one_line_error(result, "analyze")


def test_report_refuses_an_out_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file.html").write_text("")
    result = finsent("report", "--data", str(tmp_path), "--out", str(tmp_path / "file.html"))
    assert result.returncode == EXIT_ERROR
    assert "is a file, not a folder" in one_line_error(result, "report")


def test_report_on_a_folder_without_runs_says_what_to_do(tmp_path: Path) -> None:
    result = finsent("report", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "reports"))
    assert result.returncode == EXIT_ERROR
    assert "run `finsent run` or `finsent demo` first" in one_line_error(result, "report")


def test_email_lists_every_missing_setting_at_once_before_reading_data(tmp_path: Path) -> None:
    env = {name: "" for name in ("FINSENT_SMTP_HOST", "FINSENT_MAIL_FROM", "FINSENT_SMTP_SECURITY",
                                 "FINSENT_SMTP_PORT", "FINSENT_SMTP_USER", "FINSENT_SMTP_PASSWORD")}
    started = time.monotonic()
    result = finsent("email", "--to", "desk@example.com", "--data", str(tmp_path / "none"), env=env)
    assert result.returncode == EXIT_ERROR
    line = one_line_error(result, "email")
    assert "no SMTP host" in line and "no sender address" in line
    assert time.monotonic() - started < 5, "settings are checked before the report's heavy imports"


def test_train_set_without_equals_is_a_usage_error() -> None:
    result = finsent("train", "--set", "epochs")
    assert result.returncode == EXIT_USAGE
    assert "--set expects KEY=VALUE, got 'epochs'" in one_line_error(result, "train")


def test_an_unknown_query_is_a_usage_error() -> None:
    result = finsent("query", "no_such_query")
    assert result.returncode == EXIT_USAGE
    assert "unknown query 'no_such_query'" in one_line_error(result, "query")


# --- help and version ----------------------------------------------------------------------------

def test_version_prints_the_installed_version() -> None:
    result = finsent("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("finsent ") and result.stdout.split()[1][0].isdigit()


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command_is_quick_and_shows_defaults(command: str) -> None:
    started = time.monotonic()
    result = finsent(command, "--help")
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 2.0
    assert "-q, --quiet" in result.stdout and "--debug" in result.stdout
    if command == "run":
        assert "--report" in result.stdout and "--email_to" in result.stdout
        assert "(default: 16)" in result.stdout  # --fetch_concurrency
        assert "Exit status" in result.stdout


def test_help_imports_neither_torch_nor_beam() -> None:
    code = ("import sys\nfrom finsent.cli import main\ntry:\n    main(['run', '--help'])\nexcept SystemExit:\n"
            "    pass\nprint(sorted(m for m in ('torch', 'apache_beam') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "[]"


# --- --companies ---------------------------------------------------------------------------------

def test_analyze_uses_the_company_list_given_with_companies(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    companies = tmp_path / "coverage.yaml"
    companies.write_text("companies:\n  - {ticker: NSTL.ST, exchange: Nasdaq Stockholm, name: Nordvik Steel AB, "
                         "aliases: [Nordvik Steel]}\n")
    assert main(["analyze", str(PAGE), "--json"]) == 0  # the shipped list, in-process
    assert "NSTL.ST" not in capsys.readouterr().out
    custom = finsent("analyze", str(PAGE), "--json", "--companies", str(companies))
    assert custom.returncode == 0, custom.stderr
    assert '"ticker": "NSTL.ST"' in custom.stdout


# --- a run that collected nothing is not a success ------------------------------------------------

@pytest.mark.slow
def test_a_run_whose_every_feed_failed_exits_3_with_its_rows_written(feeds_file: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    result = finsent("run", "--feeds", str(feeds_file), "--output", str(output), "--allow_private_hosts",
                     "--fetch_retries", "0", "--run_date", "2026-03-05",
                     env={"FINSENT_PROGRESS_INTERVAL_S": "0.5"})
    assert result.returncode == EXIT_UNHEALTHY, result.stderr
    assert "finsent run: unhealthy: every feed failed (1 of 1 unreachable or malformed)" in result.stderr
    assert "progress " in result.stderr and "entries read" in result.stderr
    assert read_table(str(output), "runs").num_rows == 1
    assert "feed_unreachable 1" in result.stdout


@pytest.mark.slow
def test_quiet_hides_progress_lines(feeds_file: Path, tmp_path: Path) -> None:
    result = finsent("run", "-q", "--feeds", str(feeds_file), "--output", str(tmp_path / "out"),
                     "--allow_private_hosts", "--fetch_retries", "0", "--max_failure_rate", "1",
                     env={"FINSENT_PROGRESS_INTERVAL_S": "0.5"})
    assert "progress " not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "finsent run: unhealthy: every feed failed (1 of 1 unreachable or malformed)"]
