"""Serve the generate-video deployments from this process (no work pool needed).

Start a local Prefect server first (``prefect server start``), point
``PREFECT_API_URL`` at it, then ``python -m deployments.serve``. The same deployments
are defined for workers in ``deployments/prefect.yaml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from prefect import serve
from prefect.schedules import Cron

from prefect_tavus.flows import generate_video

PREFECT_YAML = Path(__file__).with_name("prefect.yaml")


def deployment_specs(path: Path = PREFECT_YAML) -> list[dict[str, Any]]:
    """The deployments declared in ``prefect.yaml`` (names, parameters, schedules)."""
    return yaml.safe_load(path.read_text())["deployments"]


def main() -> None:
    """Serve every deployment of ``prefect.yaml`` until interrupted."""
    deployments = [
        generate_video.to_deployment(
            name=spec["name"],
            description=spec.get("description"),
            tags=spec.get("tags"),
            parameters=spec.get("parameters", {}),
            schedules=[
                Cron(s["cron"], timezone=s.get("timezone"), active=s.get("active", True))
                for s in spec.get("schedules", [])
            ],
        )
        for spec in deployment_specs()
    ]
    serve(*deployments)


if __name__ == "__main__":
    main()
