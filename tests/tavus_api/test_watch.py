"""The many-video watcher against the real simulator (manual clock moved by the client's sleeps).

Request counts come from the simulator's ``/_sim/stats``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from prefect_tavus.tavus_api import (
    AsyncTavusClient,
    NotFoundError,
    TavusClient,
    VideoDeletedError,
    VideoFailedError,
    VideoRequest,
    VideoStatus,
    WaitTimeoutError,
)
from prefect_tavus.tavus_api.simulator import (
    DEFAULT_REPLICA_ID,
    ERROR_REPLICA_ID,
    TRAINING_REPLICA_ID,
    FaultRule,
    SimulatorServer,
)
from prefect_tavus.tavus_api.watch import WatchOutcome, WatchState
from tests.tavus_api._client_support import SimTime, make_client, requests_to, simulator_config

pytestmark = pytest.mark.timeout(120)

LIST = "GET /v2/videos"
ONE = "GET /v2/videos/{video_id}"


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(simulator_config(queue_seconds=2, generation_seconds=10)) as server:
        yield server


def _client(sim: SimulatorServer, time: SimTime, **kw: object) -> AsyncTavusClient:
    client = make_client("async", time, base_url=sim.base_url, api_key=sim.api_key, **kw)
    assert isinstance(client, AsyncTavusClient)
    return client


def _request(name: str, replica_id: str = DEFAULT_REPLICA_ID) -> VideoRequest:
    return VideoRequest(replica_id=replica_id, script="One of many", video_name=name)


async def _create(client: AsyncTavusClient, count: int, prefix: str, **kw: str) -> list[str]:
    videos = [await client.create_video(_request(f"{prefix}-{i}", **kw)) for i in range(count)]
    return [video.video_id for video in videos]


def _old_videos(sim: SimulatorServer, count: int) -> None:
    """``count`` more videos in the account (queued forever: a replica still training)."""
    with httpx.Client(base_url=sim.base_url, headers={"x-api-key": sim.api_key}) as http:
        for i in range(count):
            body = {"replica_id": TRAINING_REPLICA_ID, "script": "old", "video_name": f"old-{i}"}
            assert http.post("/v2/videos", json=body).status_code == 200


def _reads(sim: SimulatorServer) -> tuple[int, int]:
    return sum(requests_to(sim, LIST).values()), sum(requests_to(sim, ONE).values())


async def _collect(watcher: object) -> dict[str, WatchOutcome]:
    return {outcome.video_id: outcome async for outcome in watcher}


async def test_fifty_videos_are_read_from_list_pages(sim: SimulatorServer) -> None:
    sim.reset()
    time = SimTime(sim)
    client = _client(sim, time)
    ids = await _create(client, 50, "batch")
    watcher = client.watch_videos(poll_interval=2, first_poll_delay=3)
    for video_id in ids:
        watcher.add(video_id, timeout_seconds=600)
    watcher.close()
    outcomes = await _collect(watcher)
    await client.close()

    assert set(outcomes) == set(ids)
    assert all(o.kind == "ready" and o.error is None for o in outcomes.values())
    assert all(o.video and o.video.download_url for o in outcomes.values())
    lists, singles = _reads(sim)
    assert singles == 0  # one page holds all 50: no per-video read
    rounds = sum(1 for s in time.sleeps if s > 0)
    assert 1 <= lists <= rounds + 1  # one list request per round, not 50
    # ready at 12 s (queue 2 + generation 10); noticed within one poll_interval of that
    assert 12 <= sum(time.sleeps) <= 12 + 2


async def test_falls_back_to_per_video_reads_behind_many_other_videos(
    sim: SimulatorServer,
) -> None:
    sim.reset()
    time = SimTime(sim)
    client = _client(sim, time)
    ids = await _create(client, 3, "few")
    _old_videos(sim, 450)  # newer, so listed before ours: 5 pages to reach them
    watcher = client.watch_videos(poll_interval=2, first_poll_delay=3)
    for video_id in ids:
        watcher.add(video_id, timeout_seconds=600)
    watcher.close()
    outcomes = await _collect(watcher)
    await client.close()

    assert {o.kind for o in outcomes.values()} == {"ready"}
    lists, singles = _reads(sim)
    assert lists == 1  # one page tried, then paging would have cost more than 3 reads
    per_round = 3
    assert singles % per_round == 0 and singles >= per_round


async def test_error_deleted_and_missing_outcomes(sim: SimulatorServer) -> None:
    sim.reset()
    time = SimTime(sim)
    client = _client(sim, time)
    [failing] = await _create(client, 1, "fails", replica_id=ERROR_REPLICA_ID)
    [deleted, hard_deleted] = await _create(client, 2, "deleted")
    watcher = client.watch_videos(poll_interval=2, first_poll_delay=3, not_found_grace=5)
    for video_id in (failing, deleted, hard_deleted):
        watcher.add(video_id, timeout_seconds=600)
    watcher.close()
    await client.delete_video(deleted)
    await client.delete_video(hard_deleted, hard=True)
    outcomes = await _collect(watcher)
    await client.close()

    assert outcomes[failing].kind == "error"
    assert isinstance(outcomes[failing].error, VideoFailedError)
    assert ERROR_REPLICA_ID in (outcomes[failing].error.status_details or "")
    assert outcomes[deleted].kind == "deleted"
    assert isinstance(outcomes[deleted].error, VideoDeletedError)
    assert outcomes[hard_deleted].kind == "deleted"
    assert isinstance(outcomes[hard_deleted].error, NotFoundError)


async def test_each_id_times_out_on_its_own_deadline(sim: SimulatorServer) -> None:
    sim.reset()
    time = SimTime(sim)
    client = _client(sim, time)
    [stuck] = await _create(client, 1, "stuck", replica_id=TRAINING_REPLICA_ID)
    [quick] = await _create(client, 1, "quick")
    watcher = client.watch_videos(poll_interval=2, max_poll_interval=4, first_poll_delay=3)
    started = time.now
    watcher.add(stuck, timeout_seconds=30)
    watcher.add(quick, timeout_seconds=600)
    watcher.close()
    order = [outcome async for outcome in watcher]
    await client.close()

    assert [o.video_id for o in order] == [quick, stuck]
    timed_out = order[1]
    assert timed_out.kind == "timed_out" and timed_out.video is not None
    assert isinstance(timed_out.error, WaitTimeoutError)
    assert timed_out.error.video_id == stuck
    assert timed_out.error.last_status == VideoStatus.QUEUED.value
    assert time.now - started == pytest.approx(30)  # the last read is at the deadline


async def test_ids_added_while_watching(sim: SimulatorServer) -> None:
    sim.reset()
    time = SimTime(sim)
    client = _client(sim, time)
    watcher = client.watch_videos(poll_interval=2, first_poll_delay=3)
    seen: list[WatchOutcome] = []

    async def consume() -> None:
        async for outcome in watcher:
            seen.append(outcome)

    consumer = asyncio.create_task(consume())
    ids: list[str] = []
    for batch in range(3):
        for video_id in await _create(client, 4, f"late-{batch}"):
            watcher.add(video_id, timeout_seconds=600)
            ids.append(video_id)
        await asyncio.sleep(0)  # let the watcher run a while between creates
    watcher.close()
    await asyncio.wait_for(consumer, 60)
    await client.close()

    assert sorted(o.video_id for o in seen) == sorted(ids)
    assert all(o.kind == "ready" for o in seen)
    lists, singles = _reads(sim)
    rounds = sum(1 for s in time.sleeps if s > 0) + 1
    assert lists + singles <= rounds  # one request a round, for however many ids are due


async def test_a_429_while_watching_loses_no_id(sim: SimulatorServer) -> None:
    sim.reset()
    time = SimTime(sim)
    client = _client(sim, time)
    ids = await _create(client, 5, "limited")
    # every read answers 429 for a while: more than the retry policy's 4 retries
    sim.set_faults(
        [FaultRule(route=LIST, kind="rate_limit", count=7, retry_after=2)]
        + [FaultRule(route=ONE, kind="rate_limit", count=3, retry_after=2)]
    )
    watcher = client.watch_videos(poll_interval=2, first_poll_delay=3)
    for video_id in ids:
        watcher.add(video_id, timeout_seconds=600)
    watcher.close()
    outcomes = await _collect(watcher)
    await client.close()
    sim.clear_faults()

    assert sorted(outcomes) == sorted(ids)
    assert all(o.kind == "ready" for o in outcomes.values())
    assert requests_to(sim, LIST).get("429") == 7
    assert 2.0 in time.sleeps  # Retry-After honoured (jitter 0)


def test_sync_twin_waits_for_many(sim: SimulatorServer) -> None:
    sim.reset()
    time = SimTime(sim)
    client = make_client("sync", time, base_url=sim.base_url, api_key=sim.api_key)
    assert isinstance(client, TavusClient)
    ids = [client.create_video(_request(f"sync-{i}")).video_id for i in range(4)]
    outcomes = list(client.wait_for_videos(ids, timeout=600, poll_interval=2))
    client.close()
    assert sorted(o.video_id for o in outcomes) == sorted(ids)
    assert all(o.ok for o in outcomes)
    _, singles = _reads(sim)
    assert singles == 0


@pytest.mark.parametrize("count", [1, 3])
async def test_verbose_watch_reports_changes_and_brings_thumbnails(
    sim: SimulatorServer, count: int
) -> None:
    sim.reset()
    time = SimTime(sim)
    client = _client(sim, time)
    ids = await _create(client, count, f"shown-{count}")
    changes: list[tuple[str, str, float | None]] = []

    async def on_change(video: object) -> None:  # async, as a progress artifact update is
        changes.append((video.video_id, video.status.value, video.progress))  # type: ignore[attr-defined]

    watcher = client.watch_videos(
        poll_interval=2, first_poll_delay=3, verbose=True, on_change=on_change
    )
    for video_id in ids:
        watcher.add(video_id, timeout_seconds=600)
    watcher.close()
    outcomes = await _collect(watcher)
    await client.close()

    for video_id in ids:
        ready = outcomes[video_id].video
        assert ready is not None and ready.download_url
        assert ready.still_image_thumbnail_url and ready.gif_thumbnail_url
        seen = [(status, progress) for vid, status, progress in changes if vid == video_id]
        assert seen[0][0] in ("queued", "generating") and seen[-1][0] == "ready"
        assert all(a != b for a, b in zip(seen, seen[1:], strict=False))  # changes only


def test_ids_falling_due_one_by_one_share_a_round() -> None:
    """Creates paced at 20/s fall due 50 ms apart; rounds at most once a second gather
    them, so one list page reads twenty instead of twenty GETs."""
    state = WatchState(poll_interval=5, first_poll_delay=5)
    for i in range(40):
        state.add(f"v{i}", timeout_seconds=600, now=i * 0.05)
    assert state.next_due() == pytest.approx(5.0)  # the first id's first read
    state.last_round = 5.0  # that round read it; the next id is due at 5.05
    state.pending["v0"].next_read = 10.0
    assert state.next_due() == pytest.approx(6.0)
    due = [p.video_id for p in state.pending.values() if p.next_read <= 6.0 + 1e-9]
    assert len(due) == 20  # v1 .. v20, one round


def test_round_gap_never_exceeds_the_poll_interval() -> None:
    state = WatchState(poll_interval=0.5, first_poll_delay=0.5)
    state.add("v", timeout_seconds=60, now=0.0)
    state.last_round = 0.5
    state.pending["v"].next_read = 0.6
    assert state.next_due() == pytest.approx(1.0)  # 0.5 s apart, not 1 s


@pytest.mark.parametrize(
    ("pending", "pages", "interval"), [(100, 1, 1.0), (10, 1, 2.5), (3, 1, 5.0), (100, 10, 2.5)]
)
def test_a_list_round_comes_sooner_the_more_videos_it_serves(
    pending: int, pages: int, interval: float
) -> None:
    """Rounds cost at most a fifth of the per-video reads they replace (poll 5 s)."""
    state = WatchState(poll_interval=5, first_poll_delay=5)
    for i in range(pending):
        state.add(f"v{i}", timeout_seconds=600, now=0.0)
    state.list_pages = pages
    assert state.list_interval() == pytest.approx(interval)
