"""The Tavus contract (OpenAPI) checked on the wire, both ways, with openapi-core.

Both clients drive every video and replica operation against the real simulator,
including 400 and 401 answers; ``httpx`` event hooks capture each exchange; then
(a) every request the client sent and (b) every response the simulator gave are
validated against ``tests/contract/tavus-video-openapi.yml``.

The spec is a copy of ``shared/reference/tavus-video-openapi.yml`` kept in the repo
so tests never depend on files outside it; when the shared original is present
beside the repo (as in development and CI) the copy must still equal it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_core import OpenAPI

from prefect_tavus.tavus_api import (
    AsyncTavusClient,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    TavusClient,
    VideoRequest,
)
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID, READY_REPLICA_ID, SimulatorServer
from tests.contract import SPEC_HOST, SPEC_PATH, OpenAPIRequest, OpenAPIResponse, spec
from tests.tavus_api._client_support import KINDS, SimTime, Twin, no_jitter

pytestmark = pytest.mark.timeout(90)

SHARED_SPEC = (
    Path(__file__).resolve().parents[2] / "../shared/reference/tavus-video-openapi.yml"
).resolve()

Exchange = tuple[httpx.Request, httpx.Response]


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    if SHARED_SPEC.exists() and SHARED_SPEC.read_bytes() != SPEC_PATH.read_bytes():
        pytest.fail(f"{SPEC_PATH} differs from {SHARED_SPEC}: copy the shared spec again")
    return spec()


def _clients(kind: str, sim: SimulatorServer, exchanges: list[Exchange], key: str) -> Twin:
    """A client whose HTTP client records every API exchange (downloads are not API calls)."""
    time = SimTime(sim)
    common: dict[str, Any] = {
        "base_url": sim.base_url,
        "retry": no_jitter(max_retries=0),
        "clock": time.clock,
    }
    if kind == "sync":

        def record(response: httpx.Response) -> None:
            response.read()
            exchanges.append((response.request, response))

        http = httpx.Client(event_hooks={"response": [record]})
        twin = Twin(TavusClient(key, http_client=http, sleep=time.sleep, **common))
        twin.owned = http
        return twin

    async def arecord(response: httpx.Response) -> None:
        await response.aread()
        exchanges.append((response.request, response))

    hooks: dict[str, list[Callable[[httpx.Response], Awaitable[None]]]] = {"response": [arecord]}
    ahttp = httpx.AsyncClient(event_hooks=hooks)
    twin = Twin(AsyncTavusClient(key, http_client=ahttp, sleep=time.asleep, **common))
    twin.owned = ahttp
    return twin


async def _every_operation(api: Twin, anonymous: Twin, sim: SimulatorServer) -> None:
    """Each operation answered 200, 400 where the spec has one, and 401."""
    request = VideoRequest(
        replica_id=DEFAULT_REPLICA_ID,
        script="Contract check",
        video_name="contract-1",
        callback_url="http://127.0.0.1:9/unused",
        properties={"start_with_wave": False},
    )
    video = await api.create_video(request)
    await api.create_video(
        VideoRequest(replica_id=DEFAULT_REPLICA_ID, audio_url=f"{sim.base_url}/none.wav", fast=True)
    )
    with pytest.raises(BadRequestError):
        await api.create_video(VideoRequest(replica_id="r000000000", script="x"))
    await api.get_video(video.video_id)
    sim.advance(30)
    await api.get_video(video.video_id, verbose=True)
    with pytest.raises(NotFoundError):
        await api.get_video("0000000000")
    await api.list_videos()
    await api.list_videos(page=0, limit=1)
    await api.iter_videos(page_size=1)
    await api.rename_video(video.video_id, "contract-renamed")
    with pytest.raises(NotFoundError):
        await api.rename_video("0000000000", "x")
    await api.list_replicas()
    await api.list_replicas(
        page=0,
        limit=5,
        verbose=True,
        replica_type="system",
        replica_ids=[DEFAULT_REPLICA_ID, READY_REPLICA_ID],
        model_name="phoenix-3",
    )
    await api.get_replica(READY_REPLICA_ID)
    await api.get_replica(READY_REPLICA_ID, verbose=True)
    with pytest.raises(NotFoundError):
        await api.get_replica("r000000000")
    await api.delete_video(video.video_id)
    await api.delete_video(video.video_id, hard=True)
    with pytest.raises(NotFoundError):
        await api.delete_video("0000000000")

    for call in (
        anonymous.create_video(VideoRequest(replica_id=DEFAULT_REPLICA_ID, script="x")),
        anonymous.get_video("0000000000"),
        anonymous.list_videos(),
        anonymous.delete_video("0000000000"),
        anonymous.rename_video("0000000000", "x"),
        anonymous.list_replicas(),
        anonymous.get_replica(READY_REPLICA_ID),
    ):
        with pytest.raises(AuthenticationError):
            await call


def _operation(request: httpx.Request) -> str:
    path = request.url.path
    parts = path.strip("/").split("/")
    if len(parts) == 3:
        path = f"/v2/{parts[1]}/{{id}}"
    elif len(parts) == 4:
        path = f"/v2/{parts[1]}/{{id}}/{parts[3]}"
    return f"{request.method} {path}"


EXPECTED_COVERAGE = {
    ("POST /v2/videos", 200),
    ("POST /v2/videos", 400),
    ("POST /v2/videos", 401),
    ("GET /v2/videos", 200),
    ("GET /v2/videos", 401),
    ("GET /v2/videos/{id}", 200),
    ("GET /v2/videos/{id}", 400),
    ("GET /v2/videos/{id}", 401),
    ("DELETE /v2/videos/{id}", 200),
    ("DELETE /v2/videos/{id}", 400),
    ("DELETE /v2/videos/{id}", 401),
    ("PATCH /v2/videos/{id}/name", 200),
    ("PATCH /v2/videos/{id}/name", 400),
    ("PATCH /v2/videos/{id}/name", 401),
    ("GET /v2/replicas", 200),
    ("GET /v2/replicas", 401),
    ("GET /v2/replicas/{id}", 200),
    ("GET /v2/replicas/{id}", 400),
    ("GET /v2/replicas/{id}", 401),
}


@pytest.mark.parametrize("kind", KINDS)
async def test_wire_traffic_matches_the_contract(
    kind: str, sim: SimulatorServer, openapi: OpenAPI
) -> None:
    sim.reset()
    exchanges: list[Exchange] = []
    api = _clients(kind, sim, exchanges, sim.api_key)
    anonymous = _clients(kind, sim, exchanges, "not-a-key")
    try:
        await _every_operation(api, anonymous, sim)
    finally:
        for twin in (api, anonymous):
            await twin.aclose()
            owned = twin.owned
            await owned.aclose() if isinstance(owned, httpx.AsyncClient) else owned.close()

    covered = {(_operation(req), resp.status_code) for req, resp in exchanges}
    assert covered == EXPECTED_COVERAGE

    problems: list[str] = []
    for req, resp in exchanges:
        where = f"{req.method} {req.url.path}?{req.url.query.decode()} -> {resp.status_code}"
        try:
            openapi.validate_request(OpenAPIRequest(req))
        except Exception as exc:  # collect every violation, then fail once
            problems.append(f"request  {where}: {_explain(exc)}")
        try:
            openapi.validate_response(OpenAPIRequest(req), OpenAPIResponse(resp))
        except Exception as exc:
            problems.append(f"response {where}: {_explain(exc)}\n    body: {resp.text[:300]}")
    assert not problems, "contract violations:\n" + "\n".join(problems)


def _explain(exc: BaseException) -> str:
    causes = [f"{type(exc).__name__}: {exc}"]
    for detail in getattr(exc, "schema_errors", None) or []:
        causes.append(f"  - {detail.message} at {list(detail.absolute_path)}")
    if exc.__cause__ is not None:
        causes.append(_explain(exc.__cause__))
    return "\n    ".join(causes)


def test_the_contract_can_fail(openapi: OpenAPI) -> None:
    """The validator is live: a body and a response that break the spec are refused."""
    bad_request = httpx.Request(
        "POST",
        f"{SPEC_HOST}/v2/videos",
        json={"script": "no replica"},
        headers={"x-api-key": "k"},
    )
    with pytest.raises(Exception, match="replica_id|oneOf|required|Invalid"):
        openapi.validate_request(OpenAPIRequest(bad_request))
    good_request = httpx.Request("GET", f"{SPEC_HOST}/v2/videos", headers={"x-api-key": "k"})
    bad_response = httpx.Response(200, json={"data": "not a list"}, request=good_request)
    with pytest.raises(Exception):  # noqa: B017 - any validation error will do
        openapi.validate_response(OpenAPIRequest(good_request), OpenAPIResponse(bad_response))
