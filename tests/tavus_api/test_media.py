"""tavus_api.media: type by content, audio duration and size limits, on real generated files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from prefect_tavus.tavus_api.media import (
    ALLOWED_FORMATS,
    AUDIO_MAX_BYTES,
    CONTENT_TYPES,
    MediaError,
    MediaFormat,
    MediaKind,
    probe_media,
    sniff_format,
)
from prefect_tavus.tavus_api.simulator.fixtures import (
    make_jpeg,
    make_mp3,
    make_png,
    make_video,
    make_wav,
)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small file of every format, generated once for the module."""
    d = tmp_path_factory.mktemp("media")
    return {
        "wav": make_wav(d / "voice.wav", 4),
        "mp3": make_mp3(d / "voice.mp3", 4),
        "mp3_bare": make_mp3(d / "bare.mp3", 4, id3=False),
        "mp4": make_video(d / "bg.mp4", 1, "mp4"),
        "mov": make_video(d / "bg.mov", 1, "mov"),
        "webm": make_video(d / "bg.webm", 1, "webm"),
        "png": make_png(d / "mark.png"),
        "jpeg": make_jpeg(d / "mark.jpg"),
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("wav", MediaFormat.WAV),
        ("mp3", MediaFormat.MP3),
        ("mp3_bare", MediaFormat.MP3),
        ("mp4", MediaFormat.MP4),
        ("mov", MediaFormat.MOV),
        ("webm", MediaFormat.WEBM),
        ("png", MediaFormat.PNG),
        ("jpeg", MediaFormat.JPEG),
    ],
)
def test_sniff_format_reads_content(media: dict[str, Path], name: str, expected: MediaFormat):
    assert sniff_format(media[name].read_bytes()[:4096]) is expected


def test_bare_mp3_really_has_no_id3_tag(media: dict[str, Path]):
    assert media["mp3"].read_bytes()[:3] == b"ID3"
    assert media["mp3_bare"].read_bytes()[:3] != b"ID3"


@pytest.mark.parametrize(
    "head",
    [b"", b"not media", b"\xff\xd8", b"RIFF\x00\x00\x00\x00AVI LIST", b"\xff\xff\xff\xff"],
)
def test_sniff_format_rejects_other_bytes(head: bytes):
    assert sniff_format(head) is None


@pytest.mark.parametrize("second", [0xFB, 0xFA, 0xF3, 0xE3])  # MPEG1/2/2.5 layer III, +-CRC
def test_sniff_format_knows_mp3_frame_headers(second: int):
    assert sniff_format(bytes([0xFF, second, 0x90, 0x00]) + bytes(100)) is MediaFormat.MP3


def test_sniff_format_ignores_file_name(media: dict[str, Path], tmp_path: Path):
    disguised = tmp_path / "song.wav"
    disguised.write_bytes(media["png"].read_bytes())
    with pytest.raises(MediaError) as err:
        probe_media(disguised, MediaKind.AUDIO)
    assert err.value.code == "audio_file_type"
    assert "PNG image" in err.value.message and "WAV or MP3" in err.value.message


@pytest.mark.parametrize("name", ["wav", "mp3", "mp3_bare"])
def test_probe_audio_reports_duration_size_and_type(media: dict[str, Path], name: str):
    info = probe_media(media[name], MediaKind.AUDIO)
    assert info.kind is MediaKind.AUDIO
    assert info.duration_seconds == pytest.approx(4.0, abs=0.15)
    assert info.size_bytes == media[name].stat().st_size
    assert info.content_type == CONTENT_TYPES[info.format]
    assert info.extension == info.format.value


def test_probe_accepts_kind_as_string(media: dict[str, Path]):
    assert probe_media(str(media["wav"]), "audio").format is MediaFormat.WAV


@pytest.mark.parametrize(
    ("name", "kind", "fmt", "ext", "ctype"),
    [
        ("mp4", MediaKind.VIDEO, MediaFormat.MP4, "mp4", "video/mp4"),
        ("mov", MediaKind.VIDEO, MediaFormat.MOV, "mov", "video/quicktime"),
        ("webm", MediaKind.VIDEO, MediaFormat.WEBM, "webm", "video/webm"),
        ("png", MediaKind.IMAGE, MediaFormat.PNG, "png", "image/png"),
        ("jpeg", MediaKind.IMAGE, MediaFormat.JPEG, "jpg", "image/jpeg"),
    ],
)
def test_probe_video_and_image(
    media: dict[str, Path], name: str, kind: MediaKind, fmt: MediaFormat, ext: str, ctype: str
):
    info = probe_media(media[name], kind)
    assert (info.format, info.extension, info.content_type) == (fmt, ext, ctype)
    assert info.format in ALLOWED_FORMATS[kind]


