"""Dataflow readiness: the job graph builds for DataflowRunner without submitting, setup.py stages the
project, everything pickles across worker processes, and the deploy files agree with the real options.
"""

from __future__ import annotations

import argparse
import json
import re
import tarfile
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from finsent.constants import DATASET_PATTERN
from pipelines.bigquery import bigquery_row
from pipelines.main import submit
from pipelines.options import FinsentOptions
from pipelines.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "europe-west1-docker.pkg.dev/my-project/finsent/finsent:abc123"
METADATA = json.loads((ROOT / "deploy" / "metadata.json").read_text())


def finsent_actions() -> dict[str, argparse.Action]:
    parser = argparse.ArgumentParser()
    FinsentOptions._add_argparse_args(parser)
    return {action.dest: action for action in parser._actions if action.dest != "help"}


# --- DataflowRunner: the graph, without submitting -----------------------------------------------

@pytest.mark.slow
def test_the_flex_template_main_builds_the_whole_job_for_dataflow_without_submitting():
    result = submit(["--runner", "DataflowRunner", "--dry_run", "True", "--project", "my-project",
                     "--region", "europe-west1", "--temp_location", "gs://my-bucket/temp",
                     "--output", "gs://my-bucket/finsent-data", "--reprocess",
                     "--feeds", str(ROOT / "feeds.yaml"), "--bigquery_dataset", "my-project:finsent",
                     "--sdk_container_image", IMAGE, "--sdk_location", "container"])
    assert result.state == beam.runners.runner.PipelineState.DONE
    pipeline = result.job.proto_pipeline
    names = {transform.unique_name for transform in pipeline.components.transforms.values()}
    for stage in ("ReadFeeds", "Deduplicate", "ScrapeArticles", "SplitSentences", "ClassifySentences",
                  "ScoreArticles", "WriteParquet", "WriteBigQuery"):
        assert stage in names
    for table in TABLES:
        title = table.capitalize()
        assert {f"WriteBigQuery/{title}ToJson", f"WriteBigQuery/Stage{title}"} <= names
    (commit,) = [t for t in pipeline.components.transforms.values()
                 if t.unique_name == "WriteBigQuery/CommitRunDate"]
    # one side input per table for its load jobs and one for its copy jobs: the commit waits for all
    assert len(commit.inputs) == 1 + 2 * len(TABLES)
    images = [env.payload for env in pipeline.components.environments.values()]
    assert any(IMAGE.encode() in payload for payload in images)


def test_setup_py_works_as_setup_file_and_stages_code_queries_and_model(tmp_path: Path):
    from apache_beam.runners.portability.stager import Stager

    Stager.create_job_resources(PipelineOptions(["--setup_file", str(ROOT / "setup.py")]), str(tmp_path))
    (sdist,) = tmp_path.glob("finsent-*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"setup.py", "pipelines/pipeline.py", "pipelines/bigquery.py", "pipelines/main.py",
            "model/predict.py", "reports/sql.py", "reports/queries/daily_sentiment_by_source.sql",
            "model/configs/default.yaml"} <= members
    shipped = {f"model/artifacts/{p.name}" for p in (ROOT / "model" / "artifacts").glob("*") if p.is_file()}
    assert shipped <= members


# --- DirectRunner with 2 worker processes (the session's `multiprocess_run`): everything pickles ----

@pytest.mark.slow
def test_multiprocess_run_accounts_for_every_entry(multiprocess_run):
    runs = multiprocess_run["outcome"].runs_row
    expected = multiprocess_run["expected"]
    assert runs["entries"] == runs["articles"] + runs["failures"] + runs["duplicates"]
    assert (runs["feeds"], runs["entries"], runs["articles"], runs["duplicates"], runs["failures"]) == (
        expected["feeds"], expected["feed_entries"], expected["articles"], expected["duplicates"],
        expected["failures_total"])
    assert multiprocess_run["outcome"].failures_by_reason == expected["failures"]


@pytest.mark.slow
def test_multiprocess_run_commits_rows_matching_its_counts(multiprocess_run):
    rows = multiprocess_run["rows"]
    runs = multiprocess_run["outcome"].runs_row
    assert len(rows["runs"]) == 1
    assert len(rows["articles"]) == runs["articles"]
    assert len(rows["sentences"]) == runs["sentences"] > 0
    assert len({r["article_id"] for r in rows["articles"]}) == len(rows["articles"])
    assert {r["article_id"] for r in rows["sentences"]} <= {r["article_id"] for r in rows["articles"]}


