"""Client requests, responses and error mapping, both twins, against respx.

respx is used for what the simulator cannot produce (every error status, odd bodies,
transport failures); the same endpoints run over real HTTP in test_client_simulator.py.
"""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from prefect_tavus.tavus_api import (
    USER_AGENT,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AsyncTavusClient,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ReplicaType,
    ServerError,
    TavusClient,
    VideoRequest,
    VideoStatus,
    __version__,
)
from tests.tavus_api._client_support import (
    API_KEY,
    BASE_URL,
    KINDS,
    FakeTime,
    Twin,
    make_client,
    mock_api,
    no_jitter,
    video_json,
)

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(params=KINDS)
async def api(request: pytest.FixtureRequest):
    twin = Twin(make_client(request.param, FakeTime(), retry=no_jitter(max_retries=0)))
    yield twin
    await twin.aclose()


# --- requests --------------------------------------------------------------------------------


async def test_every_request_carries_key_and_user_agent(api: Twin) -> None:
    with mock_api() as router:
        route = router.get("/v2/videos/abc1234567").respond(200, json=video_json())
        video = await api.get_video("abc1234567")
    sent = route.calls.last.request
    assert sent.headers["x-api-key"] == API_KEY
    assert sent.headers["user-agent"] == f"prefect-tavus/{__version__} (+httpx)" == USER_AGENT
    assert video.video_id == "abc1234567" and video.status is VideoStatus.QUEUED


@pytest.mark.parametrize("kind", KINDS)
async def test_base_url_trailing_slash_and_secretstr_key(kind: str) -> None:
    client = make_client(kind, FakeTime(), base_url=BASE_URL + "/", api_key=SecretStr(API_KEY))
    twin = Twin(client)
    with mock_api() as router:
        route = router.get(f"{BASE_URL}/v2/videos").respond(200, json={"data": []})
        await twin.list_videos()
    await twin.aclose()
    assert route.calls.last.request.url == httpx.URL(f"{BASE_URL}/v2/videos")
    assert route.calls.last.request.headers["x-api-key"] == API_KEY
    assert client.base_url == BASE_URL


async def test_create_sends_the_validated_body(api: Twin) -> None:
    request = VideoRequest(
        replica_id="r79e1c033f",
        script="Hello",
        video_name="hello-1",
        fast=True,
        properties={"start_with_wave": False},
    )
    created = {
        "video_id": "abc1234567",
        "video_name": "hello-1",
        "status": "queued",
        "hosted_url": "https://tavus.video/abc1234567",
        "created_at": "Mon, 14 Jul 2025 09:14:24 GMT",
    }
    with mock_api() as router:
        route = router.post("/v2/videos").respond(200, json=created)
        video = await api.create_video(request)
    sent = route.calls.last.request
    assert json.loads(sent.content) == {
        "replica_id": "r79e1c033f",
        "script": "Hello",
        "video_name": "hello-1",
        "fast": True,
        "properties": {"start_with_wave": False},
    }
    assert sent.headers["content-type"] == "application/json"
    assert video.video_id == "abc1234567"
    assert video.created_at is not None and video.created_at.year == 2025


async def test_get_video_verbose_flag(api: Twin) -> None:
    with mock_api() as router:
        route = router.get("/v2/videos/abc1234567").respond(200, json=video_json())
        await api.get_video("abc1234567", verbose=True)
        await api.get_video("abc1234567")
    assert route.calls[0].request.url.params["verbose"] == "true"
    assert "verbose" not in route.calls[1].request.url.params


async def test_list_videos_passes_page_and_limit(api: Twin) -> None:
    body = {"data": [video_json("a" * 10), video_json("b" * 10)], "total_count": 7}
    with mock_api() as router:
        route = router.get("/v2/videos").respond(200, json=body)
        page = await api.list_videos(page=3, limit=2)
    assert dict(route.calls.last.request.url.params) == {"page": "3", "limit": "2"}
    assert [v.video_id for v in page.data] == ["a" * 10, "b" * 10] and page.total_count == 7


