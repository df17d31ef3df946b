"""Fixtures of the client tests that run against the simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from prefect_tavus.tavus_api.simulator import SimulatorServer
from tests.tavus_api._client_support import simulator_config


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    """A simulator per test module (test_wait_simulator overrides it with its own timings)."""
    with SimulatorServer(simulator_config()) as server:
        yield server
