"""TavusCredentials: Prefect's block standards, secrecy of the key, clients that work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from prefect import get_client
from prefect.blocks.core import Block
from prefect.settings import PREFECT_API_URL
from prefect.testing.standard_test_suites import BlockStandardTestSuite
from pydantic import ValidationError

from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.tavus_api.client import AsyncTavusClient, TavusClient
from prefect_tavus.tavus_api.errors import AuthenticationError
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID, SimulatorServer

pytestmark = pytest.mark.timeout(60)

SECRET = "sk-live-SECRET-d41d8cd98f"
ROOT = Path(__file__).resolve().parents[2]


class TestTavusCredentialsStandards(BlockStandardTestSuite):
    """Prefect's own block checks: description, docs URL, field descriptions, code example."""

    @pytest.fixture
    def block(self) -> type[Block]:
        return TavusCredentials

    def test_has_a_valid_image(self, block: type[Block]) -> None:
        """Replaces the suite's image check, which downloads the logo (no internet in tests):
        here only that the logo is an https URL to an image file is checked."""
        logo = urlsplit(str(block._logo_url))
        assert logo.scheme == "https" and logo.hostname
        assert logo.path.rsplit(".", 1)[-1] in {"png", "svg", "jpg", "jpeg"}


def test_key_never_shows_in_repr_str_or_dumps() -> None:
    creds = TavusCredentials(api_key=SECRET)
    for text in (repr(creds), str(creds), str(creds.model_dump()), creds.model_dump_json()):
        assert SECRET not in text
    assert creds.api_key.get_secret_value() == SECRET


def test_saved_key_is_obfuscated_by_the_api_and_loads_back(prefect_api: None) -> None:
    TavusCredentials(api_key=SECRET, base_url="http://127.0.0.1:9/").save(
        "secret-check", overwrite=True
    )
    with get_client(sync_client=True) as client:
        document = client.read_block_document_by_name(
            "secret-check", block_type_slug="tavus-credentials", include_secrets=False
        )
    assert SECRET not in str(document.data)
    assert document.data["api_key"] == "********"
    loaded = TavusCredentials.load("secret-check")
    assert loaded.api_key.get_secret_value() == SECRET
    assert loaded.base_url == "http://127.0.0.1:9"  # trailing slash dropped


def test_client_works_and_a_wrong_key_error_does_not_contain_it(
    simulator: SimulatorServer,
) -> None:
    good = TavusCredentials(api_key=simulator.api_key, base_url=simulator.base_url, max_retries=0)
    with good.get_client() as client:
        assert isinstance(client, TavusClient)
        assert client.base_url == simulator.base_url
        assert client.retry.max_retries == 0
        assert client.get_replica(DEFAULT_REPLICA_ID).is_ready

    bad = TavusCredentials(api_key=SECRET, base_url=simulator.base_url, max_retries=0)
    with bad.get_client() as client, pytest.raises(AuthenticationError) as info:
        client.get_replica(DEFAULT_REPLICA_ID)
    assert info.value.status_code == 401
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    assert SECRET not in repr(client)


async def test_async_client_works(simulator: SimulatorServer) -> None:
    creds = TavusCredentials(api_key=simulator.api_key, base_url=simulator.base_url)
    async with creds.get_async_client() as client:
        assert isinstance(client, AsyncTavusClient)
        replica = await client.get_replica(DEFAULT_REPLICA_ID)
    assert replica.replica_id == DEFAULT_REPLICA_ID


def test_settings_are_validated() -> None:
    with pytest.raises(ValidationError, match="base_url must be an absolute http"):
        TavusCredentials(api_key="k", base_url="tavusapi.com")
    with pytest.raises(ValidationError):
        TavusCredentials(api_key="k", read_timeout=0)
    policy = TavusCredentials(api_key="k", retry_initial_delay=2, retry_max_delay=1).retry_policy()
    assert policy.max_delay == 2  # never shorter than the first delay


def test_prefect_block_register_finds_the_block(prefect_api: None) -> None:
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    done = subprocess.run(
        [sys.executable, "-m", "prefect", "block", "register", "-m", "prefect_tavus.blocks"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=50,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Tavus Credentials" in done.stdout
