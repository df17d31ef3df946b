"""wait_for_video: backoff, deadline, on_change, terminal states, not-found grace (respx).

Time is fake: the client's sleep advances its monotonic clock, so a one-hour wait
runs in milliseconds and every sleep is asserted exactly (jitter 0).
"""

from __future__ import annotations

import httpx
import pytest

from prefect_tavus.tavus_api import (
    NotFoundError,
    Video,
    VideoDeletedError,
    VideoFailedError,
    VideoStatus,
    WaitTimeoutError,
)
from prefect_tavus.tavus_api.waiting import next_poll_delay
from tests.tavus_api._client_support import (
    KINDS,
    FakeTime,
    Harness,
    Twin,
    make_client,
    mock_api,
    no_jitter,
    video_json,
)

pytestmark = pytest.mark.timeout(30)

VID = "abc1234567"
PATH = f"/v2/videos/{VID}"


def _v(status: str, progress: str | None = None, **extra: object) -> httpx.Response:
    body = video_json(VID, status=status, **extra)
    if progress is not None:
        body["generation_progress"] = progress
    return httpx.Response(200, json=body)


@pytest.fixture(params=KINDS)
async def h(request: pytest.FixtureRequest):
    harness = Harness(request.param, max_retries=2)
    yield harness
    await harness.twin.aclose()


def test_poll_delay_grows_by_half_and_caps() -> None:
    delays = [5.0]
    for _ in range(6):
        delays.append(next_poll_delay(delays[-1], max_poll_interval=30.0))
    assert delays == [5.0, 7.5, 11.25, 16.875, 25.3125, 30.0, 30.0]


async def test_returns_ready_video_and_reports_only_changes(h: Harness) -> None:
    seen: list[tuple[VideoStatus, str | None]] = []
    with mock_api() as router:
        route = router.get(PATH).mock(
            side_effect=[
                _v("queued"),
                _v("queued"),
                _v("generating", "10/100"),
                _v("generating", "10/100"),
                _v("generating", "55/100"),
                _v("ready", "100/100", download_url="https://stream.mux.test/x/high.mp4"),
            ]
        )
        video = await h.twin.wait_for_video(
            VID, on_change=lambda v: seen.append((v.status, v.generation_progress))
        )
    assert video.status is VideoStatus.READY
    assert video.download_url == "https://stream.mux.test/x/high.mp4"
    assert route.call_count == 6
    assert seen == [
        (VideoStatus.QUEUED, None),
        (VideoStatus.GENERATING, "10/100"),
        (VideoStatus.GENERATING, "55/100"),
        (VideoStatus.READY, "100/100"),
    ]
    assert h.fake.sleeps == [5.0, 7.5, 11.25, 16.875, 25.3125]


async def test_already_ready_needs_one_call_and_no_sleep(h: Harness) -> None:
    with mock_api() as router:
        route = router.get(PATH).mock(return_value=_v("ready"))
        await h.twin.wait_for_video(VID)
    assert route.call_count == 1 and h.fake.sleeps == []


@pytest.mark.parametrize("verbose", [False, True])
async def test_verbose_polls_bring_the_thumbnails(h: Harness, verbose: bool) -> None:
    with mock_api() as router:
        route = router.get(PATH).mock(side_effect=[_v("generating"), _v("ready")])
        await h.twin.wait_for_video(VID, verbose=verbose)
    sent = [call.request.url.params.get("verbose") for call in route.calls]
    assert sent == (["true", "true"] if verbose else [None, None])


async def test_error_raises_video_failed_with_details(h: Harness) -> None:
    details = "An error occurred while generating this request."
    with mock_api() as router:
        router.get(PATH).mock(side_effect=[_v("generating"), _v("error", status_details=details)])
        with pytest.raises(VideoFailedError) as caught:
            await h.twin.wait_for_video(VID)
    assert caught.value.video_id == VID
    assert caught.value.status_details == details
    assert isinstance(caught.value.video, Video)


async def test_deleted_raises_video_deleted(h: Harness) -> None:
    with mock_api() as router:
        router.get(PATH).mock(return_value=_v("deleted"))
        with pytest.raises(VideoDeletedError) as caught:
            await h.twin.wait_for_video(VID)
    assert caught.value.video_id == VID