def test_probe_mp4_duration(media: dict[str, Path]):
    info = probe_media(media["mp4"], MediaKind.VIDEO)
    assert info.duration_seconds == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize(
    ("name", "kind", "code"),
    [
        ("mp4", MediaKind.AUDIO, "audio_file_type"),
        ("png", MediaKind.AUDIO, "audio_file_type"),
        ("wav", MediaKind.VIDEO, "video_file_type"),
        ("jpeg", MediaKind.VIDEO, "video_file_type"),
        ("mp4", MediaKind.IMAGE, "image_file_type"),
        ("mp3", MediaKind.IMAGE, "image_file_type"),
    ],
)
def test_probe_rejects_wrong_type_for_kind(
    media: dict[str, Path], name: str, kind: MediaKind, code: str
):
    with pytest.raises(MediaError) as err:
        probe_media(media[name], kind)
    assert err.value.code == code
    assert isinstance(err.value, ValueError)
    allowed = [f.value.upper() for f in ALLOWED_FORMATS[kind]]
    assert all(a in err.value.message for a in allowed)


def test_too_short_audio(tmp_path: Path):
    with pytest.raises(MediaError) as err:
        probe_media(make_wav(tmp_path / "short.wav", 1.2), MediaKind.AUDIO)
    assert err.value.code == "audio_file_min_duration"
    assert err.value.message == "audio is 1.2 s long; Tavus needs 3 s to 10 min"


def test_audio_at_the_limits_passes(tmp_path: Path):
    assert probe_media(make_wav(tmp_path / "min.wav", 3.0), "audio").duration_seconds == 3.0
    longest = make_wav(tmp_path / "max.wav", 600.0, sample_rate=1000)
    assert probe_media(longest, "audio").duration_seconds == 600.0


def test_too_long_audio(tmp_path: Path):
    path = make_wav(tmp_path / "long.wav", 601.0, sample_rate=1000)
    with pytest.raises(MediaError) as err:
        probe_media(path, MediaKind.AUDIO)
    assert err.value.code == "audio_file_max_duration"
    assert "10 min 1.0 s long" in err.value.message


def test_too_long_mp3(tmp_path: Path):
    with pytest.raises(MediaError) as err:
        probe_media(make_mp3(tmp_path / "long.mp3", 605, sample_rate=8000), "audio")
    assert err.value.code == "audio_file_max_duration"


def test_too_big_audio_is_rejected_without_reading_it(tmp_path: Path):
    path = make_wav(tmp_path / "huge.wav", 4)
    with path.open("r+b") as f:  # sparse: takes no disk, but reading it all would be slow
        f.truncate(AUDIO_MAX_BYTES + 1)
    with pytest.raises(MediaError) as err:
        probe_media(path, MediaKind.AUDIO)
    assert err.value.code == "audio_file_max_size"
    assert "750.0 MB" in err.value.message and "at most 750 MB" in err.value.message


def test_file_object_sources(media: dict[str, Path]):
    data = media["mp3"].read_bytes()
    assert probe_media(io.BytesIO(data), "audio").size_bytes == len(data)

    offset = io.BytesIO(b"JUNKJUNK" + data)
    offset.seek(8)
    info = probe_media(offset, "audio")
    assert info.size_bytes == len(data) and info.format is MediaFormat.MP3
    assert offset.tell() == 8  # position restored for the caller's upload

    class Stream(io.RawIOBase):
        def __init__(self, payload: bytes) -> None:
            self._buf = io.BytesIO(payload)

        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:
            chunk = self._buf.read(len(b))
            b[: len(chunk)] = chunk
            return len(chunk)

    stream = Stream(media["wav"].read_bytes())
    assert not stream.seekable()
    assert probe_media(stream, "audio").duration_seconds == 4.0


def test_unreadable_sources(tmp_path: Path):
    with pytest.raises(MediaError) as err:
        probe_media(tmp_path / "missing.wav", "audio")
    assert err.value.code == "unreadable"

    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(MediaError) as err:
        probe_media(empty, "audio")
    assert err.value.code == "unreadable" and "empty" in err.value.message

    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x24\x00\x00\x00WAVEjunk" + bytes(40))
    with pytest.raises(MediaError) as err:
        probe_media(corrupt, "audio")
    assert err.value.code == "unreadable"
    assert "WAV" in err.value.message
