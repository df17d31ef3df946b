"""wait_for_video against the real simulator: manual clock moved by the client's sleeps,
and a real-clock run with several videos waited on concurrently by the async client."""

from __future__ import annotations

import asyncio

import pytest

from prefect_tavus.tavus_api import (
    AsyncTavusClient,
    RetryPolicy,
    Video,
    VideoFailedError,
    VideoRequest,
    VideoStatus,
    WaitTimeoutError,
)
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID, ERROR_REPLICA_ID, SimulatorServer
from tests.tavus_api._client_support import (
    KINDS,
    FakeTime,
    SimTime,
    Twin,
    make_client,
    requests_to,
    simulator_config,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def sim():
    with SimulatorServer(simulator_config(queue_seconds=2, generation_seconds=12)) as server:
        yield server


def _request(name: str, replica_id: str = DEFAULT_REPLICA_ID) -> VideoRequest:
    return VideoRequest(replica_id=replica_id, script="Waiting for this one", video_name=name)


@pytest.mark.parametrize("kind", KINDS)
async def test_waits_until_ready_reporting_each_change(kind: str, sim: SimulatorServer) -> None:
    sim.reset()
    time = SimTime(sim)
    twin = Twin(make_client(kind, time, base_url=sim.base_url, api_key=sim.api_key))
    video = await twin.create_video(_request("wait-ready"))
    changes: list[Video] = []
    ready = await twin.wait_for_video(
        video.video_id, poll_interval=1, max_poll_interval=4, on_change=changes.append
    )
    await twin.aclose()
    assert ready.status is VideoStatus.READY and ready.download_url
    statuses = [c.status for c in changes]
    assert statuses[0] is VideoStatus.QUEUED and statuses[-1] is VideoStatus.READY
    assert VideoStatus.GENERATING in statuses
    progress = [c.progress for c in changes if c.status is VideoStatus.GENERATING]
    assert progress == sorted(progress) and len(set(progress)) == len(progress)
    polls = requests_to(sim, "GET /v2/videos/{video_id}")["200"]
    assert len(changes) <= polls  # on_change only on a change, never more than polls
    assert sum(time.sleeps) >= 14  # queue + generation, in simulator seconds
    assert time.sleeps[:3] == [1.0, 1.5, 2.25]


@pytest.mark.parametrize("kind", KINDS)
async def test_failed_video_raises_with_details(kind: str, sim: SimulatorServer) -> None:
    sim.reset()
    twin = Twin(make_client(kind, SimTime(sim), base_url=sim.base_url, api_key=sim.api_key))
    video = await twin.create_video(_request("wait-error", replica_id=ERROR_REPLICA_ID))
    with pytest.raises(VideoFailedError) as caught:
        await twin.wait_for_video(video.video_id)
    await twin.aclose()
    assert caught.value.video_id == video.video_id
    assert ERROR_REPLICA_ID in (caught.value.status_details or "")


@pytest.mark.parametrize("kind", KINDS)
async def test_times_out_on_a_stuck_video(kind: str, sim: SimulatorServer) -> None:
    sim.reset()
    time = FakeTime()  # the client's time passes, the simulator's does not: stuck in queue
    twin = Twin(make_client(kind, time, base_url=sim.base_url, api_key=sim.api_key))
    video = await twin.create_video(_request("wait-stuck"))
    with pytest.raises(WaitTimeoutError) as caught:
        await twin.wait_for_video(video.video_id, timeout=120, poll_interval=5)
    await twin.aclose()
    assert caught.value.last_status == "queued"
    assert caught.value.waited_seconds == pytest.approx(120)
    assert sum(time.sleeps) == pytest.approx(120)
    assert requests_to(sim, "GET /v2/videos/{video_id}")["200"] == len(time.sleeps) + 1


async def test_async_client_waits_for_many_videos_concurrently_on_a_real_clock() -> None:
    config = simulator_config(clock="real", queue_seconds=0.2, generation_seconds=0.6)
    seen: dict[str, list[VideoStatus]] = {}

    async def record(video: Video) -> None:
        await asyncio.sleep(0)
        seen.setdefault(video.video_id, []).append(video.status)

    with SimulatorServer(config) as live:
        async with AsyncTavusClient(
            live.api_key, base_url=live.base_url, retry=RetryPolicy(initial_delay=0.05)
        ) as client:
            created = [await client.create_video(_request(f"many-{i}")) for i in range(4)]
            ready = await asyncio.gather(
                *(
                    client.wait_for_video(
                        v.video_id,
                        timeout=30,
                        poll_interval=0.1,
                        max_poll_interval=0.3,
                        on_change=record,
                    )
                    for v in created
                )
            )
    assert [v.video_id for v in ready] == [v.video_id for v in created]
    assert all(v.status is VideoStatus.READY for v in ready)
    assert all(statuses[-1] is VideoStatus.READY for statuses in seen.values())
    assert len(seen) == 4
