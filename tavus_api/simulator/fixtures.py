"""Small, real media files for tests, demos and benchmarks.

WAV and PNG are written with the standard library; MP3, MP4/MOV/WebM and JPEG with the
ffmpeg bundled by imageio-ffmpeg. Every helper writes ``path`` (parents created) and
returns it as a :class:`~pathlib.Path`.

Example:
    >>> from prefect_tavus.tavus_api.simulator.fixtures import make_wav, make_png
    >>> make_wav(tmp_path / "voice.wav", seconds=4)  # doctest: +SKIP
    PosixPath('.../voice.wav')
"""

from __future__ import annotations

import array
import math
import struct
import wave
import zlib
from pathlib import Path
from typing import Literal

from prefect_tavus.tavus_api.simulator.ffmpeg import run_ffmpeg

VideoFormat = Literal["mp4", "mov", "webm"]


def _prepare(path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def make_wav(
    path: str | Path, seconds: float, *, sample_rate: int = 8000, frequency: float = 440.0
) -> Path:
    """A mono 16-bit PCM WAV with a sine tone lasting ``seconds`` (stdlib ``wave``).

    At the default 8 kHz a minute is about 1 MB.
    """
    path = _prepare(path)
    frames = round(seconds * sample_rate)
    step = 2 * math.pi * frequency / sample_rate
    block = 8192
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        for start in range(0, frames, block):
            count = min(block, frames - start)
            samples = array.array(
                "h", (int(8000 * math.sin(step * (start + i))) for i in range(count))
            )
            if samples.itemsize != 2:  # pragma: no cover - exotic platforms
                raise RuntimeError("array 'h' is not 16-bit here")
            out.writeframes(samples.tobytes())
    return path


def make_mp3(
    path: str | Path, seconds: float, *, id3: bool = True, sample_rate: int = 22050
) -> Path:
    """An MP3 (libmp3lame, mono, low bitrate) with a sine tone; ``id3=False`` omits the ID3 tag.

    ``sample_rate=8000`` encodes long files fastest.
    """
    path = _prepare(path)
    args: list[str | Path] = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    bitrate = "32k" if sample_rate > 16000 else "8k"
    args += ["-ac", "1", "-ar", str(sample_rate), "-c:a", "libmp3lame", "-b:a", bitrate]
    if not id3:
        args += ["-id3v2_version", "0", "-write_id3v1", "0"]
    run_ffmpeg([*args, "-f", "mp3", path])
    return path


def make_video(
    path: str | Path,
    seconds: float,
    fmt: VideoFormat = "mp4",
    *,
    size: str = "160x90",
    fps: int = 10,
    audio: bool = False,
) -> Path:
    """A small test-pattern video: MP4/MOV as H.264 (+AAC), WebM as VP9 (+Opus)."""
    path = _prepare(path)
    args: list[str | Path] = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:d={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}"]
    if fmt == "webm":
        args += ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k"]
        args += ["-c:a", "libopus"] if audio else []
    elif fmt in ("mp4", "mov"):
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        args += ["-c:a", "aac", "-b:a", "48k"] if audio else []
    else:
        raise ValueError(f"fmt must be 'mp4', 'mov' or 'webm', got {fmt!r}")
    run_ffmpeg([*args, "-f", fmt, path])
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def make_png(
    path: str | Path,
    *,
    width: int = 64,
    height: int = 64,
    rgba: tuple[int, int, int, int] = (255, 255, 255, 160),
) -> Path:
    """A solid RGBA PNG written by hand (no imaging library), half-transparent white by default."""
    path = _prepare(path)
    row = b"\x00" + bytes(rgba) * width  # filter type 0 per scanline
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(row * height))
        + _png_chunk(b"IEND", b"")
    )
    path.write_bytes(data)
    return path


def make_jpeg(path: str | Path, *, size: str = "64x64", color: str = "orange") -> Path:
    """A solid-colour baseline JPEG (ffmpeg mjpeg)."""
    path = _prepare(path)
    run_ffmpeg(
        ["-f", "lavfi", "-i", f"color=c={color}:s={size}", "-frames:v", "1"]
        + ["-pix_fmt", "yuvj420p", "-f", "image2", "-c:v", "mjpeg", path]
    )
    return path


__all__ = ["VideoFormat", "make_jpeg", "make_mp3", "make_png", "make_video", "make_wav"]
