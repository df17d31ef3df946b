"""The bounded name lookup (duplicate guard, batch re-attach) on an account of 5,000 old videos.

Request counts are the simulator's own (``/_sim/stats``); the numbers the lookup used to
cost (a whole scan: 51 requests for 5,000 videos) are measured here too, as the baseline.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from prefect_tavus.tavus_api import AsyncTavusClient, CreateOutcomeUnknownError, VideoRequest
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID, FaultRule, SimulatorServer
from tests.tavus_api._client_support import FakeTime, make_client, requests_to, simulator_config

pytestmark = pytest.mark.timeout(120)

OLD = 5000
LIST = "GET /v2/videos"


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(simulator_config(preexisting_videos=OLD)) as server:
        yield server


def _client(sim: SimulatorServer) -> AsyncTavusClient:
    client = make_client("async", FakeTime(), base_url=sim.base_url, api_key=sim.api_key)
    assert isinstance(client, AsyncTavusClient)
    return client


async def _new_videos(client: AsyncTavusClient, names: list[str]) -> dict[str, str]:
    created = {}
    for name in names:
        request = VideoRequest(replica_id=DEFAULT_REPLICA_ID, script="Hi", video_name=name)
        created[name] = (await client.create_video(request)).video_id
    return created


def _sim_now(sim: SimulatorServer) -> datetime:
    return datetime.fromtimestamp(sim.stats()["clock"]["now"], UTC)


def _lists(sim: SimulatorServer) -> int:
    return sum(requests_to(sim, LIST).values())


@pytest.mark.parametrize(
    ("list_order", "page_base", "bounded_requests"),
    [("newest", 0, 1), ("newest", 1, 1), ("oldest", 0, 4), ("oldest", 1, 4)],
)
async def test_one_name_reads_only_the_recent_pages(
    sim: SimulatorServer, list_order: str, page_base: int, bounded_requests: int
) -> None:
    sim.reset(list_order=list_order, page_base=page_base)
    client = _client(sim)
    started = datetime.now(UTC)
    created = await _new_videos(client, ["wanted", "other-1", "other-2"])

    before = _lists(sim)
    everything = await client.find_videos_by_name("wanted")
    whole_scan = _lists(sim) - before
    bounded = await client.find_videos_by_name(
        "wanted", created_after=started - timedelta(minutes=10)
    )
    bounded_scan = _lists(sim) - before - whole_scan
    await client.close()

    assert [v.video_id for v in everything] == [created["wanted"]]
    assert [v.video_id for v in bounded] == [created["wanted"]]
    assert whole_scan == 51 + page_base  # 5,003 videos, 100 a page (+ base detection)
    assert bounded_scan == bounded_requests


async def test_a_batch_of_names_in_one_pass(sim: SimulatorServer) -> None:
    sim.reset(list_order="newest", page_base=0)
    client = _client(sim)
    started = _sim_now(sim)  # the run's start, on the server's clock (manual here)
    names = [f"row-{i}" for i in range(150)]
    created = await _new_videos(client, names[:120])  # 30 rows never got created

    before = _lists(sim)
    found = await client.find_videos_by_names(names, created_after=started)
    requests = _lists(sim) - before
    await client.close()

    assert {n: [v.video_id for v in vs] for n, vs in found.items() if vs} == {
        n: [video_id] for n, video_id in created.items()
    }
    assert all(not found[n] for n in names[120:])
    assert requests == 2  # 120 new videos span two pages; the first old one ends it


async def test_older_videos_of_the_same_name_do_not_count(sim: SimulatorServer) -> None:
    sim.reset(list_order="oldest")
    client = _client(sim)
    first = await _new_videos(client, ["again"])
    sim.advance(3600)  # an hour later the same name is used again
    later = _sim_now(sim)
    second = await _new_videos(client, ["again"])
    found = await client.find_videos_by_name("again", created_after=later)
    both = await client.find_videos_by_name("again")
    await client.close()
    assert [v.video_id for v in found] == [second["again"]]
    assert {v.video_id for v in both} == {first["again"], second["again"]}


async def test_duplicate_guard_reattaches_without_a_whole_scan(sim: SimulatorServer) -> None:
    sim.reset(list_order="newest", page_base=0)
    client = _client(sim)
    sim.set_faults([FaultRule(route="POST /v2/videos", kind="lost_response", count=1)])
    request = VideoRequest(replica_id=DEFAULT_REPLICA_ID, script="Once", video_name="guarded-1")
    video = await client.create_video(request)
    await client.close()
    sim.clear_faults()

    assert sim.stats()["videos_created"] == 1  # re-attached, not created twice
    assert video.video_name == "guarded-1"
    assert _lists(sim) == 1  # was 51 with 5,000 videos in the account


def test_bad_arguments_fail_before_any_request(sim: SimulatorServer) -> None:
    client = make_client("sync", FakeTime(), base_url=sim.base_url, api_key=sim.api_key)
    sim.reset()
    with pytest.raises(TypeError, match="video_names"):
        client.find_videos_by_names("row-1")  # one string, not a list of names
    with pytest.raises(ValueError, match="created_after"):
        client.find_videos_by_names(["row-1"], created_after=datetime(2025, 1, 1))  # naive
    client.close()
    assert _lists(sim) == 0


async def test_created_videos_for_many_names_follow_the_reattach_rule(
    sim: SimulatorServer,
) -> None:
    sim.reset(list_order="newest", page_base=0)
    client = _client(sim)
    older = await _new_videos(client, ["reused"])
    sim.advance(3600)  # an hour later a batch starts and names a row "reused" again
    started = _sim_now(sim)
    rows = await _new_videos(client, ["row-a", "twice", "reused", "gone"])
    await _new_videos(client, ["twice"])  # two live videos: which one is the row's?
    await client.delete_video(rows["gone"])

    before = _lists(sim)
    found = await client.find_created_videos(
        ["row-a", "twice", "reused", "gone", "never"], since=started
    )
    requests = _lists(sim) - before
    with pytest.raises(CreateOutcomeUnknownError, match="2 videos named 'twice'"):
        await client.find_created_video("twice", since=started)
    await client.close()

    assert {name: getattr(v, "video_id", None) for name, v in found.items()} == {
        "row-a": rows["row-a"],
        "reused": rows["reused"],  # the hour-older "reused" is someone else's
        "twice": None,
    }
    assert isinstance(found["twice"], CreateOutcomeUnknownError)
    assert found["twice"].video_name == "twice"
    assert older["reused"] != rows["reused"]
    assert requests == 1  # one pass for all names, stopped at the first old video
