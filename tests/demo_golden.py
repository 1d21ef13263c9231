"""The demo run's committed rows in a port-free canonical form, and the golden copy they are compared with.

The demo site listens on a free port, so URLs and the article IDs hashed from them differ between
runs. The canonical form writes the site as `http://demo`, renames every article ID to the ID its
`http://demo` URL would have, names each story by its smallest renamed member, leaves out what a
run cannot repeat (run IDs, clocks, options, temporary paths) and hashes long texts.

`tests/golden/demo_rows.json` holds the rows of the pipeline before the per-article fused chain
(issue 17). Regenerate it only for an intended change of rows:

    python3 tests/demo_golden.py --write
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).with_name("golden") / "demo_rows.json"
SITE = re.compile(r"http://127\.0\.0\.1:\d+")
CANONICAL_SITE = "http://demo"
LONG_TEXT = 160
VOLATILE = {
    "articles": {"scraped_at", "run_id"},
    "sentences": set(),
    "mentions": set(),
    "failures": {"run_id", "failure_id", "detail"},
    "runs": {"run_id", "started_at", "finished_at", "options"},
}
SORT_KEYS = {"articles": ("article_id",), "sentences": ("sentence_id",), "mentions": ("mention_id",),
             "failures": ("stage", "reason", "url", "feed"), "runs": ("run_date",)}
FLOAT_TOLERANCE = 1e-4


def canonical_tables(output: str | Path) -> dict[str, list[dict]]:
    """Every table's committed rows of `output` in the canonical form, sorted."""
    sys.path.insert(0, str(Path(__file__).parent))
    from helpers import read_rows

    from pipelines.schema import TABLES
    from pipelines.urls import make_article_id

    tables = {table: read_rows(output, table) for table in TABLES}
    renamed = {row["article_id"]: make_article_id(SITE.sub(CANONICAL_SITE, row["url"]))
               for row in tables["articles"]}
    stories: dict[str, str] = {}
    for row in tables["articles"]:
        stories[row["story_id"]] = min(stories.get(row["story_id"], "~"), renamed[row["article_id"]])
    canonical = {}
    for table, rows in tables.items():
        cleaned = [_canonical_row(row, VOLATILE[table], renamed, stories) for row in rows]
        canonical[table] = sorted(cleaned, key=lambda row: tuple(str(row.get(key)) for key in SORT_KEYS[table]))
    return canonical


def _canonical_row(row: dict, volatile: set[str], renamed: dict[str, str], stories: dict[str, str]) -> dict:
    out = {}
    for column, value in row.items():
        if column in volatile:
            continue
        out[column] = stories[value] if column == "story_id" and value else _canonical_value(value, renamed)
    return out


def _canonical_value(value: object, renamed: dict[str, str]) -> object:
    if isinstance(value, dict):
        return {key: _canonical_value(item, renamed) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical_value(item, renamed) for item in value]
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        text = SITE.sub(CANONICAL_SITE, value)
        for real, canonical in renamed.items():
            text = text.replace(real, canonical)
        if len(text) > LONG_TEXT:
            return f"sha256:{hashlib.sha256(text.encode()).hexdigest()[:20]} ({len(text)} chars)"
        return text
    return value


def differences(actual: object, expected: object, where: str = "") -> list[str]:
    """Where `actual` and `expected` differ (floats within `FLOAT_TOLERANCE`), at most 20."""
    found: list[str] = []
    _diff(actual, expected, where, found)
    return found[:20]


def _diff(actual: object, expected: object, where: str, found: list[str]) -> None:
    if isinstance(actual, dict) and isinstance(expected, dict):
        for key in sorted(set(actual) | set(expected)):
            _diff(actual.get(key, "<missing>"), expected.get(key, "<missing>"), f"{where}.{key}", found)
    elif isinstance(actual, list) and isinstance(expected, list):
        if len(actual) != len(expected):
            found.append(f"{where}: {len(actual)} items, expected {len(expected)}")
        for index, (a, e) in enumerate(zip(actual, expected, strict=False)):
            _diff(a, e, f"{where}[{index}]", found)
    elif isinstance(actual, float) and isinstance(expected, float):
        if abs(actual - expected) > FLOAT_TOLERANCE:
            found.append(f"{where}: {actual} != {expected}")
    elif actual != expected:
        found.append(f"{where}: {actual!r} != {expected!r}")


def _write_golden() -> None:
    sys.path.insert(0, str(REPO))
    from finsent_demo.run import demo_run_date
    from finsent_demo.site import DemoSite
    from pipelines.runner import run_pipeline

    with DemoSite() as site, tempfile.TemporaryDirectory() as folder:
        feeds = site.write_feeds_yaml(Path(folder) / "feeds.yaml")
        run_pipeline(["--feeds", str(feeds), "--output", f"{folder}/data", "--run_date", demo_run_date(),
                      "--allow_private_hosts"])
        tables = canonical_tables(f"{folder}/data")
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(tables, indent=0, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}: " + ", ".join(f"{table} {len(rows)}" for table, rows in tables.items()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="run the demo pipeline and rewrite the golden file")
    if parser.parse_args().write:
        _write_golden()
