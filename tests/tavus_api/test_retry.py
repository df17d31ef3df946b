"""Retry policy, Retry-After, idempotent retries and the create duplicate guard (respx).

Every path is driven through both twins with a fake sleep, so delays are asserted
exactly (jitter 0) and nothing really waits.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from pydantic import ValidationError

from prefect_tavus.tavus_api import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    CreateOutcomeUnknownError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    VideoRequest,
)
from prefect_tavus.tavus_api.retry import parse_retry_after
from tests.tavus_api._client_support import (
    KINDS,
    Harness,
    mock_api,
    video_json,
)

pytestmark = pytest.mark.timeout(30)

NAME = "welcome-video-42"


@pytest.fixture(params=KINDS)
async def h(request: pytest.FixtureRequest):
    harness = Harness(request.param, max_retries=3)
    yield harness
    await harness.twin.aclose()


# --- the policy ------------------------------------------------------------------------------


def test_backoff_grows_and_caps() -> None:
    policy = RetryPolicy(initial_delay=0.5, multiplier=2.0, max_delay=3.0, jitter=0.0)
    assert [policy.backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.backoff(10_000) == 3.0  # no overflow on absurd attempt numbers


def test_jitter_spreads_within_the_fraction() -> None:
    policy = RetryPolicy(initial_delay=2.0, jitter=0.25)
    assert policy.backoff(0, rand=0.0) == pytest.approx(1.5)
    assert policy.backoff(0, rand=0.999999) == pytest.approx(2.5, rel=1e-5)
    assert policy.backoff(0, rand=0.5) == pytest.approx(2.0)
    capped = RetryPolicy(initial_delay=10.0, max_delay=10.0, jitter=0.5)
    assert capped.backoff(0, rand=0.99) == 10.0


def test_retry_after_is_honoured_up_to_max_delay() -> None:
    policy = RetryPolicy(max_delay=30.0, jitter=0.2)
    assert policy.delay(0, retry_after=10.0, rand=0.0) == 10.0
    assert 10.0 <= policy.delay(0, retry_after=10.0, rand=0.99) <= 12.0
    assert policy.delay(0, retry_after=29.0, rand=0.99) == 30.0
    assert policy.delay(0, retry_after=31.0) is None


@pytest.mark.parametrize(
    "bad",
    [{"max_retries": -1}, {"initial_delay": -1}, {"multiplier": 0.5}, {"jitter": 1.5}, {"x": 1}],
)
def test_policy_rejects_nonsense(bad: dict) -> None:
    with pytest.raises(ValidationError):
        RetryPolicy(**bad)


def test_parse_retry_after() -> None:
    now = datetime(2025, 7, 14, 9, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=42), usegmt=True), now=now) == 42
    )
    assert (
        parse_retry_after(format_datetime(now - timedelta(seconds=42), usegmt=True), now=now) == 0
    )
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None
    assert parse_retry_after(None) is None


# --- idempotent calls ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_get_retried_on_retryable_status(h: Harness, status: int) -> None:
    with mock_api() as router:
        route = router.get("/v2/videos/abc1234567").mock(
            side_effect=[
                httpx.Response(status, json={"error": "busy"}),
                httpx.Response(200, json=video_json()),
            ]
        )
        video = await h.twin.get_video("abc1234567")
    assert video.video_id == "abc1234567"
    assert route.call_count == 2
    assert h.fake.sleeps == [0.5]


@pytest.mark.parametrize("status", [500, 400, 401, 404])
async def test_get_not_retried_on_other_status(h: Harness, status: int) -> None:
    with mock_api() as router:
        route = router.get("/v2/videos").respond(status, json={"error": "no"})
        with pytest.raises(Exception):  # noqa: B017 - the type is covered by test_client
            await h.twin.list_videos()
    assert route.call_count == 1 and h.fake.sleeps == []


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow connect"),
        httpx.PoolTimeout("pool"),
        httpx.ReadTimeout("slow read"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
async def test_get_retried_on_transport_errors(h: Harness, exc: Exception) -> None:
    with mock_api() as router:
        route = router.get("/v2/replicas/r79e1c033f").mock(
            side_effect=[exc, httpx.Response(200, json={"replica_id": "r79e1c033f"})]
        )
        replica = await h.twin.get_replica("r79e1c033f")
    assert replica.replica_id == "r79e1c033f"
    assert route.call_count == 2 and h.fake.sleeps == [0.5]


async def test_retry_after_seconds_is_honoured(h: Harness) -> None:
    with mock_api() as router:
        router.get("/v2/videos").mock(
            side_effect=[
                httpx.Response(429, json={"error": "slow"}, headers={"Retry-After": "3"}),
                httpx.Response(200, json={"data": []}),
            ]
        )
        await h.twin.list_videos()
    assert h.fake.sleeps == [3.0]


async def test_retry_after_http_date_is_measured_from_the_server_date(h: Harness) -> None:
    server_now = datetime(2020, 1, 1, 12, 0, 0, tzinfo=UTC)  # far from local time: skew-proof
    headers = {
        "Date": format_datetime(server_now, usegmt=True),
        "Retry-After": format_datetime(server_now + timedelta(seconds=7), usegmt=True),
    }
    with mock_api() as router:
        router.get("/v2/videos").mock(
            side_effect=[
                httpx.Response(503, json={"error": "busy"}, headers=headers),
                httpx.Response(200, json={"data": []}),
            ]
        )
        await h.twin.list_videos()
    assert h.fake.sleeps == [7.0]


async def test_retry_after_beyond_max_delay_gives_up_at_once(h: Harness) -> None:
    with mock_api() as router:
        route = router.get("/v2/videos").respond(
            429, json={"error": "quota"}, headers={"Retry-After": "120"}
        )
        with pytest.raises(RateLimitError) as caught:
            await h.twin.list_videos()
    assert caught.value.retry_after == 120.0
    assert route.call_count == 1 and h.fake.sleeps == []


async def test_retries_are_exhausted_then_the_last_error_raised(h: Harness) -> None:
    with mock_api() as router:
        route = router.get("/v2/videos").respond(503, json={"error": "down"})
        with pytest.raises(ServerError, match="down"):
            await h.twin.list_videos()
    assert route.call_count == 4  # 1 + max_retries
    assert h.fake.sleeps == [0.5, 1.0, 2.0]


async def test_transport_retries_exhausted(h: Harness) -> None:
    with mock_api() as router:
        route = router.get("/v2/videos").mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(APITimeoutError):
            await h.twin.list_videos()
    assert route.call_count == 4


async def test_delete_and_rename_are_retried(h: Harness) -> None:
    with mock_api() as router:
        delete = router.delete("/v2/videos/abc1234567").mock(
            side_effect=[httpx.Response(502), httpx.Response(204)]
        )
        rename = router.patch("/v2/videos/abc1234567/name").mock(
            side_effect=[httpx.ConnectError("refused"), httpx.Response(200)]
        )
        await h.twin.delete_video("abc1234567")
        await h.twin.rename_video("abc1234567", "x")
    assert delete.call_count == 2 and rename.call_count == 2


@pytest.mark.parametrize("hard", [True, False])
async def test_delete_whose_answer_was_lost_then_gone_is_success(h: Harness, hard: bool) -> None:
    with mock_api() as router:
        route = router.delete("/v2/videos/abc1234567").mock(
            side_effect=[
                httpx.ReadTimeout("lost"),
                httpx.Response(400, json={"error": "Invalid video_id"}),
            ]
        )
        assert await h.twin.delete_video("abc1234567", hard=hard) is None
    assert route.call_count == 2


async def test_delete_of_a_missing_video_still_raises(h: Harness) -> None:
    with mock_api() as router:
        router.delete("/v2/videos/abc1234567").mock(
            side_effect=[
                httpx.Response(429, json={"error": "slow"}),  # not an unknown outcome
                httpx.Response(400, json={"error": "Invalid video_id"}),
            ]
        )
        with pytest.raises(NotFoundError):
            await h.twin.delete_video("abc1234567")


# --- create: retried only where Tavus did not act ---------------------------------------------


def _request(name: str | None = NAME) -> VideoRequest:
    return VideoRequest(replica_id="r79e1c033f", script="Hello", video_name=name)


def _created(video_id: str = "new0000001") -> httpx.Response:
    return httpx.Response(200, json=video_json(video_id, video_name=NAME))


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(429, json={"error": "slow"}, headers={"Retry-After": "2"}),
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow connect"),
        httpx.PoolTimeout("pool full"),
    ],
    ids=["429", "ConnectError", "ConnectTimeout", "PoolTimeout"],
)
async def test_create_retried_where_tavus_did_not_act(h: Harness, failure: object) -> None:
    with mock_api() as router:
        post = router.post("/v2/videos").mock(side_effect=[failure, _created()])
        lookup = router.get("/v2/videos").respond(200, json={"data": []})
        video = await h.twin.create_video(_request())
    assert video.video_id == "new0000001"
    assert post.call_count == 2 and lookup.call_count == 0
    assert h.fake.sleeps == [2.0 if isinstance(failure, httpx.Response) else 0.5]


@pytest.mark.parametrize("status", [400, 401, 422])
async def test_create_not_retried_on_client_errors(h: Harness, status: int) -> None:
    with mock_api() as router:
        post = router.post("/v2/videos").respond(status, json={"error": "Invalid replica_id"})
        lookup = router.get("/v2/videos").respond(200, json={"data": []})
        with pytest.raises(Exception):  # noqa: B017 - typed mapping is covered in test_client
            await h.twin.create_video(_request())
    assert post.call_count == 1 and lookup.call_count == 0


async def test_create_gives_up_on_429_after_max_retries(h: Harness) -> None:
    with mock_api() as router:
        post = router.post("/v2/videos").respond(429, json={"error": "slow"})
        with pytest.raises(RateLimitError):
            await h.twin.create_video(_request())
    assert post.call_count == 4


UNKNOWN_OUTCOMES = [
    httpx.ReadTimeout("no answer"),
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
    httpx.ReadError("connection reset"),
    httpx.Response(500, json={"error": "oops"}),
    httpx.Response(502, text="bad gateway"),
    httpx.Response(503, json={"error": "busy"}),
]
UNKNOWN_IDS = ["ReadTimeout", "RemoteProtocolError", "ReadError", "500", "502", "503"]


def _listing(*videos: dict) -> httpx.Response:
    return httpx.Response(200, json={"data": list(videos), "total_count": len(videos)})


@pytest.mark.parametrize("failure", UNKNOWN_OUTCOMES, ids=UNKNOWN_IDS)
async def test_unknown_outcome_with_no_match_sends_again(h: Harness, failure: object) -> None:
    other = video_json("other00001", video_name="someone else's")
    with mock_api() as router:
        post = router.post("/v2/videos").mock(side_effect=[failure, _created("second0001")])
        lookup = router.get("/v2/videos").mock(return_value=_listing(other))
        video = await h.twin.create_video(_request())
    assert video.video_id == "second0001"
    assert post.call_count == 2 and lookup.call_count == 1
    assert h.fake.sleeps == [0.5]  # one backoff, before the lookup


@pytest.mark.parametrize("failure", UNKNOWN_OUTCOMES, ids=UNKNOWN_IDS)
async def test_unknown_outcome_with_one_match_reattaches(
    h: Harness, failure: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="prefect_tavus.tavus_api")
    mine = video_json("mine000001", video_name=NAME, status="queued")
    with mock_api() as router:
        post = router.post("/v2/videos").mock(side_effect=[failure, _created("dup0000001")])
        lookup = router.get("/v2/videos").mock(return_value=_listing(mine))
        video = await h.twin.create_video(_request())
    assert video.video_id == "mine000001"
    assert post.call_count == 1 and lookup.call_count == 1
    assert "re-attached to video mine000001" in caplog.text


@pytest.mark.parametrize("failure", UNKNOWN_OUTCOMES, ids=UNKNOWN_IDS)
async def test_unknown_outcome_with_two_matches_refuses(h: Harness, failure: object) -> None:
    a = video_json("aaaa000001", video_name=NAME)
    b = video_json("bbbb000001", video_name=NAME)
    with mock_api() as router:
        post = router.post("/v2/videos").mock(side_effect=[failure, _created()])
        router.get("/v2/videos").mock(return_value=_listing(a, b))
        with pytest.raises(CreateOutcomeUnknownError) as caught:
            await h.twin.create_video(_request())
    assert post.call_count == 1
    assert caught.value.video_name == NAME
    message = str(caught.value)
    assert NAME in message and "aaaa000001" in message and "bbbb000001" in message
    assert "list_videos()" in message


async def test_unknown_outcome_without_video_name_refuses_without_lookup(h: Harness) -> None:
    with mock_api() as router:
        post = router.post("/v2/videos").respond(503, json={"error": "busy"})
        lookup = router.get("/v2/videos").respond(200, json={"data": []})
        with pytest.raises(CreateOutcomeUnknownError) as caught:
            await h.twin.create_video(_request(name=None))
    assert post.call_count == 1 and lookup.call_count == 0
    assert caught.value.video_name is None
    assert "no video_name" in str(caught.value)
    assert isinstance(caught.value.__cause__, ServerError)


async def test_old_namesake_is_someone_elses_so_the_create_is_sent_again(h: Harness) -> None:
    old = video_json("old0000001", video_name=NAME, created_at="2020-01-01T00:00:00Z")
    with mock_api() as router:
        post = router.post("/v2/videos").mock(side_effect=[httpx.ReadTimeout("lost"), _created()])
        router.get("/v2/videos").mock(return_value=_listing(old))
        video = await h.twin.create_video(_request())
    assert post.call_count == 2
    assert video.video_id != "old0000001"


async def test_since_anchors_the_guard_to_the_first_attempt(h: Harness) -> None:
    # A namesake created within the tolerance of an earlier `since` is this create's.
    earlier = video_json("mine000002", video_name=NAME, created_at="2020-01-01T00:05:00Z")
    with mock_api() as router:
        post = router.post("/v2/videos").mock(side_effect=[httpx.ReadTimeout("lost")])
        router.get("/v2/videos").mock(return_value=_listing(earlier))
        since = datetime(2020, 1, 1, 0, 10, tzinfo=UTC)
        video = await h.twin.create_video(_request(), since=since)
    assert post.call_count == 1 and video.video_id == "mine000002"


async def test_recent_match_with_created_at_reattaches(h: Harness) -> None:
    recent = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # callback-style timestamp
    mine = video_json("mine000001", video_name=NAME, created_at=recent)
    with mock_api() as router:
        router.post("/v2/videos").mock(side_effect=[httpx.ReadTimeout("lost")])
        router.get("/v2/videos").mock(return_value=_listing(mine))
        video = await h.twin.create_video(_request())
    assert video.video_id == "mine000001"


async def test_deleted_namesake_is_ignored(h: Harness) -> None:
    gone = video_json("gone000001", video_name=NAME, status="deleted")
    with mock_api() as router:
        post = router.post("/v2/videos").mock(side_effect=[httpx.ReadTimeout("lost"), _created()])
        router.get("/v2/videos").mock(return_value=_listing(gone))
        video = await h.twin.create_video(_request())
    assert video.video_id == "new0000001" and post.call_count == 2


async def test_unknown_outcomes_exhaust_retries(h: Harness) -> None:
    with mock_api() as router:
        post = router.post("/v2/videos").respond(503, json={"error": "busy"})
        lookup = router.get("/v2/videos").respond(200, json={"data": [], "total_count": 0})
        with pytest.raises(ServerError):
            await h.twin.create_video(_request())
    # every POST whose outcome was unknown is followed by a lookup, the last one too
    assert post.call_count == 4 and lookup.call_count == 4
    assert h.fake.sleeps == [0.5, 1.0, 2.0, 4.0]


async def test_lookup_itself_is_retried_and_pages_through(h: Harness) -> None:
    filler = [video_json(f"f{i:09d}", video_name=f"other {i}") for i in range(100)]
    mine = video_json("mine000001", video_name=NAME)
    with mock_api() as router:
        router.post("/v2/videos").mock(side_effect=[httpx.Response(502)])
        lookup = router.get("/v2/videos").mock(
            side_effect=[
                httpx.Response(503),
                httpx.Response(200, json={"data": filler, "total_count": 101}),
                httpx.Response(200, json={"data": [mine], "total_count": 101}),
            ]
        )
        video = await h.twin.create_video(_request())
    assert video.video_id == "mine000001"
    pages = [call.request.url.params["page"] for call in lookup.calls]
    assert pages == ["0", "0", "1"]
    assert {call.request.url.params["limit"] for call in lookup.calls} == {"100"}


async def test_create_connect_error_is_typed_when_exhausted(h: Harness) -> None:
    with mock_api() as router:
        post = router.post("/v2/videos").mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(APIConnectionError):
            await h.twin.create_video(_request())
    assert post.call_count == 4


async def test_bad_request_is_not_mistaken_for_unknown(h: Harness) -> None:
    with mock_api() as router:
        router.post("/v2/videos").respond(400, json={"error": "Invalid replica_id"})
        with pytest.raises(BadRequestError, match="Invalid replica_id"):
            await h.twin.create_video(_request())


async def test_failed_lookup_is_an_unknown_outcome(h: Harness) -> None:
    with mock_api() as router:
        post = router.post("/v2/videos").respond(500, json={"error": "oops"})
        lookup = router.get("/v2/videos").respond(503, json={"error": "list down"})
        with pytest.raises(CreateOutcomeUnknownError, match="looking for a video named") as caught:
            await h.twin.create_video(_request())
    assert post.call_count == 1 and lookup.call_count == 4  # the lookup's own retries
    assert isinstance(caught.value.__cause__, ServerError)


async def test_unreadable_success_is_an_unknown_outcome(h: Harness) -> None:
    mine = video_json("mine000001", video_name=NAME)
    with mock_api() as router:
        post = router.post("/v2/videos").respond(200, text="<html>proxy page</html>")
        router.get("/v2/videos").mock(return_value=_listing(mine))
        video = await h.twin.create_video(_request())
    assert video.video_id == "mine000001" and post.call_count == 1


async def test_body_decoding_error_is_an_unknown_outcome(h: Harness) -> None:
    with mock_api() as router:
        post = router.post("/v2/videos").mock(
            side_effect=[httpx.DecodingError("bad gzip"), _created("second0001")]
        )
        lookup = router.get("/v2/videos").mock(return_value=_listing())
        video = await h.twin.create_video(_request())
    assert video.video_id == "second0001"
    assert post.call_count == 2 and lookup.call_count == 1


async def test_unreadable_success_with_no_listed_video_is_not_sent_again(h: Harness) -> None:
    # A 2xx means Tavus created the video; a list that does not show it yet is no
    # evidence it did not, so sending again would risk a second paid video.
    with mock_api() as router:
        post = router.post("/v2/videos").mock(
            side_effect=[httpx.Response(200, text="<html>proxy page</html>"), _created()]
        )
        lookup = router.get("/v2/videos").mock(return_value=_listing())
        with pytest.raises(CreateOutcomeUnknownError, match="HTTP 200") as caught:
            await h.twin.create_video(_request())
    assert post.call_count == 1 and lookup.call_count == 1
    assert caught.value.video_name == NAME
