"""What ``generate-videos`` reports: one :class:`RowResult` per row, a table and ``results.jsonl``.

The table artifact goes under one stable key per flow (not per run), so the UI shows
the latest batch table with its history; :func:`results_markdown` is its one rendering.

Example:
    >>> rows = [RowResult(key="1", status="stored", video_id="v1"),
    ...         RowResult(key="2", status="failed", error="boom")]
    >>> summarize(rows)
    {'rows': 2, 'stored': 1, 'failed': 1, 'invalid': 0}
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from prefect_tavus.flows.outputs import StoredOutputs

RowStatus = Literal["stored", "failed", "invalid", "planned"]

TABLE_ARTIFACT_KEY = "tavus-generate-videos"
"""Key of the batch table artifact: stable, so each run adds a version to the same artifact."""


class RowResult(BaseModel):
    """One manifest row's outcome."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(description="The row's ``id``.")
    status: RowStatus = Field(
        description="stored (video in S3), failed (Tavus or storing failed), invalid "
        "(rejected before spending), planned (dry run)."
    )
    video_id: str | None = None
    video_name: str | None = None
    duration_seconds: float | None = None
    video_uri: str | None = None
    metadata_uri: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    error: str | None = None
    resumed: bool = Field(False, description="Stored by an earlier run of the same batch.")

    @classmethod
    def stored(
        cls, key: str, video_id: str, video_name: str | None, outputs: StoredOutputs
    ) -> RowResult:
        """The row whose video ``write_outputs`` stored as ``outputs``."""
        return cls(
            key=key,
            status="stored",
            video_id=video_id,
            video_name=video_name,
            duration_seconds=outputs.duration_seconds,
            video_uri=outputs.video.uri,
            metadata_uri=outputs.metadata_uri,
            size_bytes=outputs.video.size_bytes,
            sha256=outputs.video.sha256,
        )


class BatchResult(BaseModel):
    """What the flow returns: the batch, its counts, where the results are, every row."""

    model_config = ConfigDict(frozen=True)

    batch_id: str
    dry_run: bool = False
    counts: dict[str, int]
    estimated_minutes: float | None = None
    results_uri: str | None = None
    rows: list[RowResult]

    @property
    def failed(self) -> list[RowResult]:
        """Rows that did not end stored (failed or invalid)."""
        return [row for row in self.rows if row.status in ("failed", "invalid")]


def summarize(rows: Iterable[RowResult]) -> dict[str, int]:
    """Counts by outcome (``rows``, ``stored``, ``failed``, ``invalid``; ``planned`` if any)."""
    counts = Counter(row.status for row in rows)
    summary = {"rows": sum(counts.values())}
    for status in ("stored", "failed", "invalid", "planned"):
        if counts[status] or status != "planned":
            summary[status] = counts[status]
    return summary


def results_jsonl(rows: Iterable[RowResult]) -> bytes:
    """``results.jsonl``: one JSON object per row, in manifest order."""
    return b"".join(row.model_dump_json().encode() + b"\n" for row in rows)


def parse_results_jsonl(body: bytes) -> list[RowResult]:
    """Rows read back from a ``results.jsonl`` body."""
    return [RowResult.model_validate(json.loads(line)) for line in body.splitlines() if line]


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def results_markdown(batch_id: str, rows: Sequence[RowResult], results_uri: str | None) -> str:
    """The batch table (row key, video_id, status, duration, output URI, error) as markdown."""
    counts = summarize(rows)
    head = ", ".join(f"{n} {name}" for name, n in counts.items() if name != "rows")
    lines = [
        f"### Batch `{batch_id}`: {counts['rows']} rows ({head})",
        "",
        f"Results: `{results_uri}`" if results_uri else "",
        "",
        "| row | video_id | status | duration (s) | output | error |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        duration = f"{row.duration_seconds:.1f}" if row.duration_seconds is not None else ""
        lines.append(
            f"| {_cell(row.key)} | {_cell(row.video_id)} | {row.status} | {duration} | "
            f"{_cell(row.video_uri)} | {_cell(row.error)} |"
        )
    return "\n".join(lines) + "\n"


__all__ = [
    "TABLE_ARTIFACT_KEY",
    "BatchResult",
    "RowResult",
    "RowStatus",
    "parse_results_jsonl",
    "results_jsonl",
    "results_markdown",
    "summarize",
]