@pytest.mark.parametrize("status", [200, 204])
async def test_delete_accepts_any_2xx_and_empty_body(api: Twin, status: int) -> None:
    with mock_api() as router:
        route = router.delete("/v2/videos/abc1234567").respond(status)
        assert await api.delete_video("abc1234567", hard=True) is None
        await api.delete_video("abc1234567")
    assert route.calls[0].request.url.params["hard"] == "true"
    assert "hard" not in route.calls[1].request.url.params


@pytest.mark.parametrize("status", [200, 204])
async def test_rename_sends_the_name(api: Twin, status: int) -> None:
    with mock_api() as router:
        route = router.patch("/v2/videos/abc1234567/name").respond(status, text="")
        await api.rename_video("abc1234567", "Sales Q3")
    assert json.loads(route.calls.last.request.content) == {"video_name": "Sales Q3"}


async def test_list_replicas_filters(api: Twin) -> None:
    body = {"data": [{"replica_id": "r79e1c033f", "status": "completed"}], "total_count": 1}
    with mock_api() as router:
        route = router.get("/v2/replicas").respond(200, json=body)
        page = await api.list_replicas(
            page=0,
            limit=5,
            verbose=True,
            replica_type=ReplicaType.SYSTEM,
            replica_ids=["r79e1c033f", "r90bbd427f71"],
            model_name="phoenix-3",
        )
        await api.list_replicas(replica_type="user")
    assert dict(route.calls[0].request.url.params) == {
        "page": "0",
        "limit": "5",
        "verbose": "true",
        "replica_type": "system",
        "replica_ids": "r79e1c033f,r90bbd427f71",
        "model_name": "phoenix-3",
    }
    assert dict(route.calls[1].request.url.params) == {"replica_type": "user"}
    assert page.data[0].is_ready


async def test_bad_arguments_fail_before_sending(api: Twin) -> None:
    with mock_api() as router:
        route = router.route().respond(200, json={})
        with pytest.raises(ValueError):
            await api.get_video("  ")
        with pytest.raises(ValueError):
            await api.list_replicas(replica_type="robot")
        with pytest.raises(TypeError):
            await api.list_replicas(replica_ids="r79e1c033f")
        with pytest.raises(ValueError):
            await api.rename_video("abc1234567", "")
    assert route.call_count == 0


async def test_ids_are_one_path_segment(api: Twin) -> None:
    with mock_api() as router:
        route = router.get(path__regex=r"^/v2/videos/.+").respond(200, json=video_json())
        await api.get_video("../replicas/x")
    assert route.calls.last.request.url.raw_path == b"/v2/videos/..%2Freplicas%2Fx"


# --- error mapping ---------------------------------------------------------------------------

ERROR_CASES = [
    # (status, body, method, expected type, expected message prefix)
    (400, {"error": "Invalid replica_id"}, "create", BadRequestError, "Invalid replica_id"),
    (400, {"error": "Invalid video_id"}, "get_video", NotFoundError, "Invalid video_id"),
    (404, {"error": "Invalid video_id"}, "get_video", NotFoundError, "Invalid video_id"),
    (404, {"error": "Video not found"}, "delete_video", NotFoundError, "Video not found"),
    (400, {"error": "Invalid video_id"}, "rename_video", NotFoundError, "Invalid video_id"),
    (400, {"error": "Invalid replica_id"}, "get_replica", NotFoundError, "Invalid replica_id"),
    (400, {"error": "limit too large"}, "list_videos", BadRequestError, "limit too large"),
    (401, {"message": "Invalid access token"}, "get_video", AuthenticationError, "Invalid access"),
    (403, {"message": "IP not allowed"}, "list_replicas", PermissionDeniedError, "IP not allowed"),
    (429, {"error": "Slow down"}, "get_video", RateLimitError, "Slow down"),
    (500, "<html>oops</html>", "get_video", ServerError, "<html>oops</html>"),
    (503, {"error": "maintenance"}, "list_videos", ServerError, "maintenance"),
    (418, {"detail": "teapot"}, "get_video", APIStatusError, '{"detail":"teapot"}'),
    (404, {"error": "no route"}, "list_videos", APIStatusError, "no route"),
]


