"""Replicas the simulator knows: Tavus's documented stock replicas plus user replicas.

The default user replicas cover each behaviour a caller must handle:

* :data:`READY_REPLICA_ID` - trained and usable;
* :data:`TRAINING_REPLICA_ID` - ``status: started`` forever; its videos stay ``queued``
  with the ``replica_in_training`` status details;
* :data:`ERROR_REPLICA_ID` - training failed; its videos end in ``error`` with the
  ``replica_in_error_state`` text.

Example:
    >>> DEFAULT_REPLICA_ID in {r.replica_id for r in STOCK_REPLICAS}
    True
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_REPLICA_ID = "rfe12d8b9597"
"""The stock replica the Tavus docs call the default (Nathan)."""
READY_REPLICA_ID = "rc0ffee00001"
"""A completed user replica."""
TRAINING_REPLICA_ID = "rc0ffee00002"
"""A user replica that never finishes training."""
ERROR_REPLICA_ID = "rc0ffee00003"
"""A user replica whose training failed."""

STOCK_CREATED_AT = 1_725_148_800.0  # 2024-09-01T00:00:00Z


class ReplicaSeed(BaseModel):
    """A replica present when the simulator starts or resets."""

    model_config = ConfigDict(extra="forbid")

    replica_id: str = Field(pattern=r"^r[0-9a-f]{9,11}$")
    replica_name: str
    replica_type: Literal["user", "system"] = "user"
    status: Literal["started", "completed", "error"] = "completed"
    error_message: str | None = None
    model_name: str = "phoenix-3"
    training_seconds: float | None = Field(
        None, description="For status 'started': seconds until it completes; None = never."
    )


_STOCK: list[tuple[str, str]] = [
    ("r7bc3db0d581", "Sabrina"),
    ("rf25acd9e3f5", "Patrick"),
    ("re0eae1fbe11", "Lucy"),
    ("r1af76e94d00", "Rose"),
    ("r95fd27b5a37", "Helen"),
    ("r1a4e22fa0d9", "Benjamin"),
    ("r90105daccb4", "Isabella"),
    ("r6ae5b6efc9d", "Anna"),
    ("rb11617de314", "Sandra"),
    ("rb67667672ad", "Gloria - Customizable Background"),
    ("re2185788693", "Nathan - Customizable Background"),
    ("rfcfe46c1da8", "Lucy - Customizable Background"),
    (DEFAULT_REPLICA_ID, "Nathan"),
    ("r79e1c033f", "Stock Replica r79e1c033f"),
    ("r90bbd427f71", "Stock Replica r90bbd427f71"),
    ("r665388ec672", "Stock Replica r665388ec672"),
]

STOCK_REPLICAS: tuple[ReplicaSeed, ...] = tuple(
    ReplicaSeed(replica_id=rid, replica_name=name, replica_type="system") for rid, name in _STOCK
)
"""Stock replicas from docs.tavus.io (sections/replica/stock-replicas and examples)."""


def default_user_replicas() -> list[ReplicaSeed]:
    """One ready, one training and one failed user replica."""
    return [
        ReplicaSeed(replica_id=READY_REPLICA_ID, replica_name="Sim Ready Replica"),
        ReplicaSeed(
            replica_id=TRAINING_REPLICA_ID, replica_name="Sim Training Replica", status="started"
        ),
        ReplicaSeed(
            replica_id=ERROR_REPLICA_ID,
            replica_name="Sim Error Replica",
            status="error",
            error_message="There was an issue processing your training video. The video provided "
            "does not meet the minimum duration requirement for training",
        ),
    ]
