"""Every benchmark runs end to end at its smallest size and reports every row.

One ``python -m benchmarks`` subprocess (its own Prefect test API, simulator, moto),
so nothing here shares state with the rest of the suite. Asserts what the numbers
must say whatever the machine (counts, sizes, every row present), never speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks._report import Row, alternate, format_table

ROOT = Path(__file__).resolve().parents[2]
SIZE_MB = 2
EXPECTED_ROWS = {"calls": 3, "throughput": 1, "memory": 1, "overhead": 1}


@pytest.fixture(scope="module")
def smallest_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    tmp = tmp_path_factory.mktemp("bench")
    output = tmp / "results.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--repetitions=1",
            "--video-seconds=20",
            "--videos=3",
            "--concurrency=2",
            f"--size-mb={SIZE_MB}",
            f"--output={output}",
        ],
        cwd=ROOT,
        env={**os.environ, "PREFECT_HOME": str(tmp / "prefect-home")},
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(output.read_text()), completed.stdout


def _rows(doc: dict[str, Any], benchmark: str) -> list[dict[str, Any]]:
    return [row for row in doc["rows"] if row["benchmark"] == benchmark]


@pytest.mark.timeout(300)
def test_report_has_every_row_printed_and_saved(smallest_run: tuple[dict[str, Any], str]) -> None:
    doc, stdout = smallest_run
    for name, count in EXPECTED_ROWS.items():
        assert len(_rows(doc, name)) == count, name
        assert stdout.count(f"\n{name}: ") == count, name
    assert set(doc["settings"]) == set(EXPECTED_ROWS)
    for row in doc["rows"]:
        assert len(row["ours_samples"]) == len(row["baseline_samples"]) == 1
        assert {"ours", "baseline", "ratio", "note", "unit"} <= set(row)


@pytest.mark.timeout(300)
def test_calls_counts_polls_and_duplicate_videos(smallest_run: tuple[dict[str, Any], str]) -> None:
    gets, late, created = _rows(smallest_run[0], "calls")
    assert 0 < gets["ours"] < gets["baseline"]  # backoff polls less than every 2 s
    assert late["ours"] >= 0 and late["baseline"] >= 0
    assert created["ours"] == 1  # the lost answer is re-attached, not re-sent
    assert created["baseline"] == 2  # the naive retry pays for a second video


@pytest.mark.timeout(300)
def test_throughput_memory_overhead_report_positive_values(
    smallest_run: tuple[dict[str, Any], str],
) -> None:
    doc = smallest_run[0]
    (rate,) = _rows(doc, "throughput")
    assert rate["ours"] > 0 and rate["baseline"] > 0 and rate["better"] == "higher"
    (mem,) = _rows(doc, "memory")
    reports = mem["extra"]["reports"]
    assert {r["bytes"] for v in reports.values() for r in v} == {SIZE_MB * 1024 * 1024}
    assert all(r["peak_kib"] > 0 for v in reports.values() for r in v)
    (cost,) = _rows(doc, "overhead")
    assert cost["ours"] > 0 and cost["baseline"] > 0


def test_alternate_swaps_order_and_row_reads_the_ratio() -> None:
    order: list[str] = []
    ours, base = alternate(3, lambda: order.append("o") or 2.0, lambda: order.append("b") or 8.0)
    assert order == ["o", "b", "b", "o", "o", "b"]
    lower = Row("x", "seconds", "s", ours, base)
    higher = Row("y", "videos/s", "videos/s", ours, base, better="higher")
    assert lower.ratio == higher.ratio == 0.25
    assert (lower.verdict, higher.verdict) == ("ours better", "baseline better")
    table = format_table([lower, higher])
    assert "x: seconds" in table and "y: videos/s" in table
