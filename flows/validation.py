"""Check everything about a video job before anything is uploaded or created.

:func:`check_inputs` (wrapped by the ``validate-inputs`` task) collects *every*
problem and raises one :class:`~flows.errors.InvalidVideoJob` listing them, each
naming the parameter and what is allowed: the form (types, enums, unknown fields),
the rules (exactly one of script/audio, non-blank script, ``transparent_background``
needs ``fast``, ...), URLs and S3 URIs, the blocks, the buckets (``HeadBucket``),
every media file by content (type, audio length and size, name vs content) and the
replica (a ``GET``; it creates nothing).

Example:
    >>> check_rules(VideoJob(replica_id="r79e1c033f", script="   "))
    [Problem(field='job.script', message='must not be blank (it has no visible characters)')]
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prefect import task
from prefect.blocks.core import Block
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger
from prefect_aws import S3Bucket
from pydantic import BaseModel, ConfigDict, ValidationError

from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.flows.errors import InvalidVideoJob, Problem
from prefect_tavus.flows.media import max_bytes_for
from prefect_tavus.flows.parameters import MEDIA_ROLES, VideoJob, speech_problems
from prefect_tavus.flows.request import build_request, job_field
from prefect_tavus.flows.sources import (
    MediaSource,
    SourceError,
    SourceType,
    StagedMedia,
    name_mismatch,
    stage_media,
)
from prefect_tavus.flows.storage import MAX_PRESIGN_SECONDS, bucket_problem, s3_client
from prefect_tavus.tavus_api.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    TavusError,
)
from prefect_tavus.tavus_api.media import MediaError
from prefect_tavus.tavus_api.models import Replica, check_http_url, check_video_name, is_blank


class RunOptions(BaseModel):
    """The flow's other parameters: blocks by name, where things go, how long to wait."""

    model_config = ConfigDict(extra="forbid")

    credentials_block: str
    media_bucket_block: str
    output_bucket_block: str | None = None
    media_prefix: str
    output_prefix: str
    presign_expiry_seconds: int
    wait_timeout_seconds: float
    poll_interval_seconds: float
    max_poll_interval_seconds: float


