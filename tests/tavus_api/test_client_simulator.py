"""Every endpoint through both clients against the real simulator over HTTP on 127.0.0.1.

Also the duplicate guard end to end: a create whose response is lost leaves exactly
one video behind, counted by the simulator itself. Sleeps move the simulator's manual
clock instead of waiting.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from prefect_tavus.tavus_api import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CreateOutcomeUnknownError,
    NotFoundError,
    RateLimitError,
    ReplicaType,
    VideoRequest,
    VideoStatus,
)
from prefect_tavus.tavus_api._create import REATTACH_TOLERANCE_SECONDS
from prefect_tavus.tavus_api.simulator import (
    DEFAULT_REPLICA_ID,
    READY_REPLICA_ID,
    FaultRule,
    SimulatorServer,
)
from tests.tavus_api._client_support import (
    KINDS,
    SimTime,
    Twin,
    make_client,
    no_jitter,
    requests_to,
    simulator_config,
)

pytestmark = pytest.mark.timeout(60)


class Harness:
    def __init__(self, twin: Twin, time: SimTime, sim: SimulatorServer) -> None:
        self.twin = twin
        self.time = time
        self.sim = sim


@pytest.fixture(params=KINDS)
async def h(request: pytest.FixtureRequest, sim: SimulatorServer):
    sim.reset()
    time = SimTime(sim)
    client = make_client(
        request.param, time, base_url=sim.base_url, api_key=sim.api_key, retry=no_jitter()
    )
    twin = Twin(client)
    yield Harness(twin, time, sim)
    await twin.aclose()


def _request(name: str | None, replica_id: str = DEFAULT_REPLICA_ID) -> VideoRequest:
    return VideoRequest(replica_id=replica_id, script="Hello from the simulator", video_name=name)


# --- videos ----------------------------------------------------------------------------------


async def test_video_lifecycle_over_http(h: Harness) -> None:
    created = await h.twin.create_video(_request("lifecycle-1"))
    assert created.status is VideoStatus.QUEUED and created.video_name == "lifecycle-1"
    assert created.hosted_url and created.created_at is not None

    fetched = await h.twin.get_video(created.video_id)
    assert fetched.video_id == created.video_id and fetched.data == {
        "script": "Hello from the simulator"
    }

    h.sim.advance(30)
    ready = await h.twin.get_video(created.video_id, verbose=True)
    assert ready.status is VideoStatus.READY and ready.progress == 100.0
    assert ready.download_url and ready.still_image_thumbnail_url

    await h.twin.rename_video(created.video_id, "lifecycle-renamed")
    assert (await h.twin.get_video(created.video_id)).video_name == "lifecycle-renamed"

    page = await h.twin.list_videos(page=0, limit=10)
    assert [v.video_id for v in page.data] == [created.video_id] and page.total_count == 1

    await h.twin.delete_video(created.video_id)
    assert (await h.twin.get_video(created.video_id)).status is VideoStatus.DELETED

    await h.twin.delete_video(created.video_id, hard=True)
    with pytest.raises(NotFoundError, match="Invalid video_id"):
        await h.twin.get_video(created.video_id)


@pytest.mark.parametrize("page_base", [0, 1])
async def test_iter_videos_detects_the_page_base(h: Harness, page_base: int) -> None:
    h.sim.reset(page_base=page_base)
    names = {f"paged-{i}" for i in range(7)}
    for name in sorted(names):
        await h.twin.create_video(_request(name))
    before = requests_to(h.sim, "GET /v2/videos").get("200", 0)
    videos = await h.twin.iter_videos(page_size=3)
    calls = requests_to(h.sim, "GET /v2/videos")["200"] - before
    assert sorted(v.video_name for v in videos) == sorted(names)
    assert len({v.video_id for v in videos}) == 7
    # base 0: pages 0,1,2; base 1: page 0 is read as page 1, so one extra request
    assert calls == (3 if page_base == 0 else 4)


async def test_find_videos_by_name(h: Harness) -> None:
    for name in ("alpha", "beta", "alpha"):
        await h.twin.create_video(_request(name))
    assert len(await h.twin.find_videos_by_name("alpha")) == 2
    assert [v.video_name for v in await h.twin.find_videos_by_name("beta")] == ["beta"]
    assert await h.twin.find_videos_by_name("gamma") == []


async def test_find_created_video_is_the_reattach_rule(h: Harness) -> None:
    mine = await h.twin.create_video(_request("solo"))
    assert mine.created_at is not None
    since = mine.created_at
    found = await h.twin.find_created_video("solo", since=since)
    assert found is not None and found.video_id == mine.video_id
    # created longer than the tolerance before `since`: someone else's video
    later = since + timedelta(seconds=REATTACH_TOLERANCE_SECONDS + 60)
    assert await h.twin.find_created_video("solo", since=later) is None
    assert await h.twin.find_created_video("nobody", since=since) is None
    await h.twin.delete_video(mine.video_id)
    assert await h.twin.find_created_video("solo", since=since) is None  # deleted: gone
    for _ in range(2):
        await h.twin.create_video(_request("pair"))
    with pytest.raises(CreateOutcomeUnknownError, match="2 videos named 'pair' were created"):
        await h.twin.find_created_video("pair", since=since)


async def test_empty_account_lists_nothing(h: Harness) -> None:
    assert await h.twin.iter_videos() == []
    assert requests_to(h.sim, "GET /v2/videos") == {"200": 1}


async def test_204_and_404_variants(h: Harness) -> None:
    h.sim.reset(delete_status=204, unknown_id_status=404)
    video = await h.twin.create_video(_request("variant"))
    await h.twin.rename_video(video.video_id, "variant-2")
    await h.twin.delete_video(video.video_id, hard=True)
    with pytest.raises(NotFoundError) as caught:
        await h.twin.get_video(video.video_id)
    assert caught.value.status_code == 404


async def test_api_errors_over_http(h: Harness) -> None:
    with pytest.raises(BadRequestError, match="Invalid replica_id"):
        await h.twin.create_video(_request("bad", replica_id="r000000000"))
    with pytest.raises(NotFoundError):
        await h.twin.get_video("0000000000")
    with pytest.raises(NotFoundError):
        await h.twin.rename_video("0000000000", "x")
    with pytest.raises(NotFoundError):
        await h.twin.get_replica("r000000000")


@pytest.mark.parametrize("kind", KINDS)
async def test_wrong_key_is_an_authentication_error(kind: str, sim: SimulatorServer) -> None:
    sim.reset()
    twin = Twin(make_client(kind, SimTime(sim), base_url=sim.base_url, api_key="wrong-key"))
    with pytest.raises(AuthenticationError, match="Invalid access token") as caught:
        await twin.list_videos()
    await twin.aclose()
    assert "wrong-key" not in str(caught.value)


# --- replicas --------------------------------------------------------------------------------


async def test_replicas_list_filter_iterate_get(h: Harness) -> None:
    everything = await h.twin.list_replicas(limit=100)
    assert everything.total_count == len(everything.data) > 3

    system = await h.twin.list_replicas(replica_type=ReplicaType.SYSTEM, verbose=True)
    assert system.data and {r.replica_type for r in system.data} == {"system"}

    chosen = await h.twin.list_replicas(replica_ids=[READY_REPLICA_ID, DEFAULT_REPLICA_ID])
    assert {r.replica_id for r in chosen.data} == {READY_REPLICA_ID, DEFAULT_REPLICA_ID}

    iterated = await h.twin.iter_replicas(page_size=4)
    assert len(iterated) == everything.total_count
    assert len({r.replica_id for r in iterated}) == everything.total_count
    assert len(await h.twin.iter_replicas(replica_type="user")) < everything.total_count

    replica = await h.twin.get_replica(READY_REPLICA_ID, verbose=True)
    assert replica.replica_id == READY_REPLICA_ID and replica.is_ready


# --- faults: retries over real connections ----------------------------------------------------


@pytest.mark.parametrize("fmt", ["seconds", "http-date"])
async def test_rate_limit_is_retried_after_the_servers_hint(h: Harness, fmt: str) -> None:
    h.sim.set_faults(
        [
            FaultRule(
                route="GET /v2/videos",
                kind="rate_limit",
                count=2,
                retry_after=4,
                retry_after_format=fmt,
            )
        ]
    )
    page = await h.twin.list_videos()
    assert page.data == []
    assert requests_to(h.sim, "GET /v2/videos") == {"429": 2, "200": 1}
    assert len(h.time.sleeps) == 2
    # An HTTP date has one-second resolution, and it is measured from the server's own
    # Date header, which uvicorn refreshes once a second: up to 2 s either way.
    low, high = (3.0, 6.0) if fmt == "http-date" else (4.0, 5.0)
    assert all(low <= s <= high for s in h.time.sleeps)


async def test_rate_limit_beyond_max_delay_is_raised(h: Harness) -> None:
    h.sim.set_faults([FaultRule(route="GET /v2/videos", kind="rate_limit", retry_after=600)])
    with pytest.raises(RateLimitError) as caught:
        await h.twin.list_videos()
    assert caught.value.retry_after == 600
    assert requests_to(h.sim, "GET /v2/videos") == {"429": 1}


@pytest.mark.parametrize(
    "rule",
    [
        FaultRule(route="GET /v2/videos/{video_id}", kind="server_error", status_code=503, count=2),
        FaultRule(route="GET /v2/videos/{video_id}", kind="drop", count=2),
    ],
    ids=["503", "drop"],
)
async def test_get_survives_server_errors_and_drops(h: Harness, rule: FaultRule) -> None:
    video = await h.twin.create_video(_request("sturdy"))
    h.sim.set_faults([rule])
    assert (await h.twin.get_video(video.video_id)).video_id == video.video_id
    assert requests_to(h.sim, "GET /v2/videos/{video_id}").get("200") == 1
    assert h.time.sleeps == [0.5, 1.0]


async def test_read_timeout_is_retried(sim: SimulatorServer) -> None:
    sim.reset()
    time = SimTime(sim)
    twin = Twin(
        make_client("sync", time, base_url=sim.base_url, api_key=sim.api_key, read_timeout=0.2)
    )
    sim.set_faults(
        [FaultRule(route="GET /v2/replicas", kind="latency", latency_seconds=1.0, count=1)]
    )
    page = await twin.list_replicas(limit=1)
    await twin.aclose()
    assert len(page.data) == 1 and time.sleeps == [0.5]


async def test_read_timeout_raises_when_retries_run_out(sim: SimulatorServer) -> None:
    sim.reset()
    client = make_client(
        "async",
        SimTime(sim),
        base_url=sim.base_url,
        api_key=sim.api_key,
        read_timeout=0.2,
        retry=no_jitter(max_retries=1),
    )
    sim.set_faults([FaultRule(route="GET /v2/replicas", kind="latency", latency_seconds=1.0)])
    with pytest.raises(APITimeoutError):
        await Twin(client).list_replicas()
    await client.close()


# --- the duplicate guard, end to end ----------------------------------------------------------


@pytest.mark.parametrize("status_code", [None, 500, 502, 503])
async def test_lost_create_response_leaves_exactly_one_video(
    h: Harness, status_code: int | None
) -> None:
    h.sim.set_faults(
        [FaultRule(route="POST /v2/videos", kind="lost_response", status_code=status_code, count=1)]
    )
    video = await h.twin.create_video(_request("exactly-once"))
    stats = h.sim.stats()
    assert stats["videos_total"] == 1 and stats["videos_created"] == 1
    assert video.video_name == "exactly-once"
    assert [v.video_id for v in await h.twin.iter_videos()] == [video.video_id]
    # HTTP calls: the lost POST and one list page, nothing else
    assert sum(requests_to(h.sim, "POST /v2/videos").values()) == 1
    assert requests_to(h.sim, "GET /v2/videos") == {"200": 2}  # lookup + the check above


async def test_dropped_create_is_sent_again_once(h: Harness) -> None:
    h.sim.set_faults([FaultRule(route="POST /v2/videos", kind="drop", count=1)])
    video = await h.twin.create_video(_request("dropped"))
    assert h.sim.stats()["videos_total"] == 1
    assert requests_to(h.sim, "POST /v2/videos") == {"dropped": 1, "200": 1}
    assert requests_to(h.sim, "GET /v2/videos") == {"200": 1}
    assert (await h.twin.get_video(video.video_id)).video_name == "dropped"


async def test_rate_limited_create_is_retried_without_lookup(h: Harness) -> None:
    h.sim.set_faults([FaultRule(route="POST /v2/videos", kind="rate_limit", count=1)])
    await h.twin.create_video(_request("limited"))
    assert h.sim.stats()["videos_total"] == 1
    assert requests_to(h.sim, "POST /v2/videos") == {"429": 1, "200": 1}
    assert requests_to(h.sim, "GET /v2/videos") == {}


async def test_lost_create_without_name_refuses_to_guess(h: Harness) -> None:
    h.sim.set_faults([FaultRule(route="POST /v2/videos", kind="lost_response", count=1)])
    with pytest.raises(CreateOutcomeUnknownError, match="no video_name"):
        await h.twin.create_video(_request(None))
    assert h.sim.stats()["videos_total"] == 1  # it was created: the caller must check
    assert requests_to(h.sim, "GET /v2/videos") == {}


async def test_lost_create_with_a_namesake_refuses(h: Harness) -> None:
    await h.twin.create_video(_request("twice"))
    h.sim.set_faults([FaultRule(route="POST /v2/videos", kind="lost_response", count=1)])
    with pytest.raises(
        CreateOutcomeUnknownError, match="2 videos named 'twice' were created since"
    ):
        await h.twin.create_video(_request("twice"))
    assert h.sim.stats()["videos_total"] == 2  # no third one


async def test_connect_refused_create_is_retried(sim: SimulatorServer) -> None:
    # A port nothing listens on any more: the request never leaves, so retrying is safe.
    with SimulatorServer(simulator_config()) as gone:
        dead_url = gone.base_url
    time = SimTime(sim)
    client = make_client("sync", time, base_url=dead_url, api_key=sim.api_key)
    with pytest.raises(APIConnectionError, match="POST /v2/videos") as caught:
        client.create_video(_request("never"))
    client.close()
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert time.sleeps == [0.5, 1.0, 2.0, 4.0]  # retried max_retries times, no lookup
