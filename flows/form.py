"""The flows' parameters around the job, shaped for the Prefect UI's run form.

- **Blocks from a picker**: ``credentials_block``, ``media_bucket_block`` and
  ``output_bucket_block`` are typed as their block class, so the form offers the saved
  blocks of that type. A deployment or a Python caller may still give a block's *name*
  (``"tavus"``), a reference by name (``{"$ref": {"block_document_slug":
  "tavus-credentials/tavus"}}``), the UI's reference by id, or a loaded block.
- **Advanced settings apart from the job**: prefixes, presign expiry, wait and polling
  in one :class:`AdvancedSettings` group, all with defaults.

Example:
    >>> AdvancedSettings(poll_interval_seconds=1).max_poll_interval_seconds
    30.0
    >>> block_name("tavus", TavusCredentials, "credentials_block")
    'tavus'
    >>> block_name({"$ref": {"block_document_slug": "s3-bucket/tavus-media"}}, S3Bucket, "m")
    'tavus-media'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from prefect import get_client
from prefect.blocks.core import Block
from prefect_aws import S3Bucket
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, ValidationError
from pydantic_core import CoreSchema

from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.flows.errors import InvalidVideoJob, Problem
from prefect_tavus.flows.media import DEFAULT_MEDIA_PREFIX, DEFAULT_PRESIGN_SECONDS
from prefect_tavus.flows.outputs import DEFAULT_OUTPUT_PREFIX
from prefect_tavus.flows.validation import RunOptions, build_options

DEFAULT_TAVUS_BLOCK = "tavus"
DEFAULT_MEDIA_BLOCK = "tavus-media"
DEFAULT_OUTPUT_BLOCK = "tavus-outputs"


@dataclass(frozen=True)
class ShownAs:
    """Shows a parameter in Prefect's form as ``shown`` alone (a block: the block picker).

    The Python type stays a union (a block, its name or a reference; a model or a
    mapping): the flows resolve those themselves (:func:`block_name`,
    :func:`advanced_settings`), with ``validate_parameters=False``.
    """

    shown: type[Any]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return handler(self.shown)


BlockRef = Mapping[str, Any]
"""``{"$ref": {"block_document_id": ...}}`` or ``{"$ref": {"block_document_slug": ...}}``."""
TavusBlock = Annotated[TavusCredentials | str | BlockRef, ShownAs(TavusCredentials)]
"""Tavus credentials: the block, its name, or a reference to it."""
BucketBlock = Annotated[S3Bucket | str | BlockRef, ShownAs(S3Bucket)]
"""An S3 bucket block, its name, or a reference to it."""
OutputBucketBlock = Annotated[S3Bucket | str | BlockRef | None, ShownAs(S3Bucket)]
"""An S3 bucket block, its name, a reference to it, or ``None`` (the media bucket)."""


def flow_param(default: Any, title: str, /, **shown: Any) -> Any:
    """A top-level flow parameter's default and its human title in the form.

    Its description comes from the flow docstring's Args. ``shown`` overrides what the
    form's JSON schema says (``default=""`` for a ``None`` that an empty box means).

    >>> flow_param(None, "Script template", default="").json_schema_extra
    {'title': 'Script template', 'default': ''}
    """
    return Field(default, json_schema_extra={"title": title, **shown})


def block_field(default: str, title: str) -> Any:
    """A block parameter's default (a block name) and its human title in the form."""
    return flow_param(default, title)


TAVUS_PARAM = block_field(DEFAULT_TAVUS_BLOCK, "Tavus credentials")
"""``credentials_block``'s default and title, shared by the flows."""
MEDIA_PARAM = block_field(DEFAULT_MEDIA_BLOCK, "Media bucket")
"""``media_bucket_block``'s default and title."""
OUTPUT_PARAM = block_field(DEFAULT_OUTPUT_BLOCK, "Output bucket")
"""``output_bucket_block``'s default and title."""


def block_ref(block: type[Block], name: str) -> dict[str, Any]:
    """A reference to the saved block ``name`` that deployments and the API accept.

    >>> block_ref(S3Bucket, "tavus-media")
    {'$ref': {'block_document_slug': 's3-bucket/tavus-media'}}
    """
    return {"$ref": {"block_document_slug": f"{block.get_block_type_slug()}/{name}"}}


