"""Flex Template entry point: submits the finsent job with the launcher's arguments and returns.

The Dataflow Flex Template launcher runs `python pipelines/main.py --name=value ...` (the file
named by FLEX_TEMPLATE_PYTHON_PY_FILE in the Dockerfile). Unlike `finsent run`, it does not wait
for the job to finish: the launcher only has to submit it.
"""

from __future__ import annotations

import logging
import sys

import apache_beam as beam

from pipelines.options import run_settings
from pipelines.pipeline import build_pipeline
from pipelines.runner import pipeline_options
from pipelines.runs import RunInfo


def submit(argv: list[str]) -> beam.runners.runner.PipelineResult:
    """Build the finsent job from command-line words and start it without waiting."""
    options = pipeline_options(argv)
    run = RunInfo.new(run_settings(options).job.run_date)
    pipeline = beam.Pipeline(options=options)
    build_pipeline(pipeline, options, run)
    logging.info("submitting finsent run %s (run_date %s)", run.run_id, run.run_date)
    return pipeline.run()


if __name__ == "__main__":
    logging.getLogger().setLevel(logging.INFO)
    submit(sys.argv[1:])
