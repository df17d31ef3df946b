"""Render a real, small, playable video for a request with ffmpeg, cached by its inputs.

The "replica" is a drawn face whose mouth moves while it speaks, over a solid colour,
the downloaded background video (looped and cropped) or, for ``background_url``, a
test pattern standing in for the recorded website. The watermark is overlaid top-right.
MP4 is H.264 + AAC; ``transparent`` gives WebM VP9 with alpha (``yuva420p``) + Opus.
Thumbnails (JPEG, GIF) and an HLS stream are made from the video on request.

Renders are keyed by a hash of everything that shapes the output (input contents, not
URLs), so identical requests reuse one encode.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from prefect_tavus.tavus_api.simulator.ffmpeg import run_ffmpeg
from prefect_tavus.tavus_api.simulator.stats import Stats

RECIPE_VERSION = 1


@dataclass(frozen=True)
class RenderSpec:
    """What a video looks and sounds like. ``duration`` is in seconds."""

    duration: float
    replica_id: str
    audio: Path | None = None
    audio_sha256: str | None = None
    background: Path | None = None
    background_sha256: str | None = None
    website_background: bool = False
    watermark: Path | None = None
    watermark_sha256: str | None = None
    transparent: bool = False

    @property
    def extension(self) -> str:
        return "webm" if self.transparent else "mp4"

    def key(self, width: int, height: int, fps: int) -> str:
        """Content hash of the output: same inputs, same key."""
        doc = {
            "v": RECIPE_VERSION,
            "size": [width, height, fps],
            "duration": round(self.duration, 3),
            "replica": self.replica_id,
            "audio": self.audio_sha256,
            "background": self.background_sha256,
            "website": self.website_background,
            "watermark": self.watermark_sha256,
            "transparent": self.transparent,
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Rendered:
    """Files of one render (shared by every video with the same key)."""

    key: str
    video: Path
    thumbnail_jpg: Path | None = None
    thumbnail_gif: Path | None = None
    hls_dir: Path | None = None


def _colors(replica_id: str) -> tuple[str, str, int]:
    digest = hashlib.sha256(replica_id.encode()).digest()
    background = f"0x{40 + digest[0] % 60:02x}{60 + digest[1] % 80:02x}{90 + digest[2] % 100:02x}"
    face = f"0x{200 + digest[3] % 50:02x}{150 + digest[4] % 60:02x}{110 + digest[5] % 60:02x}"
    tone = 160 + digest[6] % 160
    return background, face, tone


class Renderer:
    """Encodes :class:`RenderSpec` s into ``cache_dir/<key>/`` once each, thread-safely."""

    def __init__(self, cache_dir: Path, *, width: int, height: int, fps: int, stats: Stats) -> None:
        self.cache_dir = cache_dir
        self.width, self.height, self.fps = width, height, fps
        self.stats = stats
        cache_dir.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _lock(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    def render(self, spec: RenderSpec, *, thumbnails: bool = True, stream: bool = True) -> Rendered:
        """The video for ``spec`` (encoding it if not cached), plus thumbnails/HLS if asked."""
        key = spec.key(self.width, self.height, self.fps)
        folder = self.cache_dir / key
        video = folder / f"video.{spec.extension}"
        with self._lock(key):
            folder.mkdir(parents=True, exist_ok=True)
            if video.exists():
                self.stats.incr("renders_cached")
            else:
                started = time.perf_counter()
                self._encode(spec, video)
                self.stats.incr("renders_encoded")
                self.stats.incr("render_ms", round(1000 * (time.perf_counter() - started)))
            jpg = gif = hls = None
            if thumbnails:
                jpg = self._artifact(folder / "thumbnail.jpg", self._jpg, spec, video)
                gif = self._artifact(folder / "thumbnail.gif", self._gif, spec, video)
            if stream and not spec.transparent:
                hls = folder / "hls"
                if not (hls / "index.m3u8").exists():
                    self._hls(video, hls)
        return Rendered(key=key, video=video, thumbnail_jpg=jpg, thumbnail_gif=gif, hls_dir=hls)

    @staticmethod
    def _artifact(
        path: Path, make: Callable[[RenderSpec, Path, Path], None], spec: RenderSpec, video: Path
    ) -> Path:
        """``path``, made by ``make(spec, video, tmp)`` and moved into place if missing."""
        if not path.exists():
            tmp = path.with_name(f".tmp-{path.name}")
            try:
                make(spec, video, tmp)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        return path

    def _encode(self, spec: RenderSpec, out: Path) -> None:
        w, h, fps, d = self.width, self.height, self.fps, max(spec.duration, 0.1)
        bg_color, face_color, tone = _colors(spec.replica_id)
        args: list[str | Path] = []
        if spec.transparent:
            args += ["-f", "lavfi", "-i", f"color=c=black@0.0:s={w}x{h}:r={fps},format=yuva420p"]
        elif spec.background is not None:
            args += ["-stream_loop", "-1", "-i", spec.background]
        elif spec.website_background:
            args += ["-f", "lavfi", "-i", f"testsrc2=s={w}x{h}:r={fps}"]
        else:
            args += ["-f", "lavfi", "-i", f"color=c={bg_color}:s={w}x{h}:r={fps}"]
        if spec.audio is not None:
            args += ["-i", spec.audio]
        else:
            args += ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=22050:duration={d}"]
        if spec.watermark is not None:
            args += ["-i", spec.watermark]

        replace = ":replace=1" if spec.transparent else ""
        fx, fy, fw, fh = int(w * 0.375), int(h * 0.22), int(w * 0.25), int(h * 0.66)
        mx, my, mw, mh = fx + fw // 4, fy + int(fh * 0.7), fw // 2, max(2, fh // 14)
        chain = f"[0:v]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},fps={fps},"
        chain += f"drawbox=x={fx}:y={fy}:w={fw}:h={fh}:color={face_color}@1.0:t=fill{replace},"
        chain += (
            f"drawbox=x={mx}:y={my}:w={mw}:h={mh}:color=black@1.0:t=fill{replace}"
            ":enable='lt(mod(t\\,0.4)\\,0.2)'"
        )
        pix = "yuva420p" if spec.transparent else "yuv420p"
        if spec.watermark is not None:
            chain += f"[base];[2:v]scale={max(8, w // 6)}:-1[mark];"
            chain += f"[base][mark]overlay=W-w-{w // 50}:{h // 30}:format=yuv420"
        chain += f",format={pix}[v]"
        args += ["-filter_complex", chain, "-map", "[v]", "-map", "1:a", "-t", f"{d:.3f}"]
        if spec.transparent:
            args += ["-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", "-auto-alt-ref", "0"]
            args += ["-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"]
            args += ["-c:a", "libopus", "-b:a", "48k", "-f", "webm"]
        else:
            args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
            args += ["-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", "-f", "mp4"]
        fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=".tmp-", suffix=out.suffix)
        os.close(fd)
        try:
            run_ffmpeg([*args, tmp_name])
            os.replace(tmp_name, out)
        finally:
            Path(tmp_name).unlink(missing_ok=True)

    def _jpg(self, spec: RenderSpec, video: Path, out: Path) -> None:
        at = min(1.0, spec.duration / 2)
        run_ffmpeg(
            ["-ss", f"{at:.2f}", "-i", video, "-frames:v", "1", "-q:v", "4", "-f", "image2", out]
        )

    def _gif(self, spec: RenderSpec, video: Path, out: Path) -> None:
        args: list[str | Path] = ["-t", f"{min(spec.duration, 3.0):.2f}", "-i", video]
        run_ffmpeg(args + ["-vf", f"fps=5,scale={self.width // 2}:-1", "-f", "gif", out])

    def _hls(self, video: Path, hls: Path) -> None:
        tmp = Path(tempfile.mkdtemp(dir=hls.parent, prefix=".tmp-hls-"))
        try:
            args: list[str | Path] = ["-i", video, "-c", "copy", "-f", "hls", "-hls_time", "2"]
            args += ["-hls_playlist_type", "vod", "-hls_segment_filename", tmp / "segment%03d.ts"]
            run_ffmpeg([*args, tmp / "index.m3u8"])
            shutil.rmtree(hls, ignore_errors=True)
            os.replace(tmp, hls)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
