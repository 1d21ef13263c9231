"""End-to-end `finsent run` at scale: wall time, throughput, peak RSS and stage times against the CPU bound.

For each N it generates a local news site (`benchmarks/newsite.py`), then:

- the CPU bound: standalone extraction (`extract_article`) and standalone classification
  (`SentimentClassifier.predict`, 1 torch thread) of the same pages, divided by the cores used
  (measured on the first `--bound_sample` articles and scaled by pages and sentences);
- for each latency: `pipelines.runner.run_pipeline` in a subprocess (the whole `finsent run`,
  imports and model load included), polling the peak RSS of its process tree, with Beam's
  per-transform execution times as the stage times;
- the sequential baseline (`benchmarks/sequential_baseline.py`) on the same site and model, over
  the first `--baseline_articles` articles, compared as articles/s.

    python benchmarks/pipeline_scale.py --articles 300 --latencies 0 0.2 [--model_path DIR]

Prints one table row per run, the ratios the targets are stated in, and the command.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from newsite import NewsSite  # noqa: E402

RESULT_MARK = "PIPELINE_SCALE_RESULT "
STAGES = ("ReadFeeds", "Deduplicate", "ScrapeArticles", "GroupStories", "SplitSentences", "ClassifySentences",
          "DetectMentions", "ScoreArticles", "CountRun", "WriteParquet")
DEFAULT_PIPELINE_ARGS = "--direct_num_workers 2 --direct_running_mode multi_processing --model_threads 1"


@dataclass(frozen=True)
class RunFigures:
    """One end-to-end run: wall seconds (process start to exit), output counts, peak RSS, stage msecs."""

    latency: float
    wall: float
    articles: int
    sentences: int
    failures: int
    peak_rss: int
    peak_launcher_rss: int
    peak_worker_rss: int
    stage_ms: dict[str, float]


@dataclass(frozen=True)
class BoundFigures:
    """Standalone CPU seconds of the essential work for all N pages (scaled from a sample)."""

    extract: float
    split: float
    classify: float
    cores: int
    sample: int

    @property
    def bound(self) -> float:
        """Extraction plus classification, spread perfectly over the cores."""
        return (self.extract + self.classify) / self.cores


def child(finsent_argv: list[str]) -> int:
    """Inside the measured subprocess: `run_pipeline`, then print its counts and Beam's stage times."""
    import apache_beam as beam

    from pipelines.runner import run_pipeline

    results = []
    original_run = beam.Pipeline.run

    def run_and_keep(self, *args, **kwargs):  # keep the PipelineResult, which run_pipeline drops
        result = original_run(self, *args, **kwargs)
        results.append(result)
        return result

    beam.Pipeline.run = run_and_keep
    outcome = run_pipeline(finsent_argv)
    assert outcome is not None, "the benchmark writes to a local output"
    row = outcome.runs_row
    print(RESULT_MARK + json.dumps({"articles": row["articles"], "sentences": row["sentences"],
                                    "failures": row["failures"], "stage_ms": stage_msecs(results[0])}))
    return 0


def stage_msecs(result) -> dict[str, float]:
    """Execution msecs summed per top-level transform (the stages), from Beam's monitoring metrics."""
    totals: dict[str, float] = {}
    for metric in result.monitoring_metrics().query()["counters"]:
        if metric.key.metric.name.endswith("ptransform_execution_time:total_msecs:v1"):
            stage = metric.key.step.split("/")[0]
            stage = stage if stage in STAGES else "other"
            totals[stage] = totals.get(stage, 0.0) + float(metric.committed or 0)
    return totals


@dataclass(frozen=True)
class PeakRss:
    """Peak resident bytes of a process tree: all of it, its root (the launcher), its descendants."""

    tree: int = 0
    root: int = 0
    descendants: int = 0

    def updated(self, process: psutil.Process) -> PeakRss:
        """These peaks, raised by one sample of `process` and its descendants now."""
        root = _rss(process)
        descendants = sum(_rss(child) for child in process.children(recursive=True))
        return PeakRss(max(self.tree, root + descendants), max(self.root, root),
                       max(self.descendants, descendants))


