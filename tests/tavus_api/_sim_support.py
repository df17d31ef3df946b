"""Helpers for the simulator tests: an httpx client on the simulator and an OpenAPI checker."""

from __future__ import annotations

from typing import Any

import httpx

from prefect_tavus.tavus_api.simulator import SimulatorServer
from tests.contract import check_exchange


def api(sim: SimulatorServer, key: str | None = "default") -> httpx.Client:
    """A client on ``sim`` sending ``x-api-key``: the simulator's, ``key``, or none (None)."""
    headers = {} if key is None else {"x-api-key": sim.api_key if key == "default" else key}
    return httpx.Client(base_url=sim.base_url, headers=headers, timeout=30)


def create(client: httpx.Client, **body: Any) -> dict[str, Any]:
    """POST /v2/videos and return the JSON body, asserting 200."""
    response = client.post("/v2/videos", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def check_contract(response: httpx.Response) -> None:
    """Validate a request and its response against Tavus's published OpenAPI document."""
    check_exchange(response.request, response)
