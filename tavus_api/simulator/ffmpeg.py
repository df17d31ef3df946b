"""Run the ffmpeg binary that ships with imageio-ffmpeg, and read what it says about a file.

imageio-ffmpeg bundles a static ffmpeg (libx264, libvpx-vp9, libmp3lame, aac, ...), but no
ffprobe, so :func:`probe` parses ``ffmpeg -i`` output instead.

Example:
    >>> run_ffmpeg(["-f", "lavfi", "-i", "sine=duration=1", "tone.wav"])  # doctest: +SKIP
    >>> probe("tone.wav").duration_seconds  # doctest: +SKIP
    1.0
"""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel


class FFmpegError(RuntimeError):
    """ffmpeg exited with an error; the message ends with the last lines it printed."""


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the bundled ffmpeg binary (downloaded into the wheel by imageio-ffmpeg)."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())  # imageio-ffmpeg ships no type hints


def run_ffmpeg(args: Sequence[str | Path], *, timeout: float = 300.0) -> None:
    """Run ``ffmpeg -y <args>`` quietly; raise :class:`FFmpegError` on failure."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    cmd += [str(a) for a in args]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise FFmpegError(f"ffmpeg took longer than {timeout:.0f} s") from exc
    if done.returncode != 0:
        tail = "\n".join(done.stderr.decode(errors="replace").strip().splitlines()[-5:])
        raise FFmpegError(f"ffmpeg failed (exit {done.returncode}): {tail}")


class ProbeResult(BaseModel):
    """What ``ffmpeg -i`` reports about a media file."""

    container: str | None = None
    duration_seconds: float | None = None
    video_codec: str | None = None
    pix_fmt: str | None = None
    width: int | None = None
    height: int | None = None
    audio_codec: str | None = None
    alpha: bool = False
    """True when the video stream carries alpha (``yuva*`` pixels or WebM ``alpha_mode: 1``)."""


_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_INPUT = re.compile(r"Input #0,\s*([^,]+(?:,[^,]+)*?),\s*from")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: (\w+)[^,]*,\s*(\w+)(?:\([^)]*\))?,\s*(\d+)x(\d+)")
_AUDIO = re.compile(r"Stream #\S+.*?: Audio: (\w+)")


def probe(path: str | Path, *, timeout: float = 60.0) -> ProbeResult:
    """Container, duration, codecs, size and alpha of a media file, from ``ffmpeg -i``."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)]
    done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    text = done.stderr.decode(errors="replace")
    if "Invalid data found" in text or "No such file" in text:
        raise FFmpegError(f"ffmpeg cannot read {Path(path).name}: {text.strip().splitlines()[-1]}")
    result = ProbeResult()
    if m := _INPUT.search(text):
        result.container = m.group(1).strip()
    if m := _DURATION.search(text):
        h, mi, s = m.groups()
        result.duration_seconds = int(h) * 3600 + int(mi) * 60 + float(s)
    if m := _VIDEO.search(text):
        result.video_codec, result.pix_fmt = m.group(1), m.group(2)
        result.width, result.height = int(m.group(3)), int(m.group(4))
    if m := _AUDIO.search(text):
        result.audio_codec = m.group(1)
    result.alpha = bool(
        (result.pix_fmt or "").startswith("yuva") or re.search(r"alpha_mode\s*:\s*1", text)
    )
    return result