def _rss(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except psutil.Error:  # it exited between listing and sampling
        return 0


def run_measured(command: list[str], log: Path) -> tuple[float, PeakRss, str]:
    """Run `command`, polling its process tree's RSS every 0.1 s; (wall seconds, peaks, stdout)."""
    started = time.perf_counter()
    with log.open("w") as errors:
        proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=errors, text=True)
        watched, peak = psutil.Process(proc.pid), PeakRss()
        while proc.poll() is None:
            with contextlib.suppress(psutil.Error):  # the process may exit between poll() and here
                peak = peak.updated(watched)
            time.sleep(0.1)
        stdout = proc.stdout.read() if proc.stdout else ""
    wall = time.perf_counter() - started
    if proc.returncode:
        raise RuntimeError(f"{' '.join(command)} exited {proc.returncode}; see {log}")
    return wall, peak, stdout


def run_pipeline_once(site: NewsSite, workdir: Path, model_path: str | None, extra: list[str]) -> RunFigures:
    """One `finsent run` over the whole site, in a fresh output folder."""
    feeds = site.write_feeds_yaml(workdir / "feeds.yaml")
    output = Path(tempfile.mkdtemp(dir=workdir, prefix="out-"))
    argv = ["--feeds", str(feeds), "--output", str(output), "--run_date", "2026-11-23",
            "--allow_private_hosts", *(["--model_path", model_path] if model_path else []), *extra]
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--", *argv]
    wall, peak, stdout = run_measured(command, workdir / f"run-{len(site.articles)}-{site.latency}.log")
    found = json.loads(next(line for line in stdout.splitlines() if line.startswith(RESULT_MARK))
                       [len(RESULT_MARK):])
    return RunFigures(site.latency, wall, found["articles"], found["sentences"], found["failures"], peak.tree,
                      peak.root, peak.descendants, found["stage_ms"])


def run_baseline(site: NewsSite, workdir: Path, model_path: str | None, limit: int) -> dict[str, float]:
    """The sequential script over the first `limit` articles: articles, sentences, seconds."""
    feeds = site.write_feeds_yaml(workdir / "feeds.yaml")
    command = [sys.executable, str(REPO / "benchmarks" / "sequential_baseline.py"), "--feeds", str(feeds),
               "--limit", str(limit), *(["--model_path", model_path] if model_path else [])]
    _, _, stdout = run_measured(command, workdir / f"baseline-{site.latency}.log")
    return json.loads(stdout.strip().splitlines()[-1])


def cpu_bound(site: NewsSite, model_path: str | None, sample: int, cores: int) -> BoundFigures:
    """Standalone extraction, splitting and 1-thread classification of a sample, scaled to the site."""
    from model.predict import SentimentClassifier
    from pipelines.extract import extract_article
    from pipelines.sentences import clean_sentences, split_sentences

    pages = site.pages()[:sample]
    extract_article(pages[0][1], pages[0][0])  # warm-up: lazy imports and caches are not per-page cost
    started = time.perf_counter()
    texts = [extract_article(html, url).text for url, html in pages]
    extract = time.perf_counter() - started
    started = time.perf_counter()
    sentences = [s for text in texts for s in clean_sentences(split_sentences(text))]
    split = time.perf_counter() - started
    classifier = SentimentClassifier.load(model_path, threads=1)
    classifier.predict(sentences[:64])
    started = time.perf_counter()
    classifier.predict(sentences)
    classify = time.perf_counter() - started
    page_scale = len(site.articles) / len(pages)
    sentence_scale = sum(a.sentences for a in site.articles) / sum(a.sentences for a in site.articles[:sample])
    return BoundFigures(extract * page_scale, split * page_scale, classify * sentence_scale, cores, len(pages))


def gib(size: int) -> str:
    return f"{size / 2**30:.2f} GiB"


