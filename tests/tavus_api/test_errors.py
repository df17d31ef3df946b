"""Errors survive Prefect (pickle, cloudpickle), say what happened, and keep secrets out.

Every public exception class of the installed packages is found by walking them, so
a new one without a realistic sample below fails here. Status errors are produced by
the real simulator over HTTP where it can answer so (401, 400, 429 with its
``x-request-id``), and by respx where only a hostile server would (a 403 echoing the
key and a presigned URL).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import io
import json
import pickle
import pkgutil
import sys
from collections.abc import Callable
from typing import Any

import cloudpickle
import httpx
import pytest

import prefect_tavus
from prefect_tavus.tavus_api import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    CreateOutcomeUnknownError,
    DownloadError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    Video,
    VideoFailedError,
    VideoRequest,
)
from prefect_tavus.tavus_api.simulator import FaultRule, SimulatorServer
from tests.tavus_api._client_support import (
    API_KEY,
    BASE_URL,
    KINDS,
    FakeTime,
    Twin,
    make_client,
    mock_api,
    video_json,
)

pytestmark = pytest.mark.timeout(60)

SIGNATURE = "X-Amz-Signature=sig-SECRET-4b1d"
PRESIGNED = f"https://media.s3.test/tavus/voice.wav?X-Amz-Expires=3600&{SIGNATURE}"
SECRETS = (API_KEY, "sig-SECRET")

SERIALIZERS = [
    pytest.param(pickle.dumps, pickle.loads, id="pickle"),
    pytest.param(cloudpickle.dumps, cloudpickle.loads, id="cloudpickle"),
]


def _failed_video() -> Video:
    return Video.model_validate(
        video_json(
            "f00d000001",
            status="error",
            status_details="could not fetch background",
            background_url=PRESIGNED,
            updated_at="2025-07-14T09:30:00Z",
        )
    )


def _status(code: int, message: str, **extra: Any) -> Callable[[type], BaseException]:
    return lambda cls: cls(
        message,
        status_code=code,
        body={"error": message},
        method="GET",
        url=f"{BASE_URL}/v2/videos/abc1234567",
        request_id="req-7d1f",
        **extra,
    )


def _estimate_error(cls: type) -> BaseException:
    estimate_type = sys.modules[cls.__module__].Estimate
    estimate = estimate_type(
        rows=40, audio_rows=10, script_rows=30, audio_seconds=600.0, script_words=4500, minutes=40
    )
    return cls(estimate, 30.0)


def _problems(cls: type) -> BaseException:
    from prefect_tavus.flows.errors import Problem

    return cls(
        [
            Problem("row[a-1].script", "must not be blank"),
            Problem("row[a-2].audio", "file 'x.wav' does not exist"),
        ]
    )


SAMPLES: dict[str, Callable[[type], BaseException]] = {
    # the client
    "prefect_tavus.tavus_api.errors.PickleSafeError": lambda cls: cls("something failed"),
    "prefect_tavus.tavus_api.errors.TavusError": lambda cls: cls("Tavus failed"),
    "prefect_tavus.tavus_api.errors.APIError": lambda cls: cls(
        "GET /v2/videos failed", method="GET", url=f"{BASE_URL}/v2/videos", request_id="r-1"
    ),
    "prefect_tavus.tavus_api.errors.APIConnectionError": lambda cls: cls(
        "GET /v2/videos failed without a response (ConnectError: refused)",
        method="GET",
        url=f"{BASE_URL}/v2/videos",
    ),
    "prefect_tavus.tavus_api.errors.APITimeoutError": lambda cls: cls(
        "POST /v2/videos timed out (ReadTimeout: read)",
        method="POST",
        url=f"{BASE_URL}/v2/videos",
    ),
    "prefect_tavus.tavus_api.errors.APIResponseValidationError": lambda cls: cls(
        "unexpected response to GET /v2/videos/abc1234567 (HTTP 200, not a Video): '<html>'",
        status_code=200,
        body="<html>",
        expected="Video",
        method="GET",
        url=f"{BASE_URL}/v2/videos/abc1234567",
        request_id="req-9",
    ),
    "prefect_tavus.tavus_api.errors.APIStatusError": _status(418, "teapot"),
    "prefect_tavus.tavus_api.errors.BadRequestError": _status(400, "Invalid replica_id"),
    "prefect_tavus.tavus_api.errors.AuthenticationError": _status(401, "Invalid access token"),
    "prefect_tavus.tavus_api.errors.PermissionDeniedError": _status(403, "IP not allowed"),
    "prefect_tavus.tavus_api.errors.NotFoundError": _status(400, "Invalid video_id"),
    "prefect_tavus.tavus_api.errors.RateLimitError": _status(429, "Slow down", retry_after=12.0),
    "prefect_tavus.tavus_api.errors.ServerError": _status(503, "maintenance"),
    "prefect_tavus.tavus_api.errors.CreateOutcomeUnknownError": lambda cls: cls(
        "Tavus may or may not have created the video", video_name="welcome-42"
    ),
    "prefect_tavus.tavus_api.errors.VideoFailedError": lambda cls: cls(
        "f00d000001", "could not fetch background", _failed_video()
    ),
    "prefect_tavus.tavus_api.errors.VideoDeletedError": lambda cls: cls(
        "f00d000001", _failed_video()
    ),
    "prefect_tavus.tavus_api.errors.WaitTimeoutError": lambda cls: cls(
        "f00d000001", "generating", 1800.4
    ),
    "prefect_tavus.tavus_api.errors.DownloadError": lambda cls: cls(
        "download of https://cdn.test/v.mp4?... failed: HTTP 403 Forbidden",
        url="https://cdn.test/v.mp4?...",
        status_code=403,
    ),
    "prefect_tavus.tavus_api.media.MediaError": lambda cls: cls(
        "audio_file_min_duration", "audio is 1.2 s long; Tavus needs 3 s to 10 min"
    ),
    # the simulator (a product too: its errors cross threads and may be logged)
    "prefect_tavus.tavus_api.simulator.bodies.ApiError": lambda cls: cls(
        429, {"error": "Too many requests"}, headers={"retry-after": "3"}
    ),
    "prefect_tavus.tavus_api.simulator.fetch.FetchError": lambda cls: cls(
        "larger than 750 MB", too_big=True
    ),
    "prefect_tavus.tavus_api.simulator.ffmpeg.FFmpegError": lambda cls: cls(
        "ffmpeg exited with 1: Invalid data found when processing input"
    ),
    # the flows
    "prefect_tavus.flows.errors.VideoJobError": lambda cls: cls("the video job failed"),
    "prefect_tavus.flows.errors.InvalidVideoJob": _problems,
    "prefect_tavus.flows.errors.SourceError": lambda cls: cls(
        "https://cdn.test/voice.wav?... answered HTTP 404"
    ),
    "prefect_tavus.flows.errors.InvalidMediaError": lambda cls: cls(
        "audio_file_type", "audio is plain text; Tavus accepts WAV or MP3"
    ),
    "prefect_tavus.flows.errors.MediaUrlExpiredError": lambda cls: cls(
        "f00d000001",
        "could not fetch audio",
        expired=["s3://media/tavus/voice.wav"],
        expiry_seconds=60,
        video=_failed_video(),
    ),
    "prefect_tavus.flows.errors.OutputIncompleteError": lambda cls: cls(
        "s3://out/videos/f00d000001.mp4 holds 1000 bytes; 2048 were streamed"
    ),
    "prefect_tavus.flows.batch_validation.InvalidBatch": _problems,
    "prefect_tavus.flows.estimate.VideoMinutesExceeded": _estimate_error,
    "prefect_tavus.flows.manifest.ManifestError": lambda cls: cls(
        "manifest line 3 is not valid JSON"
    ),
}


@functools.cache
def public_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined (not imported) in a module of ``prefect_tavus``."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(prefect_tavus.__path__, "prefect_tavus."):
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_public_exception_has_a_realistic_sample() -> None:
    found = set(public_exceptions())
    missing = sorted(found - set(SAMPLES))
    assert not missing, f"add a sample to SAMPLES in {__file__} for: {missing}"
    assert sorted(set(SAMPLES) - found) == [], "a sampled class no longer exists"


@pytest.mark.parametrize(("dumps", "loads"), SERIALIZERS)
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_round_trip_keeps_type_text_and_every_field(
    name: str, dumps: Callable[[Any], bytes], loads: Callable[[bytes], Any]
) -> None:
    cls = public_exceptions().get(name)
    assert cls is not None, f"{name} is not a public exception any more"
    exc = SAMPLES[name](cls)
    assert type(exc) is cls
    back = loads(dumps(exc))
    assert type(back) is cls
    assert str(back) == str(exc)
    assert back.args == exc.args
    assert repr(back) == repr(exc)
    assert vars(back) == vars(exc)
    for secret in SECRETS:
        assert secret.encode() not in dumps(exc)


def test_rate_limit_message_is_not_doubled_by_a_round_trip() -> None:
    exc = RateLimitError("Slow down", retry_after=3.0, method="GET", url=f"{BASE_URL}/v2/videos")
    back = pickle.loads(pickle.dumps(exc))
    assert str(back) == f"Tavus API 429: Slow down (GET {BASE_URL}/v2/videos)"
    assert back.retry_after == 3.0 and back.status_code == 429


def test_a_failed_video_carries_no_presigned_signature() -> None:
    exc = VideoFailedError("f00d000001", f"could not fetch {PRESIGNED}", _failed_video())
    assert exc.video.background_url == "https://media.s3.test/tavus/voice.wav?..."
    assert exc.status_details == "could not fetch https://media.s3.test/tavus/voice.wav?..."
    assert exc.video.updated_at is not None  # the rest of the video is kept
    for blob in (str(exc), repr(exc), pickle.dumps(exc), cloudpickle.dumps(exc)):
        assert "sig-SECRET" not in str(blob)


def test_permission_denied_is_caught_as_authentication_error() -> None:
    # 403 has its own class, and code written for "the key cannot be used"
    # (`except AuthenticationError`) keeps catching it.
    assert issubclass(PermissionDeniedError, AuthenticationError)
    assert issubclass(APIResponseValidationError, APIError)
    assert not issubclass(APIResponseValidationError, APIStatusError)


# --- fields from a real server ------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_status_errors_from_the_simulator_carry_what_happened(
    kind: str, sim: SimulatorServer
) -> None:
    sim.reset()
    wrong = Twin(make_client(kind, FakeTime(), base_url=sim.base_url, api_key=API_KEY))
    right = Twin(make_client(kind, FakeTime(), base_url=sim.base_url, api_key=sim.api_key))
    try:
        with pytest.raises(AuthenticationError) as auth:
            await wrong.list_videos()
        with pytest.raises(NotFoundError) as missing:
            await right.get_video("0000000000")
        sim.set_faults([FaultRule(route="GET /v2/replicas", kind="rate_limit", retry_after=600)])
        with pytest.raises(RateLimitError) as limited:
            await right.list_replicas()
    finally:
        await wrong.aclose()
        await right.aclose()

    assert type(auth.value) is AuthenticationError and auth.value.status_code == 401
    assert (auth.value.method, auth.value.url) == ("GET", f"{sim.base_url}/v2/videos")
    assert isinstance(auth.value.body, dict) and auth.value.message in auth.value.body.values()
    assert (missing.value.method, missing.value.url) == (
        "GET",
        f"{sim.base_url}/v2/videos/0000000000",
    )
    assert missing.value.status_code == 400 and "Invalid video_id" in missing.value.message
    assert limited.value.status_code == 429 and limited.value.retry_after == 600
    ids = [exc.value.request_id for exc in (auth, missing, limited)]
    assert all(rid and rid.startswith("sim-") for rid in ids) and len(set(ids)) == 3
    for exc in (auth.value, missing.value, limited.value):
        assert exc.request_id in str(exc) and exc.url in str(exc)
        back = cloudpickle.loads(cloudpickle.dumps(exc))
        assert vars(back) == vars(exc) and str(back) == str(exc)
        assert API_KEY.encode() not in pickle.dumps(exc)


# --- secrets stay out of the new fields and the pickled form -------------------------------------


def _leaks(exc: BaseException) -> list[str]:
    """Where a secret shows in ``exc``: its text, fields, or pickled bytes."""
    shown = {
        "str": str(exc),
        "repr": repr(exc),
        "fields": json.dumps(vars(exc), default=str),
        "pickle": pickle.dumps(exc).decode("latin-1"),
        "cloudpickle": cloudpickle.dumps(exc).decode("latin-1"),
    }
    return [
        f"{where}: {secret}"
        for where, text in shown.items()
        for secret in SECRETS
        if secret in text
    ]


@pytest.mark.parametrize("kind", KINDS)
async def test_hostile_answers_leave_no_secret_in_any_field_or_pickle(kind: str) -> None:
    echo = {"error": f"key {API_KEY} may not fetch {PRESIGNED}", "url": PRESIGNED}
    twin = Twin(make_client(kind, FakeTime()))
    with mock_api() as router:
        router.get("/v2/videos/abc1234567").respond(
            403, json=echo, headers={"x-request-id": f"req-{API_KEY}"}
        )
        router.get("/v2/videos/ok00000001").respond(
            200, text=f"<html>{API_KEY} {PRESIGNED}</html>", headers={"request-id": "req-2"}
        )
        router.get("/v2/videos").mock(side_effect=httpx.ConnectError(f"{API_KEY} {PRESIGNED}"))
        with pytest.raises(PermissionDeniedError) as denied:
            await twin.get_video("abc1234567", verbose=True)
        with pytest.raises(APIResponseValidationError) as unreadable:
            await twin.get_video("ok00000001")
        with pytest.raises(APIConnectionError) as dropped:
            await twin.list_videos()
    await twin.aclose()

    assert denied.value.url == f"{BASE_URL}/v2/videos/abc1234567?..."  # the query is not shown
    assert denied.value.request_id == "req-***"
    assert denied.value.body == {
        "error": "key *** may not fetch https://media.s3.test/tavus/voice.wav?...",
        "url": "https://media.s3.test/tavus/voice.wav?...",
    }
    assert unreadable.value.status_code == 200 and unreadable.value.request_id == "req-2"
    assert unreadable.value.body is not None and "***" in unreadable.value.body
    assert (dropped.value.method, dropped.value.url) == ("GET", f"{BASE_URL}/v2/videos")
    for exc in (denied.value, unreadable.value, dropped.value):
        assert _leaks(exc) == []


@pytest.mark.parametrize("kind", KINDS)
async def test_download_errors_carry_the_url_without_its_signature(kind: str) -> None:
    media = "https://cdn.test"
    url = f"{media}/pb123/high.mp4?download=1&{SIGNATURE}"
    twin = Twin(make_client(kind, FakeTime()))
    with mock_api(media) as router:
        router.get(path="/pb123/high.mp4").respond(403, text=f"<Sig>{SIGNATURE}</Sig>")
        with pytest.raises(DownloadError) as caught:
            await twin.download_to(url, io.BytesIO())
    await twin.aclose()
    assert caught.value.url == f"{media}/pb123/high.mp4?..."
    assert caught.value.status_code == 403
    assert _leaks(caught.value) == []


@pytest.mark.parametrize("kind", KINDS)
async def test_unreadable_create_answer_still_means_tavus_acted(kind: str) -> None:
    # The duplicate guard treats an unreadable 2xx as "created": with no video listed yet
    # it refuses to send again, and says which error it saw.
    twin = Twin(make_client(kind, FakeTime()))
    with mock_api() as router:
        post = router.post("/v2/videos").respond(200, text="<html>proxy page</html>")
        router.get("/v2/videos").respond(200, json={"data": [], "total_count": 0})
        with pytest.raises(CreateOutcomeUnknownError) as caught:
            await twin.create_video(
                VideoRequest(replica_id="r79e1c033f", script="Hi", video_name="welcome-42")
            )
    await twin.aclose()
    assert post.call_count == 1
    assert isinstance(caught.value.__cause__, APIResponseValidationError)
    assert caught.value.__cause__.status_code == 200
    assert pickle.loads(pickle.dumps(caught.value)).video_name == "welcome-42"
