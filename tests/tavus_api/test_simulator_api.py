"""The simulator's Tavus routes over real HTTP: status codes, shapes, the documented options."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

import httpx
import pytest

from prefect_tavus.tavus_api.simulator import (
    DEFAULT_REPLICA_ID,
    ERROR_REPLICA_ID,
    READY_REPLICA_ID,
    STOCK_REPLICAS,
    TRAINING_REPLICA_ID,
    SimulatorServer,
)
from tests.tavus_api._sim_support import api, check_contract, create

pytestmark = pytest.mark.timeout(60)

SCRIPT = "Hello from the simulator."


# --- auth ------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "wrong-key", ""])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v2/videos"),
        ("POST", "/v2/videos"),
        ("GET", "/v2/videos/0123456789"),
        ("DELETE", "/v2/videos/0123456789"),
        ("PATCH", "/v2/videos/0123456789/name"),
        ("GET", "/v2/replicas"),
        ("POST", "/v2/replicas"),
        ("GET", f"/v2/replicas/{DEFAULT_REPLICA_ID}"),
        ("DELETE", f"/v2/replicas/{READY_REPLICA_ID}"),
        ("PATCH", f"/v2/replicas/{READY_REPLICA_ID}/name"),
    ],
)
def test_every_route_needs_a_known_key(
    simulator: SimulatorServer, key: str | None, method: str, path: str
):
    with api(simulator, key=key) as client:
        response = client.request(method, path, json={"replica_id": DEFAULT_REPLICA_ID})
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid access token"}
    assert simulator.stats()["videos_created"] == 0


def test_any_configured_key_is_accepted(simulator: SimulatorServer):
    simulator.reset(api_keys=["first", "second"])
    with api(simulator, key="second") as client:
        assert client.get("/v2/videos").status_code == 200
    assert simulator.api_key == "first"


# --- create ----------------------------------------------------------------------------------


def test_create_returns_the_documented_shape(simulator: SimulatorServer):
    with api(simulator) as client:
        response = client.post(
            "/v2/videos", json={"replica_id": DEFAULT_REPLICA_ID, "script": SCRIPT}
        )
    check_contract(response)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"video_id", "video_name", "status", "hosted_url", "created_at"}
    assert re.fullmatch(r"[0-9a-f]{10}", body["video_id"])
    assert body["status"] == "queued"
    assert body["hosted_url"] == f"{simulator.base_url}/video/{body['video_id']}"
    assert re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT", body["created_at"])
    created = parsedate_to_datetime(body["created_at"])
    assert re.fullmatch(
        rf"replica_id: {DEFAULT_REPLICA_ID} - {created.strftime('%B')} {created.day}, "
        rf"{created.year} - video: {body['video_id']}",
        body["video_name"],
    )


def test_create_keeps_a_given_name_and_counts(simulator: SimulatorServer):
    with api(simulator) as client:
        first = create(client, replica_id=DEFAULT_REPLICA_ID, script=SCRIPT, video_name="Mine")
        second = create(client, replica_id=READY_REPLICA_ID, audio_url="http://127.0.0.1:9/a.wav")
    assert first["video_name"] == "Mine"
    assert first["video_id"] != second["video_id"]
    assert simulator.stats()["videos_created"] == 2
    assert simulator.stats()["requests"]["POST /v2/videos"] == {"200": 2}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"script": SCRIPT}, "replica_id is required"),
        ({"replica_id": "", "script": SCRIPT}, "replica_id is required"),
        ({"replica_id": DEFAULT_REPLICA_ID}, "Either script or audio_url is required"),
        (
            {"replica_id": DEFAULT_REPLICA_ID, "script": SCRIPT, "audio_url": "http://x/a.wav"},
            "Provide either script or audio_url, not both",
        ),
        ({"replica_id": DEFAULT_REPLICA_ID, "script": "   "}, "script must not be empty"),
        ({"replica_id": DEFAULT_REPLICA_ID, "script": "\u200b\u200b"}, "script must not be empty"),
        (
            {"replica_id": DEFAULT_REPLICA_ID, "script": "\ufeff \u200b\n\u2060\u00ad"},
            "script must not be empty",
        ),
        ({"replica_id": "r000000000", "script": SCRIPT}, "Invalid replica_id"),
        (
            {"replica_id": DEFAULT_REPLICA_ID, "script": SCRIPT, "transparent_background": True},
            "transparent_background is only supported when fast is true",
        ),
        ({"replica_id": DEFAULT_REPLICA_ID, "script": 5}, "script must be a string"),
        (
            {"replica_id": DEFAULT_REPLICA_ID, "script": SCRIPT, "fast": "yes"},
            "fast must be a boolean",
        ),
        (
            {
                "replica_id": DEFAULT_REPLICA_ID,
                "script": SCRIPT,
                "properties": {"background_scroll_type": "fast"},
            },
            "properties.background_scroll_type must be one of: human, smooth",
        ),
    ],
)
def test_create_rejects_bad_bodies_synchronously(
    simulator: SimulatorServer, body: dict, error: str
):
    with api(simulator) as client:
        response = client.post("/v2/videos", json=body)
    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert simulator.stats()["videos_created"] == 0


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b""])
def test_create_rejects_malformed_json(simulator: SimulatorServer, raw: bytes):
    with api(simulator) as client:
        response = client.post(
            "/v2/videos", content=raw, headers={"content-type": "application/json"}
        )
    assert response.status_code == 400
    assert "error" in response.json()


def test_transparent_with_fast_is_accepted(simulator: SimulatorServer):
    with api(simulator) as client:
        body = create(
            client,
            replica_id=DEFAULT_REPLICA_ID,
            script=SCRIPT,
            fast=True,
            transparent_background=True,
        )
    assert body["status"] == "queued"


# --- get / list ------------------------------------------------------------------------------


def test_get_video_shape_and_verbose_thumbnails(simulator: SimulatorServer):
    with api(simulator) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, script=SCRIPT)["video_id"]
        plain = client.get(f"/v2/videos/{video_id}")
        verbose = client.get(f"/v2/videos/{video_id}", params={"verbose": "true"})
    for response in (plain, verbose):
        check_contract(response)
        assert response.status_code == 200
    body = plain.json()
    assert body["video_id"] == video_id
    assert body["status"] == "queued"
    assert body["generation_progress"] == "0/100"
    assert body["data"] == {"script": SCRIPT}
    assert body["download_url"] == "" and body["stream_url"] == ""
    assert body["status_details"].startswith("This request is currently queued")
    assert "still_image_thumbnail_url" not in body and "gif_thumbnail_url" not in body
    assert verbose.json()["still_image_thumbnail_url"] == ""
    assert "gif_thumbnail_url" in verbose.json()


def test_unknown_video_id_is_400_by_default(simulator: SimulatorServer):
    with api(simulator) as client:
        for method, path in [
            ("GET", "/v2/videos/ffffffffff"),
            ("DELETE", "/v2/videos/ffffffffff"),
            ("PATCH", "/v2/videos/ffffffffff/name"),
        ]:
            response = client.request(method, path, json={"video_name": "x"})
            assert response.status_code == 400
            assert response.json() == {"error": "Invalid video_id"}
    check_contract(response)


def test_unknown_id_status_404_option(simulator: SimulatorServer):
    simulator.reset(unknown_id_status=404)
    with api(simulator) as client:
        assert client.get("/v2/videos/ffffffffff").status_code == 404
        assert client.get("/v2/replicas/rffffffffff").json() == {"error": "Invalid replica_id"}
        assert client.get("/v2/replicas/rffffffffff").status_code == 404


def test_list_videos_newest_first_with_total_count(simulator: SimulatorServer):
    with api(simulator) as client:
        ids = []
        for i in range(5):
            ids.append(
                create(client, replica_id=DEFAULT_REPLICA_ID, script=f"{SCRIPT} {i}")["video_id"]
            )
        page0 = client.get("/v2/videos", params={"limit": 2, "page": 0})
        page1 = client.get("/v2/videos", params={"limit": 2, "page": 1})
        page2 = client.get("/v2/videos", params={"limit": 2, "page": 2})
        default = client.get("/v2/videos")
    check_contract(page0)
    newest_first = list(reversed(ids))
    assert [v["video_id"] for v in page0.json()["data"]] == newest_first[:2]
    assert [v["video_id"] for v in page1.json()["data"]] == newest_first[2:4]
    assert [v["video_id"] for v in page2.json()["data"]] == newest_first[4:]
    assert {p.json()["total_count"] for p in (page0, page1, page2, default)} == {5}
    assert len(default.json()["data"]) == 5  # default limit is 10
    item = page0.json()["data"][0]
    for key in ("download_url", "stream_url", "still_image_thumbnail_url", "gif_thumbnail_url"):
        assert item[key] == ""


def test_list_videos_page_base_1_option(simulator: SimulatorServer):
    simulator.reset(page_base=1)
    with api(simulator) as client:
        ids = [
            create(client, replica_id=DEFAULT_REPLICA_ID, script=SCRIPT)["video_id"]
            for _ in range(3)
        ]
        first = client.get("/v2/videos", params={"limit": 2, "page": 1}).json()
        second = client.get("/v2/videos", params={"limit": 2, "page": 2}).json()
        default = client.get("/v2/videos", params={"limit": 2}).json()
    assert [v["video_id"] for v in first["data"]] == [ids[2], ids[1]]
    assert [v["video_id"] for v in second["data"]] == [ids[0]]
    assert default == first


@pytest.mark.parametrize("params", [{"limit": "abc"}, {"limit": 0}, {"page": -1}, {"page": "x"}])
def test_list_videos_rejects_bad_paging(simulator: SimulatorServer, params: dict):
    with api(simulator) as client:
        response = client.get("/v2/videos", params=params)
    assert response.status_code == 400
    assert "error" in response.json()


# --- delete / rename -------------------------------------------------------------------------


def test_soft_delete_keeps_the_video_readable(simulator: SimulatorServer):
    with api(simulator) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, script=SCRIPT)["video_id"]
        response = client.delete(f"/v2/videos/{video_id}")
        check_contract(response)
        assert response.status_code == 200 and response.content == b""
        after = client.get(f"/v2/videos/{video_id}").json()
        listed = client.get("/v2/videos").json()
    assert after["status"] == "deleted"
    assert [v["status"] for v in listed["data"]] == ["deleted"]
    simulator.advance(60)  # a deleted video never starts generating
    with api(simulator) as client:
        assert client.get(f"/v2/videos/{video_id}").json()["status"] == "deleted"


def test_hard_delete_removes_the_video(simulator: SimulatorServer):
    with api(simulator) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, script=SCRIPT)["video_id"]
        assert client.delete(f"/v2/videos/{video_id}", params={"hard": "true"}).status_code == 200
        response = client.get(f"/v2/videos/{video_id}")
        assert response.status_code == 400 and response.json() == {"error": "Invalid video_id"}
        assert client.get("/v2/videos").json()["total_count"] == 0


def test_delete_and_rename_204_option(simulator: SimulatorServer):
    simulator.reset(delete_status=204)
    with api(simulator) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, script=SCRIPT)["video_id"]
        renamed = client.patch(f"/v2/videos/{video_id}/name", json={"video_name": "New"})
        deleted = client.delete(f"/v2/videos/{video_id}")
        replica = client.patch(f"/v2/replicas/{READY_REPLICA_ID}/name", json={"replica_name": "R"})
    assert (renamed.status_code, deleted.status_code, replica.status_code) == (204, 204, 204)
    assert renamed.content == b"" and deleted.content == b""


def test_rename_video(simulator: SimulatorServer):
    with api(simulator) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, script=SCRIPT)["video_id"]
        response = client.patch(f"/v2/videos/{video_id}/name", json={"video_name": "Sales"})
        check_contract(response)
        assert response.status_code == 200
        assert client.get(f"/v2/videos/{video_id}").json()["video_name"] == "Sales"
        bad = client.patch(f"/v2/videos/{video_id}/name", json={"name": "Sales"})
    assert bad.status_code == 400 and bad.json() == {"error": "video_name is required"}


# --- replicas --------------------------------------------------------------------------------


def test_list_replicas_and_filters(simulator: SimulatorServer):
    with api(simulator) as client:
        everything = client.get("/v2/replicas", params={"limit": 100})
        check_contract(everything)
        system = client.get("/v2/replicas", params={"replica_type": "system", "limit": 100}).json()
        user = client.get("/v2/replicas", params={"replica_type": "user", "verbose": "true"}).json()
        by_id = client.get(
            "/v2/replicas", params={"replica_ids": f"{DEFAULT_REPLICA_ID},{ERROR_REPLICA_ID}"}
        ).json()
        paged = client.get("/v2/replicas", params={"limit": 5, "page": 1}).json()
        by_model = client.get("/v2/replicas", params={"model_name": "phoenix-9"}).json()
        bad = client.get("/v2/replicas", params={"replica_type": "robot"})
    stock_ids = {r.replica_id for r in STOCK_REPLICAS}
    assert everything.json()["total_count"] == len(stock_ids) + 3
    assert {r["replica_id"] for r in system["data"]} == stock_ids
    assert all("replica_type" not in r for r in system["data"])
    assert {r["replica_id"]: r["status"] for r in user["data"]} == {
        READY_REPLICA_ID: "completed",
        TRAINING_REPLICA_ID: "started",
        ERROR_REPLICA_ID: "error",
    }
    assert {r["replica_type"] for r in user["data"]} == {"user"}
    assert {r["replica_id"] for r in by_id["data"]} == {DEFAULT_REPLICA_ID, ERROR_REPLICA_ID}
    assert len(paged["data"]) == 5 and paged["total_count"] == len(stock_ids) + 3
    assert by_model == {"data": [], "total_count": 0}
    assert bad.status_code == 400


def test_get_replica(simulator: SimulatorServer):
    with api(simulator) as client:
        response = client.get(f"/v2/replicas/{DEFAULT_REPLICA_ID}", params={"verbose": "true"})
        check_contract(response)
        failed = client.get(f"/v2/replicas/{ERROR_REPLICA_ID}").json()
        unknown = client.get("/v2/replicas/r0000000000")
    body = response.json()
    assert body["status"] == "completed" and body["training_progress"] == "100/100"
    assert body["replica_type"] == "system"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["created_at"])
    assert failed["status"] == "error" and failed["error_message"]
    assert unknown.status_code == 400 and unknown.json() == {"error": "Invalid replica_id"}


def test_create_replica_trains_then_completes(simulator: SimulatorServer):
    simulator.reset(training_seconds=20)
    with api(simulator) as client:
        missing = client.post("/v2/replicas", json={"replica_name": "Rio"})
        image_no_voice = client.post("/v2/replicas", json={"train_image_url": "http://x/i.png"})
        response = client.post(
            "/v2/replicas", json={"train_video_url": "http://x/t.mp4", "replica_name": "Rio"}
        )
        check_contract(response)
        replica_id = response.json()["replica_id"]
        assert response.json() == {"replica_id": replica_id, "status": "started"}
        assert re.fullmatch(r"r[0-9a-f]{11}", replica_id)
        simulator.advance(10)
        halfway = client.get(f"/v2/replicas/{replica_id}").json()
        simulator.advance(10)
        done = client.get(f"/v2/replicas/{replica_id}").json()
    assert missing.status_code == 400
    assert missing.json() == {
        "error": "Either train_video_url or train_image_url must be provided."
    }
    assert image_no_voice.status_code == 400
    assert halfway["status"] == "started" and halfway["training_progress"] == "50/100"
    assert done["status"] == "completed" and done["training_progress"] == "100/100"
    assert done["replica_name"] == "Rio" and done["model_name"] == "phoenix-4"


def test_rename_and_delete_replica(simulator: SimulatorServer):
    with api(simulator) as client:
        renamed = client.patch(
            f"/v2/replicas/{READY_REPLICA_ID}/name", json={"replica_name": "Neo"}
        )
        check_contract(renamed)
        assert client.get(f"/v2/replicas/{READY_REPLICA_ID}").json()["replica_name"] == "Neo"
        stock = client.delete(f"/v2/replicas/{DEFAULT_REPLICA_ID}")
        deleted = client.delete(f"/v2/replicas/{READY_REPLICA_ID}", params={"hard": "true"})
        check_contract(deleted)
        gone = client.get(f"/v2/replicas/{READY_REPLICA_ID}")
        create_on_gone = client.post(
            "/v2/videos", json={"replica_id": READY_REPLICA_ID, "script": SCRIPT}
        )
    assert renamed.status_code == 200
    assert stock.status_code == 400
    assert deleted.status_code == 200
    assert gone.status_code == 400 and gone.json() == {"error": "Invalid replica_id"}
    assert create_on_gone.json() == {"error": "Invalid replica_id"}


def test_unknown_paths_and_methods(simulator: SimulatorServer):
    with api(simulator) as client:
        assert client.get("/v2/nothing").status_code == 404
        assert client.put("/v2/videos").status_code == 405
        assert client.get("/media/ffffffffff.mp4").status_code == 404
        assert client.get("/video/ffffffffff").status_code == 404


def test_stats_count_requests_per_route_and_status(simulator: SimulatorServer):
    with api(simulator) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, script=SCRIPT)["video_id"]
        client.get(f"/v2/videos/{video_id}")
        client.get("/v2/videos/ffffffffff")
        httpx.get(simulator.url("/v2/videos"))  # no key
        over_http = client.get("/_sim/stats").json()
    assert over_http["requests"] == {
        "POST /v2/videos": {"200": 1},
        "GET /v2/videos/{video_id}": {"200": 1, "400": 1},
        "GET /v2/videos": {"401": 1},
    }
    assert over_http["videos_created"] == 1
    assert over_http["videos"] == {"queued": 1}
    assert simulator.stats()["requests"] == over_http["requests"]


@pytest.mark.parametrize(("loopback_only", "expected"), [(True, 403), (False, 200)])
async def test_admin_api_refuses_non_loopback_clients(tmp_path, loopback_only: bool, expected: int):
    # A client from another address can't be produced over 127.0.0.1, so this one talks to
    # the ASGI app in-process, as 10.1.2.3.
    from prefect_tavus.tavus_api.simulator.app import build_app
    from prefect_tavus.tavus_api.simulator.config import SimulatorConfig
    from prefect_tavus.tavus_api.simulator.state import SimulatorState

    state = SimulatorState(
        SimulatorConfig(clock="manual", admin_loopback_only=loopback_only), tmp_path
    )
    transport = httpx.ASGITransport(build_app(state), client=("10.1.2.3", 40000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
            assert (await client.get("/_sim/stats")).status_code == expected
            advance = await client.post("/_sim/clock/advance", json={"seconds": 1})
            assert advance.status_code == expected
            videos = await client.get("/v2/videos", headers={"x-api-key": "sim-key"})
            assert videos.status_code == 200
    finally:
        state.close()
