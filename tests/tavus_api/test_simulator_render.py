"""The renderer's cache: a failed step leaves no half-written file behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID
from prefect_tavus.tavus_api.simulator.ffmpeg import FFmpegError
from prefect_tavus.tavus_api.simulator.render import Renderer, RenderSpec
from prefect_tavus.tavus_api.simulator.stats import Stats

pytestmark = pytest.mark.timeout(60)


def test_a_failed_thumbnail_leaves_no_temp_file_and_is_made_next_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    renderer = Renderer(tmp_path, width=64, height=36, fps=5, stats=Stats())
    spec = RenderSpec(duration=1.0, replica_id=DEFAULT_REPLICA_ID)
    make_jpg = renderer._jpg

    def fails_half_way(spec: RenderSpec, video: Path, out: Path) -> None:
        out.write_bytes(b"\xff\xd8 half a JPEG")  # as ffmpeg leaves a file it was killed on
        raise FFmpegError("ffmpeg took longer than 300 s")

    monkeypatch.setattr(renderer, "_jpg", fails_half_way)
    with pytest.raises(FFmpegError):
        renderer.render(spec, stream=False)
    folder = tmp_path / spec.key(64, 36, 5)
    assert sorted(p.name for p in folder.iterdir()) == ["video.mp4"]

    monkeypatch.setattr(renderer, "_jpg", make_jpg)
    rendered = renderer.render(spec, stream=False)
    assert rendered.thumbnail_jpg is not None
    assert rendered.thumbnail_jpg.read_bytes()[:2] == b"\xff\xd8"
    assert not any(p.name.startswith(".tmp-") for p in folder.iterdir())
