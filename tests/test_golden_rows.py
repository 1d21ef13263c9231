"""The per-article fused chain writes exactly the rows of the pipeline before it (issue 17).

`tests/golden/demo_rows.json` holds the demo run's rows as the earlier graph wrote them (sentences
grouped, scored and joined across stages); see `tests/demo_golden.py` for the canonical form.
"""

from __future__ import annotations

import json

from demo_golden import GOLDEN, canonical_tables, differences


def golden() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_the_demo_run_writes_the_golden_rows_ids_labels_probabilities_and_counts(demo_run):
    tables = canonical_tables(demo_run.output)
    assert {table: len(rows) for table, rows in tables.items()} == {
        "articles": 40, "sentences": 346, "mentions": 127, "failures": 3, "runs": 1}
    assert differences(tables, golden()) == []


def test_two_worker_processes_write_the_golden_rows_too(multiprocess_run):
    assert differences(canonical_tables(multiprocess_run["output"]), golden()) == []


def test_a_changed_row_is_reported_where_it_differs():
    expected = golden()
    changed = json.loads(json.dumps(expected))
    changed["sentences"][0]["label"] = "changed"
    changed["articles"][1]["score"] += 0.01
    found = differences(changed, expected)
    assert found == [f".articles[1].score: {changed['articles'][1]['score']} != {expected['articles'][1]['score']}",
                     f".sentences[0].label: 'changed' != {expected['sentences'][0]['label']!r}"]
