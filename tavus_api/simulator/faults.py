"""Fault rules: which requests fail how, chosen reproducibly from a seed.

Kinds:

* ``rate_limit`` - 429 ``{"error": ...}`` with ``Retry-After`` (seconds or an HTTP date);
* ``server_error`` - ``status_code`` 500/502/503/504 with ``{"error": ...}``;
* ``latency`` - wait ``latency_seconds`` first, then answer normally (combines with others);
* ``drop`` - close the connection with no response (or, ``partial=True``, after the
  headers and part of the body); the request is not processed;
* ``lost_response`` - the request IS processed (a video is created), then the client gets
  a dropped connection (``status_code`` None) or that 5xx instead of the answer.

A rule matches a route template (``"POST /v2/videos"``, ``"GET /v2/videos/{video_id}"``)
or ``"*"``; it fires on matches after the first ``skip``, at most ``count`` times, each
with ``probability`` (drawn from the simulator's seeded RNG, so a run is reproducible).

Example:
    >>> FaultRule(route="POST /v2/videos", kind="lost_response", count=1)  # doctest: +ELLIPSIS
    FaultRule(route='POST /v2/videos', kind='lost_response', ...)
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from prefect_tavus.tavus_api.simulator.routes import ROUTE_TEMPLATES

FaultKind = Literal["rate_limit", "server_error", "latency", "drop", "lost_response"]


class FaultRule(BaseModel):
    """One way to fail requests; see the module docs for the kinds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    route: str = Field("*", description="A route template from ROUTE_TEMPLATES, or '*'.")
    kind: FaultKind
    count: int | None = Field(None, ge=0, description="Fire at most this many times.")
    probability: float | None = Field(
        None, ge=0.0, le=1.0, description="Fire on each match with this probability (seeded)."
    )
    skip: int = Field(0, ge=0, description="Let this many matches through first.")
    status_code: int | None = Field(
        None,
        description="server_error: 500/502/503/504 (default 503); lost_response: a 5xx "
        "instead of dropping the connection.",
    )
    retry_after: float | None = Field(
        1.0, ge=0, description="rate_limit: Retry-After in seconds (rounded up); None = no header."
    )
    retry_after_format: Literal["seconds", "http-date"] = "seconds"
    latency_seconds: float = Field(0.5, ge=0, le=120, description="latency: added delay.")
    partial: bool = Field(False, description="drop: send headers and part of the body first.")

    @field_validator("route")
    @classmethod
    def _known_route(cls, value: str) -> str:
        if value != "*" and value not in ROUTE_TEMPLATES:
            known = ", ".join(ROUTE_TEMPLATES)
            raise ValueError(f"unknown route {value!r}; use '*' or one of: {known}")
        return value

    @model_validator(mode="after")
    def _check_status(self) -> FaultRule:
        if self.kind == "server_error" and self.status_code is None:
            object.__setattr__(self, "status_code", 503)
        if self.status_code is not None and not 500 <= self.status_code <= 599:
            raise ValueError(f"status_code must be a 5xx, got {self.status_code}")
        if self.status_code is not None and self.kind not in ("server_error", "lost_response"):
            raise ValueError(
                f"status_code applies to server_error and lost_response, not {self.kind}"
            )
        return self


@dataclass
class FaultDecision:
    """What to do with one request: wait ``latency`` seconds, then ``action`` (None = serve)."""

    latency: float = 0.0
    action: FaultRule | None = None


class FaultInjector:
    """Holds the active rules and decides, under a lock, which ones fire for a request."""

    def __init__(self, rules: list[FaultRule] | None = None, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self.set_rules(rules or [], seed)

    def set_rules(self, rules: list[FaultRule], seed: int | None = None) -> None:
        """Replace the rules and restart their counters (and the RNG, from ``seed``)."""
        with self._lock:
            self._rules = list(rules)
            self._matches = [0] * len(self._rules)
            self._fired = [0] * len(self._rules)
            if seed is not None:
                self._seed = seed
            self._rng = random.Random(self._seed)

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def decide(self, route: str) -> FaultDecision:
        """Match ``route`` against every rule in order; latency rules add up."""
        decision = FaultDecision()
        with self._lock:
            for i, rule in enumerate(self._rules):
                if rule.route != "*" and rule.route != route:
                    continue
                if decision.action is not None and rule.kind != "latency":
                    continue
                self._matches[i] += 1
                if self._matches[i] <= rule.skip:
                    continue
                if rule.count is not None and self._fired[i] >= rule.count:
                    continue
                if rule.probability is not None and self._rng.random() >= rule.probability:
                    continue
                self._fired[i] += 1
                if rule.kind == "latency":
                    decision.latency += rule.latency_seconds
                else:
                    decision.action = rule
        return decision
