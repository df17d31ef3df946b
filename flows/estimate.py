"""How many video minutes a batch would make, before anything is spent.

Audio rows count their measured audio length; script rows count words at
:data:`WORDS_PER_MINUTE` (a usual speaking rate; Tavus bills by video length, and a
script video is about as long as the speech). ``max_video_minutes`` refuses a run
whose estimate is larger, before the first create.

Example:
    >>> from prefect_tavus.flows.parameters import VideoJob
    >>> job = VideoJob(replica_id="r1", script=" ".join(["word"] * 300))
    >>> estimate_rows([job]).minutes
    2.0
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field

from prefect_tavus.flows.errors import VideoJobError
from prefect_tavus.flows.parameters import VideoJob
from prefect_tavus.flows.sources import StagedMedia

WORDS_PER_MINUTE = 150.0
"""Speaking rate used for script rows (150 words a minute)."""


class Estimate(BaseModel):
    """What a batch would make: rows, and minutes of video (audio measured, scripts by words)."""

    model_config = ConfigDict(frozen=True)

    rows: int
    audio_rows: int
    script_rows: int
    audio_seconds: float
    script_words: int
    words_per_minute: float = WORDS_PER_MINUTE
    minutes: float = Field(description="Estimated total video minutes.")

    def describe(self) -> str:
        """One line for logs and messages."""
        return (
            f"{self.rows} videos, about {self.minutes:.1f} video minutes "
            f"({self.audio_rows} audio rows: {self.audio_seconds / 60:.1f} min measured; "
            f"{self.script_rows} script rows: {self.script_words} words at "
            f"{self.words_per_minute:.0f} words/min)"
        )


class VideoMinutesExceeded(VideoJobError, ValueError):
    """The batch's estimate is over ``max_video_minutes``; nothing was uploaded or created."""

    def __init__(self, estimate: Estimate, limit: float) -> None:
        super().__init__(
            f"generate-videos refused: the estimate is {estimate.minutes:.1f} video minutes, "
            f"over max_video_minutes={limit:g} ({estimate.describe()}); nothing was uploaded "
            "or created"
        )
        self.estimate = estimate
        self.limit = limit


def estimate_rows(
    jobs: Iterable[VideoJob], media: Iterable[Mapping[str, StagedMedia]] | None = None
) -> Estimate:
    """Estimate ``jobs``; ``media`` (checked inputs per job, same order) gives audio lengths."""
    jobs = list(jobs)
    staged = list(media) if media is not None else [{} for _ in jobs]
    audio_rows = script_rows = words = 0
    audio_seconds = 0.0
    for job, inputs in zip(jobs, staged, strict=True):
        audio = inputs.get("audio")
        if job.script is not None:
            script_rows += 1
            words += len(job.script.split())
        elif audio is not None:
            audio_rows += 1
            audio_seconds += audio.info.duration_seconds or 0.0
    minutes = audio_seconds / 60 + words / WORDS_PER_MINUTE
    return Estimate(
        rows=len(jobs),
        audio_rows=audio_rows,
        script_rows=script_rows,
        audio_seconds=round(audio_seconds, 3),
        script_words=words,
        minutes=round(minutes, 3),
    )


def check_budget(estimate: Estimate, max_video_minutes: float | None) -> None:
    """Raise :class:`VideoMinutesExceeded` if ``estimate`` is over the cap (``None``: no cap)."""
    if max_video_minutes is not None and estimate.minutes > max_video_minutes:
        raise VideoMinutesExceeded(estimate, max_video_minutes)


__all__ = ["WORDS_PER_MINUTE", "Estimate", "VideoMinutesExceeded", "check_budget", "estimate_rows"]
