"""The simulator's store and lifecycle: videos, replicas, the clock, and what happens when.

A video is ``queued`` for ``queue_seconds`` (or while its replica trains), then
``generating``: its media URLs are downloaded and checked and the video is rendered
(in a worker thread) while ``generation_progress`` climbs; ``generation_seconds`` after
it started it is ``ready`` (files published) or, as soon as an input fails, ``error``
with the documented ``status_details``. Callbacks go out on ``ready`` and ``error``.
Each video's generation time is drawn at create (``generation_jitter_seconds``, seeded);
creates over the account quota are refused with 429 (:mod:`.quota`); pre-existing videos
are rendered only when one of their files is first asked for (:meth:`ensure_files`).

:meth:`SimulatorState.process` performs every transition that is due at the current
clock time; with ``wait=True`` it first waits for the downloads and renders it started,
so a manual-clock ``advance()`` returns only when everything due has happened.

Example:
    >>> state = SimulatorState(SimulatorConfig(clock="manual"), data_dir)  # doctest: +SKIP
    >>> state.create_video(parse_create_video(b'{"replica_id": "...", "script": "Hi"}'))
    ... # doctest: +SKIP
    >>> state.advance(10)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import random
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect_tavus.tavus_api.simulator import messages as msg
from prefect_tavus.tavus_api.simulator.bodies import ApiError, CreateVideo
from prefect_tavus.tavus_api.simulator.callbacks import CallbackSender
from prefect_tavus.tavus_api.simulator.clock import Clock
from prefect_tavus.tavus_api.simulator.config import SimulatorConfig
from prefect_tavus.tavus_api.simulator.faults import FaultInjector
from prefect_tavus.tavus_api.simulator.fetch import Fetcher
from prefect_tavus.tavus_api.simulator.pipeline import Outcome, prepare
from prefect_tavus.tavus_api.simulator.quota import CreateQuota
from prefect_tavus.tavus_api.simulator.render import Renderer
from prefect_tavus.tavus_api.simulator.replicas import (
    DEFAULT_REPLICA_ID,
    STOCK_CREATED_AT,
    STOCK_REPLICAS,
    ReplicaSeed,
)
from prefect_tavus.tavus_api.simulator.stats import Stats


@dataclass
class ReplicaRecord:
    """A replica as stored. ``ready_at`` is when it became usable (None: not yet/never)."""

    replica_id: str
    replica_name: str
    replica_type: str
    status: str
    model_name: str
    created_at: float
    updated_at: float
    error_message: str | None = None
    training_done_at: float | None = None
    callback_url: str | None = None
    deleted: bool = False

    @property
    def ready_at(self) -> float | None:
        if self.status == "completed":
            return self.training_done_at if self.training_done_at is not None else self.created_at
        return None


@dataclass
class VideoRecord:
    """A video as stored."""

    video_id: str
    video_name: str
    request: CreateVideo
    created_at: float
    updated_at: float
    status: str = "queued"
    status_details: str = msg.VIDEO_QUEUED
    error_details: str | None = None
    started_at: float | None = None
    progress_at_end: int = 0
    job: Future[Outcome] | None = None
    extension: str = "mp4"
    files: dict[str, Path] = field(default_factory=dict)
    hls_dir: Path | None = None
    generation_seconds: float = 0.0
    render_on_demand: bool = False
    """Ready without files yet (a pre-existing video): rendered when a file is asked for."""

    @property
    def replica_id(self) -> str:
        return self.request.replica_id


class SimulatorState:
    """Everything the routes read and change, safe to use from many threads."""

    def __init__(self, config: SimulatorConfig, data_dir: Path, base_url: str = "") -> None:
        self.initial_config = config
        self.config = config
        self.data_dir = Path(data_dir)
        self.base_url = base_url
        self.videos_dir = self.data_dir / "videos"
        self.stats = Stats()
        self.faults = FaultInjector(config.faults, config.seed)
        self.clock = Clock(config.clock)
        self._lock = threading.RLock()
        self._process_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(config.workers, thread_name_prefix="tavus-sim")
        self._epoch = 0
        self._build_services()
        self._init_records()

    # --- setup ---------------------------------------------------------------------------------

    def _build_services(self) -> None:
        cfg = self.config
        self.callbacks = CallbackSender(timeout=cfg.callback_timeout, retries=cfg.callback_retries)
        self.fetcher = Fetcher(
            self.data_dir / "inputs",
            timeout=cfg.fetch_timeout,
            max_bytes=cfg.max_download_bytes,
            stats=self.stats,
        )
        self.renderer = Renderer(
            self.data_dir / "renders",
            width=cfg.width,
            height=cfg.height,
            fps=cfg.fps,
            stats=self.stats,
        )

    def _init_records(self) -> None:
        self._rng = random.Random(self.config.seed)
        # Its own stream, so the jitter of the n-th create depends only on the seed.
        self._jitter_rng = random.Random(f"generation-jitter-{self.config.seed}")
        self.quota = CreateQuota(
            per_second=self.config.quota_creates_per_second,
            concurrent=self.config.quota_concurrent_generating,
        )
        self._videos: dict[str, VideoRecord] = {}
        self._active: dict[str, VideoRecord] = {}  # queued or generating
        self._replicas: dict[str, ReplicaRecord] = {}
        self._outbox: list[tuple[float, str, dict[str, Any]]] = []
        now = self.clock.now()
        for seed in STOCK_REPLICAS:
            self._add_replica(seed, STOCK_CREATED_AT)
        for seed in self.config.user_replicas:
            self._add_replica(seed, now - 86_400)
        self._add_preexisting_videos(now)
        shutil.rmtree(self.videos_dir, ignore_errors=True)
        self.videos_dir.mkdir(parents=True, exist_ok=True)

    def _add_replica(self, seed: ReplicaSeed, created_at: float) -> None:
        done_at = None
        if seed.status == "started" and seed.training_seconds is not None:
            done_at = created_at + seed.training_seconds
        self._replicas[seed.replica_id] = ReplicaRecord(
            replica_id=seed.replica_id,
            replica_name=seed.replica_name,
            replica_type=seed.replica_type,
            status=seed.status,
            model_name=seed.model_name,
            created_at=created_at,
            updated_at=created_at,
            error_message=seed.error_message,
            training_done_at=done_at,
        )

    def _add_preexisting_videos(self, now: float) -> None:
        """``config.preexisting_videos`` ready videos, a day and more old, a minute apart."""
        count = self.config.preexisting_videos
        request = CreateVideo(replica_id=DEFAULT_REPLICA_ID, script=msg.PREEXISTING_SCRIPT)
        for index in range(count):
            created_at = now - 86_400 - 60 * (count - index)
            video_id = self._new_id("", 10, self._videos)
            self._videos[video_id] = VideoRecord(
                video_id=video_id,
                video_name=f"Pre-existing video {index + 1}",
                request=request,
                created_at=created_at,
                updated_at=created_at + 60,
                status="ready",
                status_details=msg.VIDEO_SUCCESS,
                render_on_demand=True,
            )

    def reset(self, config: SimulatorConfig | None = None) -> None:
        """Forget every video, user replica, count, fault, callback; restart the clock.

        With ``config``, run from then on with it (the port and data dir stay). Renders
        stay cached. Work still running for the old state is discarded.
        """
        with self._process_lock, self._lock:
            self._epoch += 1
            if config is not None:
                old = (self.callbacks, self.fetcher)
                self.config = config
                self.clock = Clock(config.clock)
                self._build_services()
                for service in old:
                    service.close()
            self.clock.reset()
            self.stats.clear()
            self.callbacks.clear()
            self.faults.set_rules(self.config.faults, self.config.seed)
            self._init_records()

    def config_with(self, overrides: dict[str, Any]) -> SimulatorConfig:
        """The config the state was created with, changed by ``overrides`` (validated).

        Raises:
            pydantic.ValidationError: an unknown field or a bad value.
        """
        return SimulatorConfig.model_validate({**self.initial_config.model_dump(), **overrides})

    def close(self) -> None:
        """Stop the worker threads and close HTTP clients."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.callbacks.close()
        self.fetcher.close()

    # --- ids and JSON --------------------------------------------------------------------------

    def _new_id(self, prefix: str, hex_digits: int, taken: dict[str, Any]) -> str:
        while True:
            candidate = prefix + f"{self._rng.getrandbits(4 * hex_digits):0{hex_digits}x}"
            if candidate not in taken:
                return candidate

    def _unknown(self, what: str) -> ApiError:
        message = msg.INVALID_VIDEO_ID if what == "video" else msg.INVALID_REPLICA_ID
        return ApiError(self.config.unknown_id_status, {"error": message})

    def _progress(self, video: VideoRecord, now: float) -> int:
        if video.status == "generating" and video.started_at is not None:
            total = video.generation_seconds
            if total <= 0:
                return 99
            return max(0, min(99, int(100 * (now - video.started_at) / total)))
        if video.status == "ready":
            return 100
        return video.progress_at_end if video.status == "deleted" else 0

    def _urls(self, video: VideoRecord) -> dict[str, str | None]:
        media = f"{self.base_url}/media/{video.video_id}"
        lazy = video.render_on_demand

        def has(kind: str) -> bool:
            return lazy or kind in video.files

        return {
            "download_url": f"{media}.{video.extension}" if has("video") else None,
            "stream_url": (
                f"{self.base_url}/stream/{video.video_id}/index.m3u8"
                if lazy or video.hls_dir
                else None
            ),
            "still_image_thumbnail_url": f"{media}.jpg" if has("jpg") else None,
            "gif_thumbnail_url": f"{media}.gif" if has("gif") else None,
        }

    def _video_json(
        self, video: VideoRecord, now: float, *, thumbnails: bool, callback: bool = False
    ) -> dict[str, Any]:
        req = video.request
        data: dict[str, Any] = {"script": req.script} if req.script is not None else {}
        data.update(req.properties)
        urls = self._urls(video)
        blank = None if callback else ""

        def value(v: str | None) -> str | None:
            return blank if v is None else v

        out: dict[str, Any] = {
            "video_id": video.video_id,
            "video_name": video.video_name,
            "status": video.status,
            "data": data,
            "replica_id": video.replica_id,
            "download_url": value(urls["download_url"]),
            "stream_url": value(urls["stream_url"]),
            "hosted_url": self.hosted_url(video.video_id),
            "status_details": video.status_details,
            "generation_progress": f"{self._progress(video, now)}/100",
            "error_details": video.error_details if video.error_details else blank,
            "background_url": value(req.background_url),
            "background_source_url": value(req.background_source_url),
            "created_at": msg.callback_time(video.created_at),
            "updated_at": msg.callback_time(video.updated_at),
        }
        if thumbnails:
            out["still_image_thumbnail_url"] = value(urls["still_image_thumbnail_url"])
            out["gif_thumbnail_url"] = value(urls["gif_thumbnail_url"])
        return out

    def hosted_url(self, video_id: str) -> str:
        return f"{self.base_url}/video/{video_id}"

    def _replica_json(self, replica: ReplicaRecord, now: float, *, verbose: bool) -> dict[str, Any]:
        if replica.status == "completed":
            progress = 100
        elif replica.status == "started" and replica.training_done_at is not None:
            span = max(replica.training_done_at - replica.created_at, 1e-9)
            progress = max(0, min(99, int(100 * (now - replica.created_at) / span)))
        else:
            progress = 0
        out: dict[str, Any] = {
            "replica_id": replica.replica_id,
            "replica_name": replica.replica_name,
            "thumbnail_video_url": "",
            "training_progress": f"{progress}/100",
            "status": replica.status,
            "created_at": msg.iso_time(replica.created_at),
            "updated_at": msg.iso_time(replica.updated_at),
            "error_message": replica.error_message,
            "model_name": replica.model_name,
        }
        if verbose:
            out["replica_type"] = replica.replica_type
        return out

    # --- videos --------------------------------------------------------------------------------

    def create_video(self, request: CreateVideo) -> dict[str, Any]:
        """Store a new ``queued`` video; the create response (RFC 1123 ``created_at``).

        Raises:
            ApiError: 400 for an unknown replica; 429 with ``Retry-After`` over the quota
                (nothing stored).
        """
        with self._lock:
            replica = self._replicas.get(request.replica_id)
            if replica is None or replica.deleted:
                raise ApiError(400, {"error": msg.INVALID_REPLICA_ID})
            now = self.clock.now()
            self._admit(now)
            video_id = self._new_id("", 10, self._videos)
            name = request.video_name or msg.default_video_name(request.replica_id, video_id, now)
            video = VideoRecord(
                video_id=video_id,
                video_name=name,
                request=request,
                created_at=now,
                updated_at=now,
                generation_seconds=self._draw_generation_seconds(),
            )
            if replica.status == "started":
                video.status_details = msg.replica_in_training(replica.replica_id)
            self._videos[video_id] = video
            self._active[video_id] = video
            self.stats.incr("videos_created")
            return {
                "video_id": video_id,
                "video_name": name,
                "status": "queued",
                "hosted_url": self.hosted_url(video_id),
                "created_at": msg.rfc1123(now),
            }

    def _admit(self, now: float) -> None:
        """Raise a 429 (counted) if the account quota refuses a create at ``now``."""
        next_free_at = None
        limit = self.quota.concurrent
        if limit is not None and len(self._active) >= limit:
            ends = [self._expected_end(v) for v in self._active.values()]
            next_free_at = min((end for end in ends if end is not None), default=None)
        refusal = self.quota.admit(now, unfinished=len(self._active), next_free_at=next_free_at)
        if refusal is None:
            return
        self.stats.incr("rate_limited")
        self.stats.incr(f"rate_limited_{refusal.reason}")
        raise ApiError(
            429, {"error": refusal.message}, headers={"Retry-After": refusal.retry_after_header}
        )

    def _expected_end(self, video: VideoRecord) -> float | None:
        """When an unfinished video should be ready (None: its replica's training never ends)."""
        if video.started_at is not None:
            return video.started_at + video.generation_seconds
        start = video.created_at + self.config.queue_seconds
        replica = self._replicas.get(video.replica_id)
        if replica is None or replica.deleted or replica.status == "error":
            return start
        ready_at = replica.ready_at if replica.ready_at is not None else replica.training_done_at
        if ready_at is None:
            return None
        return max(start, ready_at) + video.generation_seconds

    def _draw_generation_seconds(self) -> float:
        base, jitter = self.config.generation_seconds, self.config.generation_jitter_seconds
        if jitter == 0:
            return base
        return max(0.0, base + self._jitter_rng.uniform(-jitter, jitter))

    def _video(self, video_id: str) -> VideoRecord:
        video = self._videos.get(video_id)
        if video is None:
            raise self._unknown("video")
        return video

    def get_video(self, video_id: str, *, verbose: bool = False) -> dict[str, Any]:
        with self._lock:
            return self._video_json(self._video(video_id), self.clock.now(), thumbnails=verbose)

    def list_videos(self, *, limit: int, page: int) -> dict[str, Any]:
        """In ``config.list_order`` (newest first by default); ``page`` counted from
        ``config.page_base`` (lower means the first). Videos are stored in creation order."""
        with self._lock:
            now = self.clock.now()
            index = max(page - self.config.page_base, 0)
            ordered = list(self._videos.values())
            if self.config.list_order == "newest":
                ordered.reverse()
            chunk = ordered[index * limit : (index + 1) * limit]
            return {
                "data": [self._video_json(v, now, thumbnails=True) for v in chunk],
                "total_count": len(ordered),
            }

    def delete_video(self, video_id: str, *, hard: bool) -> None:
        """Soft: status ``deleted`` (still readable). Hard: gone, files removed."""
        with self._lock:
            video = self._video(video_id)
            self._active.pop(video_id, None)
            if hard:
                del self._videos[video_id]
                shutil.rmtree(self.videos_dir / video_id, ignore_errors=True)
                return
            video.progress_at_end = self._progress(video, self.clock.now())
            video.status = "deleted"
            video.status_details = msg.VIDEO_DELETED
            video.updated_at = self.clock.now()

    def rename_video(self, video_id: str, name: str) -> None:
        with self._lock:
            video = self._video(video_id)
            video.video_name = name
            video.updated_at = self.clock.now()

    def ensure_files(self, video_id: str) -> None:
        """Render and publish a pre-existing video's files if not done yet (blocking).

        A failed render leaves the video without files (its URLs answer 404).
        """
        with self._lock:
            video = self._videos.get(video_id)
            if video is None or not video.render_on_demand:
                return
            request, epoch = video.request, self._epoch
        outcome = self._prepare(video_id, request, epoch)
        with self._lock:
            if outcome.rendered is None or self._videos.get(video_id) is not video:
                return
            if video.render_on_demand:
                self._publish(video, outcome)
                video.render_on_demand = False

    def video_file(self, video_id: str, kind: str) -> Path | None:
        """Path of a published file (``video``, ``jpg``, ``gif``) or None."""
        with self._lock:
            video = self._videos.get(video_id)
            return None if video is None else video.files.get(kind)

    def video_extension(self, video_id: str) -> str | None:
        with self._lock:
            video = self._videos.get(video_id)
            return None if video is None else video.extension

    def stream_dir(self, video_id: str) -> Path | None:
        with self._lock:
            video = self._videos.get(video_id)
            return None if video is None else video.hls_dir

    def video_summary(self, video_id: str) -> dict[str, Any] | None:
        """The video JSON (verbose) or None, for the hosted page."""
        with self._lock:
            video = self._videos.get(video_id)
            if video is None:
                return None
            return self._video_json(video, self.clock.now(), thumbnails=True)

    # --- replicas ------------------------------------------------------------------------------

    def _replica(self, replica_id: str) -> ReplicaRecord:
        replica = self._replicas.get(replica_id)
        if replica is None or replica.deleted:
            raise self._unknown("replica")
        return replica

    def list_replicas(
        self,
        *,
        limit: int,
        page: int,
        verbose: bool,
        replica_type: str | None,
        replica_ids: list[str] | None,
        model_name: str | None,
    ) -> dict[str, Any]:
        with self._lock:
            now = self.clock.now()
            found = [
                r
                for r in self._replicas.values()
                if not r.deleted
                and (replica_type is None or r.replica_type == replica_type)
                and (replica_ids is None or r.replica_id in replica_ids)
                and (model_name is None or r.model_name == model_name)
            ]
            found.sort(key=lambda r: r.created_at, reverse=True)
            index = max(page - self.config.page_base, 0)
            chunk = found[index * limit : (index + 1) * limit]
            return {
                "data": [self._replica_json(r, now, verbose=verbose) for r in chunk],
                "total_count": len(found),
            }

    def get_replica(self, replica_id: str, *, verbose: bool) -> dict[str, Any]:
        with self._lock:
            return self._replica_json(self._replica(replica_id), self.clock.now(), verbose=verbose)

    def create_replica(
        self, *, replica_name: str | None, model_name: str, callback_url: str | None
    ) -> dict[str, Any]:
        """A user replica that trains for ``training_seconds``, then completes."""
        with self._lock:
            now = self.clock.now()
            replica_id = self._new_id("r", 11, self._replicas)
            self._replicas[replica_id] = ReplicaRecord(
                replica_id=replica_id,
                replica_name=replica_name or f"Replica {replica_id}",
                replica_type="user",
                status="started",
                model_name=model_name,
                created_at=now,
                updated_at=now,
                training_done_at=now + self.config.training_seconds,
                callback_url=callback_url,
            )
            self.stats.incr("replicas_created")
            return {"replica_id": replica_id, "status": "started"}

    def delete_replica(self, replica_id: str, *, hard: bool) -> None:
        with self._lock:
            replica = self._replica(replica_id)
            if replica.replica_type == "system":
                raise ApiError(400, {"error": "Stock replicas cannot be deleted"})
            if hard:
                del self._replicas[replica_id]
            else:
                replica.deleted = True
                replica.updated_at = self.clock.now()

    def rename_replica(self, replica_id: str, name: str) -> None:
        with self._lock:
            replica = self._replica(replica_id)
            replica.replica_name = name
            replica.updated_at = self.clock.now()

    # --- lifecycle -----------------------------------------------------------------------------

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward and perform everything that became due."""
        now = self.clock.advance(seconds)
        self.process(wait=True)
        return now

    def process(self, *, wait: bool) -> None:
        """Perform every transition due now; ``wait`` first finishes started downloads/renders.

        Callbacks of the transitions are sent in time order: before returning when
        ``wait``, else from the worker threads.
        """
        with self._process_lock:
            with self._lock:
                epoch = self._epoch
                now = self.clock.now()
                self._complete_training(now)
                self._start_due(now, epoch)
                jobs = [v.job for v in self._active.values() if v.job is not None]
            if wait and jobs:
                wait_futures(jobs)
            with self._lock:
                if epoch == self._epoch:
                    self._finish_due(self.clock.now(), settled=wait)
                sends, self._outbox = self._outbox, []
        sends.sort(key=lambda item: item[0])
        for _, url, payload in sends:
            if wait:
                self.callbacks.send(url, payload)
            else:
                self._pool.submit(self.callbacks.send, url, payload)

    def _complete_training(self, now: float) -> None:
        for replica in self._replicas.values():
            done = replica.training_done_at
            if replica.status == "started" and done is not None and done <= now:
                replica.status = "completed"
                replica.updated_at = done
                if replica.callback_url:
                    payload = {"replica_id": replica.replica_id, "status": "ready"}
                    self._outbox.append((done, replica.callback_url, payload))

    def _start_due(self, now: float, epoch: int) -> None:
        for video in list(self._active.values()):
            if video.status != "queued":
                continue
            due = video.created_at + self.config.queue_seconds
            replica = self._replicas.get(video.replica_id)
            if replica is None or replica.deleted:
                if due <= now:
                    self._fail(video, "video_error", "the replica was deleted", due, now)
                continue
            if replica.status == "error":
                if due <= now:
                    text = msg.replica_in_error_state(replica.replica_id)
                    self._fail(video, "replica_in_error_state", None, due, now, text=text)
                continue
            ready_at = replica.ready_at
            if ready_at is None:
                video.status_details = msg.replica_in_training(replica.replica_id)
                continue
            start = max(due, ready_at)
            if start > now:
                continue
            video.status = "generating"
            video.status_details = msg.VIDEO_GENERATING
            video.started_at = video.updated_at = start
            video.job = self._pool.submit(self._prepare, video.video_id, video.request, epoch)

    def _finish_due(self, now: float, *, settled: bool) -> None:
        for video in list(self._active.values()):
            if video.status != "generating" or video.job is None or not video.job.done():
                continue
            outcome = video.job.result()
            assert video.started_at is not None
            if outcome.error_type is not None:
                at = video.started_at if settled else now
                self._fail(video, outcome.error_type, outcome.error_details, at, now)
                continue
            ready_at = video.started_at + video.generation_seconds
            if ready_at > now:
                continue
            self._publish(video, outcome)
            video.status = "ready"
            video.status_details = msg.VIDEO_SUCCESS
            video.updated_at = ready_at if settled else now
            video.job = None
            del self._active[video.video_id]
            self.stats.incr("videos_ready")
            self._notify(video, now)

    def _notify(self, video: VideoRecord, now: float) -> None:
        if video.request.callback_url:
            payload = self._video_json(video, now, thumbnails=False, callback=True)
            self._outbox.append((video.updated_at, video.request.callback_url, payload))

    def _fail(
        self,
        video: VideoRecord,
        error_type: str,
        details: str | None,
        at: float,
        now: float,
        *,
        text: str | None = None,
    ) -> None:
        video.status = "error"
        video.status_details = text or msg.STATUS_DETAILS.get(error_type, msg.VIDEO_ERROR)
        video.error_details = details
        video.updated_at = at
        video.job = None
        self._active.pop(video.video_id, None)
        self.stats.incr("videos_failed")
        self._notify(video, now)

    def _publish(self, video: VideoRecord, outcome: Outcome) -> None:
        rendered = outcome.rendered
        assert rendered is not None
        folder = self.videos_dir / video.video_id
        folder.mkdir(parents=True, exist_ok=True)
        video.extension = outcome.extension
        sources = {
            f"video.{outcome.extension}": ("video", rendered.video),
            "thumbnail.jpg": ("jpg", rendered.thumbnail_jpg),
            "thumbnail.gif": ("gif", rendered.thumbnail_gif),
        }
        for name, (kind, source) in sources.items():
            if source is None:
                continue
            target = folder / name
            if not target.exists():
                try:
                    os.link(source, target)
                except OSError:
                    shutil.copyfile(source, target)
            video.files[kind] = target
        video.hls_dir = rendered.hls_dir

    # --- the work of generating (runs in worker threads) ---------------------------------------

    def _prepare(self, video_id: str, request: CreateVideo, epoch: int) -> Outcome:
        """:func:`~tavus_api.simulator.pipeline.prepare`, unless the simulator was reset since."""
        if epoch != self._epoch:
            return Outcome(error_type="video_error", error_details="simulator was reset")
        return prepare(
            video_id, request, fetcher=self.fetcher, renderer=self.renderer, config=self.config
        )

    # --- reporting -----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Counters plus videos by status, the clock and pending work (for ``/_sim/stats``)."""
        with self._lock:
            by_status: dict[str, int] = {}
            for video in self._videos.values():
                by_status[video.status] = by_status.get(video.status, 0) + 1
            out = self.stats.snapshot()
            out.update(
                {
                    "videos_created": self.stats.get("videos_created"),
                    "rate_limited": self.stats.get("rate_limited"),
                    "rate_limited_by_reason": {
                        reason: self.stats.get(f"rate_limited_{reason}")
                        for reason in ("creates_per_second", "concurrent_generating")
                    },
                    "videos": by_status,
                    "videos_total": len(self._videos),
                    "replicas_total": sum(1 for r in self._replicas.values() if not r.deleted),
                    "callbacks_sent": len(self.callbacks.deliveries()),
                    "clock": {"mode": self.config.clock, "now": self.clock.now()},
                    "faults_active": [r.model_dump() for r in self.faults.rules],
                }
            )
            return out