@pytest.mark.slow
def test_every_row_of_a_real_run_converts_to_strict_bigquery_json(multiprocess_run):
    run_date = multiprocess_run["outcome"].run.run_date
    for table, rows in multiprocess_run["rows"].items():
        for row in rows:
            converted = bigquery_row(table, {**row, "run_date": run_date})
            assert json.loads(json.dumps(converted, allow_nan=False)) == converted


# --- deploy files agree with the real options ---------------------------------------------------

def test_metadata_parameters_are_real_options_the_launcher_can_pass():
    actions = finsent_actions()
    beam_options = set(PipelineOptions([]).get_all_options())
    for param in METADATA["parameters"]:
        name = param["name"]
        assert name in actions or name in beam_options, f"{name} is no finsent or Beam option"
        assert param["helpText"] and param["label"]
        if name in actions:
            # The launcher passes --name=value; argparse flags (store_true) cannot take a value.
            assert actions[name].nargs != 0, f"{name} is a flag; a template parameter cannot set it"
    assert [p["name"] for p in METADATA["parameters"] if not p.get("isOptional")] == ["output"]


EXAMPLES = {
    "output": "gs://my-bucket/finsent-data", "bigquery_dataset": "my-project:finsent",
    "feeds": "/template/feeds.yaml", "run_date": "2026-11-23", "model_path": "/template/model/artifacts",
    "sdk_container_image": IMAGE,
}


@pytest.mark.parametrize("param", METADATA["parameters"], ids=lambda p: p["name"])
def test_each_metadata_regex_accepts_valid_values_that_the_options_parse(param):
    (regex,) = param["regexes"]
    actions = finsent_actions()
    action = actions.get(param["name"])
    value = EXAMPLES.get(param["name"]) or str(action.default)
    assert re.fullmatch(regex, value), f"{param['name']}: {value!r} does not match {regex}"
    if action is not None:
        parsed = FinsentOptions([f"--{param['name']}={value}"]).get_all_options()[param["name"]]
        assert parsed == (action.type(value) if action.type else value)


@pytest.mark.parametrize("name, bad", [("output", "/local/folder"), ("bigquery_dataset", "finsent"),
                                       ("run_date", "2026-13-01"), ("article_label_threshold", "1.5"),
                                       ("feeds", "gs://bucket/feeds.yaml")])
def test_metadata_regexes_refuse_bad_values(name, bad):
    (regex,) = next(p for p in METADATA["parameters"] if p["name"] == name)["regexes"]
    assert not re.fullmatch(regex, bad)


def test_the_dataset_regex_is_the_one_the_pipeline_uses():
    (regex,) = next(p for p in METADATA["parameters"] if p["name"] == "bigquery_dataset")["regexes"]
    assert regex == f"^{DATASET_PATTERN}$"


def test_dockerfile_matches_the_pinned_beam_and_python_and_copies_what_the_launcher_needs():
    dockerfile = (ROOT / "Dockerfile").read_text()
    setup = (ROOT / "setup.py").read_text()
    beam_pin = re.search(r'"apache-beam==([\d.]+)"', setup)[1]
    assert beam_pin == beam.__version__
    assert f"FROM apache/beam_python3.11_sdk:{beam_pin}" in dockerfile
    assert "--index-url https://download.pytorch.org/whl/cpu" in dockerfile
    assert "FLEX_TEMPLATE_PYTHON_PY_FILE=/template/main.py" in dockerfile
    assert "cp pipelines/main.py main.py" in dockerfile
    assert "FLEX_TEMPLATE_PYTHON_SETUP_FILE=/template/setup.py" in dockerfile
    assert 'ENTRYPOINT ["/opt/apache/beam/boot"]' in dockerfile
    copied = [word.rstrip("/") for line in dockerfile.splitlines() if line.startswith("COPY ")
              and "--from" not in line for word in line.split()[1:-1]]
    allowed = {line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.startswith("!")}
    assert copied and set(copied) <= allowed
    assert all((ROOT / path).exists() for path in copied)
