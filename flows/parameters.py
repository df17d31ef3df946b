"""The ``generate-video`` flow's input: one video, as a form the Prefect UI renders.

The form shows plain fields, never a ``X | None`` type toggle: an empty text box means
"not set", and the Tavus options show Tavus's own default (scroll ``human``, wave on)
as their value. In Python the model still reads "not set" as ``None``: an empty string
and a value equal to Tavus's default become ``None``, so only what the user changed is
sent to Tavus. What the replica says is one choice, ``speech`` (``script`` or
``audio``); a Python caller may leave it out and give one of ``script`` and ``audio``.

:class:`VideoJob` holds only types; every rule (the speech choice, files by content,
URLs, buckets, the replica) is checked by :func:`prefect_tavus.flows.validation.check_inputs`,
which reports all problems at once before anything is uploaded or created.

Example:
    >>> job = VideoJob(replica_id="r79e1c033f", audio="voice.wav", watermark="logo.png")
    >>> job.speech, job.script, job.media_sources()
    (<SpeechSource.AUDIO: 'audio'>, None, {'audio': 'voice.wav', 'watermark': 'logo.png'})
    >>> VideoJob(replica_id="r79e1c033f", script="Hi", background_scroll_type="human").speech
    <SpeechSource.SCRIPT: 'script'>
    >>> VideoJob(replica_id="r", script="Hi", background_scroll_type="human").scroll_options()
    {}
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    WithJsonSchema,
    model_validator,
)

from prefect_tavus.flows.errors import Problem
from prefect_tavus.tavus_api.media import MediaKind
from prefect_tavus.tavus_api.models import ScrollDepth, ScrollReturn, ScrollType

MEDIA_ROLES: dict[str, MediaKind] = {
    "audio": MediaKind.AUDIO,
    "background": MediaKind.VIDEO,
    "watermark": MediaKind.IMAGE,
}
"""Each media field of :class:`VideoJob` and the kind of file it must hold."""

MEDIA_SOURCE_HELP = (
    "One of: s3://BUCKET/KEY (read with the media bucket block's credentials), "
    "an http(s) URL the worker can download, or a path on the worker's disk "
    "(absolute, or relative to the worker's working directory)."
)
"""How a media field may be given; the README says what the worker needs for each."""


class SpeechSource(StrEnum):
    """What the replica says: the text in ``script`` or the file in ``audio``."""

    SCRIPT = "script"
    AUDIO = "audio"


def _unset_when(default: object) -> BeforeValidator:
    """Read ``""`` and ``default`` (Tavus's own default) as "not set" (``None``)."""
    return BeforeValidator(lambda value: None if value == "" or value == default else value)


def _form(schema: dict[str, Any]) -> WithJsonSchema:
    """The field's form widget: a plain type, never ``anyOf`` with ``null``."""
    return WithJsonSchema(schema)


Text = Annotated[str | None, _unset_when(""), _form({"type": "string"})]
"""Free text; empty means not set."""
WholeNumber = Annotated[int | None, _unset_when(""), _form({"type": "integer", "minimum": 1})]
"""A positive whole number; empty means not set."""
Number = Annotated[float | None, _unset_when(""), _form({"type": "number", "exclusiveMinimum": 0})]
"""A positive number; empty means not set."""
TavusOnByDefault = Annotated[bool | None, _unset_when(True), _form({"type": "boolean"})]
"""A Tavus switch that is on unless turned off; only ``False`` is sent."""
Scroll = Annotated[
    ScrollType | None,
    _unset_when(ScrollType.HUMAN.value),
    _form({"type": "string", "enum": [v.value for v in ScrollType]}),
]
Depth = Annotated[
    ScrollDepth | None,
    _unset_when(ScrollDepth.MIDDLE.value),
    _form({"type": "string", "enum": [v.value for v in ScrollDepth]}),
]
AtDepth = Annotated[
    ScrollReturn | None,
    _unset_when(ScrollReturn.RETURN.value),
    _form({"type": "string", "enum": [v.value for v in ScrollReturn]}),
]
Speech = Annotated[
    SpeechSource | None,
    _unset_when(""),
    _form({"type": "string", "enum": [v.value for v in SpeechSource]}),
]


def shown_default(default: JsonValue, title: str, description: str) -> Any:
    """A field that is ``None`` in Python and shows ``default`` in the form (``None``: empty)."""
    return Field(
        None,
        title=title,
        description=description,
        json_schema_extra=_no_default if default is None else {"default": default},
    )


def _no_default(schema: dict[str, Any]) -> None:
    """An empty form field, rather than one holding ``null``."""
    schema.pop("default", None)


class VideoJob(BaseModel):
    """One Tavus video: who speaks, what they say, and how it looks.

    Choose what the replica says (``speech``): a ``script`` it speaks, or an ``audio``
    file it lip-syncs to. Media fields (``audio``, ``background``, ``watermark``) take
    an ``s3://`` URI, an ``http(s)`` URL or a path on the worker; they are checked by
    content, uploaded to the media bucket and handed to Tavus as presigned URLs.
    """

    model_config = ConfigDict(extra="forbid", title="Video job")

    replica_id: str = Field(
        ...,
        title="Replica ID",
        description="The replica (stock or your own) that presents the video, e.g. rfe12d8b9597.",
    )
    speech: Speech = shown_default(
        SpeechSource.SCRIPT.value,
        "What the replica says",
        "Script: it speaks the text in Script. Audio: it lip-syncs to the file in Audio "
        "file. Fill in only that one field.",
    )
    script: Text = shown_default(
        "", "Script", "Text the replica speaks (when What the replica says is Script)."
    )
    audio: Text = shown_default(
        "",
        "Audio file",
        "WAV or MP3 the replica lip-syncs to, 3 s to 10 min, under 750 MB (when What the "
        f"replica says is Audio). {MEDIA_SOURCE_HELP}",
    )
    video_name: Text = shown_default(
        "",
        "Video name",
        "Name shown in Tavus. Empty: a unique name made from the flow run.",
    )
    background: Text = shown_default(
        "",
        "Background video",
        f"MP4, MOV or WebM played behind the replica; empty for none. {MEDIA_SOURCE_HELP}",
    )
    background_website: Text = shown_default(
        "",
        "Background website",
        "Public website (http/https) Tavus records and scrolls behind the replica; "
        "empty for none. Not with a background video.",
    )
    background_scroll: TavusOnByDefault = shown_default(
        True,
        "Scroll the website",
        "With a background website: scroll it (on, Tavus's default) or show its top.",
    )
    background_scroll_type: Scroll = shown_default(
        ScrollType.HUMAN.value,
        "Scroll style",
        "With a background website: human (with pauses, Tavus's default) or smooth.",
    )
    background_scroll_depth: Depth = shown_default(
        ScrollDepth.MIDDLE.value,
        "Scroll depth",
        "With a background website: scroll to the middle (Tavus's default) or the bottom.",
    )
    background_scroll_return: AtDepth = shown_default(
        ScrollReturn.RETURN.value,
        "At the scroll depth",
        "With a background website: return to the top (Tavus's default) or halt there.",
    )
    watermark: Text = shown_default(
        "",
        "Watermark",
        f"PNG or JPEG laid over the video; empty for none. {MEDIA_SOURCE_HELP}",
    )
    start_with_wave: TavusOnByDefault = shown_default(
        True,
        "Start with a wave",
        "Open with a wave (stock replicas that support it; on is Tavus's default).",
    )
    fast: bool = Field(
        False,
        title="Fast rendering",
        description="Barebones fast rendering: no backgrounds, thumbnails or stream URL.",
    )
    transparent_background: bool = Field(
        False,
        title="Transparent background",
        description="Output a WebM with alpha instead of MP4. Needs Fast rendering.",
    )
    callback_url: Text = shown_default(
        "",
        "Callback URL",
        "http(s) endpoint Tavus POSTs the video to when it is ready or fails; empty for none.",
    )

    @model_validator(mode="before")
    @classmethod
    def _infer_speech(cls, data: Any) -> Any:
        """Without a ``speech`` choice, the one of ``script`` and ``audio`` that is given."""
        if isinstance(data, dict) and data.get("speech") in (None, ""):
            given = [name for name in ("script", "audio") if data.get(name) not in (None, "")]
            if len(given) == 1:
                data = {**data, "speech": given[0]}
        return data

    def media_sources(self) -> dict[str, str]:
        """The media fields that are set, by role (``audio``, ``background``, ``watermark``)."""
        return {role: value for role in MEDIA_ROLES if (value := getattr(self, role)) is not None}

    def scroll_options(self) -> dict[str, object]:
        """The background-scroll fields that differ from Tavus's defaults, by property name."""
        fields = (
            "background_scroll",
            "background_scroll_type",
            "background_scroll_depth",
            "background_scroll_return",
        )
        return {name: getattr(self, name) for name in fields if getattr(self, name) is not None}


def speech_problems(job: VideoJob) -> list[Problem]:
    """What is wrong with the choice of what the replica says (not the script's text).

    >>> for problem in speech_problems(VideoJob(replica_id="r", speech="audio", script="Hi")):
    ...     print(problem)
    job.audio: is empty; give a file, or choose 'script'
    job.script: must be empty when What the replica says is 'audio'

    """
    if job.speech is None:  # a Python caller gave both or neither, without choosing
        given = ", not both" if job.script is not None else " (neither was given)"
        return [Problem("job.script", f"give exactly one of script or audio{given}")]
    chosen, other = (
        ("script", "audio") if job.speech is SpeechSource.SCRIPT else ("audio", "script")
    )
    problems = []
    value = getattr(job, chosen)
    if value is None:
        wanted = "the text to speak" if chosen == "script" else "a file"
        problems.append(Problem(f"job.{chosen}", f"is empty; give {wanted}, or choose '{other}'"))
    if getattr(job, other) is not None:
        problems.append(
            Problem(
                f"job.{other}",
                f"must be empty when What the replica says is '{chosen}'",
            )
        )
    return problems


__all__ = [
    "MEDIA_ROLES",
    "MEDIA_SOURCE_HELP",
    "Number",
    "SpeechSource",
    "Text",
    "VideoJob",
    "WholeNumber",
    "shown_default",
    "speech_problems",
]