def report_size(n: int, bound: BoundFigures, runs: list[RunFigures], baselines: dict[float, dict]) -> None:
    """Print the figures and ratios of one N."""
    print(f"\n## N = {n}: CPU bound {bound.bound:.1f} s = (extraction {bound.extract:.1f} s + classification "
          f"{bound.classify:.1f} s) / {bound.cores} cores   [splitting {bound.split:.1f} s, not in the bound; "
          f"sample {bound.sample} articles]")
    print("| latency | wall s | articles/s | sentences/s | peak RSS | failures | wall / bound | "
          "baseline articles/s | × baseline |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        base = baselines.get(run.latency)
        base_rate = base["articles"] / base["seconds"] if base else float("nan")
        rate = run.articles / run.wall
        print(f"| {run.latency * 1000:.0f} ms | {run.wall:.1f} | {rate:.2f} | {run.sentences / run.wall:.1f} | "
              f"{gib(run.peak_rss)} | {run.failures} | {run.wall / bound.bound:.2f} | {base_rate:.2f} | "
              f"{rate / base_rate:.2f} |")
    for run in runs:
        print(f"peak RSS at {run.latency * 1000:.0f} ms: launcher {gib(run.peak_launcher_rss)}, "
              f"workers together {gib(run.peak_worker_rss)} (peaks need not coincide)")
        stages = ", ".join(f"{stage} {ms / 1000:.1f}" for stage, ms in
                           sorted(run.stage_ms.items(), key=lambda item: -item[1]) if ms >= 50)
        print(f"stage CPU-side seconds at {run.latency * 1000:.0f} ms (summed over workers): {stages}")
    if len(runs) >= 2:
        print(f"latency hidden: wall {runs[-1].latency * 1000:.0f} ms / wall {runs[0].latency * 1000:.0f} ms "
              f"= {runs[-1].wall / runs[0].wall:.2f} (target ≤ 1.15)")
    print(f"near the bound: wall {runs[0].latency * 1000:.0f} ms / CPU bound = {runs[0].wall / bound.bound:.2f} "
          f"(target ≤ 1.25)", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the matrix and print the figures."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child(argv[2:] if argv[1:2] == ["--"] else argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[300])
    parser.add_argument("--latencies", type=float, nargs="+", default=[0.0, 0.2], help="seconds")
    parser.add_argument("--sources", type=int, default=6, help="news sources (loopback domains)")
    parser.add_argument("--model_path", default=None, help="model artifact (default: the shipped model)")
    parser.add_argument("--cores", type=int, default=2, help="cores the pipeline uses (divides the bound)")
    parser.add_argument("--bound_sample", type=int, default=1000, help="articles timed for the CPU bound")
    parser.add_argument("--baseline_articles", type=int, default=100, help="articles the baseline processes")
    parser.add_argument("--pipeline_args", default=DEFAULT_PIPELINE_ARGS,
                        help="extra `finsent run` options, one string")
    args = parser.parse_args(argv)
    print("command: python benchmarks/pipeline_scale.py " + " ".join(argv))
    print(f"machine: {os.cpu_count()} cores, {gib(psutil.virtual_memory().total)} RAM; "
          f"load average at start {os.getloadavg()[0]:.2f}; pipeline args: {args.pipeline_args}", flush=True)
    all_runs: dict[int, list[RunFigures]] = {}
    for n in args.articles:
        with tempfile.TemporaryDirectory(prefix="finsent-scale-") as tmp, NewsSite(n, 0.0, args.sources) as site:
            workdir = Path(tmp)
            bound = cpu_bound(site, args.model_path, args.bound_sample, args.cores)
            runs, baselines = [], {}
            for latency in args.latencies:
                site.latency = latency
                runs.append(run_pipeline_once(site, workdir, args.model_path, args.pipeline_args.split()))
                if args.baseline_articles:
                    baselines[latency] = run_baseline(site, workdir, args.model_path,
                                                      min(n, args.baseline_articles))
            all_runs[n] = runs
            report_size(n, bound, runs, baselines)
    if len(all_runs) > 1:
        first, *rest = all_runs
        for n in rest:
            scale = [f"{r.wall / all_runs[first][i].wall / (n / first):.2f}" for i, r in enumerate(all_runs[n])]
            print(f"linearity: (wall N={n} / wall N={first}) / ({n}/{first}) per latency = {', '.join(scale)}")
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
