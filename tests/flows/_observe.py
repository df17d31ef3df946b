"""Read back what a flow run left in the Prefect API: logs, artifacts, events."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.events.filters import (
    EventFilter,
    EventNameFilter,
    EventRelatedFilter,
    EventResourceFilter,
)
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker


@dataclass
class RunRecord:
    """Everything a flow run produced that a user (or an attacker) could read."""

    logs: list[str] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def texts(self) -> list[str]:
        return [*self.logs, *(repr(a) for a in self.artifacts), *(repr(e) for e in self.events)]


def read_logs(flow_run_id: UUID) -> list[str]:
    APILogWorker.drain_all(timeout=10)
    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])), limit=200
        )
    return [log.message for log in logs]


def read_artifacts(flow_run_id: UUID) -> list[dict[str, Any]]:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return [a.model_dump(mode="json") for a in artifacts]


def read_video_events(
    flow_run_id: UUID, video_id: str, expect: set[str], timeout: float = 20.0
) -> list[dict[str, Any]]:
    """This run's events about ``tavus.video.<video_id>``, polled until ``expect`` are there.

    The worker links each event to the flow run it was emitted in (a related resource).
    """
    EventsWorker.drain_all()
    deadline = time.monotonic() + timeout
    found: list[dict[str, Any]] = []
    event_filter = EventFilter(
        event=EventNameFilter(prefix=["tavus.video."]),
        resource=EventResourceFilter(id=[f"tavus.video.{video_id}"]),
        related=EventRelatedFilter(id=[f"prefect.flow-run.{flow_run_id}"]),
    )
    while time.monotonic() < deadline:
        with get_client(sync_client=True) as client:
            page = client.read_events(filter=event_filter, limit=50)
        found = [e.model_dump(mode="json") for e in page.events]
        if expect <= {e["event"] for e in found}:
            return found
        time.sleep(0.5)
    return found


def record(
    flow_run_id: UUID, video_id: str | None = None, expect: set[str] = frozenset()
) -> RunRecord:
    events = read_video_events(flow_run_id, video_id, set(expect)) if video_id else []
    return RunRecord(
        logs=read_logs(flow_run_id), artifacts=read_artifacts(flow_run_id), events=events
    )


SIGNATURE_MARKERS = ("X-Amz-Signature", "X-Amz-Credential", "Signature=", "AWSAccessKeyId")


def assert_no_secrets(texts: list[str], api_key: str) -> None:
    """No API key and no presigned-URL signature in any of ``texts``."""
    for text in texts:
        assert api_key not in text, f"API key leaked: {text[:200]}"
        for marker in SIGNATURE_MARKERS:
            assert marker not in text, f"presigned signature leaked ({marker}): {text[:300]}"
