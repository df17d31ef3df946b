"""When and how long to wait before trying a Tavus API call again.

:class:`RetryPolicy` holds the numbers (capped exponential backoff with jitter);
:func:`parse_retry_after` reads the server's ``Retry-After``; the ``*_ERRORS`` and
:data:`RETRYABLE_STATUS` sets say which failures are worth another try. Nothing
here sends or sleeps: the client does, following these decisions.

``Retry-After`` choice: a hint up to ``max_delay`` is honoured exactly (plus up to
``jitter`` extra, never less than asked). A hint *longer* than ``max_delay`` is not
shortened: the call gives up at once with :class:`~tavus_api.errors.RateLimitError`
(or the 5xx error) carrying ``retry_after``, because asking again before the server
allows only earns another refusal and burns retries; the caller (a Prefect task
retry, say) can wait that long instead.

Example:
    >>> policy = RetryPolicy(initial_delay=1.0, multiplier=2.0, max_delay=5.0, jitter=0.0)
    >>> [policy.backoff(n) for n in range(4)]
    [1.0, 2.0, 4.0, 5.0]
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from pydantic import BaseModel, ConfigDict, Field

PRE_SEND_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
"""Raised before the request left the client: the server cannot have acted on it."""

UNKNOWN_OUTCOME_ERRORS: tuple[type[httpx.RequestError], ...] = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    httpx.CloseError,
    httpx.DecodingError,
)
"""Raised after (part of) the request was sent: the server may have acted on it."""

RETRYABLE_STATUS: frozenset[int] = frozenset({429, 502, 503, 504})
"""Statuses after which an idempotent call (GET, DELETE, rename) is tried again."""

_MAX_EXPONENT = 64  # 2.0 ** 64 is already far past any max_delay; avoids float overflow


class RetryPolicy(BaseModel):
    """How often and how patiently a failed call is tried again.

    ``max_retries`` counts retries, so a call is sent at most ``max_retries + 1`` times.
    Retry ``n`` (0-based) waits ``min(max_delay, initial_delay * multiplier**n)``,
    scaled by a random factor in ``[1 - jitter, 1 + jitter]`` and capped at ``max_delay``.

    Example:
        >>> RetryPolicy(max_retries=0)  # never retry
        RetryPolicy(max_retries=0, initial_delay=0.5, max_delay=30.0, multiplier=2.0, jitter=0.2)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_retries: int = Field(4, ge=0, description="Retries after the first attempt.")
    initial_delay: float = Field(0.5, ge=0, description="Seconds before the first retry.")
    max_delay: float = Field(30.0, ge=0, description="Longest single wait, in seconds.")
    multiplier: float = Field(2.0, ge=1, description="Growth of the delay per retry.")
    jitter: float = Field(0.2, ge=0, le=1, description="Random spread, as a fraction.")

    def backoff(self, attempt: int, rand: float = 0.5) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based).

        ``rand`` is a uniform random number in ``[0, 1)``; ``0.5`` means no jitter.
        """
        growth = self.multiplier ** min(attempt, _MAX_EXPONENT)
        base = min(self.max_delay, self.initial_delay * growth)
        spread = 1.0 + self.jitter * (2.0 * rand - 1.0)
        return max(0.0, min(self.max_delay, base * spread))

    def delay(self, attempt: int, *, retry_after: float | None, rand: float = 0.5) -> float | None:
        """Seconds to wait before retry ``attempt``, or ``None`` when the call should give up.

        Without a server hint this is :meth:`backoff`. With ``retry_after`` (seconds) the
        wait is at least the hint; a hint longer than ``max_delay`` gives ``None``
        (see the module docstring for why).

        >>> RetryPolicy(jitter=0).delay(0, retry_after=3)
        3.0
        >>> RetryPolicy(max_delay=10).delay(0, retry_after=60) is None
        True
        """
        if retry_after is None:
            return self.backoff(attempt, rand)
        if retry_after > self.max_delay:
            return None
        return min(self.max_delay, float(retry_after) * (1.0 + self.jitter * rand))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Read a ``Retry-After`` header as seconds from ``now`` (``None`` if absent or unreadable).

    Accepts delta-seconds (``"120"``, also ``"1.5"``) and an HTTP date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``). A date is measured from ``now``; pass the
    response's own ``Date`` header when there is one, so clock skew between the
    server and this machine does not matter. Past dates and negative numbers give 0.

    >>> parse_retry_after("7")
    7.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT",
    ...                   now=datetime(2015, 10, 21, 7, 28, tzinfo=UTC))
    30.0
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN reads as absent
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    reference = now or datetime.now(UTC)
    return max(0.0, (when - reference).total_seconds())


def not_acted_on(outcome: httpx.Response | httpx.RequestError) -> bool:
    """True when the server cannot have acted on the request: a 429, or a connect
    error raised before anything was sent (:data:`PRE_SEND_ERRORS`).

    >>> not_acted_on(httpx.ConnectError("refused")), not_acted_on(httpx.ReadTimeout("slow"))
    (True, False)
    """
    if isinstance(outcome, httpx.Response):
        return outcome.status_code == 429
    return isinstance(outcome, PRE_SEND_ERRORS)


def outcome_unknown(outcome: httpx.Response | httpx.RequestError) -> bool:
    """True when the server may have acted on the request but its answer was lost: a
    5xx, or a transport error after (part of) it was sent (:data:`UNKNOWN_OUTCOME_ERRORS`).

    >>> outcome_unknown(httpx.Response(503)), outcome_unknown(httpx.Response(429))
    (True, False)
    """
    if isinstance(outcome, httpx.Response):
        return outcome.status_code >= 500
    return isinstance(outcome, UNKNOWN_OUTCOME_ERRORS)


def is_retryable(outcome: httpx.Response | httpx.RequestError) -> bool:
    """True when an idempotent call (GET, DELETE, rename) should be tried again after ``outcome``.

    Retried: 429, 502, 503, 504, connect errors, read timeouts and dropped connections.

    >>> is_retryable(httpx.Response(503)), is_retryable(httpx.Response(500))
    (True, False)
    """
    if isinstance(outcome, httpx.Response):
        return outcome.status_code in RETRYABLE_STATUS
    return isinstance(outcome, PRE_SEND_ERRORS + UNKNOWN_OUTCOME_ERRORS)


__all__ = [
    "PRE_SEND_ERRORS",
    "RETRYABLE_STATUS",
    "UNKNOWN_OUTCOME_ERRORS",
    "RetryPolicy",
    "is_retryable",
    "not_acted_on",
    "outcome_unknown",
    "parse_retry_after",
]
