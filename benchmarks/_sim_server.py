"""Run the simulator in the foreground with a JSON config: the benchmarks' child process.

``python -m benchmarks._sim_server PORT CONFIG_JSON`` (``CONFIG_JSON``: any
:class:`~prefect_tavus.tavus_api.simulator.SimulatorConfig` fields), serving on
127.0.0.1 until SIGTERM. The ``tavus-sim`` CLI exposes only some fields; the benchmarks
need the load options (quota, jitter, pre-existing videos, output size) too.
"""

from __future__ import annotations

import json
import logging
import sys

from prefect_tavus.tavus_api.simulator import SimulatorConfig, SimulatorServer


def main(argv: list[str]) -> None:
    port, config = int(argv[0]), SimulatorConfig.model_validate(json.loads(argv[1]))
    logging.basicConfig(level=logging.WARNING)
    SimulatorServer(config, host="127.0.0.1", port=port).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