def block_name(value: object, block: type[Block], field: str) -> str:
    """The saved block's name behind ``value`` (a name, a ``$ref``, or a loaded block).

    Raises:
        InvalidVideoJob: naming ``field``, when ``value`` is none of those.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, Block):
        name = getattr(value, "_block_document_name", None)
        if name:
            return str(name)
        raise InvalidVideoJob([Problem(field, "the block must be saved first (it has no name)")])
    ref = value.get("$ref") if isinstance(value, Mapping) else None
    if isinstance(ref, str):
        ref = {"block_document_id": ref}
    if isinstance(ref, Mapping) and isinstance(ref.get("block_document_slug"), str):
        return str(ref["block_document_slug"]).rpartition("/")[2]
    if isinstance(ref, Mapping) and ref.get("block_document_id"):
        try:
            with get_client(sync_client=True) as client:
                return str(client.read_block_document(ref["block_document_id"]).name)
        except Exception as exc:  # a bad reference is one problem to report
            raise InvalidVideoJob(
                [Problem(field, f"the chosen {block.__name__} block cannot be read ({exc})")]
            ) from None
    raise InvalidVideoJob(
        [Problem(field, f"must name a saved {block.__name__} block, got {type(value).__name__}")]
    )


class AdvancedSettings(BaseModel):
    """Where inputs and outputs go in S3, and how long to wait for Tavus."""

    model_config = ConfigDict(extra="forbid", title="Advanced settings for S3 and waiting")

    media_prefix: str = Field(
        DEFAULT_MEDIA_PREFIX,
        title="Media key prefix",
        description="Key prefix in the media bucket for uploaded inputs, e.g. tavus/media.",
    )
    output_prefix: str = Field(
        DEFAULT_OUTPUT_PREFIX,
        title="Output key prefix",
        description="Key prefix in the output bucket; each video goes to PREFIX/VIDEO_ID/.",
    )
    presign_expiry_seconds: int = Field(
        DEFAULT_PRESIGN_SECONDS,
        title="Presigned URL lifetime (s)",
        description="How long Tavus may fetch the inputs: 1 s to 7 days (604800); default 24 h.",
    )
    wait_timeout_seconds: float = Field(
        3600.0,
        title="Wait timeout (s)",
        description="Give up waiting for the video after this long; Retry waits again.",
    )
    poll_interval_seconds: float = Field(
        5.0,
        title="First status check after (s)",
        description="Delay before the first status check; it grows x1.5 each time.",
    )
    max_poll_interval_seconds: float = Field(
        30.0,
        title="Longest delay between checks (s)",
        description="The delay between status checks never grows past this.",
    )


Group = TypeVar("Group", bound=BaseModel)
"""A nested group of a flow's form (:class:`AdvancedSettings`, the batch's groups)."""


def group_param(group: type[BaseModel], title: str) -> Any:
    """A parameter holding a group of settings: all defaults, titled in the form.

    The form starts from the values each field shows (an empty box where "not set").
    """
    fields = group.model_json_schema()["properties"]
    shown = {name: field["default"] for name, field in fields.items() if "default" in field}
    return flow_param(group(), title, default=shown)


SETTINGS_PARAM: Any = group_param(AdvancedSettings, "Advanced settings")
"""The ``settings`` parameter's default (all defaults) and its title in the form."""
JOB_PARAM: Any = flow_param(..., "Video")
"""The ``job`` parameter: required, titled in the form."""


def form_group(model: type[Group], value: Group | Mapping[str, Any] | None, field: str) -> Group:
    """``value`` (a group of the form: the model, a mapping or ``None``) as ``model``.

    ``None`` gives the defaults; bad values raise one ``InvalidVideoJob`` naming each
    field as ``<field>.<name>``.

    >>> form_group(AdvancedSettings, {"poll_interval_seconds": 1}, "settings").media_prefix
    'tavus/media'
    """
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(dict(value or {}))
    except (ValidationError, TypeError, ValueError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else []
        raise InvalidVideoJob(
            [Problem(f"{field}." + ".".join(str(p) for p in e["loc"]), e["msg"]) for e in errors]
            or [Problem(field, f"must be a mapping of settings, got {type(value).__name__}")]
        ) from None


def advanced_settings(value: AdvancedSettings | Mapping[str, Any] | None) -> AdvancedSettings:
    """``value`` as :class:`AdvancedSettings` (``None``: defaults); bad -> ``InvalidVideoJob``."""
    return form_group(AdvancedSettings, value, "settings")


def run_options(
    credentials_block: object,
    media_bucket_block: object,
    output_bucket_block: object,
    settings: AdvancedSettings | Mapping[str, Any] | None,
) -> RunOptions:
    """The flows' blocks (by name) and advanced settings as :class:`RunOptions`.

    ``output_bucket_block=None`` means the media bucket.
    """
    return build_options(
        credentials_block=block_name(credentials_block, TavusCredentials, "credentials_block"),
        media_bucket_block=block_name(media_bucket_block, S3Bucket, "media_bucket_block"),
        output_bucket_block=(
            None
            if output_bucket_block is None
            else block_name(output_bucket_block, S3Bucket, "output_bucket_block")
        ),
        **advanced_settings(settings).model_dump(),
    )


__all__ = [
    "DEFAULT_MEDIA_BLOCK",
    "DEFAULT_OUTPUT_BLOCK",
    "DEFAULT_TAVUS_BLOCK",
    "JOB_PARAM",
    "MEDIA_PARAM",
    "OUTPUT_PARAM",
    "SETTINGS_PARAM",
    "TAVUS_PARAM",
    "AdvancedSettings",
    "OutputBucketBlock",
    "ShownAs",
    "BucketBlock",
    "TavusBlock",
    "advanced_settings",
    "form_group",
    "run_options",
    "block_field",
    "flow_param",
    "group_param",
    "block_name",
    "block_ref",
]