async def _invoke(api: Twin, name: str) -> None:
    if name == "create":
        await api.create_video(VideoRequest(replica_id="r1", script="hi"))
    elif name == "get_video":
        await api.get_video("abc1234567")
    elif name == "delete_video":
        await api.delete_video("abc1234567")
    elif name == "rename_video":
        await api.rename_video("abc1234567", "new")
    elif name == "get_replica":
        await api.get_replica("r79e1c033f")
    else:
        await getattr(api, name)()


@pytest.mark.parametrize(("status", "body", "name", "error", "message"), ERROR_CASES)
async def test_status_errors_are_typed(
    api: Twin, status: int, body: object, name: str, error: type, message: str
) -> None:
    with mock_api() as router:
        kwargs = {"json": body} if isinstance(body, dict) else {"text": body}
        router.route().respond(status, **kwargs)
        with pytest.raises(APIStatusError) as caught:
            await _invoke(api, name)
    assert type(caught.value) is error
    assert caught.value.status_code == status
    assert caught.value.message.startswith(message)
    if isinstance(body, dict):
        assert caught.value.body == body


async def test_rate_limit_error_carries_retry_after(api: Twin) -> None:
    with mock_api() as router:
        router.get("/v2/videos").respond(429, json={"error": "x"}, headers={"Retry-After": "12"})
        with pytest.raises(RateLimitError) as caught:
            await api.list_videos()
    assert caught.value.retry_after == 12.0


async def test_long_text_bodies_are_truncated(api: Twin) -> None:
    with mock_api() as router:
        router.route().respond(502, text="x" * 5000)
        with pytest.raises(ServerError) as caught:
            await api.list_videos()
    assert len(caught.value.message) <= 500 and caught.value.message.endswith("...")


async def test_unexpected_success_body_is_a_validation_error_not_a_status_error(
    api: Twin,
) -> None:
    with mock_api() as router:
        router.route().respond(200, text="not json")
        with pytest.raises(APIResponseValidationError, match="not a Video") as caught:
            await api.get_video("abc1234567")
    assert not isinstance(caught.value, APIStatusError)
    assert caught.value.status_code == 200 and caught.value.body == "not json"
    assert caught.value.expected == "Video" and caught.value.method == "GET"


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (httpx.ConnectError("refused"), APIConnectionError),
        (httpx.RemoteProtocolError("Server disconnected"), APIConnectionError),
        (httpx.ReadTimeout("timed out"), APITimeoutError),
        (httpx.ConnectTimeout("timed out"), APITimeoutError),
    ],
)
async def test_transport_errors_are_typed(api: Twin, exc: Exception, error: type) -> None:
    with mock_api() as router:
        router.route().mock(side_effect=exc)
        with pytest.raises(error) as caught:
            await api.get_video("abc1234567")
    assert type(caught.value) is error
    assert "GET /v2/videos/abc1234567" in str(caught.value)
    assert caught.value.__cause__ is exc


# --- the key stays secret --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_api_key_never_in_errors_repr_or_logs(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="prefect_tavus.tavus_api")
    client = make_client(kind, FakeTime(), retry=no_jitter(max_retries=2))
    twin = Twin(client)
    assert API_KEY not in repr(client)
    assert repr(client) == f"{type(client).__name__}(base_url={BASE_URL!r})"
    leaked = {"error": f"key {API_KEY} is not valid", "echo": {"x-api-key": API_KEY}}
    with mock_api() as router:
        router.get("/v2/videos").mock(
            side_effect=[
                httpx.Response(503, json=leaked),
                httpx.Response(401, json={"message": f"Invalid access token {API_KEY}"}),
            ]
        )
        router.get("/v2/videos/abc1234567").respond(400, text=f"raw {API_KEY} text")
        with pytest.raises(AuthenticationError) as auth:
            await twin.list_videos()
        with pytest.raises(BadRequestError) as bad:
            await twin.get_video("abc1234567")
    await twin.aclose()
    for exc in (auth.value, bad.value):
        assert API_KEY not in str(exc)
        assert API_KEY not in repr(exc)
        assert API_KEY not in exc.message
        assert API_KEY not in json.dumps(exc.body)
    assert "***" in auth.value.message and "***" in bad.value.message
    assert "503" in caplog.text  # the retry was logged ...
    assert API_KEY not in caplog.text  # ... without the key


