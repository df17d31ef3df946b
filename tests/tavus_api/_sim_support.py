"""Helpers for the simulator tests: an httpx client on the simulator and an OpenAPI checker."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tavus_api.simulator import SimulatorServer

SPEC_PATH = Path(__file__).parent / "data" / "tavus-video-openapi.yml"
_SPEC: OpenAPI | None = None


def api(sim: SimulatorServer, key: str | None = "default") -> httpx.Client:
    """A client on ``sim`` sending ``x-api-key``: the simulator's, ``key``, or none (None)."""
    headers = {} if key is None else {"x-api-key": sim.api_key if key == "default" else key}
    return httpx.Client(base_url=sim.base_url, headers=headers, timeout=30)


def create(client: httpx.Client, **body: Any) -> dict[str, Any]:
    """POST /v2/videos and return the JSON body, asserting 200."""
    response = client.post("/v2/videos", json=body)
    assert response.status_code == 200, response.text
    return response.json()


class _Request:
    def __init__(self, request: httpx.Request) -> None:
        url = urlsplit(str(request.url))
        self.host_url = "https://tavusapi.com"  # the spec's server; the simulator stands in
        self.path = url.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(url.query)), header=Headers(dict(request.headers))
        )


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.data = response.content
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(dict(response.headers))


def check_contract(response: httpx.Response) -> None:
    """Validate a request and its response against Tavus's published OpenAPI document."""
    global _SPEC
    if _SPEC is None:
        _SPEC = OpenAPI.from_file_path(str(SPEC_PATH))
    request = _Request(response.request)
    _SPEC.validate_request(request)
    _SPEC.validate_response(request, _Response(response))
