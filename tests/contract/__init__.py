"""Tavus's published OpenAPI (a copy kept in the repo) and openapi-core adapters for httpx.

``check_exchange(request, response)`` validates one exchange both ways. The copy of
``shared/reference/tavus-video-openapi.yml`` lives here so tests never depend on files
outside the repository (``tests/tavus_api/test_contract.py`` checks it still equals
the shared original when that is present).
"""

from __future__ import annotations

import functools
from pathlib import Path

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_PATH = Path(__file__).with_name("tavus-video-openapi.yml")
SPEC_HOST = "https://tavusapi.com"  # the spec's server; the simulator stands in for it


@functools.cache
def spec() -> OpenAPI:
    """The parsed spec (loaded once per test process)."""
    return OpenAPI.from_file_path(str(SPEC_PATH))


class OpenAPIRequest:
    """An ``httpx.Request`` as openapi-core's Request protocol (host mapped to the spec's)."""

    def __init__(self, request: httpx.Request) -> None:
        self.host_url = SPEC_HOST
        self.path = request.url.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )


class OpenAPIResponse:
    """An ``httpx.Response`` as openapi-core's Response protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self.data = response.content
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(list(response.headers.items()))


def check_exchange(request: httpx.Request, response: httpx.Response) -> None:
    """Validate ``request`` and ``response`` against the spec; raises on any mismatch."""
    wrapped = OpenAPIRequest(request)
    spec().validate_request(wrapped)
    spec().validate_response(wrapped, OpenAPIResponse(response))
