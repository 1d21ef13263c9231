"""Prints the body Cloud Scheduler POSTs daily to start one execution of deploy/daily.workflow.yaml.

The workflow's `input`: where the Flex Template, image, output and dataset are, the worker service
account, the Cloud Run report job and who gets the email. Settings come from the environment
(deploy/Makefile exports them). No run date: each execution processes the day it starts (UTC).
"""

from __future__ import annotations

import json
import os
import sys

REQUIRED = ("TEMPLATE", "OUTPUT", "IMAGE", "WORKER_SA", "BUCKET", "DATASET_SPEC", "REPORT_JOB", "EMAIL_TO")


def workflow_input(env: dict[str, str]) -> dict:
    """The `input` of one daily execution of the workflow."""
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        raise SystemExit(f"schedule_body: set {', '.join(missing)} (see deploy/Makefile)")
    return {
        "template": env["TEMPLATE"],
        "output": env["OUTPUT"],
        "bigquery_dataset": env["DATASET_SPEC"],
        "image": env["IMAGE"],
        "worker_service_account": env["WORKER_SA"],
        "temp_location": f"gs://{env['BUCKET']}/temp",
        "staging_location": f"gs://{env['BUCKET']}/staging",
        "max_workers": int(env.get("MAX_WORKERS", "4")),
        "job_timeout_seconds": int(env.get("JOB_TIMEOUT", "10800")),
        "report_job": env["REPORT_JOB"],
        "email_to": env["EMAIL_TO"],
    }


def schedule_body(env: dict[str, str]) -> dict:
    """The Workflows `executions.create` request body: the input as a JSON string."""
    return {"argument": json.dumps(workflow_input(env), sort_keys=True)}


if __name__ == "__main__":
    # --input: the workflow input alone, for `gcloud workflows run --data` (make run-loop)
    body = workflow_input(dict(os.environ)) if sys.argv[1:] == ["--input"] else schedule_body(dict(os.environ))
    json.dump(body, sys.stdout, sort_keys=True)
    print()
