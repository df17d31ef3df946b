"""Faults on request: 429, 5xx, latency, dropped connections, lost responses; seeded."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import httpx
import pytest
from pydantic import ValidationError

from prefect_tavus.tavus_api.simulator import (
    DEFAULT_REPLICA_ID,
    FaultRule,
    SimulatorConfig,
    SimulatorServer,
)
from tests.tavus_api._sim_support import api

pytestmark = pytest.mark.timeout(60)

BODY = {"replica_id": DEFAULT_REPLICA_ID, "script": "Hello faults"}


def outcome(client: httpx.Client, method: str = "GET", path: str = "/v2/videos") -> int | str:
    """The status code of a request, or the name of the transport error it raised."""
    try:
        return client.request(method, path, json=BODY if method == "POST" else None).status_code
    except httpx.HTTPError as exc:
        return type(exc).__name__


def test_rate_limit_with_retry_after_seconds(simulator: SimulatorServer):
    simulator.set_faults([FaultRule(route="POST /v2/videos", kind="rate_limit", retry_after=3)])
    with api(simulator) as client:
        response = client.post("/v2/videos", json=BODY)
        other_route = client.get("/v2/videos")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert "error" in response.json()
    assert other_route.status_code == 200  # the rule names one route only
    stats = simulator.stats()
    assert stats["videos_created"] == 0
    assert stats["requests"]["POST /v2/videos"] == {"429": 1}
    assert stats["faults"] == {"rate_limit": {"POST /v2/videos": 1}}


def test_rate_limit_with_http_date_or_no_header(simulator: SimulatorServer):
    simulator.set_faults(
        [FaultRule(kind="rate_limit", retry_after=30, retry_after_format="http-date", count=1)]
    )
    with api(simulator) as client:
        dated = client.get("/v2/videos")
        simulator.set_faults([FaultRule(kind="rate_limit", retry_after=None)])
        bare = client.get("/v2/videos")
        date = parsedate_to_datetime(dated.headers["date"])
    assert dated.status_code == 429
    assert (parsedate_to_datetime(dated.headers["retry-after"]) - date).total_seconds() >= 29
    assert bare.status_code == 429 and "retry-after" not in bare.headers


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_server_errors(simulator: SimulatorServer, code: int):
    simulator.set_faults(
        [FaultRule(route="GET /v2/videos/{video_id}", kind="server_error", status_code=code)]
    )
    with api(simulator) as client:
        response = client.get("/v2/videos/0123456789")
    assert response.status_code == code
    assert "error" in response.json()
    assert simulator.stats()["requests"]["GET /v2/videos/{video_id}"] == {str(code): 1}


def test_latency_delays_the_answer(simulator: SimulatorServer):
    simulator.set_faults([FaultRule(kind="latency", latency_seconds=2.0, count=1)])
    with api(simulator) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get("/v2/videos", timeout=0.3)
        assert client.get("/v2/videos", timeout=5).status_code == 200  # count=1: spent
    assert simulator.stats()["faults"] == {"latency": {"GET /v2/videos": 1}}


def test_latency_combines_with_another_fault(simulator: SimulatorServer):
    simulator.set_faults(
        [
            FaultRule(kind="latency", latency_seconds=0.05),
            FaultRule(kind="server_error", status_code=502),
        ]
    )
    with api(simulator) as client:
        assert client.get("/v2/videos").status_code == 502
    assert set(simulator.stats()["faults"]) == {"latency", "server_error"}


def test_dropped_connection_before_the_request_is_processed(simulator: SimulatorServer):
    simulator.set_faults([FaultRule(route="POST /v2/videos", kind="drop")])
    with api(simulator) as client:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            client.post("/v2/videos", json=BODY)
        assert client.get("/v2/videos").json()["total_count"] == 0
    stats = simulator.stats()
    assert stats["videos_created"] == 0
    assert stats["requests"]["POST /v2/videos"] == {"dropped": 1}


def test_dropped_connection_with_a_partial_body(simulator: SimulatorServer):
    simulator.set_faults([FaultRule(route="GET /v2/videos", kind="drop", partial=True)])
    with (
        api(simulator) as client,
        pytest.raises(httpx.RemoteProtocolError, match="complete message body"),
    ):
        client.get("/v2/videos")


def test_lost_response_creates_the_video_but_drops_the_answer(simulator: SimulatorServer):
    simulator.set_faults([FaultRule(route="POST /v2/videos", kind="lost_response", count=1)])
    with api(simulator) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/v2/videos", json={**BODY, "video_name": "order-42"})
        listed = client.get("/v2/videos").json()
        retry = client.post("/v2/videos", json=BODY)
    assert [v["video_name"] for v in listed["data"]] == ["order-42"]  # it WAS created
    assert retry.status_code == 200  # count=1: the next create is answered
    assert simulator.stats()["videos_created"] == 2


def test_lost_response_as_a_5xx(simulator: SimulatorServer):
    simulator.set_faults(
        [FaultRule(route="POST /v2/videos", kind="lost_response", status_code=504)]
    )
    with api(simulator) as client:
        response = client.post("/v2/videos", json=BODY)
        assert response.status_code == 504
        assert client.get("/v2/videos").json()["total_count"] == 1


def test_count_and_skip_select_which_requests_fail(simulator: SimulatorServer):
    simulator.set_faults([FaultRule(kind="server_error", status_code=500, skip=1, count=2)])
    with api(simulator) as client:
        codes = [outcome(client) for _ in range(5)]
    assert codes == [200, 500, 500, 200, 200]


def test_wildcard_covers_media_but_never_the_admin_api(simulator: SimulatorServer):
    simulator.set_faults([FaultRule(route="*", kind="server_error")])
    with api(simulator) as client:
        assert client.get("/v2/replicas").status_code == 503
        assert client.get("/media/0123456789.mp4").status_code == 503
        assert client.get("/_sim/stats").status_code == 200
        assert client.post("/_sim/clock/advance", json={"seconds": 1}).status_code == 200


def test_probability_is_reproducible_from_the_seed(simulator: SimulatorServer):
    rule = FaultRule(kind="server_error", status_code=503, probability=0.5)

    def run(seed: int) -> list[int | str]:
        simulator.set_faults([rule], seed=seed)
        with api(simulator) as client:
            return [outcome(client) for _ in range(24)]

    first, again, other = run(7), run(7), run(8)
    assert first == again
    assert set(first) == {200, 503}
    assert first != other


def test_config_seed_and_rules_apply_from_the_start_and_after_reset():
    rule = FaultRule(route="GET /v2/videos", kind="server_error", probability=0.5)
    config = SimulatorConfig(clock="manual", seed=11, faults=[rule])
    with SimulatorServer(config) as sim, api(sim) as client:
        first = [outcome(client) for _ in range(16)]
        sim.reset()
        again = [outcome(client) for _ in range(16)]
    assert first == again and 503 in first and 200 in first


def test_faults_over_the_admin_api(simulator: SimulatorServer):
    with api(simulator) as client:
        rules = {"rules": [{"route": "GET /v2/videos", "kind": "rate_limit", "count": 1}]}
        assert client.post("/_sim/faults", json=rules).status_code == 200
        assert client.get("/v2/videos").status_code == 429
        assert client.get("/v2/videos").status_code == 200
        client.post("/_sim/faults", json={"rules": [{"kind": "server_error"}], "seed": 3})
        assert client.get("/v2/videos").status_code == 503
        assert client.delete("/_sim/faults").status_code == 200
        assert client.get("/v2/videos").status_code == 200
        bad_route = client.post(
            "/_sim/faults", json={"rules": [{"route": "GET /x", "kind": "drop"}]}
        )
        bad_kind = client.post("/_sim/faults", json={"rules": [{"kind": "explode"}]})
    assert bad_route.status_code == 400 and "unknown route" in bad_route.json()["error"]
    assert bad_kind.status_code == 400


def test_clear_faults(simulator: SimulatorServer):
    simulator.set_faults([FaultRule(kind="drop")])
    simulator.clear_faults()
    with api(simulator) as client:
        assert client.get("/v2/videos").status_code == 200


@pytest.mark.parametrize(
    "kwargs",
    [
        {"route": "GET /v2/unknown", "kind": "drop"},
        {"kind": "server_error", "status_code": 404},
        {"kind": "rate_limit", "status_code": 503},
        {"kind": "drop", "probability": 1.5},
        {"kind": "nope"},
    ],
)
def test_fault_rule_validation(kwargs: dict):
    with pytest.raises(ValidationError):
        FaultRule(**kwargs)
