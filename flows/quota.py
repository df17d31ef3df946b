"""One Tavus account's create quota, shared by every run and worker: a Prefect global
concurrency limit used as a **rate limit**.

Tavus documents no numbers for the video API's limits; issue 7 and the simulator model
an account quota of two kinds: creates per second, and videos generating at once.
``generate-videos`` takes one slot of the named limit with
:func:`prefect.concurrency.asyncio.rate_limit` before each ``POST /v2/videos``, so all
runs on the account together start at most the limit's ``slot_decay_per_second``
creates a second (bursts up to its ``limit``). A create is one short request, so a
``concurrency`` slot held around it would bound nothing that matters; and one held per
*generating* video would need a lease per video for minutes, renewed through the
Prefect API (a thousand leases for a thousand rows). The generating-at-once quota is
left to Tavus's own answer: its 429 with ``Retry-After`` pauses every create of the run
(:class:`~prefect_tavus.tavus_api.pacing.CreatePacer`), and the shared rate limit keeps
the other runs from adding to it.

Create the limit once (``make serve`` creates ``tavus-creates``)::

    prefect global-concurrency-limit create tavus-creates --limit 5 --slot-decay-per-second 2

and pass ``concurrency_limit_name="tavus-creates"`` to ``generate-videos``. A name that
does not exist, or a limit without slot decay, is reported when the batch is validated,
before anything is spent (:mod:`~prefect_tavus.flows.prefect_checks`), never a silent
skip or a hang.

Example:
    >>> quota = AccountQuota("tavus-creates")  # doctest: +SKIP
    >>> await quota.acquire()  # before each create  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from prefect.concurrency.asyncio import rate_limit

EXAMPLE_LIMIT = "tavus-creates"
"""The limit ``make serve`` creates (``deployments.stack.CREATES_LIMIT``)."""

ACQUIRE_PATIENCE_SECONDS = 600.0
"""How long a create keeps asking for a slot while the Prefect API fails (503, down)."""


class AccountQuota:
    """Takes one slot of the named rate limit before each create (no name: no wait).

    A slot that cannot be taken because the Prefect API fails for a while (503,
    connection refused) is asked for again with backoff, up to ``patience`` seconds:
    nothing was sent to Tavus yet, so waiting loses and doubles nothing.
    """

    def __init__(
        self,
        name: str | None,
        *,
        patience: float = ACQUIRE_PATIENCE_SECONDS,
        take: Callable[[str], Awaitable[None]] | None = None,
        logger: logging.Logger | logging.LoggerAdapter[logging.Logger] | None = None,
    ) -> None:
        self.name = name
        self.patience = patience
        self._take = take or (lambda limit: rate_limit(limit, occupy=1, strict=True))
        self._logger = logger
        self._warned = False

    async def acquire(self) -> None:
        """Wait for this create's turn on the account (returns at once without a name)."""
        if self.name is None:
            return
        deadline = time.monotonic() + self.patience
        delay = 0.5
        while True:
            try:
                await self._take(self.name)
                return
            except Exception as exc:  # any API failure: ask again, then give up
                if time.monotonic() + delay > deadline:
                    raise
                if self._logger is not None and not self._warned:
                    self._warned = True  # one line per run, not one per create
                    self._logger.warning(
                        "Prefect could not hand out a %r slot (%s); creates wait and ask again",
                        self.name,
                        type(exc).__name__,
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)


__all__ = [
    "ACQUIRE_PATIENCE_SECONDS",
    "EXAMPLE_LIMIT",
    "AccountQuota",
]
