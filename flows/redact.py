"""Keep presigned URLs (bearer credentials) out of logs, artifacts, events and metadata.

A presigned URL we made is shown as the ``s3://bucket/key`` it points to; any other
URL that carries a query string is cut to scheme, host and path. Works on strings
(URLs inside free text too) and on nested dicts/lists.

Example:
    >>> url = "https://b.s3.amazonaws.com/k.wav?X-Amz-Signature=abc&X-Amz-Expires=60"
    >>> redact({"audio_url": url}, {url: "s3://b/k.wav"})
    {'audio_url': 's3://b/k.wav'}
    >>> redact("could not fetch " + url)
    'could not fetch https://b.s3.amazonaws.com/k.wav?...'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)


def safe_url(url: str) -> str:
    """Scheme, host and path of ``url``; ``?...`` marks a dropped query.

    >>> safe_url("http://127.0.0.1:9000/b/k.wav?X-Amz-Signature=abc")
    'http://127.0.0.1:9000/b/k.wav?...'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    shown = f"{parts.scheme}://{host}{parts.path}"
    return f"{shown}?..." if parts.query else shown


def _redact_text(text: str, replacements: Mapping[str, str]) -> str:
    for secret, shown in replacements.items():
        if secret:
            text = text.replace(secret, shown)
    return _URL.sub(lambda m: safe_url(m.group(0)) if "?" in m.group(0) else m.group(0), text)


def redact(value: Any, replacements: Mapping[str, str] | None = None) -> Any:
    """``value`` with every URL query removed and known secrets replaced.

    ``replacements`` maps a secret (a presigned URL we made, an API key) to what to
    show instead. Dicts, lists and tuples are walked; other values pass unchanged.
    """
    replacements = replacements or {}
    if isinstance(value, str):
        return _redact_text(value, replacements)
    if isinstance(value, Mapping):
        return {key: redact(item, replacements) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(item, replacements) for item in value)
    return value


__all__ = ["redact", "safe_url"]
