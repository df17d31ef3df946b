"""Run a Prefect flow of this project in a fresh process against the benchmark's server.

``python -m benchmarks._flow_child PAYLOAD REPORT`` with ``PAYLOAD`` one of:

* ``{"action": "save_blocks", "s3_endpoint", "api_key", "base_url", "prefix"}``: create
  the buckets and save the blocks (Tavus credentials, AWS credentials, two S3 buckets);
  reports the flow keyword arguments naming them;
* ``{"action": "flow", "flow": "generate_videos" | "generate_video", "kwargs": {...}}``:
  run the flow once; reports the seconds the call took, the final state and the
  process's memory before the call (the parent reads the peak with ``os.wait4``).

The environment (``PREFECT_API_URL``, ``PREFECT_HOME``) points at the benchmark's
``prefect server``.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import time
from types import SimpleNamespace
from typing import Any

from benchmarks._child import memory_now, read_args, write_report


def save_blocks(payload: dict[str, Any]) -> dict[str, Any]:
    from deployments.local import LocalStack

    # save_blocks reads only the simulator's api_key and base_url; here the base URL is
    # the observing proxy's, so every API request of the flow passes through it.
    tavus: Any = SimpleNamespace(api_key=payload["api_key"], base_url=payload["base_url"])
    stack = LocalStack(s3_endpoint=payload["s3_endpoint"], tavus=tavus)
    return {
        "blocks": stack.save_blocks(prefix=payload["prefix"]),
        "output_bucket": stack.output_bucket,
        "media_bucket": stack.media_bucket,
    }


def run_flow(payload: dict[str, Any]) -> dict[str, Any]:
    from prefect_tavus import flows

    flow = getattr(flows, payload["flow"])
    before = memory_now()
    started = time.perf_counter()
    state = flow(**payload["kwargs"], return_state=True)
    if inspect.iscoroutine(state):  # an async flow
        state = asyncio.run(state)
    seconds = time.perf_counter() - started
    result: Any = state.result(raise_on_failure=False)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    return {
        "seconds": seconds,
        "memory_before": before,
        "memory_after": memory_now(),
        "state": state.type.value,
        "message": state.message,
        "flow_run_id": str(state.state_details.flow_run_id),
        "result": _summary(result),
    }


def _summary(result: Any) -> Any:
    """Something JSON-able and short about the flow's return value."""
    if hasattr(result, "model_dump"):
        dumped = result.model_dump(mode="json")
        return {k: v for k, v in dumped.items() if not isinstance(v, list) or len(v) <= 5}
    return repr(result)[:2000]


def main(argv: list[str]) -> None:
    payload, report_path = read_args(argv)
    actions = {"save_blocks": save_blocks, "flow": run_flow}
    write_report(report_path, actions[payload["action"]](payload))


if __name__ == "__main__":
    main(sys.argv[1:])
