"""The run ledger: each row's ``video_id`` in S3 beside the outputs, so any run can resume.

Layout under ``<output_prefix>/batches/<batch_id>/`` in the output bucket::

    ledger/runs/<flow_run_id>.json           written before a run's first create
    ledger/created/<row>/<video_id>.json     written as soon as the create answers
    ledger/stored/<row>/<video_id>.json      the row's result, once its outputs are stored
    results.jsonl                            every row's outcome, at the end of a run

Row keys are percent-encoded in object keys. One listing (one request per 1,000
entries) tells which rows were created and stored; only stored rows' results are
read back. A row whose create answered but whose ledger write was lost (SIGKILL in
between) is found by its deterministic ``video_name``, looked up only when an
earlier run of the batch had started creating.

Example:
    >>> ledger = RunLedger(s3, "tavus-out", "tavus/videos/batches/batch-1a2b")  # doctest: +SKIP
    >>> ledger.record_created("row-42", "1e30440cf9", "batch-1a2b/row-42")  # doctest: +SKIP
    >>> ledger.load().created  # doctest: +SKIP
    {'row-42': '1e30440cf9'}
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote, unquote

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from prefect_tavus.flows.batch_results import RowResult

_READERS = 8


class LedgerState(BaseModel):
    """What earlier runs of the batch recorded."""

    model_config = ConfigDict(frozen=True)

    created: dict[str, str] = Field(default_factory=dict, description="row key -> video_id")
    stored: dict[str, RowResult] = Field(default_factory=dict, description="row key -> result")
    first_run_started: datetime | None = Field(
        None, description="When the earliest run of this batch began creating (None: never)."
    )


def encode_key(key: str) -> str:
    """A row key as one path segment.

    >>> encode_key("a/b c")
    'a%2Fb%20c'
    """
    return quote(key, safe="")


class RowLedger(Protocol):
    """What making rows needs of a ledger (:class:`RunLedger` in S3, or :class:`RetryLedger`)."""

    def load(self) -> LedgerState: ...
    def record_run(self, flow_run_id: str | None) -> None: ...
    def record_created(self, key: str, video_id: str, video_name: str) -> None: ...
    def record_stored(self, result: RowResult) -> None: ...


class RetryLedger:
    """The ledger of a single flow run: nothing written; its retries find the video by name.

    ``first_run_started`` is when the flow run was created on a retry (``None`` on its
    first attempt, so a first attempt never spends a lookup). The single-video flow's
    outputs stay exactly the video's files; a retry re-attaches with the same rule as
    a resumed batch (``find_created_videos`` from that time).
    """

    def __init__(self, first_run_started: datetime | None) -> None:
        self.state = LedgerState(first_run_started=first_run_started)

    def load(self) -> LedgerState:
        """Only when the run began: ids are not kept between attempts."""
        return self.state

    def record_run(self, flow_run_id: str | None) -> None:
        """Nothing to write: the flow run itself records when it began."""

    def record_created(self, key: str, video_id: str, video_name: str) -> None:
        """Nothing to write: the ``video_name`` is unique to the flow run."""

    def record_stored(self, result: RowResult) -> None:
        """Nothing to write: the flow run's result holds it."""


class RunLedger:
    """A batch's ledger in S3 (``bucket``/``folder``), read and written with a boto3 client.

    All methods are blocking; the flow calls them in worker threads.
    """

    def __init__(self, s3: Any, bucket: str, folder: str) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.folder = folder.strip("/")

    def uri(self, name: str) -> str:
        """``s3://`` URI of ``name`` inside the batch folder."""
        return f"s3://{self.bucket}/{self.folder}/{name}"

    def _put(self, name: str, body: bytes, content_type: str = "application/json") -> None:
        self.s3.put_object(
            Bucket=self.bucket, Key=f"{self.folder}/{name}", Body=body, ContentType=content_type
        )

    def _put_json(self, name: str, value: dict[str, Any]) -> None:
        self._put(name, json.dumps(value, sort_keys=True, default=str).encode())

    def record_run(self, flow_run_id: str | None) -> None:
        """Mark that a run is about to create videos (before its first create)."""
        now = datetime.now(UTC)
        name = flow_run_id or now.strftime("%Y%m%dT%H%M%S%f")
        self._put_json(f"ledger/runs/{name}.json", {"started_at": now.isoformat()})

    def record_created(self, key: str, video_id: str, video_name: str) -> None:
        """Record the row's ``video_id`` (call as soon as the create answers)."""
        self._put_json(
            f"ledger/created/{encode_key(key)}/{video_id}.json",
            {"key": key, "video_id": video_id, "video_name": video_name},
        )

    def record_stored(self, result: RowResult) -> None:
        """Record a stored row's result (its outputs, metadata.json included, are in S3)."""
        self._put(
            f"ledger/stored/{encode_key(result.key)}/{result.video_id}.json",
            result.model_dump_json().encode(),
        )

    def write_results(self, body: bytes, name: str = "results.jsonl") -> str:
        """Write a results file into the batch folder; returns its URI."""
        self._put(name, body, "application/x-ndjson")
        return self.uri(name)

    def put_text(self, name: str, body: bytes) -> str:
        """Write any file into the batch folder (chunk manifests); returns its URI."""
        self._put(name, body, "application/x-ndjson")
        return self.uri(name)

    def get(self, name: str) -> bytes:
        """A file from the batch folder."""
        response = self.s3.get_object(Bucket=self.bucket, Key=f"{self.folder}/{name}")
        body: bytes = response["Body"].read()  # boto3 is untyped
        return body

    def get_if_exists(self, name: str) -> bytes | None:
        """A file from the batch folder, or ``None`` if there is none."""
        try:
            return self.get(name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    def delete(self, name: str) -> None:
        """Remove a file from the batch folder (nothing happens if there is none)."""
        self.s3.delete_object(Bucket=self.bucket, Key=f"{self.folder}/{name}")

    def _list(self, prefix: str) -> list[dict[str, Any]]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.folder}/{prefix}"
        )
        return [obj for page in pages for obj in page.get("Contents", [])]

    def load(self) -> LedgerState:
        """What earlier runs recorded: created ids and stored results (one listing each)."""
        created: dict[str, str] = {}
        for obj in self._list("ledger/created/"):
            row, video = obj["Key"].rsplit("/", 2)[-2:]
            created[unquote(row)] = video.removesuffix(".json")
        stored_keys = [obj["Key"] for obj in self._list("ledger/stored/")]
        runs = self._list("ledger/runs/")
        first = min((obj["LastModified"] for obj in runs), default=None)

        def read(key: str) -> RowResult:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            return RowResult.model_validate_json(body)

        with ThreadPoolExecutor(max_workers=_READERS) as pool:
            results = list(pool.map(read, stored_keys))
        return LedgerState(
            created=created,
            stored={result.key: result for result in results},
            first_run_started=first,
        )


__all__ = ["LedgerState", "RetryLedger", "RowLedger", "RunLedger", "encode_key"]
