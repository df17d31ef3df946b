"""The simulated account at scale: jittered generation times, pre-existing videos, list order.

Generation times are read back from the videos themselves: on a manual clock a ready
video's ``updated_at`` is exactly when it became ready.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID, SimulatorServer
from tests.tavus_api._client_support import simulator_config
from tests.tavus_api._sim_support import api, check_contract, create

pytestmark = pytest.mark.timeout(120)

PREEXISTING = 5000


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(simulator_config(queue_seconds=1, generation_seconds=5)) as server:
        yield server


@pytest.fixture
def client(sim: SimulatorServer) -> Iterator[httpx.Client]:
    with api(sim) as c:
        yield c
    sim.reset()


def seconds(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC).timestamp()


def generation_times(sim: SimulatorServer, client: httpx.Client, count: int) -> list[float]:
    """Create ``count`` videos at once, let them all finish, return how long each generated."""
    ids = [
        create(client, replica_id=DEFAULT_REPLICA_ID, script="Jittered", fast=True)["video_id"]
        for _ in range(count)
    ]
    sim.advance(60)
    times = []
    for video_id in ids:
        video = client.get(f"/v2/videos/{video_id}").json()
        assert video["status"] == "ready", video
        times.append(round(seconds(video["updated_at"]) - seconds(video["created_at"]) - 1, 3))
    return times


def test_generation_jitter_spreads_times_reproducibly_by_seed(
    sim: SimulatorServer, client: httpx.Client
):
    sim.reset(generation_jitter_seconds=2, seed=7)
    first = generation_times(sim, client, 20)
    assert all(3 <= t <= 7 for t in first), first
    assert max(first) - min(first) > 2, first  # 20 uniform draws over 4 s do spread
    assert len(set(first)) > 15, first

    sim.reset(generation_jitter_seconds=2, seed=7)
    assert generation_times(sim, client, 20) == first
    sim.reset(generation_jitter_seconds=2, seed=8)
    assert generation_times(sim, client, 20) != first
    sim.reset(seed=7)
    assert generation_times(sim, client, 5) == [5.0] * 5


def test_progress_follows_each_videos_own_generation_time(
    sim: SimulatorServer, client: httpx.Client
):
    sim.reset(generation_jitter_seconds=4, seed=3, queue_seconds=0)
    ids = [
        create(client, replica_id=DEFAULT_REPLICA_ID, script="Jittered", fast=True)["video_id"]
        for _ in range(10)
    ]
    sim.advance(0.5)
    progress = {client.get(f"/v2/videos/{i}").json()["generation_progress"] for i in ids}
    assert len(progress) > 3, progress  # 0.5 s of 1-9 s: different fractions


def test_jitter_larger_than_the_generation_time_is_refused(client: httpx.Client):
    response = client.post("/_sim/reset", json={"generation_jitter_seconds": 6})
    assert response.status_code == 400
    assert "generation_jitter_seconds" in response.json()["error"]


def list_all(client: httpx.Client, limit: int) -> tuple[list[dict], int, int]:
    """Every video through pages of ``limit``: (videos, total_count, requests)."""
    videos: list[dict] = []
    page, requests, total = 0, 0, -1
    while True:
        response = client.get("/v2/videos", params={"limit": limit, "page": page})
        requests += 1
        assert response.status_code == 200, response.text
        body = response.json()
        total = body["total_count"]
        if not body["data"]:
            return videos, total, requests
        videos.extend(body["data"])
        page += 1


def test_preexisting_videos_are_listed_newest_first_and_cost_no_render(
    sim: SimulatorServer, client: httpx.Client
):
    sim.reset(preexisting_videos=PREEXISTING)
    new_id = create(client, replica_id=DEFAULT_REPLICA_ID, script="The newest one")["video_id"]

    first_page = client.get("/v2/videos", params={"limit": 3})
    check_contract(first_page)
    assert first_page.json()["total_count"] == PREEXISTING + 1
    assert first_page.json()["data"][0]["video_id"] == new_id

    videos, total, requests = list_all(client, 1000)
    assert (total, len(videos), requests) == (PREEXISTING + 1, PREEXISTING + 1, 7)
    assert len({v["video_id"] for v in videos}) == PREEXISTING + 1
    created = [seconds(v["created_at"]) for v in videos]
    assert created == sorted(created, reverse=True)
    old = videos[1:]
    assert {v["status"] for v in old} == {"ready"}
    assert all(v["download_url"].endswith(f"/media/{v['video_id']}.mp4") for v in old)
    assert created[1] < created[0] - 86_400  # a day and more before the new one
    assert old[-1]["video_name"] == "Pre-existing video 1"

    stats = sim.stats()
    assert stats["videos_created"] == 1
    assert stats["videos"] == {"ready": PREEXISTING, "queued": 1}
    assert stats["counters"].get("renders_encoded", 0) == 0


def test_oldest_first_order_through_the_admin_reset(sim: SimulatorServer, client: httpx.Client):
    reset = client.post(
        "/_sim/reset", json={"preexisting_videos": PREEXISTING, "list_order": "oldest"}
    )
    assert reset.status_code == 200, reset.text
    new_id = create(client, replica_id=DEFAULT_REPLICA_ID, script="The newest one")["video_id"]
    videos, total, _ = list_all(client, 2500)
    assert total == len(videos) == PREEXISTING + 1
    assert videos[0]["video_name"] == "Pre-existing video 1"
    assert videos[-1]["video_id"] == new_id
    created = [seconds(v["created_at"]) for v in videos]
    assert created == sorted(created)


def test_list_limit_has_no_maximum_as_in_the_docs(sim: SimulatorServer, client: httpx.Client):
    sim.reset(preexisting_videos=PREEXISTING)
    everything = client.get("/v2/videos", params={"limit": 100_000}).json()
    assert len(everything["data"]) == everything["total_count"] == PREEXISTING
    assert client.get("/v2/videos", params={"limit": 0}).status_code == 400


def test_a_preexisting_video_is_rendered_when_first_downloaded(
    sim: SimulatorServer, client: httpx.Client
):
    sim.reset(preexisting_videos=3)
    video = client.get("/v2/videos", params={"limit": 1}).json()["data"][0]
    media = httpx.get(video["download_url"], timeout=60)
    assert media.status_code == 200
    assert media.headers["content-type"] == "video/mp4"
    assert media.content[4:8] == b"ftyp"
    assert httpx.get(video["still_image_thumbnail_url"], timeout=60).content[:2] == b"\xff\xd8"
    playlist = httpx.get(video["stream_url"], timeout=60)
    assert playlist.status_code == 200 and playlist.text.startswith("#EXTM3U")
    assert sim.stats()["counters"]["renders_encoded"] == 1
    again = client.get("/v2/videos", params={"limit": 3}).json()["data"]
    for other in again[1:]:  # same script: the one render is shared
        assert httpx.get(other["download_url"], timeout=60).content == media.content
    assert sim.stats()["counters"]["renders_encoded"] == 1
