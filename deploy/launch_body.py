"""Prints the Dataflow `flexTemplates:launch` request body that the Cloud Scheduler job POSTs daily.

Settings come from the environment (deploy/Makefile exports them). `run_date` is left out so
each launch processes the day it starts (today in UTC).
"""

from __future__ import annotations

import json
import os
import sys

REQUIRED = ("TEMPLATE", "OUTPUT", "IMAGE", "WORKER_SA", "BUCKET")


def launch_body(env: dict[str, str]) -> dict:
    """The request body of `projects.locations.flexTemplates.launch` for one daily run."""
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        raise SystemExit(f"launch_body: set {', '.join(missing)} (see deploy/Makefile)")
    parameters = {"output": env["OUTPUT"], "sdk_container_image": env["IMAGE"]}
    if env.get("DATASET_SPEC"):
        parameters["bigquery_dataset"] = env["DATASET_SPEC"]
    return {"launchParameter": {
        "jobName": env.get("JOB_NAME", "finsent-daily"),
        "containerSpecGcsPath": env["TEMPLATE"],
        "parameters": parameters,
        "environment": {
            "serviceAccountEmail": env["WORKER_SA"],
            "tempLocation": f"gs://{env['BUCKET']}/temp",
            "stagingLocation": f"gs://{env['BUCKET']}/staging",
            "maxWorkers": int(env.get("MAX_WORKERS", "4")),
        },
    }}


if __name__ == "__main__":
    json.dump(launch_body(dict(os.environ)), sys.stdout, indent=2)
    print()
