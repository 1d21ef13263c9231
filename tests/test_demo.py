"""`finsent demo`: the whole daily job on the bundled corpus, also from an installed wheel outside the checkout."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from helpers import REPO, DemoRun

from finsent.constants import DEFAULT_OUTPUT
from finsent_demo.corpus import demo_corpus_dir
from finsent_demo.run import next_steps
from reports.cli import DEFAULT_REPORTS


def test_the_session_demo_ran_the_pipeline_drift_and_report(demo_run: DemoRun):
    assert demo_run.status == 0
    assert demo_run.report.is_file() and demo_run.report.parent == demo_run.reports
    html = demo_run.report.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and str(demo_run.run_date) in html
    assert list(demo_run.reports.glob(f"drift-{demo_run.run_date}*.json")), "no drift summary written"
    assert demo_run.runs_row["articles"] > 0


def test_the_demo_prints_the_report_path_and_commands_with_its_folders(demo_run: DemoRun):
    lines = demo_run.printed.splitlines()
    assert f"daily report: {demo_run.report.resolve()}" in lines
    assert "try next:" in lines
    commands = "\n".join(lines[lines.index("try next:") + 1:])
    assert f"finsent report --data {demo_run.output} --out {demo_run.reports}" in commands
    assert f"--param run_date={demo_run.run_date}" in commands
    assert "finsent run --feeds feeds.yaml" in commands


def test_next_steps_name_no_folder_when_the_demo_wrote_where_the_commands_look():
    text = next_steps(DEFAULT_OUTPUT, DEFAULT_REPORTS, Path(DEFAULT_REPORTS) / "r.html", "2026-11-23")
    assert "--data" not in text and "--out" not in text
    assert "  finsent report  " in text


def package_data() -> dict[str, list[str]]:
    """setup.py's package_data, read without running setup()."""
    import ast

    tree = ast.parse((REPO / "setup.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "package_data":
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py has no package_data")


def test_every_package_data_pattern_matches_files_and_the_demo_corpus_is_all_covered():
    data = package_data()
    for package, patterns in data.items():
        for pattern in patterns:
            assert list((REPO / package).glob(pattern)), f"setup.py: {package}/{pattern} matches no file"
    corpus_files = [p.relative_to(REPO / "finsent_demo").as_posix() for p in demo_corpus_dir().rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts]
    uncovered = [f for f in corpus_files if not any(fnmatch.fnmatch(f, pat) for pat in data["finsent_demo"])]
    assert corpus_files and not uncovered, uncovered


@pytest.mark.slow
def test_the_installed_wheel_runs_the_demo_outside_the_source_tree(tmp_path: Path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(wheels)], check=True, capture_output=True, timeout=300)
    (wheel,) = wheels.glob("finsent-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    python = env_dir / "bin" / "python"
    # The venv sees the system's pip and dependencies (and finsent, installed editable: ignored).
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--ignore-installed", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def finsent(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(env_dir / "bin" / "finsent"), *args], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=600, check=False)

    where = subprocess.run([str(python), "-c", "import finsent_demo.corpus as c, pipelines; "
                            "print(c.demo_corpus_dir()); print(pipelines.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert all(path.startswith(str(env_dir)) for path in where), where  # the wheel's code, not the checkout's

    demo = finsent("demo")
    assert demo.returncode == 0, demo.stderr[-3000:]
    report = elsewhere / "finsent-reports" / "finsent-report-2026-11-23.html"
    assert f"daily report: {report}" in demo.stdout
    assert (elsewhere / "finsent-data" / "articles").is_dir()
    # The commands it suggests work without options: their defaults find the demo's data.
    query = finsent("query", "daily_sentiment_by_source", "--param", "run_date=2026-11-23", "--format", "csv")
    assert query.returncode == 0, query.stderr
    assert "harbour-street-journal" in query.stdout or "Harbour Street Journal" in query.stdout
    rerendered = finsent("report")
    assert rerendered.returncode == 0, rerendered.stderr
    assert report.is_file()
