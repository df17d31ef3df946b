"""What a ``generate-videos`` run needs from Prefect, checked before anything is spent.

* ``concurrency_limit_name``: the global concurrency limit shared by every run on one
  Tavus account must exist and have slot decay (it is used as a rate limit, see
  :mod:`~prefect_tavus.flows.quota`); otherwise Prefect would skip it with a warning
  (not strict) or fail the first create (strict), after uploads.
* ``chunk_deployment``: with ``chunk_size``, the deployment chunk runs start on must
  exist and run ``generate-videos``.

Both read Prefect with the sync client; call them where blocking I/O is fine.

Example:
    >>> check_concurrency_limit(None), check_chunk_deployment(None, None)
    ([], [])
"""

from __future__ import annotations

from uuid import UUID

from prefect import get_client
from prefect.context import FlowRunContext
from prefect.exceptions import ObjectNotFound

from prefect_tavus.flows.errors import Problem

LIMIT_FIELD = "concurrency_limit_name"
DEPLOYMENT_FIELD = "chunk_deployment"
FLOW_NAME = "generate-videos"

_CREATE_HINT = (
    "create it (prefect global-concurrency-limit create {name} --limit 5 "
    "--slot-decay-per-second 2) or leave the field empty"
)


def check_concurrency_limit(name: str | None) -> list[Problem]:
    """Why ``name`` cannot pace creates (missing, no slot decay), or no problems.

    Reads the limit with the Prefect client; call it where blocking I/O is fine.
    """
    if name is None:
        return []
    if not name.strip():
        return [Problem(LIMIT_FIELD, "must not be blank (leave it empty for no shared limit)")]
    with get_client(sync_client=True) as client:
        try:
            limit = client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            return [
                Problem(
                    LIMIT_FIELD,
                    f"no global concurrency limit named {name!r}; "
                    + _CREATE_HINT.format(name=name),
                )
            ]
    if not limit.slot_decay_per_second:
        return [
            Problem(
                LIMIT_FIELD,
                f"limit {name!r} has no slot decay, so it cannot pace creates per second; "
                f"set one (prefect global-concurrency-limit update {name} "
                "--slot-decay-per-second 2)",
            )
        ]
    return []


def current_deployment() -> str | None:
    """The id of the deployment the current flow run belongs to, if any."""
    ctx = FlowRunContext.get()
    run = ctx.flow_run if ctx is not None else None
    return str(run.deployment_id) if run is not None and run.deployment_id else None


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


def check_chunk_deployment(chunk_size: int | None, deployment: str | None) -> list[Problem]:
    """Why chunks cannot start (no deployment, unknown, another flow's), or no problems.

    Reads the deployment with the Prefect client; call it where blocking I/O is fine.
    """
    if chunk_size is None:
        return []
    if not deployment:
        return [
            Problem(
                DEPLOYMENT_FIELD,
                "is required with chunk_size when this run is not from a deployment; "
                f"name the {FLOW_NAME} deployment chunks run on, e.g. '{FLOW_NAME}/batch'",
            )
        ]
    with get_client(sync_client=True) as client:
        try:
            found = (
                client.read_deployment(deployment)
                if _is_uuid(deployment)
                else client.read_deployment_by_name(deployment)
            )
        except ObjectNotFound:
            return [
                Problem(
                    DEPLOYMENT_FIELD,
                    f"no deployment {deployment!r}; deploy the {FLOW_NAME} flow and give "
                    "'<flow name>/<deployment name>'",
                )
            ]
        flow = client.read_flow(found.flow_id)
    if flow.name != FLOW_NAME:
        return [
            Problem(DEPLOYMENT_FIELD, f"{deployment!r} runs flow {flow.name!r}, not {FLOW_NAME!r}")
        ]
    return []


__all__ = [
    "DEPLOYMENT_FIELD",
    "FLOW_NAME",
    "LIMIT_FIELD",
    "check_chunk_deployment",
    "check_concurrency_limit",
    "current_deployment",
]