class CheckedJob(BaseModel):
    """A job that passed every check, with what the next steps need."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    job: VideoJob
    options: RunOptions
    credentials: TavusCredentials
    media_bucket: S3Bucket
    output_bucket: S3Bucket
    media: dict[str, StagedMedia]
    replica: Replica | None = None


def _problems_from(exc: ValidationError, prefix: str, allowed: list[str]) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = ".".join(str(part) for part in error["loc"])
        field = f"{prefix}.{loc}" if loc else prefix
        if error["type"] == "extra_forbidden":
            message = f"unknown field; allowed: {', '.join(allowed)}"
        elif error["type"] == "missing":
            message = "is required"
        else:
            message = error["msg"]
            if error["type"] in ("enum", "literal_error") and "input" in error:
                message = f"{error['input']!r} is not allowed: {message}"
        problems.append(Problem(field, message))
    return problems


def coerce_job(job: VideoJob | Mapping[str, Any]) -> VideoJob:
    """``job`` as a :class:`VideoJob`; type errors become :class:`InvalidVideoJob`."""
    if isinstance(job, VideoJob):
        return job
    if not isinstance(job, Mapping):
        raise InvalidVideoJob(
            [Problem("job", f"must be a VideoJob or a mapping, got {type(job).__name__}")]
        )
    try:
        return VideoJob.model_validate(dict(job))
    except ValidationError as exc:
        raise InvalidVideoJob(_problems_from(exc, "job", list(VideoJob.model_fields))) from None


def check_rules(job: VideoJob) -> list[Problem]:
    """Rules that need no I/O: script/audio, fast, backgrounds, URLs, source syntax."""
    problems: list[Problem] = []
    add = problems.append
    if not job.replica_id.strip():
        add(Problem("job.replica_id", "must not be blank"))
    problems.extend(speech_problems(job))
    if job.script is not None and is_blank(job.script):
        add(Problem("job.script", "must not be blank (it has no visible characters)"))
    if job.transparent_background and not job.fast:
        add(
            Problem("job.transparent_background", "needs fast=True (Tavus renders alpha only fast)")
        )
    if job.background and job.background_website:
        add(
            Problem(
                "job.background",
                "give at most one of background (a video) and background_website (a site)",
            )
        )
    if job.fast:
        for name in ("background", "background_website"):
            if getattr(job, name):
                add(Problem(f"job.{name}", "not supported with fast=True (no backgrounds)"))
    if job.scroll_options() and not job.background_website:
        for name in job.scroll_options():
            add(Problem(f"job.{name}", "only applies with background_website"))
    for name in ("background_website", "callback_url"):
        value = getattr(job, name)
        if value is not None:
            try:
                check_http_url(value, name)
            except ValueError as exc:
                add(Problem(f"job.{name}", str(exc).removeprefix(f"{name} ")))
    if job.video_name:
        if is_blank(job.video_name):
            add(
                Problem("job.video_name", "must not be blank (leave it empty for a generated name)")
            )
        else:
            try:
                check_video_name(job.video_name)
            except ValueError as exc:
                add(Problem("job.video_name", str(exc).removeprefix("video_name ")))
    for role, text in job.media_sources().items():
        try:
            MediaSource.parse(text)
        except ValueError as exc:
            add(Problem(f"job.{role}", str(exc)))
    if not problems:
        problems.extend(_check_request_shape(job))
    return problems


def _check_request_shape(job: VideoJob) -> list[Problem]:
    """Build the API request with stand-in URLs: catches whatever the rules above missed."""
    stand_in = "https://media.invalid/stand-in"
    media_urls = {role: stand_in for role in job.media_sources()}
    try:
        build_request(job, video_name=job.video_name or None, media_urls=media_urls)
    except ValidationError as exc:
        return [
            Problem(job_field(error["loc"]), error["msg"].removeprefix("Value error, "))
            for error in exc.errors()
        ]
    return []


def check_options(options: RunOptions) -> list[Problem]:
    """Expiry, wait settings and prefixes."""
    problems: list[Problem] = []
    if not 1 <= options.presign_expiry_seconds <= MAX_PRESIGN_SECONDS:
        problems.append(
            Problem(
                "presign_expiry_seconds",
                f"must be 1 to {MAX_PRESIGN_SECONDS} (7 days, the SigV4 limit), "
                f"got {options.presign_expiry_seconds}",
            )
        )
    if options.wait_timeout_seconds <= 0:
        problems.append(Problem("wait_timeout_seconds", "must be greater than 0"))
    if options.poll_interval_seconds <= 0:
        problems.append(Problem("poll_interval_seconds", "must be greater than 0"))
    if options.max_poll_interval_seconds < options.poll_interval_seconds:
        problems.append(
            Problem("max_poll_interval_seconds", "must be at least poll_interval_seconds")
        )
    for name in ("media_prefix", "output_prefix"):
        value: str = getattr(options, name)
        if value.startswith("s3://") or ".." in value.split("/") or "\\" in value:
            problems.append(
                Problem(
                    name,
                    f"must be a key prefix inside the bucket like 'tavus/media', got {value!r}",
                )
            )
    return problems


def _load(block_cls: type[Block], name: str | None, field: str, problems: list[Problem]) -> Any:
    if name is None:
        return None
    if not name.strip():
        problems.append(Problem(field, "must name a saved block"))
        return None
    try:
        return block_cls.load(name)
    except Exception as exc:  # any load failure is one problem to report
        slug = block_cls.get_block_type_slug()
        problems.append(
            Problem(
                field,
                f"no {block_cls.__name__} block named {name!r} could be loaded "
                f"({type(exc).__name__}); save one as '{slug}/{name}' first",
            )
        )
        return None


def _check_bucket(bucket: S3Bucket | None, field: str, problems: list[Problem]) -> bool:
    if bucket is None:
        return False
    message = bucket_problem(s3_client(bucket), bucket.bucket_name)
    if message:
        problems.append(Problem(field, message))
        return False
    return True


def load_blocks(options: RunOptions, problems: list[Problem]) -> tuple[Any, Any, Any, bool]:
    """The run's blocks, loaded once, and its buckets checked (``HeadBucket``).

    Returns ``(credentials, media_bucket, output_bucket, media_bucket_ok)``; each block
    that cannot be loaded is ``None`` and reported in ``problems``.
    """
    credentials = _load(TavusCredentials, options.credentials_block, "credentials_block", problems)
    media_bucket = _load(S3Bucket, options.media_bucket_block, "media_bucket_block", problems)
    output_bucket = _load(S3Bucket, options.output_bucket_block, "output_bucket_block", problems)
    media_ok = _check_bucket(media_bucket, "media_bucket_block", problems)
    if output_bucket is not None:
        _check_bucket(output_bucket, "output_bucket_block", problems)
    return credentials, media_bucket, output_bucket, media_ok


def build_options(**params: Any) -> RunOptions:
    """The flow's non-job parameters as :class:`RunOptions`; bad types -> ``InvalidVideoJob``."""
    try:
        return RunOptions(**params)
    except ValidationError as exc:
        raise InvalidVideoJob(
            Problem(".".join(str(p) for p in error["loc"]), error["msg"]) for error in exc.errors()
        ) from None


