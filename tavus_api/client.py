"""``TavusClient`` and ``AsyncTavusClient``: one method per Tavus Video API endpoint.

Both are thin drivers over the same sans-IO operations (:mod:`tavus_api._steps`):
the rules (requests, retries, error mapping, the create duplicate guard, the wait
loop, pagination) are written once; the sync client performs the steps with
``httpx.Client`` and ``time.sleep``, the async one with ``httpx.AsyncClient`` and
``asyncio.sleep``. Sleep and clock are injectable, so tests never wait.

The API key travels only in the ``x-api-key`` header of API requests; downloads use
a separate client without it. No log line, exception or ``repr`` contains it.

Example:
    >>> from prefect_tavus.tavus_api import TavusClient, VideoRequest
    >>> with TavusClient(api_key="...") as client:  # doctest: +SKIP
    ...     video = client.create_video(
    ...         VideoRequest(replica_id="r79e1c033f", script="Hi!", video_name="hello-2025-07-14")
    ...     )
    ...     ready = client.wait_for_video(video.video_id, timeout=1800)
    ...     client.download_to(ready.download_url, "hello.mp4")
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Self, TypeVar, Unpack

import httpx
from pydantic import SecretStr

from prefect_tavus.tavus_api import _create, _operations, waiting, watch
from prefect_tavus.tavus_api._operations import ApiContext, ListOrder
from prefect_tavus.tavus_api._steps import Emit, Notify, Operation, Send, Sleep, Step
from prefect_tavus.tavus_api._version import DEFAULT_BASE_URL
from prefect_tavus.tavus_api.download import (
    DEFAULT_CHUNK_SIZE,
    AsyncDownloadStream,
    DownloadResult,
    DownloadStream,
    destination,
    open_download,
)
from prefect_tavus.tavus_api.errors import CreateOutcomeUnknownError
from prefect_tavus.tavus_api.models import (
    Replica,
    ReplicaFilters,
    ReplicaPage,
    Video,
    VideoPage,
    VideoRequest,
    check_http_url,
)
from prefect_tavus.tavus_api.pacing import OnRateLimited, report_rate_limits
from prefect_tavus.tavus_api.retry import RetryPolicy

T = TypeVar("T")


OnChange = Callable[[Video], Any]
"""Called with the video on each status or progress change (may return an awaitable
for the async client)."""


def _paced_create(
    ctx: ApiContext,
    request: VideoRequest,
    since: datetime | None,
    on_rate_limited: OnRateLimited | None,
) -> Operation[Video]:
    operation = _create.create_video(ctx, request, since=since)
    return operation if on_rate_limited is None else report_rate_limits(operation, on_rate_limited)


class _ClientBase:
    """What both clients share: settings validation, the operations' context, ``repr``."""

    def __init__(
        self,
        api_key: str | SecretStr,
        *,
        base_url: str,
        connect_timeout: float,
        read_timeout: float,
        retry: RetryPolicy | None,
        clock: Callable[[], float],
    ) -> None:
        secret = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        if not isinstance(secret, str) or not secret.strip():
            raise ValueError("api_key must be a non-empty string")
        check_http_url(base_url, "base_url")
        self._timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        )
        self._ctx = ApiContext(
            base_url=base_url.rstrip("/"),
            api_key=secret,
            timeout=self._timeout,
            retry=retry or RetryPolicy(),
            monotonic=clock,
        )

    @property
    def base_url(self) -> str:
        """The API root, without a trailing slash."""
        return self._ctx.base_url

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy in use."""
        return self._ctx.retry

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class TavusClient(_ClientBase):
    """Synchronous Tavus Video API client (``httpx.Client``).

    Args:
        api_key: the Tavus API key (plain or ``SecretStr``).
        base_url: API root; a trailing slash is fine (the simulator's URL in tests).
        connect_timeout: seconds to connect (also the wait for a pooled connection).
        read_timeout: seconds to wait for each read (and write).
        retry: retry policy; default ``RetryPolicy()``.
        http_client: an ``httpx.Client`` to send API requests with (left open on
            ``close``); by default the client makes and owns one.
        sleep: how to wait (default ``time.sleep``); tests pass a fake.
        clock: monotonic clock for ``wait_for_video`` deadlines (default ``time.monotonic``).

    Use as a context manager, or call :meth:`close`.

    Example:
        >>> with TavusClient(api_key="...") as client:  # doctest: +SKIP
        ...     print(client.get_video("1e30440cf9").status)
    """

    def __init__(
        self,
        api_key: str | SecretStr,
        *,
        base_url: str = DEFAULT_BASE_URL,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retry=retry,
            clock=clock,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=self._timeout)
        self._download_http: httpx.Client | None = None
        self._download_lock = threading.Lock()
        self._sleep = sleep

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections this client opened (not a caller's ``http_client``)."""
        if self._owns_http:
            self._http.close()
        with self._download_lock:
            if self._download_http is not None:
                self._download_http.close()
                self._download_http = None

    # --- driver ------------------------------------------------------------------------------

    def _downloads(self) -> httpx.Client:
        with self._download_lock:
            if self._download_http is None:
                self._download_http = httpx.Client(timeout=self._timeout, follow_redirects=True)
            return self._download_http

    def _perform(self, step: Step, on_change: OnChange | None) -> Any:
        if isinstance(step, Send):
            http = self._downloads() if step.download else self._http
            try:
                response = http.send(step.request, stream=step.stream)
            except httpx.RequestError as exc:
                return exc
            if step.stream and not response.is_success:
                try:
                    response.read()
                except httpx.RequestError as exc:
                    return exc
                finally:
                    response.close()
            return response
        if isinstance(step, Sleep):
            self._sleep(step.seconds)
            return None
        if isinstance(step, Notify):
            if on_change is not None:
                on_change(step.video)
            return None
        raise RuntimeError(f"unexpected step {step!r}")

    def _run(self, operation: Operation[T], on_change: OnChange | None = None) -> T:
        result: Any = None
        try:
            while True:
                result = self._perform(operation.send(result), on_change)
        except StopIteration as stop:
            returned: T = stop.value  # the operation's return value (typeshed types it Any)
            return returned
        finally:
            operation.close()

    def _iterate(self, operation: Operation[None]) -> Iterator[Any]:
        result: Any = None
        try:
            while True:
                step = operation.send(result)
                if isinstance(step, Emit):
                    yield step.item
                    result = None
                else:
                    result = self._perform(step, None)
        except StopIteration:
            return
        finally:
            operation.close()

    # --- videos ------------------------------------------------------------------------------

    def create_video(
        self,
        request: VideoRequest,
        *,
        since: datetime | None = None,
        on_rate_limited: OnRateLimited | None = None,
    ) -> Video:
        """Create a video (``POST /v2/videos``), sent at most once in effect.

        Retried only where Tavus did not act (429, connect errors before sending).
        Where the outcome is unknown (5xx, read timeout, dropped connection) the
        client looks the video up by ``request.video_name`` (:meth:`find_created_video`)
        and returns it, sends again if none exists, or raises
        :class:`~tavus_api.errors.CreateOutcomeUnknownError` if it cannot tell (no
        name, or the name is not unique). Give each request a unique ``video_name``.
        ``since`` is when this create began (default: now); pass the time of the
        first attempt when retrying a create whose answer was lost.
        ``on_rate_limited(seconds)`` is told of every 429 and how long the client means to
        wait; a longer wait it returns is used instead
        (:meth:`CreatePacer.rate_limited <tavus_api.pacing.CreatePacer.rate_limited>`: all
        creates slow down and the re-send takes its turn).

        Example:
            >>> client.create_video(VideoRequest(replica_id="r79e1c033f", script="Hi!",
            ...                                  video_name="welcome-42"))  # doctest: +SKIP
            Video(video_id='1e30440cf9', status=<VideoStatus.QUEUED: 'queued'>, ...)
        """
        return self._run(_paced_create(self._ctx, request, since, on_rate_limited))

    def get_video(self, video_id: str, *, verbose: bool = False) -> Video:
        """One video (``GET /v2/videos/{id}``); ``verbose`` adds thumbnail URLs.

        Raises :class:`~tavus_api.errors.NotFoundError` for an unknown id.

        Example:
            >>> client.get_video("1e30440cf9").status  # doctest: +SKIP
            <VideoStatus.READY: 'ready'>
        """
        return self._run(_operations.get_video(self._ctx, video_id, verbose=verbose))

    def list_videos(self, *, page: int | None = None, limit: int | None = None) -> VideoPage:
        """One page of videos (``GET /v2/videos``); ``page`` is passed as given.

        Example:
            >>> client.list_videos(limit=10).total_count  # doctest: +SKIP
            42
        """
        return self._run(_operations.list_videos(self._ctx, page=page, limit=limit))

    def iter_videos(self, *, page_size: int = 100) -> Iterator[Video]:
        """Every video in the account, page by page, each once (page base detected).

        Example:
            >>> names = [v.video_name for v in client.iter_videos()]  # doctest: +SKIP
        """
        return self._iterate(_operations.iter_videos(self._ctx, page_size=page_size))

    def find_videos_by_name(
        self,
        video_name: str,
        *,
        created_after: datetime | None = None,
        order: ListOrder | None = None,
        max_pages: int | None = None,
    ) -> list[Video]:
        """Videos named exactly ``video_name`` (lists videos; Tavus has no name filter).

        With ``created_after`` (aware UTC) only newer videos count, and the listing
        stops once it can only hold older ones (see :meth:`find_videos_by_names`).

        Example:
            >>> [v.video_id for v in client.find_videos_by_name("welcome-42")]  # doctest: +SKIP
            ['1e30440cf9']
        """
        operation = _operations.find_videos_by_name(
            self._ctx, video_name, created_after=created_after, order=order, max_pages=max_pages
        )
        return self._run(operation)

    def find_videos_by_names(
        self,
        video_names: Iterable[str],
        *,
        created_after: datetime | None = None,
        order: ListOrder | None = None,
    ) -> dict[str, list[Video]]:
        """Each of ``video_names`` with its videos (``[]`` if none), in one pass over the list.

        With ``created_after``, videos created before it are ignored and the listing
        stops early where its order allows: newest first (read until older videos
        begin) or oldest first (the last pages only). ``order`` is detected from the
        first page's ``created_at`` unless given; if it cannot be, every page is read.

        Example (re-attach a batch's rows after a crash):
            >>> found = client.find_videos_by_names(  # doctest: +SKIP
            ...     ["row-1", "row-2"], created_after=run_started
            ... )
            >>> {name: [v.video_id for v in vs] for name, vs in found.items()}  # doctest: +SKIP
            {'row-1': ['1e30440cf9'], 'row-2': []}
        """
        return self._run(
            _operations.find_videos_by_names(
                self._ctx, video_names, created_after=created_after, order=order
            )
        )

    def find_created_video(self, video_name: str, *, since: datetime) -> Video | None:
        """The live video named ``video_name`` created by a create begun at ``since``, if any.

        The duplicate guard's own lookup, for a caller that lost track of a create
        (a retried task): same-named videos much older than ``since`` (see
        ``REATTACH_TOLERANCE_SECONDS``) or deleted do not count; several that do raise
        :class:`~tavus_api.errors.CreateOutcomeUnknownError`.

        Example:
            >>> client.find_created_video("welcome-42", since=first_attempt)  # doctest: +SKIP
            Video(video_id='1e30440cf9', ...)
        """
        return self._run(_create.find_created_video(self._ctx, video_name, since=since))

    def find_created_videos(
        self, video_names: Iterable[str], *, since: datetime
    ) -> dict[str, Video | CreateOutcomeUnknownError]:
        """:meth:`find_created_video` for many names, in one pass over the list.

        A name with no such video is left out; a name several videos qualify for maps
        to a :class:`~tavus_api.errors.CreateOutcomeUnknownError` (do not create again).

        Example (re-attach a batch's rows after a crash):
            >>> found = client.find_created_videos(  # doctest: +SKIP
            ...     ["row-1", "row-2"], since=started
            ... )
            >>> {name: v.video_id for name, v in found.items()}  # doctest: +SKIP
            {'row-1': '1e30440cf9'}
        """
        return self._run(_create.find_created_videos(self._ctx, video_names, since=since))

    def delete_video(self, video_id: str, *, hard: bool = False) -> None:
        """Delete a video (``hard=True``: irrevocably, with its assets). Any 2xx is success.

        Example:
            >>> client.delete_video("1e30440cf9")  # doctest: +SKIP
        """
        self._run(_operations.delete_video(self._ctx, video_id, hard=hard))

    def rename_video(self, video_id: str, video_name: str) -> None:
        """Rename a video (``PATCH /v2/videos/{id}/name``).

        Example:
            >>> client.rename_video("1e30440cf9", "Sales")  # doctest: +SKIP
        """
        self._run(_operations.rename_video(self._ctx, video_id, video_name))

    # --- replicas ----------------------------------------------------------------------------

    def list_replicas(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        verbose: bool = False,
        **filters: Unpack[ReplicaFilters],
    ) -> ReplicaPage:
        """One page of replicas (``GET /v2/replicas``) with Tavus's filters.

        ``replica_type``, ``replica_ids`` and ``model_name`` filter as described in
        :class:`~prefect_tavus.tavus_api.models.ReplicaFilters`.

        Example:
            >>> client.list_replicas(replica_type="system", limit=5).data  # doctest: +SKIP
        """
        return self._run(
            _operations.list_replicas(
                self._ctx,
                page=page,
                limit=limit,
                verbose=verbose,
                **filters,
            )
        )

    def iter_replicas(
        self,
        *,
        page_size: int = 100,
        verbose: bool = False,
        **filters: Unpack[ReplicaFilters],
    ) -> Iterator[Replica]:
        """Every replica matching the filters, page by page, each once.

        Example:
            >>> ready = [r for r in client.iter_replicas() if r.is_ready]  # doctest: +SKIP
        """
        return self._iterate(
            _operations.iter_replicas(
                self._ctx,
                page_size=page_size,
                verbose=verbose,
                **filters,
            )
        )

    def get_replica(self, replica_id: str, *, verbose: bool = False) -> Replica:
        """One replica (``GET /v2/replicas/{id}``); unknown id -> ``NotFoundError``.

        Example:
            >>> client.get_replica("r79e1c033f").is_ready  # doctest: +SKIP
            True
        """
        return self._run(_operations.get_replica(self._ctx, replica_id, verbose=verbose))

    # --- waiting -----------------------------------------------------------------------------

    def wait_for_video(
        self,
        video_id: str,
        *,
        timeout: float = 3600.0,
        poll_interval: float = 5.0,
        max_poll_interval: float = 30.0,
        on_change: Callable[[Video], None] | None = None,
        not_found_grace: float = waiting.NOT_FOUND_GRACE_SECONDS,
        verbose: bool = False,
    ) -> Video:
        """Poll until the video is ``ready`` and return it.

        Polls start ``poll_interval`` apart and back off x1.5 (with jitter) to
        ``max_poll_interval``, against a monotonic deadline ``timeout`` seconds away.
        ``on_change`` is called when status or progress changes. An "Invalid
        video_id" within ``not_found_grace`` seconds is taken as "not visible yet".
        ``verbose`` polls with ``verbose=true`` so the ready video has thumbnail URLs.

        Raises:
            VideoFailedError: the video ended in ``error`` (``status_details`` says why).
            VideoDeletedError: the video was deleted.
            WaitTimeoutError: not ready by the deadline (wait again with the same id).

        Example:
            >>> video = client.wait_for_video("1e30440cf9", timeout=1800,
            ...                               on_change=lambda v: print(v.status))  # doctest: +SKIP
        """
        operation = waiting.wait_for_video(
            self._ctx,
            video_id,
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            not_found_grace=not_found_grace,
            verbose=verbose,
        )
        return self._run(operation, on_change)

    def wait_for_videos(
        self,
        video_ids: Sequence[str],
        *,
        timeout: float = 3600.0,
        poll_interval: float = 5.0,
        max_poll_interval: float = 30.0,
        first_poll_delay: float = 0.0,
        page_size: int = 100,
        not_found_grace: float = waiting.NOT_FOUND_GRACE_SECONDS,
    ) -> Iterator[watch.WatchOutcome]:
        """Wait for many videos at once; yields a :class:`~tavus_api.watch.WatchOutcome`
        per id as it ends (the sync side of :meth:`AsyncTavusClient.watch_videos`).

        Example:
            >>> for outcome in client.wait_for_videos(ids, timeout=1800):  # doctest: +SKIP
            ...     print(outcome.video_id, outcome.kind)
        """
        if isinstance(video_ids, str):
            raise TypeError("video_ids must be a sequence of ids, not one string")
        state = watch.WatchState(
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            first_poll_delay=first_poll_delay,
            page_size=page_size,
            not_found_grace=not_found_grace,
        )
        now = self._ctx.monotonic()
        for video_id in video_ids:
            state.add(video_id, timeout, now)
        state.closed = True
        return self._iterate(watch.watch(self._ctx, state))

    # --- downloads ---------------------------------------------------------------------------

    @contextmanager
    def stream_download(
        self, url: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> Iterator[DownloadStream]:
        """Open ``url`` (a ``download_url``) as a readable stream, without the API key.

        The stream is file-like (``read(n)``), so it can go straight to
        ``boto3``'s ``upload_fileobj``; it keeps ``bytes_read`` and ``sha256`` and
        checks the size against ``Content-Length`` at the end.

        Example:
            >>> with client.stream_download(video.download_url) as stream:  # doctest: +SKIP
            ...     s3.upload_fileobj(stream, "bucket", "videos/abc.mp4")
        """
        response = self._run(open_download(self._ctx, url))
        stream = DownloadStream(response, url=url, chunk_size=chunk_size)
        try:
            yield stream
        finally:
            stream.close()

    def download_to(
        self, url: str, dest: str | Path | BinaryIO, *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> DownloadResult:
        """Download ``url`` into a path (written atomically) or an open binary file.

        Example:
            >>> client.download_to(video.download_url, "out/abc.mp4").size_bytes  # doctest: +SKIP
            1048576
        """
        with self.stream_download(url, chunk_size=chunk_size) as stream, destination(dest) as out:
            for chunk in stream:
                out.write(chunk)
        return DownloadResult(
            size_bytes=stream.bytes_read, sha256=stream.sha256, content_type=stream.content_type
        )


class AsyncTavusClient(_ClientBase):
    """Asynchronous Tavus Video API client (``httpx.AsyncClient``): the twin of
    :class:`TavusClient`, same methods and arguments, awaited.

    ``iter_videos``/``iter_replicas`` are async iterators, ``stream_download`` an
    async context manager yielding :class:`AsyncDownloadStream`, ``on_change`` may
    be a plain or an async callable, and ``sleep`` (injectable) is async. Many
    videos can wait concurrently on one client (``asyncio.gather``).

    Example:
        >>> async with AsyncTavusClient(api_key="...") as client:  # doctest: +SKIP
        ...     videos = await asyncio.gather(*(client.wait_for_video(i) for i in ids))
    """

    def __init__(
        self,
        api_key: str | SecretStr,
        *,
        base_url: str = DEFAULT_BASE_URL,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retry=retry,
            clock=clock,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=self._timeout)
        self._download_http: httpx.AsyncClient | None = None
        self._sleep = sleep

    # --- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP connections this client opened (not a caller's ``http_client``)."""
        if self._owns_http:
            await self._http.aclose()
        if self._download_http is not None:
            await self._download_http.aclose()
            self._download_http = None

    # --- driver ------------------------------------------------------------------------------

    def _downloads(self) -> httpx.AsyncClient:
        if self._download_http is None:
            self._download_http = httpx.AsyncClient(timeout=self._timeout, follow_redirects=True)
        return self._download_http

    async def _perform(self, step: Step, on_change: OnChange | None) -> Any:
        if isinstance(step, Send):
            http = self._downloads() if step.download else self._http
            try:
                response = await http.send(step.request, stream=step.stream)
            except httpx.RequestError as exc:
                return exc
            if step.stream and not response.is_success:
                try:
                    await response.aread()
                except httpx.RequestError as exc:
                    return exc
                finally:
                    await response.aclose()
            return response
        if isinstance(step, Sleep):
            await self._sleep(step.seconds)
            return None
        if isinstance(step, Notify):
            if on_change is not None:
                outcome = on_change(step.video)
                if inspect.isawaitable(outcome):
                    await outcome
            return None
        raise RuntimeError(f"unexpected step {step!r}")

    async def _run(self, operation: Operation[T], on_change: OnChange | None = None) -> T:
        result: Any = None
        try:
            while True:
                result = await self._perform(operation.send(result), on_change)
        except StopIteration as stop:
            returned: T = stop.value  # the operation's return value (typeshed types it Any)
            return returned
        finally:
            operation.close()

    async def _iterate(self, operation: Operation[None]) -> AsyncIterator[Any]:
        result: Any = None
        try:
            while True:
                step = operation.send(result)
                if isinstance(step, Emit):
                    yield step.item
                    result = None
                else:
                    result = await self._perform(step, None)
        except StopIteration:
            return
        finally:
            operation.close()

    # --- videos ------------------------------------------------------------------------------

    async def create_video(
        self,
        request: VideoRequest,
        *,
        since: datetime | None = None,
        on_rate_limited: OnRateLimited | None = None,
    ) -> Video:
        """Create a video, sent at most once in effect (see :meth:`TavusClient.create_video`)."""
        return await self._run(_paced_create(self._ctx, request, since, on_rate_limited))

    async def get_video(self, video_id: str, *, verbose: bool = False) -> Video:
        """One video (see :meth:`TavusClient.get_video`)."""
        return await self._run(_operations.get_video(self._ctx, video_id, verbose=verbose))

    async def list_videos(self, *, page: int | None = None, limit: int | None = None) -> VideoPage:
        """One page of videos (see :meth:`TavusClient.list_videos`)."""
        return await self._run(_operations.list_videos(self._ctx, page=page, limit=limit))

    async def iter_videos(self, *, page_size: int = 100) -> AsyncIterator[Video]:
        """Every video, each once (``async for v in client.iter_videos()``)."""
        async for video in self._iterate(_operations.iter_videos(self._ctx, page_size=page_size)):
            yield video

    async def find_videos_by_name(
        self,
        video_name: str,
        *,
        created_after: datetime | None = None,
        order: ListOrder | None = None,
        max_pages: int | None = None,
    ) -> list[Video]:
        """Videos named exactly ``video_name`` (see :meth:`TavusClient.find_videos_by_name`)."""
        return await self._run(
            _operations.find_videos_by_name(
                self._ctx, video_name, created_after=created_after, order=order, max_pages=max_pages
            )
        )

    async def find_videos_by_names(
        self,
        video_names: Iterable[str],
        *,
        created_after: datetime | None = None,
        order: ListOrder | None = None,
    ) -> dict[str, list[Video]]:
        """Many names in one pass (see :meth:`TavusClient.find_videos_by_names`)."""
        return await self._run(
            _operations.find_videos_by_names(
                self._ctx, video_names, created_after=created_after, order=order
            )
        )

    async def find_created_video(self, video_name: str, *, since: datetime) -> Video | None:
        """The video a create begun at ``since`` made (see ``TavusClient.find_created_video``)."""
        return await self._run(_create.find_created_video(self._ctx, video_name, since=since))

    async def find_created_videos(
        self, video_names: Iterable[str], *, since: datetime
    ) -> dict[str, Video | CreateOutcomeUnknownError]:
        """Many names in one pass (see :meth:`TavusClient.find_created_videos`)."""
        return await self._run(_create.find_created_videos(self._ctx, video_names, since=since))

    async def delete_video(self, video_id: str, *, hard: bool = False) -> None:
        """Delete a video (see :meth:`TavusClient.delete_video`)."""
        await self._run(_operations.delete_video(self._ctx, video_id, hard=hard))

    async def rename_video(self, video_id: str, video_name: str) -> None:
        """Rename a video (see :meth:`TavusClient.rename_video`)."""
        await self._run(_operations.rename_video(self._ctx, video_id, video_name))

    # --- replicas ----------------------------------------------------------------------------

    async def list_replicas(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        verbose: bool = False,
        **filters: Unpack[ReplicaFilters],
    ) -> ReplicaPage:
        """One page of replicas (see :meth:`TavusClient.list_replicas`)."""
        return await self._run(
            _operations.list_replicas(
                self._ctx,
                page=page,
                limit=limit,
                verbose=verbose,
                **filters,
            )
        )

    async def iter_replicas(
        self,
        *,
        page_size: int = 100,
        verbose: bool = False,
        **filters: Unpack[ReplicaFilters],
    ) -> AsyncIterator[Replica]:
        """Every replica matching the filters, each once (``async for``)."""
        operation = _operations.iter_replicas(
            self._ctx,
            page_size=page_size,
            verbose=verbose,
            **filters,
        )
        async for replica in self._iterate(operation):
            yield replica

    async def get_replica(self, replica_id: str, *, verbose: bool = False) -> Replica:
        """One replica (see :meth:`TavusClient.get_replica`)."""
        return await self._run(_operations.get_replica(self._ctx, replica_id, verbose=verbose))

    # --- waiting -----------------------------------------------------------------------------

    async def wait_for_video(
        self,
        video_id: str,
        *,
        timeout: float = 3600.0,
        poll_interval: float = 5.0,
        max_poll_interval: float = 30.0,
        on_change: Callable[[Video], Any] | None = None,
        not_found_grace: float = waiting.NOT_FOUND_GRACE_SECONDS,
        verbose: bool = False,
    ) -> Video:
        """Poll until ready (see :meth:`TavusClient.wait_for_video`); ``on_change`` may be async."""
        operation = waiting.wait_for_video(
            self._ctx,
            video_id,
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            not_found_grace=not_found_grace,
            verbose=verbose,
        )
        return await self._run(operation, on_change)

    def watch_videos(
        self,
        *,
        poll_interval: float = 5.0,
        max_poll_interval: float = 30.0,
        first_poll_delay: float = 5.0,
        page_size: int = 100,
        not_found_grace: float = waiting.NOT_FOUND_GRACE_SECONDS,
        verbose: bool = False,
        on_change: Callable[[Video], Any] | None = None,
    ) -> watch.VideoWatcher:
        """One waiter for many videos: add ids any time, iterate outcomes as they end.

        Each round reads ``GET /v2/videos`` pages or one ``GET`` per due video,
        whichever costs fewer requests (see :mod:`tavus_api.watch`). An id is first
        read ``first_poll_delay`` after ``add``; list reads repeat every
        ``poll_interval``, per-video reads back off x1.5 to ``max_poll_interval``.
        ``verbose`` reads ready videos with their thumbnail URLs; ``on_change`` (may be
        async) gets every read that shows a new status or progress.

        Example:
            >>> watcher = client.watch_videos(poll_interval=3)  # doctest: +SKIP
            >>> watcher.add(video.video_id, timeout_seconds=1800)  # doctest: +SKIP
            >>> watcher.close()  # doctest: +SKIP
            >>> async for outcome in watcher:  # doctest: +SKIP
            ...     print(outcome.video_id, outcome.kind, outcome.error)
        """
        state = watch.WatchState(
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            first_poll_delay=first_poll_delay,
            page_size=page_size,
            not_found_grace=not_found_grace,
            verbose=verbose,
        )
        return watch.VideoWatcher(
            self._ctx, lambda step: self._perform(step, on_change), self._sleep, state
        )

    # --- downloads ---------------------------------------------------------------------------

    @asynccontextmanager
    async def stream_download(
        self, url: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> AsyncIterator[AsyncDownloadStream]:
        """Open ``url`` as an :class:`AsyncDownloadStream` (no API key sent).

        Example:
            >>> async with client.stream_download(url) as stream:  # doctest: +SKIP
            ...     async for chunk in stream:
            ...         sink.write(chunk)
        """
        response = await self._run(open_download(self._ctx, url))
        stream = AsyncDownloadStream(response, url=url, chunk_size=chunk_size)
        try:
            yield stream
        finally:
            await stream.aclose()

    async def download_to(
        self, url: str, dest: str | Path | BinaryIO, *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> DownloadResult:
        """Download ``url`` into a path (written atomically) or an open binary file.

        Local writes are plain (blocking) file writes of one chunk at a time.
        """
        async with self.stream_download(url, chunk_size=chunk_size) as stream:
            with destination(dest) as out:
                async for chunk in stream:
                    out.write(chunk)
        return DownloadResult(
            size_bytes=stream.bytes_read, sha256=stream.sha256, content_type=stream.content_type
        )


__all__ = ["DEFAULT_BASE_URL", "AsyncTavusClient", "TavusClient"]
