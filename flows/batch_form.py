"""The ``generate-videos`` flow's settings, grouped for the Prefect UI's run form.

The form shows the manifest and its templates first, then the blocks (pickers), then
these groups, each folded apart from the job: :class:`BatchChecks` (invalid rows, dry
run, cost cap, cancel), :class:`Pacing` (creates against the Tavus quota),
:class:`Chunking` (chunk runs across workers) and the single video's
:class:`~flows.form.AdvancedSettings` (prefixes, presign expiry, wait and polling).
Every field has a default, and an empty box means "not set", so a Python caller gives
only what it changes, as a model or a mapping.

Example:
    >>> Pacing(creates_per_second=2).max_concurrent_creates
    4
    >>> Chunking.model_validate({"chunk_size": ""}).chunk_size is None
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from prefect_tavus.flows.batch_validation import OnInvalidRows
from prefect_tavus.flows.form import ShownAs, flow_param, group_param
from prefect_tavus.flows.parameters import Number, Text, WholeNumber, shown_default

Manifest = Annotated[str | Sequence[Mapping[str, Any]], ShownAs(str)]
"""A manifest's location (shown in the form as text), or the rows themselves in Python."""
RowDefaults = Annotated[Mapping[str, Any] | None, ShownAs(dict[str, Any])]
"""Video fields for every row; ``None``: none."""

MANIFEST_PARAM: Any = flow_param(..., "Manifest")
"""The ``manifest`` parameter: required, titled in the form."""
SCRIPT_TEMPLATE_PARAM: Any = flow_param(None, "Script template", default="")
"""``script_template``: empty (``None``) for none."""
NAME_TEMPLATE_PARAM: Any = flow_param(None, "Video name template", default="")
"""``video_name_template``: empty (``None``) for the default names."""
ROW_DEFAULTS_PARAM: Any = flow_param(None, "Defaults for every row", default={})
"""``row_defaults``: empty (``None``) for none."""
BATCH_NAME_PARAM: Any = flow_param(None, "Batch name", default="")
"""``batch_name``: empty (``None``) for the name derived from the rows."""


class BatchChecks(BaseModel):
    """What to do with invalid rows, whether to spend at all, and how much."""

    model_config = ConfigDict(extra="forbid", title="Invalid rows, dry run and cost cap")

    on_invalid_rows: OnInvalidRows = Field(
        "fail",
        title="Invalid rows",
        description="fail: nothing runs if any row is invalid. skip: the valid rows run and "
        "the invalid ones are listed in the table with the reason.",
    )
    dry_run: bool = Field(
        False,
        title="Dry run",
        description="Only check every row and estimate the video minutes: nothing is "
        "uploaded, created or written.",
    )
    max_video_minutes: Number = shown_default(
        None,
        "Most video minutes",
        "Refuse the run before any video is created if the estimated video minutes are "
        "more than this. Empty: no cap.",
    )
    delete_unfinished_on_cancel: bool = Field(
        False,
        title="Delete unfinished videos on cancel",
        description="When the run is cancelled, delete its Tavus videos still queued or "
        "generating (and log which).",
    )


class Pacing(BaseModel):
    """How fast this run creates videos and copies them to S3."""

    model_config = ConfigDict(extra="forbid", title="Pacing against the Tavus quota")

    max_concurrent_creates: int = Field(
        4,
        json_schema_extra={"minimum": 1},  # checked by check_batch_options
        title="Creates in flight",
        description="At most this many create requests to Tavus at once.",
    )
    creates_per_second: float = Field(
        5.0,
        json_schema_extra={"exclusiveMinimum": 0},
        title="Creates per second",
        description="This run sends at most this many create requests a second; a 429 "
        "from Tavus pauses every create for as long as Tavus asks.",
    )
    concurrency_limit_name: Text = shown_default(
        "",
        "Account-wide limit",
        "Name of a Prefect global concurrency limit with slot decay, shared by every run "
        "on the Tavus account (make serve creates tavus-creates); each create takes one "
        "slot. Empty: this run's pacing only. A missing limit is reported before any spend.",
    )
    max_concurrent_stores: int = Field(
        4,
        json_schema_extra={"minimum": 1},  # checked by check_batch_options
        title="Copies to S3 in flight",
        description="At most this many finished videos are copied to S3 at once.",
    )


class Chunking(BaseModel):
    """Splitting the rows into chunk runs that the work pool's workers share."""

    model_config = ConfigDict(extra="forbid", title="Chunks across workers")

    chunk_size: WholeNumber = shown_default(
        None,
        "Rows per chunk",
        "Split the rows into chunks of this many, each a flow run of the chunk deployment "
        "that any worker of its pool can pick up; this run waits and writes one table. "
        "Empty: this run makes every row.",
    )
    chunk_deployment: Text = shown_default(
        "",
        "Chunk deployment",
        "FLOW/DEPLOYMENT the chunks run on, e.g. generate-videos/from-manifest. "
        "Empty: the deployment this run belongs to.",
    )
    chunk_name: Text = shown_default(
        "",
        "Chunk name (set by the parent run)",
        "Set by a chunked run on its chunk runs; leave it empty.",
    )


CHECKS_PARAM: Any = group_param(BatchChecks, "Checks and spending")
"""The ``checks`` parameter's default and title."""
PACING_PARAM: Any = group_param(Pacing, "Pacing")
"""The ``pacing`` parameter's default and title."""
CHUNKING_PARAM: Any = group_param(Chunking, "Chunks")
"""The ``chunking`` parameter's default and title."""

__all__ = [
    "BATCH_NAME_PARAM",
    "CHECKS_PARAM",
    "CHUNKING_PARAM",
    "MANIFEST_PARAM",
    "NAME_TEMPLATE_PARAM",
    "PACING_PARAM",
    "ROW_DEFAULTS_PARAM",
    "SCRIPT_TEMPLATE_PARAM",
    "BatchChecks",
    "Chunking",
    "Manifest",
    "Pacing",
    "RowDefaults",
]
