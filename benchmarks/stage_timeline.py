"""Where a `finsent run`'s wall time goes: each fused stage's start, duration and CPU, launcher and workers.

Serves a generated site (`benchmarks/newsite.py`) and runs the whole job in a subprocess with
`--direct_num_workers 2 --direct_running_mode multi_processing`, timing every bundle the
DirectRunner's FnApiRunner executes there (it runs one fused stage at a time). Prints the phases — until
the first stage (imports, building the pipeline, starting the job), the stages, after the last
stage — and the slowest stages, with the launcher's and the workers' CPU seconds in each.

    python benchmarks/stage_timeline.py --articles 3000 [--latency 0.2] [--top 12]

This wraps a private FnApiRunner method (`_execute_bundle`, apache-beam 2.77): a profiling aid,
not part of finsent.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from newsite import NewsSite  # noqa: E402

RESULT_MARK = "STAGE_TIMING "
PIPELINE_ARGS = ["--direct_num_workers", "2", "--direct_running_mode", "multi_processing", "--model_threads", "1"]


@dataclass(frozen=True)
class StageTiming:
    """One executed bundle of a fused stage: when it started (s from launch), how long, CPU seconds."""

    name: str
    start: float
    seconds: float
    launcher_cpu: float
    workers_cpu: float


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _workers_cpu(launcher: psutil.Process) -> dict[int, float]:
    seconds = {}
    for child in launcher.children(recursive=True):
        try:
            seconds[child.pid] = _cpu_seconds(child)
        except psutil.Error:
            continue
    return seconds


def record_stages(launched: float) -> list[StageTiming]:
    """Wrap FnApiRunner's bundle execution so every bundle appends its `StageTiming` to the returned list."""
    from apache_beam.runners.portability.fn_api_runner import fn_runner

    timings: list[StageTiming] = []
    execute = fn_runner.FnApiRunner._execute_bundle
    launcher = psutil.Process()

    def timed(self, context, bundle_context, bundle_input):
        started, workers_before, launcher_before = time.time(), _workers_cpu(launcher), _cpu_seconds(launcher)
        result = execute(self, context, bundle_context, bundle_input)
        workers_after = _workers_cpu(launcher)
        timings.append(StageTiming(
            bundle_context.stage.name, started - launched, time.time() - started,
            _cpu_seconds(launcher) - launcher_before,
            sum(cpu - workers_before.get(pid, 0.0) for pid, cpu in workers_after.items())))
        return result

    fn_runner.FnApiRunner._execute_bundle = timed
    return timings


def _short(stage_name: str) -> str:
    """The first named transform of a fused stage's name, e.g. 'ClassifySentences/GroupByArticle/Read'."""
    for part in stage_name.replace("(", " ").replace(")", " ").replace("+", " ").split():
        if not part.startswith("ref_"):
            return part
    return stage_name[:80]


def report(timings: list[StageTiming], finished: float, top: int) -> None:
    """Print the phases and the slowest stages."""
    first = min(t.start for t in timings)
    last = max(t.start + t.seconds for t in timings)
    print(f"until the first stage (imports, build, job start): {first:.1f} s")
    print(f"stages: {len(timings)} bundles from {first:.1f} s to {last:.1f} s "
          f"(sum of their durations {sum(t.seconds for t in timings):.1f} s)")
    print(f"after the last stage (outcome, exit of the job): {finished - last:.1f} s; total {finished:.1f} s")
    print("| start s | wall s | launcher CPU s | workers CPU s | stage |\n|---|---|---|---|---|")
    for t in sorted(timings, key=lambda t: -t.seconds)[:top]:
        print(f"| {t.start:.1f} | {t.seconds:.2f} | {t.launcher_cpu:.2f} | {t.workers_cpu:.2f} | {_short(t.name)} |")


def child(feeds: str, output: str) -> int:
    """Inside the subprocess: run the job with the stage timer; print each timing, then the total."""
    launched = psutil.Process().create_time()
    timings = record_stages(launched)
    from pipelines.runner import run_pipeline

    run_pipeline(["--feeds", feeds, "--output", output, "--run_date", "2026-11-23", "--allow_private_hosts",
                  *PIPELINE_ARGS])
    for timing in timings:
        print(RESULT_MARK + json.dumps(asdict(timing)))
    print(RESULT_MARK + json.dumps({"finished": time.time() - launched}))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Serve the site, run the job once in a subprocess with the stage timer, print the timeline."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child(*argv[1:3])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each response")
    parser.add_argument("--top", type=int, default=12, help="slowest stages to list")
    args = parser.parse_args(argv)
    print("command: python benchmarks/stage_timeline.py " + " ".join(argv))
    with tempfile.TemporaryDirectory(prefix="finsent-timeline-") as tmp, \
            NewsSite(args.articles, args.latency) as site:
        feeds = site.write_feeds_yaml(Path(tmp) / "feeds.yaml")
        stdout = subprocess.run([sys.executable, __file__, "--child", str(feeds), str(Path(tmp) / "out")],
                                cwd=REPO, check=True, stdout=subprocess.PIPE, text=True).stdout
    records = [json.loads(line[len(RESULT_MARK):]) for line in stdout.splitlines() if line.startswith(RESULT_MARK)]
    report([StageTiming(**record) for record in records[:-1]], records[-1]["finished"], args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
