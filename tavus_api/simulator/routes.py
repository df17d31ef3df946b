"""Route templates of the simulator, as used by fault rules and request statistics.

Example:
    >>> match_route("GET", "/v2/videos/0123456789")
    'GET /v2/videos/{video_id}'
"""

from __future__ import annotations

import re

ROUTE_TEMPLATES: tuple[str, ...] = (
    "GET /v2/videos",
    "POST /v2/videos",
    "GET /v2/videos/{video_id}",
    "DELETE /v2/videos/{video_id}",
    "PATCH /v2/videos/{video_id}/name",
    "GET /v2/replicas",
    "POST /v2/replicas",
    "GET /v2/replicas/{replica_id}",
    "DELETE /v2/replicas/{replica_id}",
    "PATCH /v2/replicas/{replica_id}/name",
    "GET /media/{file}",
    "HEAD /media/{file}",
    "GET /stream/{video_id}/{file}",
    "GET /video/{video_id}",
)
"""Every route a fault rule may name (or ``"*"`` for all of them; ``/_sim/`` never)."""

ADMIN_PREFIX = "/_sim/"


def _compile(template: str) -> tuple[str, re.Pattern[str]]:
    method, path = template.split(" ", 1)
    pattern = re.sub(r"\\\{\w+\\\}", r"[^/]+", re.escape(path))
    return method, re.compile(f"^{pattern}/?$")


_COMPILED = [(t, *_compile(t)) for t in ROUTE_TEMPLATES]


def match_route(method: str, path: str) -> str | None:
    """The template of a request, or ``None`` for a path the simulator does not serve."""
    for template, m, regex in _COMPILED:
        if m == method and regex.match(path):
            return template
    return None
