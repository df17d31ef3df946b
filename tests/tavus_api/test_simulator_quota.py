"""The simulator's account quota: creates per second and videos queued or generating at once.

Over either quota a create is answered 429 with ``Retry-After`` and a Tavus-style error
body, nothing is created, and ``/_sim/stats`` counts it; once the wait is over it succeeds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID, SimulatorServer
from tests.tavus_api._client_support import simulator_config
from tests.tavus_api._sim_support import api, check_contract

pytestmark = pytest.mark.timeout(90)

BODY = {"replica_id": DEFAULT_REPLICA_ID, "script": "Hello from the quota tests", "fast": True}


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(simulator_config()) as server:
        yield server


@pytest.fixture
def client(sim: SimulatorServer) -> Iterator[httpx.Client]:
    with api(sim) as c:
        yield c
    sim.reset()


def post(client: httpx.Client) -> httpx.Response:
    return client.post("/v2/videos", json=BODY)


def video_count(client: httpx.Client) -> int:
    listing = client.get("/v2/videos", params={"limit": 100})
    assert listing.status_code == 200
    return listing.json()["total_count"]


def assert_refused(response: httpx.Response, retry_after: str, words: str) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["retry-after"] == retry_after
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert words in error, error


def test_creates_over_the_per_second_quota_get_429_and_create_nothing(
    sim: SimulatorServer, client: httpx.Client
):
    sim.reset(quota_creates_per_second=2)
    first = post(client)
    sim.advance(0.4)
    second = post(client)
    assert [first.status_code, second.status_code] == [200, 200]

    refused = post(client)
    assert_refused(refused, "1", "at most 2 video creates per second")
    assert video_count(client) == 2

    sim.advance(0.6)  # the first create leaves the 1 s window, the second is still in it
    third = post(client)
    assert third.status_code == 200, third.text
    check_contract(third)
    assert_refused(post(client), "1", "per second")

    sim.advance(0.5)  # now the second one has left it too
    assert post(client).status_code == 200
    assert video_count(client) == 4
    stats = sim.stats()
    assert stats["requests"]["POST /v2/videos"] == {"200": 4, "429": 2}
    assert stats["rate_limited"] == 2
    assert stats["rate_limited_by_reason"] == {"creates_per_second": 2, "concurrent_generating": 0}
    assert stats["videos_created"] == 4


def test_a_bad_request_is_answered_400_even_over_the_quota(
    sim: SimulatorServer, client: httpx.Client
):
    sim.reset(quota_creates_per_second=1)
    assert post(client).status_code == 200
    bad = client.post("/v2/videos", json={"replica_id": DEFAULT_REPLICA_ID})
    assert bad.status_code == 400
    unknown = client.post("/v2/videos", json={**BODY, "replica_id": "rnope"})
    assert unknown.status_code == 400
    assert sim.stats()["rate_limited"] == 0


def test_concurrent_quota_counts_queued_and_generating_and_says_when_one_finishes(
    sim: SimulatorServer, client: httpx.Client
):
    sim.reset(quota_concurrent_generating=2, queue_seconds=1, generation_seconds=5)
    ids = [post(client).json()["video_id"] for _ in range(2)]
    # both are queued: the first is due ready at 1 s queued + 5 s generating
    assert_refused(post(client), "6", "at most 2 videos may be queued or generating")

    sim.advance(3.5)  # both generating now; 2.5 s left
    statuses = {client.get(f"/v2/videos/{i}").json()["status"] for i in ids}
    assert statuses == {"generating"}
    assert_refused(post(client), "3", "queued or generating")
    assert video_count(client) == 2

    sim.advance(2.5)
    assert {client.get(f"/v2/videos/{i}").json()["status"] for i in ids} == {"ready"}
    accepted = [post(client), post(client)]
    assert [r.status_code for r in accepted] == [200, 200]
    assert_refused(post(client), "6", "queued or generating")
    stats = sim.stats()
    assert stats["rate_limited_by_reason"] == {"creates_per_second": 0, "concurrent_generating": 3}
    assert stats["requests"]["POST /v2/videos"] == {"200": 4, "429": 3}
    assert stats["videos"] == {"ready": 2, "queued": 2}


def test_a_deleted_video_frees_its_slot(sim: SimulatorServer, client: httpx.Client):
    sim.reset(quota_concurrent_generating=1)
    video_id = post(client).json()["video_id"]
    assert post(client).status_code == 429
    assert client.delete(f"/v2/videos/{video_id}").status_code == 200
    assert post(client).status_code == 200


def test_quota_set_through_the_admin_reset_and_honoured_on_the_real_clock(
    sim: SimulatorServer, client: httpx.Client
):
    reset = client.post(
        "/_sim/reset", json={"clock": "real", "quota_creates_per_second": 1, "queue_seconds": 60}
    )
    assert reset.status_code == 200, reset.text
    assert client.get("/_sim/config").json()["quota_creates_per_second"] == 1
    assert post(client).status_code == 200
    refused = post(client)
    assert refused.status_code == 429
    wait = float(refused.headers["retry-after"])
    assert 0 < wait <= 1
    time.sleep(wait)
    assert post(client).status_code == 200
    assert video_count(client) == 2

    bad = client.post("/_sim/reset", json={"quota_creates_per_second": 0})
    assert bad.status_code == 400
    assert "greater than or equal to 1" in bad.json()["error"]
