"""Blocks are saved to and loaded from a real Prefect test API (shared with tests/flows)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests._prefect_harness import shared_prefect_harness


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """The Prefect test API (``prefect_test_harness``), started once per process."""
    with shared_prefect_harness():
        yield
