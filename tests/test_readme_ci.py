"""README's commands are the ones CI runs, and they stay true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_code_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_readme_starts_with_setup_and_main_job_then_tests():
    setup_and_run, tests = readme_code_blocks()[:2]
    lines = setup_and_run.strip().splitlines()
    assert len(lines) == 2 and lines[1] == "finsent demo"
    assert "torch==2.13.0" in lines[0] and lines[0].index("torch==2.13.0") < lines[0].index("-e ")
    assert tests.strip() == "python3 -m pytest -q"


def pip_steps(text: str) -> list[str]:
    """The `pip install` steps of a script, ignoring `-q`."""
    return [re.sub(r"\s-q\b", "", step).strip() for step in re.findall(r"python3 -m pip install[^&\n]*", text)]


def test_ci_runs_exactly_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    setup_and_run, tests = readme_code_blocks()[:2]
    assert pip_steps(ci) == pip_steps(setup_and_run.strip().splitlines()[0])
    assert ci.strip().splitlines()[-1] == tests.strip()
