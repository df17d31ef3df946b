"""``output_size_bytes``: MP4 downloads of a chosen size, streamed by the simulator.

The body is the real render followed by a ``free`` box, so an MP4 reader still finds the
render's duration; a 2 GiB download leaves the serving process's peak RSS and its data
dir where they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from prefect_tavus.tavus_api.media import mp4_duration
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID, SimulatorServer
from prefect_tavus.tavus_api.simulator.padded import free_box_header
from tests.tavus_api._client_support import simulator_config
from tests.tavus_api._sim_support import api, create
from tests.tavus_api.test_simulator_cli import free_port, launch, wait_until_up

pytestmark = pytest.mark.timeout(120)

MIB = 1024**2
GIB = 1024**3
ZEROS = bytes(4 * MIB)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(simulator_config(output_size_bytes=3 * MIB)) as server:
        yield server


def ready_video(sim: SimulatorServer, **body: object) -> dict:
    with api(sim) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, **body)["video_id"]
        sim.advance(60)
        return client.get(f"/v2/videos/{video_id}", params={"verbose": "true"}).json()


def test_download_is_the_render_padded_with_a_free_box(sim: SimulatorServer, tmp_path: Path):
    video = ready_video(sim, script="A padded download of three mebibytes")
    render = sim.state.video_file(video["video_id"], "video")
    assert render is not None
    head = render.read_bytes()

    response = httpx.get(video["download_url"], timeout=60)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(3 * MIB)
    assert len(response.content) == 3 * MIB
    assert response.content[: len(head)] == head
    assert response.content[len(head) : len(head) + 8] == free_box_header(3 * MIB - len(head))
    assert response.content[len(head) + 8 :] == bytes(3 * MIB - len(head) - 8)

    padded = tmp_path / "padded.mp4"
    padded.write_bytes(response.content)
    length = duration(padded)
    assert length is not None and length > 2
    assert length == pytest.approx(duration(render))

    head_response = httpx.head(video["download_url"], timeout=60)
    assert head_response.status_code == 200
    assert head_response.headers["content-length"] == str(3 * MIB)
    assert head_response.content == b""


def test_other_files_and_webm_are_served_as_rendered(sim: SimulatorServer):
    video = ready_video(sim, script="Thumbnails keep their size")
    thumb = sim.state.video_file(video["video_id"], "jpg")
    assert thumb is not None
    assert httpx.get(video["still_image_thumbnail_url"]).content == thumb.read_bytes()
    webm = ready_video(sim, script="Alpha", fast=True, transparent_background=True)
    assert webm["download_url"].endswith(".webm")
    render = sim.state.video_file(webm["video_id"], "video")
    assert render is not None
    assert httpx.get(webm["download_url"], timeout=60).content == render.read_bytes()


def test_free_box_header_switches_to_64_bit_past_4_gib():
    assert free_box_header(8) == b"\x00\x00\x00\x08free"
    assert free_box_header(2**32 - 1)[:4] == b"\xff\xff\xff\xff"
    big = free_box_header(5 * GIB)
    assert big[:8] == b"\x00\x00\x00\x01free"
    assert int.from_bytes(big[8:], "big") == 5 * GIB
    with pytest.raises(ValueError, match="at least 8"):
        free_box_header(7)


def duration(path: Path) -> float | None:
    """What the flows record as a stored video's length (the same MP4 reader)."""
    with path.open("rb") as f:
        return mp4_duration(f)


def peak_rss_kib(pid: int) -> int:
    """``VmHWM`` (peak resident set) of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def test_a_2_gib_download_streams_with_flat_memory_and_no_disk(tmp_path: Path):
    size = 2 * GIB
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data_dir = tmp_path / "data"
    args = ["--port", str(port), "--data-dir", str(data_dir), "--preexisting-videos", "1"]
    args += ["--output-size-bytes", str(size)]
    proc = launch(args)
    try:
        wait_until_up(base, proc)
        with httpx.Client(base_url=base, headers={"x-api-key": "sim-key"}, timeout=60) as client:
            video = client.get("/v2/videos").json()["data"][0]
            # warm up: the first file request renders the video and loads the code paths
            assert client.get(video["still_image_thumbnail_url"]).status_code == 200
            small = client.head(video["download_url"])
            assert small.headers["content-length"] == str(size)
            disk_before = dir_bytes(data_dir)
            rss_before = peak_rss_kib(proc.pid)

            received, head, nonzero_after_head = 0, bytearray(), 0
            with client.stream("GET", video["download_url"]) as response:
                assert response.status_code == 200
                assert response.headers["content-length"] == str(size)
                for chunk in response.iter_raw(len(ZEROS)):
                    received += len(chunk)
                    take = MIB - len(head)
                    if take > 0:
                        head += chunk[:take]
                        chunk = chunk[take:]
                    if chunk != ZEROS[: len(chunk)]:
                        nonzero_after_head += len(chunk) - chunk.count(0)
            growth_mib = (peak_rss_kib(proc.pid) - rss_before) / 1024
            disk_growth = dir_bytes(data_dir) - disk_before
        assert received == size
        assert growth_mib < 64, f"peak RSS grew {growth_mib:.0f} MiB serving {size} bytes"
        assert disk_growth < MIB, f"the data dir grew {disk_growth} bytes"

        render = data_dir / "videos" / video["video_id"] / "video.mp4"
        assert bytes(head).startswith(render.read_bytes())
        assert nonzero_after_head == 0  # past the first MiB: only the free box's zeros
        # the same bytes as a sparse file: the flows' MP4 reader finds the render's length
        sparse = tmp_path / "download.mp4"
        with sparse.open("wb") as f:
            f.write(head)
            f.truncate(size)
        assert duration(sparse) == pytest.approx(duration(render))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
