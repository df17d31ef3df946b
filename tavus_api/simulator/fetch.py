"""Download the media URLs of a video request, as Tavus does when generation starts.

Downloads are streamed to a temporary file (hashing as they go) and aborted past a size
limit, then stored by content hash so identical inputs are kept once. URLs are never
logged or reported with their query string (presigned signatures are credentials).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from prefect_tavus.tavus_api._redact import safe_url
from prefect_tavus.tavus_api.media import MediaInfo, MediaKind, probe_media
from prefect_tavus.tavus_api.simulator.stats import Stats

_CHUNK = 256 * 1024


class FetchError(Exception):
    """The URL could not be downloaded; ``too_big`` when it went past the size limit."""

    def __init__(self, reason: str, *, too_big: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_big = too_big


@dataclass(frozen=True)
class Fetched:
    """A downloaded, checked input: where it is, its sha256 and what it is."""

    path: Path
    sha256: str
    info: MediaInfo


class Fetcher:
    """Downloads inputs into ``inputs_dir`` (content-addressed) and checks them."""

    def __init__(self, inputs_dir: Path, *, timeout: float, max_bytes: int, stats: Stats) -> None:
        self.inputs_dir = inputs_dir
        self.max_bytes = max_bytes
        self.stats = stats
        inputs_dir.mkdir(parents=True, exist_ok=True)
        self._client = httpx.Client(
            timeout=timeout,
            follow_redirects=True,
            trust_env=False,
            headers={"user-agent": "tavus-sim"},
        )

    def close(self) -> None:
        self._client.close()

    def download(self, url: str) -> tuple[Path, str]:
        """Stream ``url`` to a temp file; return it and its sha256. Raises :class:`FetchError`."""
        shown = safe_url(url)
        if urlsplit(url).scheme not in ("http", "https"):
            raise FetchError(f"{shown}: not an http(s) URL")
        fd, tmp_name = tempfile.mkstemp(dir=self.inputs_dir, prefix=".download-")
        tmp = Path(tmp_name)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out, self._client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise FetchError(f"{shown}: HTTP {response.status_code}")
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(f"{shown}: {int(declared)} bytes is too big", too_big=True)
                for chunk in response.iter_bytes(_CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(f"{shown}: more than {self.max_bytes} bytes", too_big=True)
                    digest.update(chunk)
                    out.write(chunk)
        except httpx.HTTPError as exc:
            tmp.unlink(missing_ok=True)
            raise FetchError(f"{shown}: {type(exc).__name__}") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self.stats.incr("downloads")
        self.stats.incr("download_bytes", size)
        return tmp, digest.hexdigest()

    def fetch(self, url: str, kind: MediaKind) -> Fetched:
        """Download ``url`` and check it is media of ``kind``.

        Raises:
            FetchError: download failed or was too big.
            tavus_api.media.MediaError: wrong type, too short/long, unreadable.
        """
        tmp, sha = self.download(url)
        try:
            info = probe_media(tmp, kind)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        final = self.inputs_dir / f"{sha}.{info.extension}"
        os.replace(tmp, final)
        return Fetched(path=final, sha256=sha, info=info)