def check_replica(
    credentials: TavusCredentials, replica_id: str, problems: list[Problem]
) -> Replica | None:
    """Look the replica up (a ``GET``); report a missing or failed replica."""
    try:
        with credentials.get_client() as client:
            replica = client.get_replica(replica_id)
    except (NotFoundError, BadRequestError) as exc:
        problems.append(
            Problem("job.replica_id", f"replica {replica_id!r} not found ({exc.message})")
        )
        return None
    except AuthenticationError as exc:
        problems.append(
            Problem("credentials_block", f"Tavus rejected the API key ({exc.status_code})")
        )
        return None
    except APIConnectionError as exc:
        problems.append(
            Problem(
                "credentials_block",
                f"Tavus API at {credentials.base_url} cannot be reached ({type(exc).__name__})",
            )
        )
        return None
    except TavusError as exc:
        problems.append(Problem("job.replica_id", f"replica lookup failed: {exc}"))
        return None
    if replica.is_error:
        detail = f": {replica.error_message}" if replica.error_message else ""
        problems.append(
            Problem("job.replica_id", f"replica {replica_id!r} is in 'error' state{detail}")
        )
    return replica


def check_media(
    job: VideoJob, bucket: S3Bucket | None, workdir: Path, problems: list[Problem]
) -> dict[str, StagedMedia]:
    """Fetch and check each media input by content; report each one that is wrong."""
    staged: dict[str, StagedMedia] = {}
    client = s3_client(bucket) if bucket is not None else None
    for role, text in job.media_sources().items():
        field = f"job.{role}"
        try:
            source = MediaSource.parse(text)
        except ValueError:
            continue  # already reported by check_rules
        if source.type is SourceType.S3 and client is None:
            continue  # the media bucket block problem is reported; no credentials to read it
        kind = MEDIA_ROLES[role]
        try:
            media = stage_media(
                source, kind, workdir, s3_client=client, max_bytes=max_bytes_for(kind)
            )
        except (SourceError, MediaError) as exc:
            problems.append(Problem(field, f"{source.describe()}: {exc}"))
            continue
        mismatch = name_mismatch(source, media.info)
        if mismatch:
            problems.append(Problem(field, mismatch))
            continue
        staged[role] = media
    return staged


def check_inputs(
    job: VideoJob | Mapping[str, Any], options: RunOptions, workdir: Path
) -> CheckedJob:
    """Run every check; raise :class:`InvalidVideoJob` listing all problems, else return.

    Nothing is uploaded or created here: S3 is only read (``HeadBucket``, and
    ``GetObject`` for ``s3://`` inputs) and Tavus only asked for the replica.
    """
    job = coerce_job(job)
    problems = check_rules(job) + check_options(options)
    credentials, media_bucket, output_bucket, media_ok = load_blocks(options, problems)
    staged = check_media(job, media_bucket if media_ok else None, workdir, problems)
    replica = None
    if credentials is not None and job.replica_id.strip():
        replica = check_replica(credentials, job.replica_id, problems)
    if problems:
        raise InvalidVideoJob(problems)
    return CheckedJob(
        job=job,
        options=options,
        credentials=credentials,
        media_bucket=media_bucket,
        output_bucket=output_bucket or media_bucket,
        media=staged,
        replica=replica,
    )


@task(name="validate-inputs", cache_policy=NO_CACHE, persist_result=False)
def validate_job(
    job: VideoJob | Mapping[str, Any], options: RunOptions, workdir: Path
) -> CheckedJob:
    """Check a video job completely before spending anything (see :func:`check_inputs`).

    Remote media (``s3://``, ``http(s)://``) is fetched into ``workdir`` to be
    checked; the copies are what gets uploaded next.

    Raises:
        InvalidVideoJob: listing every problem, each naming the parameter.

    Example:
        >>> checked = validate_job(job, options, Path(tmp))  # doctest: +SKIP
        >>> sorted(checked.media)  # doctest: +SKIP
        ['audio', 'watermark']
    """
    checked = check_inputs(job, options, workdir)
    logger = get_run_logger()
    for role, media in checked.media.items():
        info = media.info
        length = f", {info.duration_seconds:.1f} s" if info.duration_seconds else ""
        logger.info(
            "%s %s: %s%s, %d bytes",
            role,
            media.source.describe(),
            info.format.value.upper(),
            length,
            info.size_bytes,
        )
    if checked.replica is not None and checked.replica.is_training:
        logger.warning(
            "Replica %s is still training: the video stays queued until training ends",
            checked.job.replica_id,
        )
    return checked


__all__ = [
    "CheckedJob",
    "RunOptions",
    "build_options",
    "check_inputs",
    "check_media",
    "check_options",
    "check_replica",
    "check_rules",
    "coerce_job",
    "load_blocks",
    "validate_job",
]