async def test_api_key_never_in_transport_or_unreadable_body_errors(api: Twin) -> None:
    with mock_api() as router:
        router.get("/v2/videos").mock(side_effect=httpx.ReadError(f"reset; sent {API_KEY}"))
        router.get("/v2/videos/abc1234567").respond(200, text=f"<html>{API_KEY}</html>")
        with pytest.raises(APIConnectionError) as transport:
            await api.list_videos()
        with pytest.raises(APIResponseValidationError, match="not a Video") as unreadable:
            await api.get_video("abc1234567")
    for exc in (transport.value, unreadable.value):
        assert API_KEY not in str(exc) and "***" in str(exc)


@pytest.mark.parametrize(
    "url",
    [
        "https://b.s3.test/a b.wav?X-Amz-Signature=sig-SECRET",  # short, with a space
        "s3://bucket/voice.wav?X-Amz-Signature=sig-SECRET",  # not http(s)
        "https://bucket.s3.test/media/voice.wav?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=sig-SECRET tail",  # long
    ],
)
def test_a_rejected_presigned_url_keeps_its_signature_out_of_the_error(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        VideoRequest(replica_id="r79e1c033f", audio_url=url)
    assert "sig-SECRET" not in str(caught.value)
    assert "audio_url" in str(caught.value) and "must be an absolute http(s) URL" in str(
        caught.value
    )
    assert url.split("?")[0] in str(caught.value)  # scheme, host and path still shown


def test_constructor_rejects_bad_settings() -> None:
    with pytest.raises(ValueError):
        TavusClient("")
    with pytest.raises(ValueError):
        AsyncTavusClient(SecretStr(" "))
    with pytest.raises(ValueError):
        TavusClient("k", base_url="tavusapi.com")


def test_caller_http_client_is_used_and_left_open() -> None:
    seen: list[httpx.Request] = []
    http = httpx.Client(event_hooks={"request": [seen.append]})
    with mock_api() as router, TavusClient(API_KEY, base_url=BASE_URL, http_client=http) as c:
        router.get("/v2/videos").respond(200, json={"data": [], "total_count": 0})
        c.list_videos()
    assert len(seen) == 1 and seen[0].headers["x-api-key"] == API_KEY
    assert not http.is_closed
    http.close()


def test_owned_http_client_is_closed() -> None:
    client = TavusClient(API_KEY, base_url=BASE_URL)
    client.close()
    with mock_api() as router:
        router.get("/v2/videos").respond(200, json={"data": []})
        with pytest.raises(RuntimeError):
            client.list_videos()


# --- pagination without assuming the page base -----------------------------------------------


def _page(ids: list[str], total: int | None) -> httpx.Response:
    body: dict = {"data": [video_json(i) for i in ids]}
    if total is not None:
        body["total_count"] = total
    return httpx.Response(200, json=body)


def _pages_requested(route) -> list[str]:
    return [call.request.url.params.get("page") for call in route.calls]


async def test_iter_base_zero_stops_at_total_count(api: Twin) -> None:
    pages = {"0": ["a", "b"], "1": ["c", "d"], "2": ["e"]}
    with mock_api() as router:
        route = router.get("/v2/videos").mock(
            side_effect=lambda request: _page(pages[request.url.params["page"]], 5)
        )
        videos = await api.iter_videos(page_size=2)
    assert [v.video_id for v in videos] == ["a", "b", "c", "d", "e"]
    assert _pages_requested(route) == ["0", "1", "2"]  # no trailing empty page
    assert {call.request.url.params["limit"] for call in route.calls} == {"2"}


async def test_iter_base_one_that_repeats_page_one_for_page_zero(api: Twin) -> None:
    pages = {"0": ["a", "b"], "1": ["a", "b"], "2": ["c", "d"], "3": ["e"]}
    with mock_api() as router:
        route = router.get("/v2/videos").mock(
            side_effect=lambda request: _page(pages[request.url.params["page"]], 5)
        )
        videos = await api.iter_videos(page_size=2)
    assert [v.video_id for v in videos] == ["a", "b", "c", "d", "e"]
    assert _pages_requested(route) == ["0", "1", "2", "3"]


@pytest.mark.parametrize(
    "page_zero",
    [httpx.Response(400, json={"error": "page must be >= 1"}), _page([], 3)],
    ids=["400", "empty"],
)
async def test_iter_base_one_that_rejects_or_empties_page_zero(
    api: Twin, page_zero: httpx.Response
) -> None:
    pages = {"1": ["a", "b"], "2": ["c"]}

    def answer(request: httpx.Request) -> httpx.Response:
        page = request.url.params["page"]
        return page_zero if page == "0" else _page(pages[page], 3)

    with mock_api() as router:
        route = router.get("/v2/videos").mock(side_effect=answer)
        videos = await api.iter_videos(page_size=2)
    assert [v.video_id for v in videos] == ["a", "b", "c"]
    assert _pages_requested(route) == ["0", "1", "2"]


async def test_iter_without_total_count_stops_on_an_empty_page(api: Twin) -> None:
    pages = {"0": ["a", "b"], "1": ["c"], "2": []}
    with mock_api() as router:
        route = router.get("/v2/videos").mock(
            side_effect=lambda request: _page(pages[request.url.params["page"]], None)
        )
        videos = await api.iter_videos(page_size=2)
    assert [v.video_id for v in videos] == ["a", "b", "c"]
    assert _pages_requested(route) == ["0", "1", "2"]


async def test_iter_stops_when_the_server_ignores_page(api: Twin) -> None:
    with mock_api() as router:
        route = router.get("/v2/videos").mock(return_value=_page(["a", "b"], 50))
        videos = await api.iter_videos(page_size=2)
    assert [v.video_id for v in videos] == ["a", "b"]
    assert route.call_count == 3  # page 1 may be base-1's page 0; page 2 brings nothing new


async def test_iter_of_an_empty_account_is_one_call(api: Twin) -> None:
    with mock_api() as router:
        route = router.get("/v2/videos").mock(return_value=_page([], 0))
        assert await api.iter_videos() == []
    assert route.call_count == 1


async def test_find_by_name_respects_max_pages(api: Twin) -> None:
    pages = {"0": ["a", "b"], "1": ["c", "d"], "2": ["e", "f"]}

    def answer(request: httpx.Request) -> httpx.Response:
        ids = pages[request.url.params["page"]]
        body = {"data": [video_json(i, video_name="x" if i in "bf" else "y") for i in ids]}
        return httpx.Response(200, json={**body, "total_count": 6})

    with mock_api() as router:
        route = router.get("/v2/videos").mock(side_effect=answer)
        limited = await api.find_videos_by_name("x", max_pages=2)
        everything = await api.find_videos_by_name("x")
    assert [v.video_id for v in limited] == ["b"]
    assert [v.video_id for v in everything] == ["b", "f"]
    assert route.call_count == 2 + 3


async def test_iter_replicas_keeps_filters_on_every_page(api: Twin) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        data = [{"replica_id": f"r{page}{i}"} for i in range(2)] if page < 2 else []
        return httpx.Response(200, json={"data": data, "total_count": 4})

    with mock_api() as router:
        route = router.get("/v2/replicas").mock(side_effect=answer)
        replicas = await api.iter_replicas(page_size=2, replica_type="user", verbose=True)
    assert [r.replica_id for r in replicas] == ["r00", "r01", "r10", "r11"]
    for call in route.calls:
        assert call.request.url.params["replica_type"] == "user"
        assert call.request.url.params["verbose"] == "true"


def test_iteration_is_lazy() -> None:
    client = make_client("sync", FakeTime())
    with mock_api() as router:
        route = router.get("/v2/videos").mock(return_value=_page(["a", "b"], 1000))
        first = next(client.iter_videos(page_size=2))
    client.close()
    assert first.video_id == "a" and route.call_count == 1
