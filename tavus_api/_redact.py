"""Keep secrets out of text that may end up in logs, exceptions or artifacts.

The one place that decides how a URL is shown: :func:`safe_url` (scheme, host and
path; the query, where presigned signatures live, and any userinfo dropped) and
:func:`redact_urls` (the same for every URL inside free text). The simulator and
the flows import these rather than keeping their own.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

REDACTED = "***"

_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)


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

    ``?...`` marks a dropped query; a URL too malformed to split is not shown at all.

    >>> safe_url("https://bucket.s3.amazonaws.com/a.mp4?X-Amz-Signature=abc")
    'https://bucket.s3.amazonaws.com/a.mp4?...'
    >>> safe_url("http://user:pw@127.0.0.1:9000/b/k.wav")
    'http://127.0.0.1:9000/b/k.wav'
    >>> safe_url("http://[::1/x?sig=1")
    '<malformed url>'
    """
    try:
        parts = urlsplit(str(url))
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:
        return "<malformed url>"
    shown = f"{parts.scheme}://{host}{parts.path}"
    return f"{shown}?..." if parts.query else shown


def redact_urls(text: str) -> str:
    """``text`` with the query cut from every http(s) URL in it (see :func:`safe_url`).

    >>> redact_urls("could not fetch https://b.s3.amazonaws.com/k.wav?X-Amz-Signature=abc")
    'could not fetch https://b.s3.amazonaws.com/k.wav?...'
    """
    return _URL.sub(lambda m: _shown(m.group(0)), text)


def _shown(url: str) -> str:
    # Only URLs with something to hide are rewritten, so plain ones read exactly as written.
    return safe_url(url) if "?" in url or "@" in url else url


def truncate(text: str, limit: int = 500) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."
