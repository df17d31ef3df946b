"""The duplicate guard's name lookup in an account that already holds many videos.

The simulator loses the answer of one ``POST /v2/videos`` (``lost_response``: the
video is created, the client sees a dropped connection), so ``create_video`` must find
the video it may have made by its ``video_name`` before deciding whether to send again.
Counts the ``GET /v2/videos`` pages that lookup read, for each list order the
simulator offers, and the videos created (must be 1).

Example:
    >>> lookup_requests(sim, existing=5000, list_order="newest")  # doctest: +SKIP
    {'list_order': 'newest', 'existing_videos': 5000, 'list_requests': 1, 'videos_created': 1}
"""

from __future__ import annotations

import logging
from typing import Any

from benchmarks._services import Simulator
from benchmarks.scenarios import api_requests
from prefect_tavus.tavus_api import TavusClient, VideoRequest
from prefect_tavus.tavus_api.simulator.replicas import DEFAULT_REPLICA_ID


def lookup_requests(sim: Simulator, *, existing: int, list_order: str) -> dict[str, Any]:
    """One create whose answer is lost, with ``existing`` old videos listed ``list_order``."""
    sim.reset(preexisting_videos=existing, list_order=list_order, quota_creates_per_second=None)
    sim.set_faults([{"route": "POST /v2/videos", "kind": "lost_response", "count": 1}])
    # the client logs the lost answer and the re-attach on purpose; not for this table
    logging.getLogger("prefect_tavus.tavus_api").setLevel(logging.ERROR)
    request = VideoRequest(
        replica_id=DEFAULT_REPLICA_ID, script="Looking a name up.", video_name="bench-lookup-1"
    )
    with TavusClient(sim.api_key, base_url=sim.base_url) as client:
        video = client.create_video(request)
    stats = sim.stats()
    requests = api_requests(stats)
    return {
        "list_order": list_order,
        "existing_videos": existing,
        "list_requests": requests.get("GET /v2/videos", 0),
        "create_requests": requests.get("POST /v2/videos", 0),
        "videos_created": int(stats["videos_created"]),
        "video_id": video.video_id,
    }


__all__ = ["lookup_requests"]
