"""Check a whole ``generate-videos`` batch before anything is uploaded or created.

Blocks are loaded and buckets checked once per run, each distinct replica looked up
once, each distinct media source fetched and checked by content once, and every row
checked with the single-video rules. Every bad row is reported (row key, field,
what is allowed). Run-level problems (blocks, buckets, options, templates) always
stop the run; bad rows stop it too unless ``on_invalid_rows="skip"``.

Example:
    >>> checked = check_batch(records, settings, Path(tmp))  # doctest: +SKIP
    >>> [row.key for row in checked.rows], [r.key for r in checked.rejected]  # doctest: +SKIP
    (['1', '2'], ['3'])
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from prefect_aws import S3Bucket
from pydantic import BaseModel, ConfigDict, Field

from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.flows.errors import InvalidVideoJob, Problem
from prefect_tavus.flows.manifest import (
    ManifestError,
    ManifestRow,
    load_manifest,
    parse_rows,
    render_row,
    template_problem,
)
from prefect_tavus.flows.parameters import VideoJob
from prefect_tavus.flows.prefect_checks import check_chunk_deployment, check_concurrency_limit
from prefect_tavus.flows.sources import StagedMedia
from prefect_tavus.flows.storage import s3_client
from prefect_tavus.flows.validation import (
    CheckedJob,
    RunOptions,
    check_media,
    check_options,
    check_replica,
    check_rules,
    coerce_job,
    load_blocks,
)

OnInvalidRows = Literal["fail", "skip"]


class BatchSettings(BaseModel):
    """The batch flow's parameters that shape validation (beside :class:`RunOptions`)."""

    model_config = ConfigDict(extra="forbid")

    options: RunOptions
    script_template: str | None = None
    video_name_template: str | None = None
    row_defaults: dict[str, Any] = Field(default_factory=dict)
    on_invalid_rows: OnInvalidRows = "fail"
    batch_name: str | None = None
    max_concurrent_creates: int = 4
    creates_per_second: float = 5.0
    max_concurrent_stores: int = 4
    chunk_size: int | None = None
    chunk_deployment: str | None = None
    chunk_name: str | None = None
    concurrency_limit_name: str | None = None
    max_video_minutes: float | None = None


class CheckedRow(BaseModel):
    """A row that passed every check: its video, checked media and deterministic name."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    key: str
    job: VideoJob
    video_name: str
    media: dict[str, StagedMedia] = Field(default_factory=dict)


class RejectedRow(BaseModel):
    """A row that cannot be made, and why."""

    model_config = ConfigDict(frozen=True)

    key: str
    problems: list[Problem]

    @property
    def message(self) -> str:
        """The problems on one line, for the results table."""
        return "; ".join(str(problem) for problem in self.problems)


class CheckedBatch(BaseModel):
    """A batch whose run-level inputs are fine: the blocks, and its rows sorted by verdict."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    batch_id: str
    credentials: TavusCredentials
    media_bucket: S3Bucket
    output_bucket: S3Bucket
    rows: list[CheckedRow]
    rejected: list[RejectedRow]


