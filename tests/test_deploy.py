"""The daily loop's deploy files, checked offline: yamllint, the workflow's wiring, and the real options.

No Google Cloud here, so nothing in deploy/ runs. What can be checked is that the files agree with
each other and with finsent: the workflow's steps and jumps exist, it reads exactly the input the
scheduler sends, the Flex Template parameters it passes are declared in metadata.json and valid,
and the commands it and the Makefile give the report job parse with finsent's own parser.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from finsent.cli import build_parser
from reports.cli import run_report

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
WORKFLOW = yaml.safe_load((DEPLOY / "daily.workflow.yaml").read_text())
METADATA = json.loads((DEPLOY / "metadata.json").read_text())
# The connectors the workflow calls (Workflows connectors reference: dataflow v1b3, run v2).
CONNECTORS = {"googleapis.dataflow.v1b3.projects.locations.flexTemplates.launch",
              "googleapis.dataflow.v1b3.projects.locations.jobs.get",
              "googleapis.run.v2.projects.locations.jobs.run"}
ENV = {"TEMPLATE": "gs://my-bucket/templates/finsent-abc123.json", "OUTPUT": "gs://my-bucket/finsent-data",
       "IMAGE": "europe-west1-docker.pkg.dev/my-project/finsent/finsent:abc123",
       "WORKER_SA": "finsent-worker@my-project.iam.gserviceaccount.com", "BUCKET": "my-bucket",
       "DATASET_SPEC": "my-project:finsent", "REPORT_JOB": "finsent-report", "EMAIL_TO": "desk@example.com"}
RUN_DATE = "2026-11-23"


def load_schedule_body():
    spec = importlib.util.spec_from_file_location("schedule_body", DEPLOY / "schedule_body.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def steps(subworkflow: str) -> list[tuple[str, dict]]:
    """(name, body) of every step of a subworkflow, nested switch steps included."""
    found = []
    pending = list(WORKFLOW[subworkflow]["steps"])
    while pending:
        ((name, body),) = pending.pop(0).items()
        found.append((name, body))
        for branch in body.get("switch", []):
            pending.extend(branch.get("steps", []))
    return found


def expressions(node) -> list[str]:
    """Every `${...}` expression in a YAML node."""
    if isinstance(node, str):
        return re.findall(r"\$\{(.*?)\}$", node.strip(), flags=re.S)
    if isinstance(node, dict):
        return [e for value in node.values() for e in expressions(value)]
    if isinstance(node, list):
        return [e for value in node for e in expressions(value)]
    return []


def resolve(value: str, workflow_input: dict) -> str:
    """A `${input.NAME}` or `${run_date}` value with the example input."""
    (expression,) = expressions(value)
    if expression == "run_date":
        return RUN_DATE
    assert expression.startswith("input."), expression
    return str(workflow_input[expression.removeprefix("input.")])


def test_yamllint_passes_strictly():
    done = subprocess.run(["yamllint", "--strict", "deploy/"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_step_is_one_named_step_and_every_jump_lands():
    assert set(WORKFLOW) == {"main", "job_final_state"}
    for name in WORKFLOW:
        named = steps(name)
        names = [step for step, _ in named]
        assert len(names) == len(set(names)), name
        for step, body in named:
            targets = [body.get("next")] + [branch.get("next") for branch in body.get("switch", [])]
            for target in filter(None, targets):
                assert target in names or target == "end", f"{name}.{step} jumps to unknown {target}"


def test_every_call_is_a_known_connector_sys_sleep_or_a_subworkflow_with_its_params():
    calls = {body["call"]: body for name in WORKFLOW for _, body in steps(name) if "call" in body}
    assert set(calls) == CONNECTORS | {"sys.sleep", "job_final_state"}
    assert set(calls["job_final_state"]["args"]) == set(WORKFLOW["job_final_state"]["params"])


def test_the_workflow_reads_exactly_the_input_the_scheduler_sends():
    used = {match for expression in expressions(WORKFLOW["main"])
            for match in re.findall(r"\binput\.(\w+)", expression)}
    body = load_schedule_body().schedule_body(ENV)
    assert set(json.loads(body["argument"])) == used


def test_the_launch_passes_declared_template_parameters_with_valid_values():
    (launch,) = [body for _, body in steps("main") if body.get("call", "").endswith("flexTemplates.launch")]
    parameters = launch["args"]["body"]["launchParameter"]["parameters"]
    workflow_input = load_schedule_body().workflow_input(ENV)
    declared = {p["name"]: p["regexes"][0] for p in METADATA["parameters"]}
    for name, value in parameters.items():
        assert re.fullmatch(declared[name], resolve(value, workflow_input)), name
    assert resolve(parameters["run_date"], workflow_input) == RUN_DATE  # the report reads the same date
    environment = launch["args"]["body"]["launchParameter"]["environment"]
    assert resolve(environment["tempLocation"], workflow_input).startswith("gs://my-bucket/")


def report_args_of_workflow() -> list[str]:
    (run,) = [body for _, body in steps("main") if body.get("call", "").endswith("run.v2.projects.locations.jobs.run")]
    (container,) = run["args"]["body"]["overrides"]["containerOverrides"]
    workflow_input = load_schedule_body().workflow_input(ENV)
    return [resolve(arg, workflow_input) if "${" in arg else arg for arg in container["args"]]


def report_args_of_makefile() -> list[str]:
    dry = subprocess.run(["make", "-n", "-C", str(DEPLOY), "report-job", "PROJECT=my-project", "TAG=abc123"],
                         capture_output=True, text=True, check=True).stdout
    words = shlex.split(dry.replace("\\\n", " "))
    assert words[words.index("--command") + 1] == "finsent"
    return words[words.index("--args") + 1].split(",")


@pytest.mark.parametrize("source", [report_args_of_workflow, report_args_of_makefile])
def test_the_report_job_runs_finsent_report_from_bigquery_with_an_email(source):
    args = build_parser().parse_args(source())
    assert args.handler is run_report
    assert args.bigquery_dataset == "my-project:finsent" and args.data is None
    assert args.email_to and all("@" in address for address in args.email_to)


def test_the_smtp_password_comes_only_from_secret_manager():
    dry = subprocess.run(["make", "-n", "-C", str(DEPLOY), "report-job", "PROJECT=my-project", "TAG=abc123"],
                         capture_output=True, text=True, check=True).stdout
    assert "--set-secrets FINSENT_SMTP_PASSWORD=finsent-smtp-password:latest" in dry
    assert "FINSENT_SMTP_PASSWORD" not in dry.split("--set-env-vars", 1)[1].split("--set-secrets", 1)[0]
