"""Video lifecycle on the simulator's clock, the rendered files, replicas that train or fail."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from prefect_tavus.tavus_api.media import MediaFormat, sniff_format
from prefect_tavus.tavus_api.simulator import (
    DEFAULT_REPLICA_ID,
    ERROR_REPLICA_ID,
    TRAINING_REPLICA_ID,
    SimulatorServer,
)
from prefect_tavus.tavus_api.simulator.ffmpeg import probe
from prefect_tavus.tavus_api.simulator.messages import callback_time
from tests.tavus_api._sim_support import api, check_contract, create

pytestmark = pytest.mark.timeout(90)


def unique_script(words: int = 10) -> str:
    """A script no other test renders (so render-cache counts start from zero)."""
    return " ".join(["word"] * (words - 1) + [uuid.uuid4().hex])


def get(client: httpx.Client, video_id: str, **params: str) -> dict:
    response = client.get(f"/v2/videos/{video_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def download(url: str, path: Path) -> httpx.Response:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    path.write_bytes(response.content)
    return response


def test_queued_generating_ready_on_the_manual_clock(simulator: SimulatorServer):
    with api(simulator) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, script=unique_script())["video_id"]
        created = get(client, video_id)
        simulator.advance(0.5)
        assert get(client, video_id)["status"] == "queued"
        simulator.advance(0.5)  # queue_seconds=1: generation starts (inputs fetched, rendered)
        started = get(client, video_id)
        simulator.advance(2.5)
        halfway = get(client, video_id)
        simulator.advance(2.4)
        almost = get(client, video_id)
        simulator.advance(0.1)
        ready = client.get(f"/v2/videos/{video_id}", params={"verbose": "true"})
    check_contract(ready)
    ready_body = ready.json()
    assert (created["status"], created["generation_progress"]) == ("queued", "0/100")
    assert (started["status"], started["generation_progress"]) == ("generating", "0/100")
    assert (halfway["status"], halfway["generation_progress"]) == ("generating", "50/100")
    assert almost["status"] == "generating" and almost["download_url"] == ""
    assert ready_body["status"] == "ready"
    assert ready_body["generation_progress"] == "100/100"
    assert ready_body["status_details"] == "Your request has processed successfully!"
    assert ready_body["download_url"] == f"{simulator.base_url}/media/{video_id}.mp4"
    assert ready_body["stream_url"] == f"{simulator.base_url}/stream/{video_id}/index.m3u8"
    assert ready_body["still_image_thumbnail_url"].endswith(".jpg")
    assert ready_body["gif_thumbnail_url"].endswith(".gif")
    # updated_at is the transition time on the simulator clock: created + 1 s queue + 5 s
    assert ready_body["updated_at"] != created["updated_at"]
    assert simulator.stats()["videos"] == {"ready": 1}


def test_ready_video_is_a_playable_mp4_of_the_script_length(
    simulator: SimulatorServer, tmp_path: Path
):
    with api(simulator) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, script=unique_script(10))[
            "video_id"
        ]
        simulator.advance(6)
        video = get(client, video_id, verbose="true")
    response = download(video["download_url"], tmp_path / "out.mp4")
    assert response.headers["content-type"] == "video/mp4"
    assert int(response.headers["content-length"]) == len(response.content) > 1000
    info = probe(tmp_path / "out.mp4")
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert (info.width, info.height) == (320, 180)
    assert info.duration_seconds == pytest.approx(10 / 2.5, abs=0.15)  # 2.5 words per second

    jpg = httpx.get(video["still_image_thumbnail_url"])
    gif = httpx.get(video["gif_thumbnail_url"])
    assert sniff_format(jpg.content[:64]) is MediaFormat.JPEG
    assert gif.content[:6] == b"GIF89a" and gif.headers["content-type"] == "image/gif"

    playlist = httpx.get(video["stream_url"])
    assert playlist.status_code == 200 and playlist.text.startswith("#EXTM3U")
    segments = [line for line in playlist.text.splitlines() if line.endswith(".ts")]
    assert segments
    segment = httpx.get(video["stream_url"].rsplit("/", 1)[0] + "/" + segments[0])
    assert segment.status_code == 200 and segment.content[:1] == b"\x47"  # MPEG-TS sync byte

    page = httpx.get(video["hosted_url"])
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert video["video_name"] in page.text and video["download_url"] in page.text


def test_short_script_lasts_at_least_a_second(simulator: SimulatorServer, tmp_path: Path):
    with api(simulator) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, script=uuid.uuid4().hex)[
            "video_id"
        ]
        simulator.advance(6)
        url = get(client, video_id)["download_url"]
    download(url, tmp_path / "short.mp4")
    assert probe(tmp_path / "short.mp4").duration_seconds == pytest.approx(1.0, abs=0.15)


def test_transparent_fast_video_is_webm_vp9_with_alpha(simulator: SimulatorServer, tmp_path: Path):
    with api(simulator) as client:
        video_id = create(
            client,
            replica_id=DEFAULT_REPLICA_ID,
            script=unique_script(5),
            fast=True,
            transparent_background=True,
        )["video_id"]
        simulator.advance(6)
        video = get(client, video_id, verbose="true")
    assert video["status"] == "ready"
    assert video["download_url"].endswith(f"/media/{video_id}.webm")
    response = download(video["download_url"], tmp_path / "alpha.webm")
    assert response.headers["content-type"] == "video/webm"
    info = probe(tmp_path / "alpha.webm")
    assert info.video_codec == "vp9" and info.alpha
    assert info.audio_codec == "opus"
    assert info.duration_seconds == pytest.approx(2.0, abs=0.15)
    # fast: no stream, no thumbnails, even with verbose
    assert video["stream_url"] == ""
    assert video["still_image_thumbnail_url"] == "" and video["gif_thumbnail_url"] == ""
    assert httpx.get(f"{simulator.base_url}/media/{video_id}.mp4").status_code == 404


def test_fast_mp4_has_no_thumbnails_or_stream(simulator: SimulatorServer, tmp_path: Path):
    with api(simulator) as client:
        video_id = create(
            client, replica_id=DEFAULT_REPLICA_ID, script=unique_script(5), fast=True
        )["video_id"]
        simulator.advance(6)
        video = get(client, video_id, verbose="true")
        listed = client.get("/v2/videos").json()["data"][0]
    assert video["status"] == "ready" and video["download_url"].endswith(".mp4")
    assert video["stream_url"] == ""
    assert video["still_image_thumbnail_url"] == "" and video["gif_thumbnail_url"] == ""
    assert listed["still_image_thumbnail_url"] == "" and listed["stream_url"] == ""
    download(video["download_url"], tmp_path / "fast.mp4")
    assert probe(tmp_path / "fast.mp4").video_codec == "h264"


def test_identical_requests_share_one_render(simulator: SimulatorServer):
    script = unique_script(4)
    with api(simulator) as client:
        ids = [
            create(client, replica_id=DEFAULT_REPLICA_ID, script=script)["video_id"]
            for _ in range(3)
        ]
        simulator.advance(6)
        urls = [get(client, video_id)["download_url"] for video_id in ids]
    counters = simulator.stats()["counters"]
    assert counters["renders_encoded"] == 1
    assert counters["renders_cached"] == 2
    bodies = {httpx.get(url).content for url in urls}
    assert len(bodies) == 1 and len(set(urls)) == 3


def test_hard_delete_of_a_ready_video_removes_its_files(simulator: SimulatorServer):
    with api(simulator) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, script=unique_script(3))[
            "video_id"
        ]
        simulator.advance(6)
        video = get(client, video_id, verbose="true")
        files = list((simulator.data_dir / "videos" / video_id).iterdir())
        assert len(files) == 3  # video, jpg, gif
        assert httpx.get(video["download_url"]).status_code == 200
        assert client.delete(f"/v2/videos/{video_id}", params={"hard": "true"}).status_code == 200
    assert not any(f.exists() for f in files)
    assert httpx.get(video["download_url"]).status_code == 404
    assert httpx.get(video["still_image_thumbnail_url"]).status_code == 404
    assert httpx.get(video["hosted_url"]).status_code == 404


def test_soft_delete_while_generating_stays_deleted(simulator: SimulatorServer):
    with api(simulator) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, script=unique_script(3))[
            "video_id"
        ]
        simulator.advance(2)
        assert get(client, video_id)["status"] == "generating"
        client.delete(f"/v2/videos/{video_id}")
        simulator.advance(10)
        assert get(client, video_id)["status"] == "deleted"


def test_training_replica_keeps_videos_queued(simulator: SimulatorServer):
    with api(simulator) as client:
        video_id = create(client, replica_id=TRAINING_REPLICA_ID, script="Hello there friend")[
            "video_id"
        ]
        simulator.advance(3600)
        video = get(client, video_id)
    assert video["status"] == "queued"
    assert video["status_details"].startswith(
        f"The training process for replica {TRAINING_REPLICA_ID} is still ongoing."
    )


def test_error_replica_fails_its_videos(simulator: SimulatorServer):
    with api(simulator) as client:
        video_id = create(client, replica_id=ERROR_REPLICA_ID, script="Hello there friend")[
            "video_id"
        ]
        simulator.advance(0.5)
        assert get(client, video_id)["status"] == "queued"
        simulator.advance(0.5)
        video = get(client, video_id)
    assert video["status"] == "error"
    assert video["generation_progress"] == "0/100"
    assert video["download_url"] == ""
    assert video["status_details"] == (
        f"Request Failed: The replica {ERROR_REPLICA_ID} is currently in an 'error' state and "
        "cannot process requests. For details on the cause of the error and how to resolve it, "
        "please review the specific information provided for this replica."
    )


def test_video_on_a_new_replica_waits_for_training(simulator: SimulatorServer):
    simulator.reset(training_seconds=30)
    with api(simulator) as client:
        replica_id = client.post(
            "/v2/replicas", json={"train_video_url": "http://127.0.0.1:9/train.mp4"}
        ).json()["replica_id"]
        video_id = create(client, replica_id=replica_id, script=unique_script(3))["video_id"]
        simulator.advance(29)
        waiting = get(client, video_id)
        simulator.advance(1 + 5)  # training done at 30 s, then 5 s of generation
        ready = get(client, video_id)
    assert waiting["status"] == "queued"
    assert f"replica {replica_id} is still ongoing" in waiting["status_details"]
    assert ready["status"] == "ready"


def test_script_against_guidelines_errors(simulator: SimulatorServer):
    with api(simulator) as client:
        video_id = create(
            client, replica_id=DEFAULT_REPLICA_ID, script="Say #violates-guidelines now"
        )["video_id"]
        simulator.advance(1)
        video = get(client, video_id)
    assert video["status"] == "error"
    assert video["status_details"] == (
        "Request has failed as the script violates community guidelines."
    )


def test_admin_api_over_http(simulator: SimulatorServer):
    with api(simulator) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, script=unique_script(3))[
            "video_id"
        ]
        advanced = client.post("/_sim/clock/advance", json={"seconds": 6})
        assert advanced.status_code == 200
        assert get(client, video_id)["status"] == "ready"
        assert client.post("/_sim/clock/advance", json={"seconds": -1}).status_code == 400
        assert client.post("/_sim/clock/advance", json={}).status_code == 400
        config = client.get("/_sim/config").json()
        assert config["clock"] == "manual" and "sim-key" not in str(config)
        assert client.post("/_sim/reset", json={"page_base": 7}).status_code == 400
        assert client.post("/_sim/reset").json() == {"reset": True}
        assert client.get("/v2/videos").json() == {"data": [], "total_count": 0}
        assert client.get("/_sim/stats").json()["videos_created"] == 0


def test_reset_restores_the_started_config(simulator: SimulatorServer):
    simulator.reset(page_base=1, delete_status=204)
    assert simulator.state.config.page_base == 1
    simulator.reset()
    assert (simulator.state.config.page_base, simulator.state.config.delete_status) == (0, 200)


def test_admin_reset_restores_the_started_config_too(simulator: SimulatorServer):
    with api(simulator) as client:
        changed = client.post("/_sim/reset", json={"page_base": 1, "delete_status": 204})
        assert changed.status_code == 200
        assert client.get("/_sim/config").json()["page_base"] == 1
        only_one = client.post("/_sim/reset", json={"delete_status": 204}).status_code
        assert only_one == 200
        assert client.get("/_sim/config").json()["page_base"] == 0  # from the started config
        assert client.post("/_sim/reset").status_code == 200
        config = client.get("/_sim/config").json()
    assert (config["page_base"], config["delete_status"]) == (0, 200)


def test_real_clock_drives_the_lifecycle(real_clock_simulator: SimulatorServer):
    sim = real_clock_simulator
    with api(sim) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, script=unique_script(3))[
            "video_id"
        ]
        seen = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = get(client, video_id)["status"]
            seen.add(status)
            if status == "ready":
                break
            time.sleep(0.05)
    assert "ready" in seen
    assert seen <= {"queued", "generating", "ready"}


def test_updated_at_follows_the_simulator_clock(simulator: SimulatorServer):
    with api(simulator) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, script=unique_script(3))[
            "video_id"
        ]
        start = simulator.state.clock.now()
        simulator.advance(100)
        video = get(client, video_id)
    assert video["updated_at"] == callback_time(start + 6)
