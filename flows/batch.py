"""The ``generate-videos`` flow: many videos from one manifest, paced, resumable, on one loop.

validate every row (blocks once, replicas once) -> estimate (``dry_run``,
``max_video_minutes``) -> read the ledger (skip stored rows, re-attach created ones)
-> upload each distinct input once -> paced creates, each ``video_id`` written to the
ledger before waiting -> one waiter for every pending video -> streamed copies to S3
with bounded concurrency -> table artifact and ``results.jsonl``.

Prefect bookkeeping stays bounded per row: one ``create-video[<row>]`` task run per
row (stores run without one in a batch, see ``RowReport.store_task_runs``; one video
keeps its ``store-video[job]`` and assets), no task run per poll, logs only when a row
changes, one table artifact per run. Row state lives in S3 (the ledger), so a Prefect
API outage loses no row and any worker can resume any row.

Example:
    >>> from prefect_tavus.flows import generate_videos
    >>> result = generate_videos(
    ...     "s3://tavus-media/campaigns/welcome.csv",
    ...     script_template="Hi {first_name}, welcome aboard!",
    ...     row_defaults={"replica_id": "r79e1c033f"},
    ... )  # doctest: +SKIP
    >>> result.counts  # doctest: +SKIP
    {'rows': 1000, 'stored': 1000, 'failed': 0, 'invalid': 0}
"""

from __future__ import annotations

import asyncio
import contextvars
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from prefect import flow, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext, SettingsContext, SyncClientContext
from prefect.logging import get_run_logger
from prefect.states import Failed
from prefect_aws import S3Bucket
from pydantic import ValidationError

from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.flows.assets import materializing, replica_asset
from prefect_tavus.flows.batch_form import (
    BATCH_NAME_PARAM,
    CHECKS_PARAM,
    CHUNKING_PARAM,
    MANIFEST_PARAM,
    NAME_TEMPLATE_PARAM,
    PACING_PARAM,
    ROW_DEFAULTS_PARAM,
    SCRIPT_TEMPLATE_PARAM,
    BatchChecks,
    Chunking,
    Manifest,
    Pacing,
    RowDefaults,
)
from prefect_tavus.flows.batch_results import (
    TABLE_ARTIFACT_KEY,
    BatchResult,
    RowResult,
    results_jsonl,
    results_markdown,
    summarize,
)
from prefect_tavus.flows.batch_validation import (
    BatchSettings,
    CheckedBatch,
    CheckedRow,
    InvalidBatch,
    batch_id_for,
    check_batch,
)
from prefect_tavus.flows.chunks import results_name, run_chunks
from prefect_tavus.flows.errors import InvalidVideoJob, Problem
from prefect_tavus.flows.estimate import check_budget, estimate_rows
from prefect_tavus.flows.form import (
    DEFAULT_MEDIA_BLOCK,
    DEFAULT_OUTPUT_BLOCK,
    DEFAULT_TAVUS_BLOCK,
    MEDIA_PARAM,
    OUTPUT_PARAM,
    SETTINGS_PARAM,
    TAVUS_PARAM,
    AdvancedSettings,
    BucketBlock,
    OutputBucketBlock,
    TavusBlock,
    form_group,
    run_options,
)
from prefect_tavus.flows.ledger import LedgerState, RowLedger, RunLedger
from prefect_tavus.flows.manifest import load_manifest, parse_rows
from prefect_tavus.flows.media import (
    PresignedMedia,
    UploadedMedia,
    input_records,
    presign,
    store_staged_media,
)
from prefect_tavus.flows.outputs import StoredOutputs, write_outputs
from prefect_tavus.flows.parameters import Text
from prefect_tavus.flows.prefect_checks import current_deployment
from prefect_tavus.flows.quota import AccountQuota
from prefect_tavus.flows.redact import redact
from prefect_tavus.flows.request import build_request
from prefect_tavus.flows.row_report import RowReport
from prefect_tavus.flows.storage import object_key, s3_client
from prefect_tavus.flows.video import explain_failure, media_urls_of, redactions_for
from prefect_tavus.tavus_api.client import AsyncTavusClient, TavusClient
from prefect_tavus.tavus_api.errors import CreateOutcomeUnknownError, RateLimitError
from prefect_tavus.tavus_api.models import Video, VideoRequest, VideoStatus
from prefect_tavus.tavus_api.pacing import CreatePacer

