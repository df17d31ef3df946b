"""Servers every test layer shares, on loopback: S3 (moto server), the Tavus simulator and
a Prefect test API."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer
from prefect.settings import (
    PREFECT_LOCAL_STORAGE_PATH,
    PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW,
    PREFECT_SERVER_ANALYTICS_ENABLED,
    temporary_settings,
)
from prefect.testing.utilities import prefect_test_harness

from prefect_tavus.tavus_api.simulator import SimulatorConfig, SimulatorServer
from tests._s3_expiry import S3ExpiryFront

AWS_REGION = "us-east-1"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """URL of a moto S3 server on a free 127.0.0.1 port, for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def _fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials for the local S3 server; never real ones, never the internet."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", AWS_REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def s3_client(s3_endpoint: str):  # boto3 client type is dynamic
    """A boto3 S3 client bound to the moto server."""
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=AWS_REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


# --- the Tavus simulator ---------------------------------------------------------------------

SIM_API_KEY = "sim-key"


@pytest.fixture(scope="session")
def _simulator_server() -> Iterator[SimulatorServer]:
    """One manual-clock simulator for the session; tests get it reset (see ``simulator``)."""
    config = SimulatorConfig(
        api_keys=[SIM_API_KEY], clock="manual", queue_seconds=1, generation_seconds=5
    )
    with SimulatorServer(config) as server:
        yield server


@pytest.fixture
def simulator(_simulator_server: SimulatorServer) -> SimulatorServer:
    """A Tavus simulator on 127.0.0.1 with a manual clock and fresh state.

    Key ``sim.api_key`` (``"sim-key"``); videos queue 1 s and generate 5 s, so
    ``sim.advance(6)`` makes a created video ready. ``sim.reset(page_base=1, ...)``
    changes the config for one test; the next test starts from the defaults again.
    """
    _simulator_server.reset()
    return _simulator_server


@pytest.fixture
def real_clock_simulator() -> Iterator[SimulatorServer]:
    """A simulator on the wall clock (queue 0.1 s, generation 0.5 s), its own per test."""
    config = SimulatorConfig(
        api_keys=[SIM_API_KEY], clock="real", queue_seconds=0.1, generation_seconds=0.5
    )
    with SimulatorServer(config) as server:
        yield server


@pytest.fixture(scope="session")
def s3_expiring_endpoint(s3_endpoint: str) -> Iterator[str]:
    """An S3 endpoint in front of the moto server that rejects expired presigned URLs.

    moto 5 serves presigned URLs whatever their expiry; real S3 answers 403
    ``Request has expired``. Presign against this endpoint to get the real behaviour
    (objects are shared with ``s3_endpoint``).
    """
    with S3ExpiryFront(s3_endpoint) as front:
        yield front.endpoint


# --- Prefect ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One Prefect test API (``prefect_test_harness``) for the session, started on first use.

    Task results are persisted under a temp dir; no telemetry (its heartbeat also races
    SQLite at start); tasks run outside a flow in some tests, so their logs are not sent.
    """
    settings = {
        PREFECT_SERVER_ANALYTICS_ENABLED: False,
        PREFECT_LOCAL_STORAGE_PATH: tmp_path_factory.mktemp("prefect-results"),
        PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW: "ignore",
    }
    with temporary_settings(settings), prefect_test_harness(server_startup_timeout=60):
        yield