class InvalidBatch(InvalidVideoJob):
    """The batch cannot run; raised before anything is uploaded or created.

    ``problems`` holds every problem found, each naming ``row[<key>].<field>`` (or a
    run parameter) and what is allowed.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        self.args = (
            f"generate-videos input is invalid ({count} problem{'s' if count != 1 else ''}); "
            f"nothing was uploaded or created:\n{lines}",
        )


def one_row_batch(checked: CheckedJob, key: str, video_name: str) -> CheckedBatch:
    """A checked single video as the one-row batch both flows make videos from."""
    row = CheckedRow(key=key, job=checked.job, video_name=video_name, media=checked.media)
    return CheckedBatch(
        batch_id=video_name,
        credentials=checked.credentials,
        media_bucket=checked.media_bucket,
        output_bucket=checked.output_bucket,
        rows=[row],
        rejected=[],
    )


def batch_id_for(keys: Sequence[str], output_prefix: str, batch_name: str | None) -> str:
    """The ledger's folder name: ``batch_name`` or a hash of the row keys and output prefix.

    The same manifest (same keys) into the same prefix is the same batch, so a rerun
    resumes it; fixing a bad row's fields keeps its key and so the batch.

    >>> a = batch_id_for(["1", "2"], "tavus/videos", None)
    >>> a == batch_id_for(["2", "1"], "tavus/videos", None), a.startswith("batch-")
    (True, True)
    """
    if batch_name:
        return batch_name
    digest = hashlib.sha256(json.dumps([output_prefix, sorted(keys)]).encode()).hexdigest()
    return f"batch-{digest[:12]}"


def default_video_name(batch_id: str, key: str) -> str:
    """The Tavus ``video_name`` of a row that names none: unique and stable per batch and key."""
    return f"{batch_id}/{key}"


def check_batch_options(settings: BatchSettings) -> list[Problem]:
    """Pacing, chunk, cost-cap and template parameters, plus the single-video options."""
    problems = check_options(settings.options)
    if settings.max_concurrent_creates < 1:
        problems.append(Problem("max_concurrent_creates", "must be at least 1"))
    if settings.creates_per_second <= 0:
        problems.append(Problem("creates_per_second", "must be greater than 0"))
    if settings.max_concurrent_stores < 1:
        problems.append(Problem("max_concurrent_stores", "must be at least 1"))
    if settings.chunk_size is not None and settings.chunk_size < 1:
        problems.append(Problem("chunk_size", "must be at least 1 (or empty for one run)"))
    if settings.max_video_minutes is not None and settings.max_video_minutes <= 0:
        problems.append(Problem("max_video_minutes", "must be greater than 0 (or empty)"))
    for field in ("script_template", "video_name_template"):
        problem = template_problem(getattr(settings, field), field)
        if problem:
            problems.append(problem)
    unknown = sorted(set(settings.row_defaults) - set(VideoJob.model_fields))
    if unknown:
        allowed = ", ".join(VideoJob.model_fields)
        problems.append(
            Problem("row_defaults", f"unknown field(s) {', '.join(unknown)}; allowed: {allowed}")
        )
    return problems


def _for_row(problems: Sequence[Problem], key: str) -> list[Problem]:
    """Single-video problems (``job.<field>``) renamed to ``row[<key>].<field>``."""
    prefix = f"row[{key}]"
    return [
        Problem(
            prefix + problem.field.removeprefix("job")
            if problem.field.startswith("job")
            else f"{prefix}.{problem.field}",
            problem.message,
        )
        for problem in problems
    ]


class _MediaChecks:
    """Each distinct (role, source) fetched and checked once, whatever the number of rows."""

    def __init__(self, bucket: S3Bucket | None, workdir: Path) -> None:
        self.bucket = bucket
        self.workdir = workdir
        self.seen: dict[tuple[str, str], tuple[StagedMedia | None, list[Problem]]] = {}

    def check(self, job: VideoJob) -> tuple[dict[str, StagedMedia], list[Problem]]:
        staged: dict[str, StagedMedia] = {}
        problems: list[Problem] = []
        for role, text in job.media_sources().items():
            if (role, text) not in self.seen:
                found: list[Problem] = []
                others = {other: None for other in job.media_sources() if other != role}
                single = job.model_copy(update=others)  # only this media input is checked
                media = check_media(single, self.bucket, self.workdir, found)
                self.seen[(role, text)] = (media.get(role), found)
            media_one, found = self.seen[(role, text)]
            problems += found
            if media_one is not None:
                staged[role] = media_one
        return staged, problems


def check_rows(
    rows: Sequence[ManifestRow],
    settings: BatchSettings,
    batch_id: str,
    credentials: TavusCredentials | None,
    media_bucket: S3Bucket | None,
    workdir: Path,
) -> tuple[list[CheckedRow], list[RejectedRow]]:
    """Every row checked: fields, rules, templates, media by content, replicas once each."""
    media = _MediaChecks(media_bucket, workdir)
    replicas: dict[str, list[Problem]] = {}
    names: dict[str, str] = {}
    checked: list[CheckedRow] = []
    rejected: list[RejectedRow] = []
    for row in rows:
        fields, problems = render_row(
            row,
            script_template=settings.script_template,
            video_name_template=settings.video_name_template,
            defaults=settings.row_defaults,
        )
        job: VideoJob | None = None
        if not problems:
            try:
                job = coerce_job(fields)
            except InvalidVideoJob as exc:
                problems += _for_row(exc.problems, row.key)
        staged: dict[str, StagedMedia] = {}
        if job is not None:
            problems += _for_row(check_rules(job), row.key)
            staged, media_problems = media.check(job)
            problems += _for_row(media_problems, row.key)
            replica_id = job.replica_id.strip()
            if credentials is not None and replica_id:
                if replica_id not in replicas:
                    found: list[Problem] = []
                    check_replica(credentials, replica_id, found)
                    replicas[replica_id] = found
                problems += _for_row(replicas[replica_id], row.key)
            name = job.video_name or default_video_name(batch_id, row.key)
            if name in names:
                problems.append(
                    Problem(
                        f"row[{row.key}].video_name",
                        f"{name!r} is also row {names[name]}'s name; names must be unique "
                        "in a batch (they find a video again after a crash)",
                    )
                )
            names.setdefault(name, row.key)
        if problems or job is None:
            rejected.append(RejectedRow(key=row.key, problems=problems))
        else:
            checked.append(CheckedRow(key=row.key, job=job, video_name=name, media=staged))
    return checked, rejected


def check_batch(
    manifest: str | Sequence[Mapping[str, Any]],
    settings: BatchSettings,
    workdir: Path,
) -> CheckedBatch:
    """Check the whole batch; raise :class:`InvalidBatch` if it must not run.

    Reads only: S3 ``HeadBucket``/``GetObject`` (the manifest, ``s3://`` media), one
    Tavus ``GET`` per distinct replica, and from Prefect the global concurrency limit
    and the chunk deployment when named. With ``on_invalid_rows="skip"`` bad rows
    come back in ``rejected``; with ``"fail"`` any bad row raises.
    """
    options = settings.options
    problems = check_batch_options(settings)
    problems += check_concurrency_limit(settings.concurrency_limit_name)
    if settings.chunk_name is None:  # a chunk run does not split again
        problems += check_chunk_deployment(settings.chunk_size, settings.chunk_deployment)
    credentials, media_bucket, output_bucket, media_ok = load_blocks(options, problems)
    rows: list[ManifestRow] = []
    try:
        records = load_manifest(manifest, s3_client(media_bucket) if media_ok else None)
        rows, key_problems = parse_rows(records)
        problems += key_problems
        if not rows and not key_problems:
            problems.append(Problem("manifest", "has no rows"))
    except ManifestError as exc:
        problems.append(Problem("manifest", str(exc)))
    if problems:
        raise InvalidBatch(problems)
    batch_id = batch_id_for([r.key for r in rows], options.output_prefix, settings.batch_name)
    checked, rejected = check_rows(
        rows, settings, batch_id, credentials, media_bucket if media_ok else None, workdir
    )
    if rejected and settings.on_invalid_rows == "fail":
        raise InvalidBatch([problem for row in rejected for problem in row.problems])
    return CheckedBatch(
        batch_id=batch_id,
        credentials=credentials,
        media_bucket=media_bucket,
        output_bucket=output_bucket or media_bucket,
        rows=checked,
        rejected=rejected,
    )


__all__ = [
    "BatchSettings",
    "CheckedBatch",
    "CheckedRow",
    "InvalidBatch",
    "OnInvalidRows",
    "RejectedRow",
    "batch_id_for",
    "check_batch",
    "check_batch_options",
    "check_rows",
    "default_video_name",
    "one_row_batch",
]
