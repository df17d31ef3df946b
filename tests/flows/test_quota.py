"""AccountQuota: a create waits for its slot while the Prefect API fails, then gives up."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from prefect_tavus.flows.quota import AccountQuota


def _failing(times: int, calls: list[str]):
    async def take(name: str) -> None:
        calls.append(name)
        if len(calls) <= times:
            request = httpx.Request("POST", "http://127.0.0.1/api/v2/concurrency_limits/increment")
            response = httpx.Response(503, request=request)
            raise httpx.HTTPStatusError("Service Unavailable", request=request, response=response)

    return take


def test_a_slot_is_asked_for_again_while_prefect_answers_503() -> None:
    calls: list[str] = []
    quota = AccountQuota("tavus-creates", take=_failing(2, calls), patience=30)
    asyncio.run(quota.acquire())
    assert calls == ["tavus-creates"] * 3  # two 503s, then the slot


def test_an_outage_longer_than_the_patience_fails_the_create_unsent() -> None:
    calls: list[str] = []
    quota = AccountQuota("tavus-creates", take=_failing(100, calls), patience=1.0)
    with pytest.raises(httpx.HTTPStatusError):
        asyncio.run(quota.acquire())
    assert 1 < len(calls) < 5


def test_without_a_limit_name_nothing_is_asked() -> None:
    calls: list[str] = []
    asyncio.run(AccountQuota(None, take=_failing(0, calls)).acquire())
    assert calls == []
