"""Keep presigned URLs (bearer credentials) out of logs, artifacts, events and metadata.

A presigned URL we made is shown as the ``s3://bucket/key`` it points to; any other
URL that carries a query string is cut to scheme, host and path (by the client's
:func:`~prefect_tavus.tavus_api._redact.safe_url`, the one rule for showing a URL).
Works on strings (URLs inside free text too) and on nested dicts/lists.

Example:
    >>> url = "https://b.s3.amazonaws.com/k.wav?X-Amz-Signature=abc&X-Amz-Expires=60"
    >>> redact({"audio_url": url}, {url: "s3://b/k.wav"})
    {'audio_url': 's3://b/k.wav'}
    >>> redact("could not fetch " + url)
    'could not fetch https://b.s3.amazonaws.com/k.wav?...'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefect_tavus.tavus_api._redact import redact_urls, safe_url


def _redact_text(text: str, replacements: Mapping[str, str]) -> str:
    for secret, shown in replacements.items():
        if secret:
            text = text.replace(secret, shown)
    return redact_urls(text)


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
