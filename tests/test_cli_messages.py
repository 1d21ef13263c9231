"""Every refusal of `finsent run`: one line naming the mistake, the documented status, nothing written.

These call `finsent.cli.main` in this process: the same parser, handlers and messages as the
console script, without a Beam start-up per case. test_cli.py runs the real script in a subprocess
for one case of each kind, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from finsent.cli import main
from finsent.errors import EXIT_ERROR, EXIT_USAGE


@dataclass(frozen=True)
class Refusal:
    """What `finsent run` returned and printed."""

    status: int
    stdout: str
    stderr: str

    def line(self) -> str:
        """The one stderr line, checked to start with `finsent run: ` and to carry no traceback."""
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, self.stderr
        assert lines[0].startswith("finsent run: ") and "Traceback" not in self.stderr, lines[0]
        return lines[0]


@pytest.fixture
def finsent_run(capsys: pytest.CaptureFixture[str]):
    """Call `finsent run WORDS...` in-process and capture what it prints."""

    def run(*words: str) -> Refusal:
        status = main(["run", *words])
        captured = capsys.readouterr()
        return Refusal(status, captured.out, captured.err)

    return run


@pytest.mark.parametrize(("words", "expected"), [
    (["--run-datee", "2026-03-05"], "unrecognized arguments: --run-datee 2026-03-05 (did you mean --run-date?)"),
    (["--allow-private-host"], "unrecognized arguments: --allow-private-host"),
    (["--run_date", ""], "--run_date/--run-date: must be a date YYYY-MM-DD, got ''"),
    (["--run_date", "2026-02-30"], "must be a date YYYY-MM-DD, got '2026-02-30'"),
    (["--fetch_concurrency", "0"], "--fetch_concurrency/--fetch-concurrency: must be at least 1, got 0"),
    (["--max_failure_rate", "1.5"], "must be at most 1, got 1.5"),
    (["--bigquery_dataset", "nodataset"], "--bigquery_dataset must be PROJECT:DATASET"),
    (["--direct-num-workers", "2"], "did you mean --direct_num_workers?"),
])
def test_a_command_line_mistake_exits_2_on_one_line_and_writes_nothing(
        finsent_run, words: list[str], expected: str, feeds_file: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    refusal = finsent_run(*words, "--feeds", str(feeds_file), "--output", str(output))
    assert refusal.status == EXIT_USAGE
    assert expected in refusal.line()
    assert not output.exists()


@pytest.mark.parametrize(("setup", "expected"), [
    ("bad_feeds", "bad.yaml: feed #1 'x': 'url' must be an http(s) URL or a file path"),
    ("missing_feeds", "missing.yaml: cannot read the file"),
    ("unwritable_output", "cannot write there"),
    ("unknown_runner", "Unexpected pipeline runner: NoSuchRunner"),
    ("bad_companies", "companies.yaml: expected a mapping with a `companies` list"),
])
def test_a_bad_input_exits_1_on_one_line_before_anything_is_written(
        finsent_run, setup: str, expected: str, feeds_file: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    words = ["--feeds", str(feeds_file), "--output", str(output)]
    if setup == "bad_feeds":
        (tmp_path / "bad.yaml").write_text("feeds: [{name: x}]\n")
        words[1] = str(tmp_path / "bad.yaml")
    elif setup == "missing_feeds":
        words[1] = str(tmp_path / "missing.yaml")
    elif setup == "unwritable_output":
        (tmp_path / "file").write_text("")
        output = tmp_path / "file" / "out"
        words[3] = str(output)
    elif setup == "unknown_runner":
        words += ["--runner", "NoSuchRunner"]
    elif setup == "bad_companies":
        (tmp_path / "companies.yaml").write_text("- just a list\n")
        words += ["--companies", str(tmp_path / "companies.yaml")]
    refusal = finsent_run(*words)
    assert refusal.status == EXIT_ERROR
    assert expected in refusal.line()
    assert not output.exists()
