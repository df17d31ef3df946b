"""``python -m benchmarks --quick`` runs end to end and its report is complete.

The quick mode made smaller still (20 rows, 5-row side runs, a 16 MiB output): every
scenario runs as in ``make bench``, so the report is as complete, in far less time.
One subprocess (its own simulator, moto S3 server and ``prefect server``, all on
127.0.0.1), so nothing here shares state with the rest of the suite. Asserts what the
report must hold whatever the machine — every figure measured, the machine described,
exactly one video per row — never speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks._report import REQUIRED_KEYS
from benchmarks.readme_table import END, START, update_readme

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = {
    "flow",
    "flow_rerun",
    "plain_asyncio",
    "threads_baseline",
    "flow_small",
    "flow_sigkill",
    "flow_after_sigkill",
    "flow_single_video",
    "store_small_output",
    "store_big_output",
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    tmp = tmp_path_factory.mktemp("bench")
    output = tmp / "bench-results.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            *("--rows=20", "--small-rows=5", "--baseline-rows=5", "--big-output-mib=16"),
            f"--output={output}",
        ],
        cwd=ROOT,
        env={**os.environ, "PREFECT_HOME": str(tmp / "prefect-home")},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-4000:]
    return json.loads(output.read_text()), completed.stdout


@pytest.mark.timeout(660)
def test_every_required_figure_is_a_number_from_this_run(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    doc, stdout = quick_run
    for key in REQUIRED_KEYS:
        assert isinstance(doc[key], int | float), key
        assert doc[key] >= 0, key
    assert doc["rows"] == 20
    assert {"cores", "memory_gib", "python", "prefect"} <= set(doc["machine"])
    assert set(doc["details"]) >= SCENARIOS | {"name_lookup", "prefect_api"}
    for figure in doc["figures"]:
        assert figure["value"] is not None, figure["key"]
        assert figure["label"] in stdout  # printed as well as saved


@pytest.mark.timeout(660)
def test_exactly_one_video_per_row_across_reruns_and_a_sigkill(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    doc = quick_run[0]
    details = doc["details"]
    assert doc["duplicates_per_row"] == 1.0
    assert details["flow_sigkill"]["killed"] is True
    assert details["flow_rerun"]["videos_created"] == 0
    assert (
        details["flow_sigkill"]["videos_created"] + details["flow_after_sigkill"]["videos_created"]
        == details["flow_sigkill"]["rows"]
    )
    assert details["flow"]["seen_ready"] == details["flow"]["rows"]


@pytest.mark.timeout(660)
def test_readme_table_is_generated_from_the_results(
    quick_run: tuple[dict[str, Any], str], tmp_path: Path
) -> None:
    doc = quick_run[0]
    results = tmp_path / "bench-results.json"
    results.write_text(json.dumps(doc))
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\n{START}\nold table\n{END}\n\nAfter.\n")
    update_readme(results, readme)
    text = readme.read_text()
    assert "old table" not in text and text.endswith("\n\nAfter.\n")
    for figure in doc["figures"]:
        assert figure["label"] in text
    assert f"Prefect {doc['machine']['prefect']}" in text