_T = TypeVar("_T")
_MAX_RATE_LIMITED_CREATES = 30
_STORE_RETRIES = 2
_STORE_RETRY_SECONDS = 5.0
PROGRESS_LOG_SECONDS = 30.0
"""A batch logs its counts at most this often (and at the end), not a line per row."""


def batch_folder(batch: CheckedBatch, output_prefix: str) -> str:
    """Key of the batch's folder (ledger, results) in the output bucket."""
    return object_key(batch.output_bucket, output_prefix, "batches", batch.batch_id)


def batch_settings(params: Mapping[str, Any]) -> tuple[BatchSettings, BatchChecks]:
    """``generate_videos``' parameters (by name, groups as models or mappings) as the
    :class:`BatchSettings` the steps use and the run's :class:`BatchChecks`.

    Raises:
        InvalidBatch: naming each bad parameter (``pacing.creates_per_second``, ...).
    """
    problems: list[Problem] = []

    def read(parse: Callable[..., Any], *args: Any) -> Any:
        try:
            return parse(*args)
        except InvalidVideoJob as exc:  # every group's problems, then one error
            problems.extend(exc.problems)
            return None

    checks = read(form_group, BatchChecks, params.get("checks"), "checks")
    pacing = read(form_group, Pacing, params.get("pacing"), "pacing")
    chunking = read(form_group, Chunking, params.get("chunking"), "chunking")
    options = read(
        run_options,
        params.get("credentials_block", DEFAULT_TAVUS_BLOCK),
        params.get("media_bucket_block", DEFAULT_MEDIA_BLOCK),
        params.get("output_bucket_block", DEFAULT_OUTPUT_BLOCK),
        params.get("settings"),
    )
    if problems:
        raise InvalidBatch(problems)
    chunk_deployment = chunking.chunk_deployment
    if chunk_deployment is None and chunking.chunk_size:
        chunk_deployment = current_deployment()
    try:
        settings = BatchSettings(
            options=options,
            script_template=params.get("script_template") or None,
            video_name_template=params.get("video_name_template") or None,
            row_defaults=dict(params.get("row_defaults") or {}),
            batch_name=params.get("batch_name") or None,
            on_invalid_rows=checks.on_invalid_rows,
            max_video_minutes=checks.max_video_minutes,
            **pacing.model_dump(),
            chunk_size=chunking.chunk_size,
            chunk_deployment=chunk_deployment,
            chunk_name=chunking.chunk_name,
        )
    except (ValidationError, TypeError, ValueError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else []
        raise InvalidBatch(
            [Problem(".".join(str(p) for p in e["loc"]), e["msg"]) for e in errors]
            or [Problem("row_defaults", "must be a mapping of video fields")]
        ) from None
    return settings, checks


@task(name="validate-batch", cache_policy=NO_CACHE, persist_result=False)
async def validate_batch(
    manifest: str | Sequence[Mapping[str, Any]], settings: BatchSettings, workdir: Path
) -> CheckedBatch:
    """Check every row before spending (see :func:`~flows.batch_validation.check_batch`)."""
    # run_in_executor, not to_thread: without the async flow's context in that thread,
    # Block.load and friends run synchronously instead of returning coroutines. The
    # Prefect settings (API URL) are carried over, so the checks ask the run's server.
    prefect_settings = SettingsContext.get()

    def check() -> CheckedBatch:
        if prefect_settings is None:
            return check_batch(manifest, settings, workdir)
        with prefect_settings.model_copy():
            return check_batch(manifest, settings, workdir)

    checked = await asyncio.get_running_loop().run_in_executor(None, check)
    logger = get_run_logger()
    logger.info(
        "Batch %s: %d rows valid, %d invalid",
        checked.batch_id,
        len(checked.rows),
        len(checked.rejected),
    )
    for row in checked.rejected:
        logger.warning("Row %s is invalid: %s", row.key, row.message)
    return checked


@task(name="upload-media", cache_policy=NO_CACHE, persist_result=False)
async def upload_batch_media(
    batch: CheckedBatch, rows: Sequence[CheckedRow], prefix: str, expires_in: int, workers: int
) -> dict[str, dict[str, PresignedMedia]]:
    """Upload each distinct input of ``rows`` once (by content) and presign it once.

    Returns the presigned URL of each row's media by row key and role.
    """
    distinct = {media.sha256: media for row in rows for media in row.media.values()}
    limit = asyncio.Semaphore(workers)

    async def put(staged: Any) -> UploadedMedia:
        async with limit:
            return await asyncio.to_thread(store_staged_media, staged, batch.media_bucket, prefix)

    uploaded = dict(
        zip(distinct, await asyncio.gather(*(put(m) for m in distinct.values())), strict=True)
    )
    signed = {
        sha: presign(media, batch.media_bucket, expires_in) for sha, media in uploaded.items()
    }
    fresh = sum(1 for media in uploaded.values() if media.uploaded)
    get_run_logger().info(
        "%d distinct inputs for %d rows: %d uploaded, %d already in S3",
        len(uploaded),
        len(rows),
        fresh,
        len(uploaded) - fresh,
    )
    return {
        row.key: {role: signed[media.sha256] for role, media in row.media.items()} for row in rows
    }


@task(
    name="create-video",
    task_run_name="create-video[{row.key}]",
    cache_policy=NO_CACHE,
    persist_result=False,
)
async def create_row_video(
    client: AsyncTavusClient,
    row: CheckedRow,
    request: VideoRequest,
    ledger: RowLedger,
    pacer: CreatePacer,
    quota: AccountQuota | None = None,
) -> Video:
    """Create one row's video and write its ``video_id`` to the ledger at once.

    Run it inside ``pacer.slot()``: the task run then starts when the row's turn has come,
    so the UI shows as running only the creates being sent, not every row of the batch
    waiting for its turn. ``quota`` (a global concurrency limit) paces the whole account,
    across runs and workers. A 429 that outlasts the client's retries pauses every create
    (``Retry-After``) and this one is sent again in its own turn: Tavus did not act on
    it, so no row is lost or doubled.
    """
    for attempt in range(_MAX_RATE_LIMITED_CREATES):
        try:
            if quota is not None:
                await quota.acquire()
            video = await client.create_video(request, on_rate_limited=pacer.rate_limited)
            break
        except RateLimitError as exc:
            if attempt == _MAX_RATE_LIMITED_CREATES - 1:
                raise
            await asyncio.sleep(pacer.rate_limited(exc.retry_after or 1.0))
    await asyncio.to_thread(ledger.record_created, row.key, video.video_id, row.video_name)
    return video


@task(
    name="store-video",
    task_run_name="store-video[{row_key}]",
    cache_policy=NO_CACHE,
    persist_result=False,
    retries=_STORE_RETRIES,
    retry_delay_seconds=_STORE_RETRY_SECONDS,
)
def store_row_video(
    row_key: str,
    credentials: TavusCredentials | TavusClient,
    video: Video,
    bucket: S3Bucket,
    prefix: str,
    *,
    request: Mapping[str, Any] | None,
    redactions: Mapping[str, str],
    inputs: Mapping[str, Any] | None = None,
) -> StoredOutputs:
    """Copy one row's ready video to S3 (:func:`~flows.outputs.write_outputs`).

    Unlike the single video's ``store-outputs`` it logs nothing and emits no event:
    the batch reports rows in its progress lines, table and ``results.jsonl``.
    """
    return write_outputs(
        credentials, video, bucket, prefix, request=request, inputs=inputs, redactions=redactions
    )


class _Progress:
    """One log line for the whole batch at most every ``every`` seconds, when it moved."""

    def __init__(self, batch_id: str, total: int, every: float = PROGRESS_LOG_SECONDS) -> None:
        self.batch_id = batch_id
        self.total = total
        self.every = every
        self.created = 0
        self.logger = get_run_logger()
        self.last_line = ""
        self.next_at = time.monotonic() + every

    def note(self, results: Mapping[str, RowResult], *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now < self.next_at:
            return
        counts = summarize(results.values())
        line = (
            f"Batch {self.batch_id}: {self.created} created, {counts['stored']} stored, "
            f"{counts['failed']} failed of {self.total} rows"
        )
        if line != self.last_line:
            self.logger.info(line)
            self.last_line = line
        self.next_at = now + self.every


def _failed_row(row: CheckedRow, video_id: str | None, error: BaseException | str) -> RowResult:
    return RowResult(
        key=row.key,
        status="failed",
        video_id=video_id,
        video_name=row.video_name,
        error=str(error) or type(error).__name__,
    )


class _BatchRun:
    """One run's rows in flight: creates feed the waiter, ready videos feed the stores."""

    def __init__(
        self,
        batch: CheckedBatch,
        settings: BatchSettings,
        ledger: RowLedger,
        presigned: Mapping[str, Mapping[str, PresignedMedia]],
        report: RowReport,
    ) -> None:
        self.batch = batch
        self.report = report
        self.settings = settings
        self.options = settings.options
        self.ledger = ledger
        self.presigned = presigned
        self.by_key = {row.key: row for row in batch.rows}
        self.by_video: dict[str, CheckedRow] = {}
        self.results: dict[str, RowResult] = {}
        self.logger = get_run_logger()
        self.store_limit = asyncio.Semaphore(settings.max_concurrent_stores)
        self.stores: list[asyncio.Task[None]] = []
        self.requests: dict[str, dict[str, Any]] = {}
        self.quota = AccountQuota(settings.concurrency_limit_name, logger=self.logger)
        self.progress = _Progress(batch.batch_id, len(batch.rows))
        # Every row's download goes through one client and every store runs in this
        # run's own threads: not a client (two TLS contexts) per row, and not the loop's
        # default executor, where stores would hold up the creates' ledger writes.
        self.downloads = batch.credentials.get_client()
        self.pool = ThreadPoolExecutor(settings.max_concurrent_stores, "store-video")

    def redactions(self, key: str) -> dict[str, str]:
        return redactions_for(list(self.presigned.get(key, {}).values()))

    def watch(self, watcher: Any, row: CheckedRow, video_id: str) -> None:
        self.by_video[video_id] = row
        watcher.add(video_id, timeout_seconds=self.options.wait_timeout_seconds)

    async def create_all(self, client: Any, watcher: Any, rows: Sequence[CheckedRow]) -> None:
        pacer = _pacer(self.settings)

        async def one(row: CheckedRow) -> None:
            signed = self.presigned.get(row.key, {})
            request = build_request(
                row.job, video_name=row.video_name, media_urls=media_urls_of(signed)
            )
            self.requests[row.key] = redact(request.to_api_body(), self.redactions(row.key))
            try:
                async with pacer.slot():
                    video = await create_row_video(
                        client, row, request, self.ledger, pacer, self.quota
                    )
            except Exception as exc:  # one row's failure never fails the others
                await self.fail(row, None, exc)
                return
            self.progress.created += 1
            self.progress.note(self.results)
            await self.report.created(
                row, video, reattached=False, request=self.requests.get(row.key)
            )
            self.watch(watcher, row, video.video_id)

        try:
            await asyncio.gather(*(one(row) for row in rows))
        finally:
            watcher.close()

    async def in_pool(self, call: Callable[[], _T]) -> _T:
        """``call()`` in the stores' threads, in this context (the flow run's, for task runs)."""
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self.pool, context.run, call)

    async def retried(self, call: Callable[[], _T]) -> _T:
        """``call()`` in the stores' threads, retried as the ``store-video`` task would be."""
        for _ in range(_STORE_RETRIES):
            try:
                return await self.in_pool(call)
            except Exception:  # any error, as a task's retries
                await asyncio.sleep(_STORE_RETRY_SECONDS)
        return await self.in_pool(call)

    async def store(self, row: CheckedRow, video: Video) -> None:
        async with self.store_limit:
            try:
                signed = self.presigned.get(row.key, {})
                store: Callable[..., StoredOutputs] = store_row_video.fn
                if self.report.store_task_runs:
                    store = materializing(  # the stored video and metadata.json as assets
                        store_row_video,
                        self.batch.output_bucket,
                        self.options.output_prefix,
                        video,
                        transparent=row.job.transparent_background,
                        upstream=[
                            replica_asset(row.job.replica_id),
                            *(m.uri for m in signed.values()),
                        ],
                    )
                outputs = await (self.in_pool if self.report.store_task_runs else self.retried)(
                    partial(
                        store,
                        row.key,
                        self.downloads,
                        video,
                        self.batch.output_bucket,
                        self.options.output_prefix,
                        request=self.requests.get(row.key),
                        inputs=input_records(row.media, signed),
                        redactions=self.redactions(row.key),
                    )
                )
            except Exception as exc:  # one row's failure never fails the others
                await self.fail(row, video.video_id, exc)
                return
            result = RowResult.stored(row.key, video.video_id, row.video_name, outputs)
            await self.in_pool(partial(self.ledger.record_stored, result))
            self.results[row.key] = result
            self.progress.note(self.results)
            await self.report.stored(row, video, outputs)

    async def wait_all(self, watcher: Any) -> None:
        async for outcome in watcher:
            row = self.by_video[outcome.video_id]
            if outcome.ok and outcome.video is not None:
                self.stores.append(asyncio.create_task(self.store(row, outcome.video)))
                continue
            signed = list(self.presigned.get(row.key, {}).values())
            error = explain_failure(outcome.error or RuntimeError(outcome.kind), signed)
            await self.fail(row, outcome.video_id, error)
        await asyncio.gather(*self.stores)
        if self.report.progress_lines:
            self.progress.note(self.results, final=True)

    async def fail(self, row: CheckedRow, video_id: str | None, error: BaseException) -> None:
        """Record the row as failed (one row's failure never fails the others) and report it."""
        message = redact(str(error) or type(error).__name__, self.redactions(row.key))
        self.results[row.key] = _failed_row(row, video_id, message)
        await self.report.failed(row, video_id, error, message)


def _pacer(settings: BatchSettings) -> CreatePacer:
    return CreatePacer(
        max_in_flight=settings.max_concurrent_creates, per_second=settings.creates_per_second
    )


async def _find_lost_creates(
    client: Any, rows: Sequence[CheckedRow], state: LedgerState
) -> tuple[dict[str, Video], dict[str, str]]:
    """Rows whose create answered but whose ledger write was lost, found by their name.

    Returns the videos found by row key, and rows to fail because several live videos
    carry their name (creating another could pay twice): the client's re-attach rule
    (``find_created_videos``) with the batch's first run as the time its creates began.
    """
    if state.first_run_started is None or not rows:
        return {}, {}
    names = {row.video_name: row.key for row in rows}
    found = await client.find_created_videos(list(names), since=state.first_run_started)
    videos: dict[str, Video] = {}
    ambiguous: dict[str, str] = {}
    for name, match in found.items():
        if isinstance(match, CreateOutcomeUnknownError):
            ambiguous[names[name]] = f"{match}; not creating another"
        else:
            videos[names[name]] = match
    return videos, ambiguous


async def run_rows(
    batch: CheckedBatch,
    settings: BatchSettings,
    ledger: RowLedger,
    rows: Sequence[CheckedRow],
    *,
    report: RowReport | None = None,
) -> dict[str, RowResult]:
    """Make ``rows`` (resuming from the ledger); return each row's result by key.

    Upload, paced create, one watcher, bounded stores: the one way both flows make
    videos. ``report`` is what the run shows per row (default: the batch's
    :class:`~flows.row_report.RowReport`; one video: :class:`~flows.video.VideoReport`).
    """
    report = report or RowReport()
    logger = get_run_logger()
    options = settings.options
    state = await asyncio.to_thread(ledger.load)
    results: dict[str, RowResult] = {
        key: result.model_copy(update={"resumed": True})
        for key, result in state.stored.items()
        if key in {row.key for row in rows}
    }
    pending = [row for row in rows if row.key not in results]
    by_key = {row.key: row for row in rows}
    batch_row = by_key.__getitem__
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(batch.credentials.get_async_client())
        fresh = [row for row in pending if row.key not in state.created]
        lost, ambiguous = await _find_lost_creates(client, fresh, state)
        for key, message in ambiguous.items():
            results[key] = _failed_row(batch_row(key), None, message)
        attach: dict[str, str] = {
            row.key: state.created[row.key] for row in pending if row.key in state.created
        }
        for key, video in lost.items():
            attach[key] = video.video_id
            await asyncio.to_thread(
                ledger.record_created, key, video.video_id, video.video_name or ""
            )
        to_create = [row for row in pending if row.key not in attach and row.key not in results]
        if report.progress_lines:
            logger.info(
                "Batch %s: %d rows already stored, %d re-attached, %d to create",
                batch.batch_id,
                len(results),
                len(attach),
                len(to_create),
            )
        presigned: dict[str, dict[str, PresignedMedia]] = {}
        if to_create:
            presigned = await upload_batch_media(
                batch,
                to_create,
                options.media_prefix,
                options.presign_expiry_seconds,
                settings.max_concurrent_stores,
            )
            ctx = FlowRunContext.get()
            run_id = str(ctx.flow_run.id) if ctx and ctx.flow_run else None
            await asyncio.to_thread(ledger.record_run, run_id)
        run = _BatchRun(batch, settings, ledger, presigned, report)
        stack.enter_context(run.downloads)
        stack.callback(run.pool.shutdown)
        # One Prefect client for every store task run: a sync task run in a thread
        # without one opens its own (and a TLS context) per row.
        stack.enter_context(SyncClientContext.get_or_create())
        watcher = client.watch_videos(
            poll_interval=options.poll_interval_seconds,
            max_poll_interval=options.max_poll_interval_seconds,
            first_poll_delay=options.poll_interval_seconds,
            verbose=report.verbose,
            on_change=report.changed,
        )
        for key, video_id in attach.items():
            found = lost.get(key) or Video(video_id=video_id)  # known by its id only
            await report.created(run.by_key[key], found, reattached=True, request=None)
            run.watch(watcher, run.by_key[key], video_id)
        creates = asyncio.create_task(run.create_all(client, watcher, to_create))
        try:
            await run.wait_all(watcher)
        finally:
            await creates
    results.update(run.results)
    return results


async def _report(
    batch_id: str,
    rows: list[RowResult],
    ledger: RunLedger | None,
    *,
    dry_run: bool = False,
    estimated_minutes: float | None = None,
    chunk_name: str | None = None,
) -> BatchResult:
    results_uri = None
    if ledger is not None:
        results_uri = await asyncio.to_thread(
            ledger.write_results, results_jsonl(rows), results_name(chunk_name)
        )
    try:
        await acreate_markdown_artifact(
            markdown=results_markdown(batch_id, rows, results_uri),
            key=TABLE_ARTIFACT_KEY,
            description=f"generate-videos batch {batch_id}: one line per row",
        )
    except Exception as exc:  # the rows are in S3; a Prefect outage loses none
        get_run_logger().warning(
            "Batch %s: table artifact not written (%s); every row is in %s",
            batch_id,
            type(exc).__name__,
            results_uri,
        )
    return BatchResult(
        batch_id=batch_id,
        dry_run=dry_run,
        counts=summarize(rows),
        estimated_minutes=estimated_minutes,
        results_uri=results_uri,
        rows=rows,
    )


async def run_in_chunks(
    batch: CheckedBatch, settings: BatchSettings, ledger: RunLedger, *, delete_on_cancel: bool
) -> dict[str, RowResult]:
    """Rows not yet stored, as chunk runs of the deployment (:mod:`~flows.chunks`).

    Inputs are uploaded here, once, so chunk runs on other machines read them from S3.
    """
    assert settings.chunk_size is not None and settings.chunk_deployment is not None
    state = await asyncio.to_thread(ledger.load)
    results = {
        row.key: state.stored[row.key].model_copy(update={"resumed": True})
        for row in batch.rows
        if row.key in state.stored
    }
    pending = [row for row in batch.rows if row.key not in results]
    with_media = [row for row in pending if row.media]
    media_uris: dict[str, dict[str, str]] = {}
    if with_media:
        options = settings.options
        presigned = await upload_batch_media(
            batch,
            with_media,
            options.media_prefix,
            options.presign_expiry_seconds,
            settings.max_concurrent_stores,
        )
        media_uris = {
            key: {role: media.uri for role, media in signed.items()}
            for key, signed in presigned.items()
        }
    chunks = -(-len(pending) // settings.chunk_size)
    get_run_logger().info(
        "Batch %s: %d rows already stored; %d rows in %d chunk runs of deployment %s",
        batch.batch_id,
        len(results),
        len(pending),
        chunks,
        settings.chunk_deployment,
    )
    if pending:
        results.update(
            await run_chunks(
                batch.batch_id,
                settings,
                ledger,
                pending,
                media_uris,
                deployment=settings.chunk_deployment,
                delete_on_cancel=delete_on_cancel,
            )
        )
    return results


def _invalid_rows(batch: CheckedBatch) -> list[RowResult]:
    return [RowResult(key=row.key, status="invalid", error=row.message) for row in batch.rejected]


async def delete_unfinished_videos(flow: Any, flow_run: Any, state: Any) -> None:
    """``on_cancellation`` hook: with ``delete_unfinished_on_cancel``, delete the batch's
    videos still ``queued`` or ``generating`` and log which.

    Works from the flow run's parameters and the S3 ledger alone, because a runner
    calls it in its own process after ending the run's process.
    """
    params = dict(flow_run.parameters or {})
    if not form_group(BatchChecks, params.get("checks"), "checks").delete_unfinished_on_cancel:
        return
    logger = get_run_logger() if FlowRunContext.get() else _hook_logger(flow_run)
    # in a thread: a block chosen in the form is read by its id with a sync client
    settings, _ = await asyncio.to_thread(batch_settings, params)
    options = settings.options
    output_prefix = options.output_prefix
    # Annotated: Prefect's @inject_client loses aload's ``Self`` return type.
    media_bucket: S3Bucket = await S3Bucket.aload(options.media_bucket_block)
    output_name = options.output_bucket_block
    output_bucket: S3Bucket = await S3Bucket.aload(output_name) if output_name else media_bucket
    credentials: TavusCredentials = await TavusCredentials.aload(options.credentials_block)

    def ledger_state() -> LedgerState:
        records = load_manifest(params["manifest"], s3_client(media_bucket))
        rows, _ = parse_rows(records)
        batch_id = batch_id_for([r.key for r in rows], output_prefix, settings.batch_name)
        folder = object_key(output_bucket, output_prefix, "batches", batch_id)
        return RunLedger(s3_client(output_bucket), output_bucket.bucket_name, folder).load()

    state_now = await asyncio.to_thread(ledger_state)
    deleted: list[str] = []
    async with credentials.get_async_client() as client:
        for key, video_id in state_now.created.items():
            if key in state_now.stored:
                continue
            video = await client.get_video(video_id)
            if video.status in (VideoStatus.QUEUED, VideoStatus.GENERATING):
                await client.delete_video(video_id)
                deleted.append(f"{key}={video_id}")
    logger.info(
        "Cancelled: deleted %d unfinished Tavus videos (row=video_id): %s",
        len(deleted),
        ", ".join(deleted) or "none",
    )


def _hook_logger(flow_run: Any) -> Any:
    from prefect.logging.loggers import flow_run_logger

    return flow_run_logger(flow_run)


@flow(
    name="generate-videos",
    description="Make many Tavus videos from a manifest (CSV/JSONL), paced and resumable.",
    validate_parameters=False,  # check_batch reports every problem at once, typed
    on_cancellation=[delete_unfinished_videos],
)
async def generate_videos(
    manifest: Manifest = MANIFEST_PARAM,
    script_template: Text = SCRIPT_TEMPLATE_PARAM,
    video_name_template: Text = NAME_TEMPLATE_PARAM,
    row_defaults: RowDefaults = ROW_DEFAULTS_PARAM,
    batch_name: Text = BATCH_NAME_PARAM,
    credentials_block: TavusBlock = TAVUS_PARAM,
    media_bucket_block: BucketBlock = MEDIA_PARAM,
    output_bucket_block: OutputBucketBlock = OUTPUT_PARAM,
    checks: BatchChecks = CHECKS_PARAM,
    pacing: Pacing = PACING_PARAM,
    chunking: Chunking = CHUNKING_PARAM,
    settings: AdvancedSettings = SETTINGS_PARAM,
) -> BatchResult:
    """Make one Tavus video per manifest row and store each in S3; resumable and paced.

    The settings groups (``checks``, ``pacing``, ``chunking``, ``settings``) take a model
    or a mapping of the fields to change. From Python, ``output_bucket_block=None``
    stores in the media bucket.

    Args:
        manifest: The rows: a CSV or JSONL file as an s3:// URI (read with the media
            bucket block's credentials) or a path on the worker. Each row has a unique id,
            any field of generate-video's Video (replica_id, script or audio, background,
            watermark, video_name, options) and the template's variables.
        script_template: Script for rows without a script or audio, with the row's
            columns in braces, e.g. "Hi {first_name}!". Empty: every row has its own.
        video_name_template: Name in Tavus for rows without a video_name, with the row's
            columns in braces. Empty: the batch's name and the row id. Names must be unique.
        row_defaults: Video fields every row gets unless it sets them, as JSON, e.g.
            {"replica_id": "rfe12d8b9597"}.
        batch_name: Folder of the batch's ledger and results.jsonl under the output
            prefix. Empty: derived from the row ids, so the same manifest into the same
            prefix resumes instead of making its videos again.
        credentials_block: The Tavus Credentials block holding the API key.
        media_bucket_block: The S3 Bucket block inputs are uploaded to and s3:// inputs
            (the manifest too) are read with.
        output_bucket_block: The S3 Bucket block the videos, metadata.json, the ledger
            and results.jsonl are stored in.
        checks: Invalid rows (fail or skip), dry run, a cap on video minutes, and
            deleting unfinished videos when the run is cancelled.
        pacing: Creates in flight and per second, an account-wide concurrency limit,
            and copies to S3 in flight.
        chunking: Split the rows into chunk runs that the work pool's workers share.
        settings: Key prefixes, presigned URL lifetime, and the wait timeout and polling
            for each video.

    Returns:
        :class:`~flows.batch_results.BatchResult`: counts, ``results.jsonl`` URI, rows.
        The run ends Failed (counts in the message) if any row failed or was invalid.

    Raises:
        InvalidBatch: bad parameters, or bad rows with ``on_invalid_rows="fail"``.
        VideoMinutesExceeded: the estimate is over ``max_video_minutes``.

    Example:
        >>> generate_videos(
        ...     "s3://tavus-media/campaigns/welcome.csv",
        ...     row_defaults={"replica_id": "r79e1c033f"},
        ...     checks=BatchChecks(dry_run=True),
        ...     pacing={"creates_per_second": 2},
        ... )  # doctest: +SKIP
    """
    logger = get_run_logger()
    run_settings, guards = batch_settings(
        {
            "script_template": script_template,
            "video_name_template": video_name_template,
            "row_defaults": row_defaults,
            "batch_name": batch_name,
            "credentials_block": credentials_block,
            "media_bucket_block": media_bucket_block,
            "output_bucket_block": output_bucket_block,
            "checks": checks,
            "pacing": pacing,
            "chunking": chunking,
            "settings": settings,
        }
    )
    with tempfile.TemporaryDirectory(prefix="tavus-batch-") as workdir:
        batch = await validate_batch(manifest, run_settings, Path(workdir))
        estimate = estimate_rows([row.job for row in batch.rows], [row.media for row in batch.rows])
        logger.info("Batch %s: %s", batch.batch_id, estimate.describe())
        check_budget(estimate, run_settings.max_video_minutes)
        invalid = _invalid_rows(batch)
        if guards.dry_run:
            planned = [
                RowResult(key=row.key, status="planned", video_name=row.video_name)
                for row in batch.rows
            ]
            return await _report(
                batch.batch_id,
                planned + invalid,
                None,
                dry_run=True,
                estimated_minutes=estimate.minutes,
            )
        ledger = RunLedger(
            s3_client(batch.output_bucket),
            batch.output_bucket.bucket_name,
            batch_folder(batch, run_settings.options.output_prefix),
        )
        if run_settings.chunk_size is not None and run_settings.chunk_name is None:
            done = await run_in_chunks(
                batch, run_settings, ledger, delete_on_cancel=guards.delete_unfinished_on_cancel
            )
        else:
            done = await run_rows(batch, run_settings, ledger, batch.rows)
    order = {row.key: i for i, row in enumerate(batch.rows)}
    rows = sorted(done.values(), key=lambda r: order.get(r.key, len(order))) + invalid
    result = await _report(
        batch.batch_id,
        rows,
        ledger,
        estimated_minutes=estimate.minutes,
        chunk_name=run_settings.chunk_name,
    )
    if result.failed:
        counts = ", ".join(f"{n} {name}" for name, n in result.counts.items())
        message = f"generate-videos batch {batch.batch_id}: {counts}"
        # Returning a Failed state ends the run Failed; a caller of the flow gets the error.
        return Failed(message=message, data=result)  # type: ignore[return-value]
    return result


__all__ = [
    "batch_folder",
    "batch_settings",
    "create_row_video",
    "delete_unfinished_videos",
    "generate_videos",
    "run_in_chunks",
    "run_rows",
    "store_row_video",
    "upload_batch_media",
    "validate_batch",
]
