"""The ``generate-videos`` manifest: rows from CSV/JSONL (local or ``s3://``) or given directly.

A row has a key (``id``, unique in the manifest), any of the single-video fields of
:class:`~prefect_tavus.flows.parameters.VideoJob` (``replica_id``, ``script`` or
``audio``, ``background``, ``watermark``, options, ``video_name``) and any other
columns, which are template variables. ``script_template`` (``"Hi {first_name}!"``)
fills ``script`` for rows that give neither ``script`` nor ``audio``;
``video_name_template`` fills ``video_name`` for rows without one. A row missing a
variable is that row's error, not the batch's.

Example:
    >>> rows, _ = parse_rows([{"id": "1", "first_name": "Ada"}], source="rows")
    >>> job, problems = render_row(rows[0], script_template="Hi {first_name}!",
    ...                            video_name_template=None, defaults={"replica_id": "r1"})
    >>> job["script"], problems
    ('Hi Ada!', [])
"""

from __future__ import annotations

import csv
import io
import json
import string
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from prefect_tavus.flows.errors import Problem, VideoJobError
from prefect_tavus.flows.parameters import VideoJob

JOB_FIELDS: frozenset[str] = frozenset(VideoJob.model_fields)
"""Columns that are fields of the video; every other column is a template variable."""

KEY_FIELD = "id"
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class ManifestError(VideoJobError, ValueError):
    """The manifest as a whole cannot be read (missing file, unknown format, bad line)."""


class ManifestRow(BaseModel):
    """One row as read: its key, the video fields it sets and its template variables."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(description="The row's unique ``id``.")
    line: int = Field(description="1-based position in the manifest (CSV: data row).")
    fields: dict[str, Any] = Field(default_factory=dict, description="Video fields set.")
    variables: dict[str, str] = Field(default_factory=dict, description="Template variables.")


def manifest_format(name: str) -> str:
    """``csv`` or ``jsonl`` from a path or URI's extension; :class:`ManifestError` otherwise."""
    suffix = Path(name.split("?", 1)[0]).suffix.lower()
    if suffix not in FORMATS:
        raise ManifestError(
            f"manifest {name!r}: unknown format {suffix or '(no extension)'!r}; "
            "allowed: .csv, .jsonl, .ndjson"
        )
    return FORMATS[suffix]


def _parse_text(text: str, fmt: str, name: str) -> list[dict[str, Any]]:
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None:
            return []
        return [dict(row) for row in reader]
    records: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ManifestError(f"manifest {name!r} line {number}: not JSON ({exc.msg})") from None
        if not isinstance(value, dict):
            raise ManifestError(f"manifest {name!r} line {number}: must be a JSON object")
        records.append(value)
    return records


def read_manifest_text(source: str, s3_client: Any | None = None) -> str:
    """The manifest's text from a local path or an ``s3://bucket/key`` URI.

    ``s3_client`` (the media bucket block's boto3 client) reads ``s3://`` URIs.
    """
    if source.startswith("s3://"):
        from prefect_tavus.flows.storage import S3Location

        if s3_client is None:
            raise ManifestError(f"manifest {source!r}: no S3 credentials to read it with")
        try:
            location = S3Location.parse(source)
            body = s3_client.get_object(Bucket=location.bucket, Key=location.key)["Body"]
            data: bytes = body.read()  # boto3 is untyped
            return data.decode("utf-8-sig")
        except ManifestError:
            raise
        except Exception as exc:  # any read failure names the manifest
            raise ManifestError(
                f"manifest {source!r} cannot be read ({type(exc).__name__})"
            ) from None
    path = Path(source).expanduser()
    if not path.is_file():
        raise ManifestError(f"manifest {source!r}: no such file")
    return path.read_text(encoding="utf-8-sig")


def load_manifest(
    manifest: str | Sequence[Mapping[str, Any]], s3_client: Any | None = None
) -> list[dict[str, Any]]:
    """The manifest's records as dicts: read from a path/``s3://`` URI, or the rows given.

    Example:
        >>> load_manifest([{"id": 1, "first_name": "Ada"}])
        [{'id': 1, 'first_name': 'Ada'}]
    """
    if isinstance(manifest, str):
        fmt = manifest_format(manifest)
        return _parse_text(read_manifest_text(manifest, s3_client), fmt, manifest)
    records = []
    for number, record in enumerate(manifest, start=1):
        if not isinstance(record, Mapping):
            raise ManifestError(f"rows[{number}]: must be a mapping, got {type(record).__name__}")
        records.append(dict(record))
    return records


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_rows(
    records: Iterable[Mapping[str, Any]], *, source: str = "manifest"
) -> tuple[list[ManifestRow], list[Problem]]:
    """Split records into rows (key, video fields, variables); report missing/duplicate keys.

    Blank cells count as not given (CSV has no null).
    """
    rows: list[ManifestRow] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for line, record in enumerate(records, start=1):
        raw_key = record.get(KEY_FIELD)
        if _blank(raw_key):
            problems.append(Problem(f"{source}[line {line}].id", "is required (a unique row key)"))
            continue
        key = str(raw_key).strip()
        if key in seen:
            problems.append(
                Problem(
                    f"row[{key}].id", f"duplicate key (also on line {seen[key]}); must be unique"
                )
            )
            continue
        seen[key] = line
        fields = {
            name: value
            for name, value in record.items()
            if name in JOB_FIELDS and not _blank(value)
        }
        variables = {
            str(name): str(value)
            for name, value in record.items()
            if name is not None and not _blank(value)
        }
        rows.append(ManifestRow(key=key, line=line, fields=fields, variables=variables))
    return rows, problems


def template_problem(template: str | None, field: str) -> Problem | None:
    """Why ``template`` cannot be used (only ``{name}`` placeholders), or ``None``."""
    if template is None:
        return None
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return Problem(field, f"is not a valid template ({exc}); use {{name}} placeholders")
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            return Problem(
                field,
                f"placeholder {{{name}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}} is not allowed; use plain {{column_name}}",
            )
    return None


def render(template: str, variables: Mapping[str, str]) -> tuple[str | None, list[str]]:
    """``template`` filled from ``variables``, or ``None`` and the missing names."""
    names = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    missing = sorted({name for name in names if name not in variables})
    if missing:
        return None, missing
    return template.format_map(variables), []


def render_row(
    row: ManifestRow,
    *,
    script_template: str | None,
    video_name_template: str | None,
    defaults: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[Problem]]:
    """The row's video fields: ``defaults`` under the row's own, templates rendered.

    Returns the fields (a ``VideoJob`` mapping, not yet validated) and this row's problems.
    """
    job: dict[str, Any] = {
        name: value for name, value in (defaults or {}).items() if not _blank(value)
    }
    job.update(row.fields)
    problems: list[Problem] = []
    available = ", ".join(sorted(row.variables)) or "none"
    for field, template in (("script", script_template), ("video_name", video_name_template)):
        if template is None or field in row.fields:
            continue
        if field == "script" and "audio" in job:
            continue
        text, missing = render(template, row.variables)
        if missing:
            problems.append(
                Problem(
                    f"row[{row.key}].{field}_template",
                    f"missing variable(s) {', '.join(missing)}; this row has: {available}",
                )
            )
        else:
            job[field] = text
    return job, problems


__all__ = [
    "JOB_FIELDS",
    "KEY_FIELD",
    "ManifestError",
    "ManifestRow",
    "load_manifest",
    "manifest_format",
    "parse_rows",
    "read_manifest_text",
    "render",
    "render_row",
    "template_problem",
]
