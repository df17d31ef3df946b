"""A local Tavus-compatible server (``tavus-sim``) for the demo, tests and benchmarks.

It follows the Tavus Video API contract, fetches the media URLs it is given, renders a
real playable video with ffmpeg, sends callbacks and injects faults on request.

Example:
    >>> from prefect_tavus.tavus_api.simulator import SimulatorConfig, SimulatorServer
    >>> with SimulatorServer(SimulatorConfig(clock="manual")) as sim:  # doctest: +SKIP
    ...     ...  # point a client at sim.base_url with sim.api_key; sim.advance(10)

Admin API (no Tavus key, loopback clients only): ``GET /_sim/stats``, ``POST /_sim/faults``
``{"rules": [...], "seed": N}``, ``DELETE /_sim/faults``, ``POST /_sim/clock/advance``
``{"seconds": N}``, ``POST /_sim/reset`` (optional JSON of overrides of the started config),
``GET /_sim/callbacks``, ``GET /_sim/config``.

Replicas: the documented stock ones (``DEFAULT_REPLICA_ID`` among them) plus user replicas
``READY_REPLICA_ID``, ``TRAINING_REPLICA_ID`` (videos stay queued) and ``ERROR_REPLICA_ID``
(videos end in error).

Names are imported lazily so that ``tavus_api.simulator.fixtures`` works without the
server's dependencies (the ``simulator`` extra).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect_tavus.tavus_api.simulator.config import SimulatorConfig
    from prefect_tavus.tavus_api.simulator.faults import FaultRule
    from prefect_tavus.tavus_api.simulator.replicas import (
        DEFAULT_REPLICA_ID,
        ERROR_REPLICA_ID,
        READY_REPLICA_ID,
        STOCK_REPLICAS,
        TRAINING_REPLICA_ID,
    )
    from prefect_tavus.tavus_api.simulator.server import SimulatorServer

_EXPORTS = {
    "SimulatorConfig": "prefect_tavus.tavus_api.simulator.config",
    "FaultRule": "prefect_tavus.tavus_api.simulator.faults",
    "SimulatorServer": "prefect_tavus.tavus_api.simulator.server",
    "DEFAULT_REPLICA_ID": "prefect_tavus.tavus_api.simulator.replicas",
    "READY_REPLICA_ID": "prefect_tavus.tavus_api.simulator.replicas",
    "TRAINING_REPLICA_ID": "prefect_tavus.tavus_api.simulator.replicas",
    "ERROR_REPLICA_ID": "prefect_tavus.tavus_api.simulator.replicas",
    "STOCK_REPLICAS": "prefect_tavus.tavus_api.simulator.replicas",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_REPLICA_ID",
    "ERROR_REPLICA_ID",
    "READY_REPLICA_ID",
    "STOCK_REPLICAS",
    "TRAINING_REPLICA_ID",
    "FaultRule",
    "SimulatorConfig",
    "SimulatorServer",
]
