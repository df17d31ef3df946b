"""The vocabulary between the sans-IO operations and the sync/async drivers.

An operation is a generator: it *yields* a step (send this request, sleep this
long, tell the caller about this video, hand this item to the iterator), the
driver performs it and *sends back* the result, and the generator's return value
is the operation's result. Every rule (requests, retries, the duplicate guard,
the wait loop) lives in the generators, written once; ``TavusClient`` performs
steps with ``httpx.Client``/``time.sleep``, ``AsyncTavusClient`` with
``httpx.AsyncClient``/``asyncio.sleep``.

What the driver sends back:

======== ===========================================================================
Step     Result
======== ===========================================================================
Send     the ``httpx.Response`` (body read unless ``stream``; an error status is
         read even when streaming) or the ``httpx.RequestError`` it raised
Sleep    ``None``
Notify   ``None`` (after ``on_change`` returned, or its awaitable finished)
Emit     ``None`` (after the iterator's consumer asked for the next item)
======== ===========================================================================
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from prefect_tavus.tavus_api.models import Video

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Send:
    """Send ``request`` once (no retrying here: the operation decides)."""

    request: httpx.Request
    stream: bool = False
    """Return as soon as headers arrive and leave a 2xx body unread (downloads)."""
    download: bool = False
    """Use the plain download client, which never carries the API key."""


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait ``seconds`` (``time.sleep`` / ``asyncio.sleep`` or the injected fake)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Notify:
    """Call the caller's ``on_change`` with ``video``."""

    video: Video


@dataclass(frozen=True, slots=True)
class Emit:
    """Hand ``item`` to the consumer of an ``iter_*`` method."""

    item: Any


Step = Send | Sleep | Notify | Emit
Outcome = httpx.Response | httpx.RequestError
Operation = Generator[Step, Any, T]
"""A sans-IO operation returning ``T``."""

__all__ = ["Emit", "Notify", "Operation", "Outcome", "Send", "Sleep", "Step"]
