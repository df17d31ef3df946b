"""Callbacks: the simulator POSTs the video to ``callback_url`` on ready and on error."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from prefect_tavus.tavus_api.models import Video
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID, ERROR_REPLICA_ID, SimulatorServer
from tests.tavus_api._sim_support import api, create

pytestmark = pytest.mark.timeout(60)

CALLBACK_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}"


class Receiver:
    """A tiny HTTP server on 127.0.0.1 recording JSON POSTs and answering ``status``."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.paths: list[str] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append(json.loads(body))
                receiver.paths.append(self.path)
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_ready_callback_carries_the_full_video(simulator: SimulatorServer, receiver: Receiver):
    with api(simulator) as client:
        video_id = create(
            client,
            replica_id=DEFAULT_REPLICA_ID,
            script="Hello callback",
            callback_url=receiver.url,
        )["video_id"]
        simulator.advance(5)
        assert receiver.received == []  # nothing before a terminal state
        simulator.advance(1)
        current = client.get(f"/v2/videos/{video_id}").json()
    assert len(receiver.received) == 1  # delivered before advance() returned
    body = receiver.received[0]
    assert {
        "created_at",
        "data",
        "download_url",
        "generation_progress",
        "hosted_url",
        "replica_id",
        "status",
        "status_details",
        "stream_url",
        "updated_at",
        "video_id",
        "video_name",
    } <= set(body)
    assert body["video_id"] == video_id and body["status"] == "ready"
    assert body["generation_progress"] == "100/100"
    assert body["status_details"] == "Your request has processed successfully!"
    assert body["data"] == {"script": "Hello callback"}
    assert body["replica_id"] == DEFAULT_REPLICA_ID
    assert re.fullmatch(CALLBACK_TIME, body["created_at"])
    assert re.fullmatch(CALLBACK_TIME, body["updated_at"])
    assert body["download_url"] == current["download_url"]
    assert body["stream_url"] == current["stream_url"]
    assert httpx.get(body["download_url"]).status_code == 200
    assert Video.model_validate(body).status == "ready"  # the client's model reads it

    deliveries = simulator.callbacks()
    assert [(d.video_id, d.status, d.response_code, d.attempt) for d in deliveries] == [
        (video_id, "ready", 200, 1)
    ]
    with api(simulator) as client:
        over_http = client.get("/_sim/callbacks").json()["data"]
    assert over_http[0]["url"] == receiver.url and over_http[0]["response_code"] == 200


def test_error_callback_has_nulls_and_the_reason(simulator: SimulatorServer, receiver: Receiver):
    with api(simulator) as client:
        video_id = create(
            client, replica_id=ERROR_REPLICA_ID, script="Hello", callback_url=receiver.url
        )["video_id"]
        simulator.advance(1)
    [body] = receiver.received
    assert body["video_id"] == video_id and body["status"] == "error"
    assert body["download_url"] is None and body["stream_url"] is None
    assert body["error_details"] is None
    assert body["generation_progress"] == "0/100"
    assert (
        f"The replica {ERROR_REPLICA_ID} is currently in an 'error' state"
        in (body["status_details"])
    )
    assert body["hosted_url"].endswith(f"/video/{video_id}")


def test_failed_deliveries_are_retried_and_recorded(simulator: SimulatorServer, receiver: Receiver):
    simulator.reset(callback_retries=2)
    receiver.status = 500
    with api(simulator) as client:
        create(client, replica_id=DEFAULT_REPLICA_ID, script="Hi", callback_url=receiver.url)
        simulator.advance(6)
    assert len(receiver.received) == 3
    assert [(d.attempt, d.response_code) for d in simulator.callbacks()] == [
        (1, 500),
        (2, 500),
        (3, 500),
    ]


def test_unreachable_callback_does_not_break_the_video(simulator: SimulatorServer):
    with api(simulator) as client:
        video_id = create(
            client,
            replica_id=DEFAULT_REPLICA_ID,
            script="Hi",
            callback_url="http://127.0.0.1:9/hook?token=secret-token",
        )["video_id"]
        simulator.advance(6)
        assert client.get(f"/v2/videos/{video_id}").json()["status"] == "ready"
    [delivery] = simulator.callbacks()
    assert delivery.response_code is None and delivery.error == "ConnectError"
    assert delivery.url == "http://127.0.0.1:9/hook?..."  # query (a possible secret) left out


def test_replica_training_callback(simulator: SimulatorServer, receiver: Receiver):
    simulator.reset(training_seconds=10)
    with api(simulator) as client:
        replica_id = client.post(
            "/v2/replicas",
            json={"train_video_url": "http://127.0.0.1:9/t.mp4", "callback_url": receiver.url},
        ).json()["replica_id"]
        simulator.advance(10)
    assert receiver.received == [{"replica_id": replica_id, "status": "ready"}]


def test_real_clock_delivers_callbacks_in_the_background(
    real_clock_simulator: SimulatorServer, receiver: Receiver
):
    with api(real_clock_simulator) as client:
        video_id = create(
            client, replica_id=DEFAULT_REPLICA_ID, script="Hi there", callback_url=receiver.url
        )["video_id"]
    deadline = time.monotonic() + 30
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [(b["video_id"], b["status"]) for b in receiver.received] == [(video_id, "ready")]