async def test_deadline_is_never_slept_past(h: Harness) -> None:
    with mock_api() as router:
        route = router.get(PATH).mock(return_value=_v("generating", "5/100"))
        with pytest.raises(WaitTimeoutError) as caught:
            await h.twin.wait_for_video(VID, timeout=60, poll_interval=10, max_poll_interval=20)
    # 10 + 15 + 20 = 45, then only the 15 s left: never past the deadline
    assert h.fake.sleeps == [10.0, 15.0, 20.0, 15.0]
    assert sum(h.fake.sleeps) == 60
    assert route.call_count == 5  # one last poll at the deadline
    assert caught.value.video_id == VID
    assert caught.value.last_status == "generating"
    assert caught.value.waited_seconds == pytest.approx(60)
    assert VID in str(caught.value)


async def test_zero_timeout_polls_once(h: Harness) -> None:
    with mock_api() as router:
        route = router.get(PATH).mock(return_value=_v("queued"))
        with pytest.raises(WaitTimeoutError):
            await h.twin.wait_for_video(VID, timeout=0)
    assert route.call_count == 1 and h.fake.sleeps == []


async def test_transient_errors_use_the_get_retry_policy(h: Harness) -> None:
    with mock_api() as router:
        route = router.get(PATH).mock(
            side_effect=[
                _v("generating"),
                httpx.Response(503, json={"error": "busy"}),
                httpx.ReadTimeout("slow"),
                _v("ready"),
            ]
        )
        video = await h.twin.wait_for_video(VID, poll_interval=2)
    assert video.status is VideoStatus.READY and route.call_count == 4
    assert h.fake.sleeps == [2.0, 0.5, 1.0]  # poll delay, then the GET's own backoff


async def test_not_found_right_after_create_is_tolerated(h: Harness) -> None:
    invalid = httpx.Response(400, json={"error": "Invalid video_id"})
    with mock_api() as router:
        route = router.get(PATH).mock(side_effect=[invalid, invalid, _v("queued"), _v("ready")])
        video = await h.twin.wait_for_video(VID, poll_interval=5, not_found_grace=30)
    assert video.status is VideoStatus.READY and route.call_count == 4


async def test_not_found_after_the_grace_period_is_raised(h: Harness) -> None:
    with mock_api() as router:
        route = router.get(PATH).respond(400, json={"error": "Invalid video_id"})
        with pytest.raises(NotFoundError):
            await h.twin.wait_for_video(VID, poll_interval=5, not_found_grace=10)
    assert h.fake.sleeps == [5.0, 7.5]  # polls at t=0, 5 (in grace), 12.5 (past it)
    assert route.call_count == 3


async def test_async_on_change_is_awaited() -> None:
    fake = FakeTime()
    twin = Twin(make_client("async", fake, retry=no_jitter()))
    seen: list[VideoStatus] = []

    async def on_change(video: Video) -> None:
        seen.append(video.status)

    with mock_api() as router:
        router.get(PATH).mock(side_effect=[_v("queued"), _v("ready")])
        await twin.wait_for_video(VID, on_change=on_change)
    await twin.aclose()
    assert seen == [VideoStatus.QUEUED, VideoStatus.READY]


async def test_on_change_exception_stops_the_wait(h: Harness) -> None:
    def boom(video: Video) -> None:
        raise RuntimeError("caller gave up")

    with mock_api() as router:
        route = router.get(PATH).mock(return_value=_v("queued"))
        with pytest.raises(RuntimeError, match="caller gave up"):
            await h.twin.wait_for_video(VID, on_change=boom)
    assert route.call_count == 1


async def test_jitter_keeps_poll_delays_within_bounds() -> None:
    fake = FakeTime()
    client = make_client("sync", fake, retry=no_jitter().model_copy(update={"jitter": 0.2}))
    with mock_api() as router:
        router.get(PATH).mock(side_effect=[_v("queued")] * 5 + [_v("ready")])
        client.wait_for_video(VID, poll_interval=10, max_poll_interval=10)
    client.close()
    assert len(fake.sleeps) == 5
    assert all(8.0 <= s <= 12.0 for s in fake.sleeps)


@pytest.mark.parametrize("kwargs", [{"timeout": -1}, {"poll_interval": 0}, {"poll_interval": -5}])
async def test_invalid_wait_arguments(h: Harness, kwargs: dict) -> None:
    with mock_api() as router:
        route = router.get(PATH).mock(return_value=_v("ready"))
        with pytest.raises(ValueError):
            await h.twin.wait_for_video(VID, **kwargs)
    assert route.call_count == 0
