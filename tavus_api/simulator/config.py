"""Settings of the simulator: keys, timing, the documented contradictions, seeded faults.

Example:
    >>> cfg = SimulatorConfig(api_keys=["sim-key"], clock="manual", generation_seconds=5)
    >>> cfg.page_base, cfg.delete_status, cfg.unknown_id_status
    (0, 200, 400)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from prefect_tavus.tavus_api.media import AUDIO_MAX_BYTES
from prefect_tavus.tavus_api.simulator.faults import FaultRule
from prefect_tavus.tavus_api.simulator.replicas import ReplicaSeed, default_user_replicas


class SimulatorConfig(BaseModel):
    """Everything a simulator run can be told. All fields have working defaults.

    Documented Tavus contradictions are options: ``page_base`` (0 per the 2026 docs, or
    1), ``delete_status`` for delete/rename success (200 per the docs, or 204 as some
    clients expect), ``unknown_id_status`` (400 ``Invalid video_id`` per the docs, or 404).

    Load and scale (for the batch flow's tests and the benchmarks; Tavus documents no
    video quota, so these are off by default):

    - ``quota_creates_per_second``: at most this many accepted ``POST /v2/videos`` in any
      1 s window (sliding, on the simulator's clock).
    - ``quota_concurrent_generating``: at most this many videos ``queued`` or
      ``generating`` at once.

      A create over either quota is answered 429 ``{"error": ...}`` with ``Retry-After``
      (whole seconds until the window lets one more in, or until the first unfinished video
      is due to be ready) and creates nothing. A 429 never hides a 400: the body is checked
      first. ``/_sim/stats`` counts them as ``rate_limited`` (and per route).
    - ``generation_jitter_seconds``: each video generates for ``generation_seconds`` plus a
      uniform draw from ``[-jitter, +jitter]``; the draws follow ``seed``.
    - ``preexisting_videos``: that many ``ready`` videos already in the account at start
      (and after a reset), created a day and more ago, one minute apart. They cost nothing
      until one of their files is requested, which renders it then (one shared render).
    - ``list_order``: order of ``GET /v2/videos`` (``newest`` first, as before, or
      ``oldest``). ``limit`` has no maximum, as Tavus documents none.
    - ``output_size_bytes``: every MP4 download is this many bytes: the real render, then a
      ``free`` box MP4 readers skip (duration and playback unchanged), streamed without
      holding or writing the padding. Served as is when the render is already that large.

    Example:
        >>> SimulatorConfig(quota_creates_per_second=20, generation_jitter_seconds=1,
        ...                 preexisting_videos=5000, output_size_bytes=2 * 1024**3).list_order
        'newest'
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    api_keys: list[str] = Field(
        default_factory=lambda: ["sim-key"], min_length=1, description="Accepted x-api-key values."
    )
    clock: Literal["real", "manual"] = Field(
        "real", description="'manual': time moves only on advance(); 'real': wall clock."
    )
    queue_seconds: float = Field(1.0, ge=0, description="Time a video stays queued.")
    generation_seconds: float = Field(5.0, ge=0, description="Time a video stays generating.")
    training_seconds: float = Field(
        30.0, ge=0, description="Time a replica created with POST /v2/replicas trains."
    )
    page_base: Literal[0, 1] = Field(0, description="Index of the first page of list endpoints.")
    delete_status: Literal[200, 204] = Field(200, description="Success code of delete/rename.")
    unknown_id_status: Literal[400, 404] = Field(
        400, description="Status for an unknown video/replica id."
    )
    seed: int = Field(0, description="Seeds fault probabilities and generated ids.")
    faults: list[FaultRule] = Field(default_factory=list, description="Initial fault rules.")
    user_replicas: list[ReplicaSeed] = Field(
        default_factory=default_user_replicas,
        description="User replicas present at start (stock replicas are always there).",
    )
    blocked_words: list[str] = Field(
        default_factory=lambda: ["#violates-guidelines"],
        description="A script containing one of these ends in script_community_guidelines.",
    )
    words_per_second: float = Field(2.5, gt=0, description="Speech rate for script videos.")
    max_download_bytes: int = Field(
        AUDIO_MAX_BYTES, gt=0, description="Downloads of inputs abort past this size."
    )
    fetch_timeout: float = Field(30.0, gt=0, description="Timeout of each input download.")
    callback_timeout: float = Field(5.0, gt=0, description="Timeout of each callback POST.")
    callback_retries: int = Field(0, ge=0, description="Extra callback attempts on failure.")
    workers: int = Field(4, ge=1, description="Threads fetching and rendering in parallel.")
    tick_seconds: float = Field(0.05, gt=0, description="Real clock: how often to advance.")
    width: int = Field(320, ge=16, description="Rendered video width.")
    height: int = Field(180, ge=16, description="Rendered video height.")
    fps: int = Field(10, ge=1, le=60, description="Rendered video frame rate.")
    data_dir: Path | None = Field(
        None, description="Where inputs and renders are kept; a temp dir (removed) if None."
    )
    public_base_url: str | None = Field(
        None, description="Base of URLs handed out; defaults to http://host:port."
    )
    admin_loopback_only: bool = Field(True, description="Refuse /_sim/ from non-loopback.")
    quota_creates_per_second: int | None = Field(
        None, ge=1, description="Accepted creates in any 1 s window; more get 429 (None: no cap)."
    )
    quota_concurrent_generating: int | None = Field(
        None, ge=1, description="Videos queued or generating at once; more get 429 (None: no cap)."
    )
    generation_jitter_seconds: float = Field(
        0.0, ge=0, description="Each video generates generation_seconds +- a uniform draw of this."
    )
    preexisting_videos: int = Field(
        0, ge=0, le=1_000_000, description="Ready videos in the account at start (old, cheap)."
    )
    list_order: Literal["newest", "oldest"] = Field(
        "newest", description="Order of GET /v2/videos: newest or oldest first."
    )
    output_size_bytes: int | None = Field(
        None, gt=0, description="Size of every MP4 download (render + free-box padding, streamed)."
    )

    @model_validator(mode="after")
    def _jitter_within_generation(self) -> SimulatorConfig:
        if self.generation_jitter_seconds > self.generation_seconds:
            raise ValueError(
                f"generation_jitter_seconds ({self.generation_jitter_seconds}) must not exceed "
                f"generation_seconds ({self.generation_seconds}): a video cannot generate for "
                "less than no time"
            )
        return self
