"""Keep secrets out of text that may end up in logs, exceptions or artifacts."""

from __future__ import annotations

from urllib.parse import urlsplit

REDACTED = "***"


def redact(text: str, *secrets: str | None) -> str:
    """Return ``text`` with every non-empty secret replaced by ``***``.

    >>> redact("bad key sk-123", "sk-123")
    'bad key ***'
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def safe_url(url: str | object) -> str:
    """A URL fit for a log line: scheme, host and path, never the query (presigned signatures).

    >>> safe_url("https://bucket.s3.amazonaws.com/a.mp4?X-Amz-Signature=abc")
    'https://bucket.s3.amazonaws.com/a.mp4?...'
    """
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    shown = f"{parts.scheme}://{host}{parts.path}"
    return f"{shown}?..." if parts.query else shown


def truncate(text: str, limit: int = 500) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."
