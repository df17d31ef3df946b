"""Scale ``generate-videos`` past one machine: chunks of a batch as runs of its deployment.

With ``chunk_size``, the parent run validates the whole manifest, uploads each distinct
input once, and writes each chunk's rows (already rendered, media as ``s3://`` URIs of
the media bucket, names fixed) as a JSONL manifest beside the ledger::

    <output_prefix>/batches/<batch>/chunks/chunk-000.jsonl           the chunk's rows
    <output_prefix>/batches/<batch>/chunks/chunk-000.results.jsonl   written by the chunk run

It then starts one flow run of the ``generate-videos`` deployment per chunk with
:func:`prefect.deployments.arun_deployment` (as subflows, so the UI links them), and
Prefect's workers, on as many machines as the work pool has, share them. Every chunk
run uses the parent's ledger (``batch_name``), so a rerun resumes any row wherever it
ran, and the parent's global concurrency limit, so all chunks together stay under the
account's create rate. The parent waits, reads each chunk's results (or, for a chunk
that crashed, the ledger) and writes one table and one ``results.jsonl``.

Example:
    >>> generate_videos(
    ...     "s3://in/welcome.csv",
    ...     chunking={"chunk_size": 200},
    ...     pacing={"concurrency_limit_name": "tavus-creates"},
    ... )  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any

from prefect.client.schemas.objects import FlowRun
from prefect.context import FlowRunContext
from prefect.deployments import arun_deployment
from prefect_aws import S3Bucket

from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.flows.batch_form import BatchChecks, Chunking, Pacing
from prefect_tavus.flows.batch_results import RowResult, parse_results_jsonl
from prefect_tavus.flows.batch_validation import BatchSettings, CheckedRow
from prefect_tavus.flows.form import AdvancedSettings, block_ref
from prefect_tavus.flows.ledger import RunLedger

CHUNK_POLL_SECONDS = 2.0
"""How often the parent reads each chunk run's state while it waits."""


def split(rows: Sequence[CheckedRow], size: int) -> list[list[CheckedRow]]:
    """``rows`` in manifest order, ``size`` at a time.

    >>> [len(c) for c in split(list(range(8)), 3)]
    [3, 3, 2]
    """
    return [list(rows[start : start + size]) for start in range(0, len(rows), size)]


def chunk_manifest(
    rows: Sequence[CheckedRow], media_uris: Mapping[str, Mapping[str, str]]
) -> bytes:
    """A chunk's rows as JSONL: key, the rendered video fields, its name, media in S3.

    Nothing is left to render or to read from the parent's disk, so any worker can run it.
    """
    lines = []
    for row in rows:
        fields = row.job.model_dump(mode="json", exclude_none=True)
        fields.update(media_uris.get(row.key, {}))
        fields["video_name"] = row.video_name
        lines.append(json.dumps({"id": row.key, **fields}, sort_keys=True))
    return ("\n".join(lines) + "\n").encode()


def chunk_parameters(
    settings: BatchSettings, batch_id: str, name: str, manifest_uri: str, *, delete_on_cancel: bool
) -> dict[str, Any]:
    """The chunk run's parameters: the parent's, its own manifest, the parent's ledger.

    Shaped as ``generate_videos``' form, which a deployment enforces: blocks by
    reference, settings in their groups, "not set" left out rather than ``null``.
    """
    options = settings.options
    groups = {
        # the parent validated; a row gone bad since fails alone
        "checks": BatchChecks(on_invalid_rows="skip", delete_unfinished_on_cancel=delete_on_cancel),
        "pacing": Pacing(
            max_concurrent_creates=settings.max_concurrent_creates,
            creates_per_second=settings.creates_per_second,
            max_concurrent_stores=settings.max_concurrent_stores,
            concurrency_limit_name=settings.concurrency_limit_name,
        ),
        "chunking": Chunking(chunk_name=name),
        "settings": AdvancedSettings(
            **options.model_dump(include=set(AdvancedSettings.model_fields))
        ),
    }
    return {
        "manifest": manifest_uri,
        "batch_name": batch_id,
        "credentials_block": block_ref(TavusCredentials, options.credentials_block),
        "media_bucket_block": block_ref(S3Bucket, options.media_bucket_block),
        "output_bucket_block": block_ref(
            S3Bucket, options.output_bucket_block or options.media_bucket_block
        ),
        **{key: group.model_dump(mode="json", exclude_none=True) for key, group in groups.items()},
    }


def results_name(chunk_name: str | None) -> str:
    """Where a run writes its results in the batch folder (chunks beside their manifest)."""
    return f"chunks/{chunk_name}.results.jsonl" if chunk_name else "results.jsonl"


def _missing(row: CheckedRow, run: FlowRun | BaseException) -> RowResult:
    if isinstance(run, BaseException):
        why = f"its chunk run could not start or be followed: {type(run).__name__}: {run}"
    else:
        state = run.state
        why = f"its chunk run {run.name!r} ended {state.name if state else 'without a state'}"
        if state is not None and state.message:
            why += f": {state.message}"
    return RowResult(key=row.key, status="failed", video_name=row.video_name, error=why)


async def run_chunks(
    batch_id: str,
    settings: BatchSettings,
    ledger: RunLedger,
    rows: Sequence[CheckedRow],
    media_uris: Mapping[str, Mapping[str, str]],
    *,
    deployment: str,
    delete_on_cancel: bool,
) -> dict[str, RowResult]:
    """Run ``rows`` as chunk runs of ``deployment``; each row's result by key.

    A row a chunk did not report (the chunk crashed or was cancelled) comes from the
    ledger if it was stored, and is failed with the chunk run's state otherwise.
    """
    assert settings.chunk_size is not None
    ctx = FlowRunContext.get()
    parent = ctx.flow_run if ctx is not None else None
    attempt = f"{parent.id}:{parent.run_count}" if parent is not None else None
    chunks = split(rows, settings.chunk_size)
    names = [f"chunk-{index:03d}" for index in range(len(chunks))]

    async def one(name: str, chunk: list[CheckedRow]) -> FlowRun:
        uri = await asyncio.to_thread(
            ledger.put_text, f"chunks/{name}.jsonl", chunk_manifest(chunk, media_uris)
        )
        await asyncio.to_thread(ledger.delete, results_name(name))  # no stale results
        return await arun_deployment(
            deployment,
            parameters=chunk_parameters(
                settings, batch_id, name, uri, delete_on_cancel=delete_on_cancel
            ),
            flow_run_name=f"{batch_id} {name}",
            timeout=None,
            poll_interval=CHUNK_POLL_SECONDS,
            as_subflow=True,
            # a retried parent attempt starts fresh chunk runs; a re-sent start does not
            idempotency_key=f"{attempt}:{name}" if attempt else None,
        )

    runs = await asyncio.gather(
        *(one(name, chunk) for name, chunk in zip(names, chunks, strict=True)),
        return_exceptions=True,
    )
    state = await asyncio.to_thread(ledger.load)
    results: dict[str, RowResult] = {}
    for name, chunk, run in zip(names, chunks, runs, strict=True):
        reported: dict[str, RowResult] = {}
        body = await asyncio.to_thread(ledger.get_if_exists, results_name(name))
        reported = {row.key: row for row in parse_results_jsonl(body or b"")}
        for row in chunk:
            results[row.key] = (
                reported.get(row.key) or state.stored.get(row.key) or _missing(row, run)
            )
    return results


__all__ = [
    "CHUNK_POLL_SECONDS",
    "chunk_manifest",
    "chunk_parameters",
    "results_name",
    "run_chunks",
    "split",
]
