"""The Tavus Video API as a typed Python client (no Prefect in here).

Example:
    >>> from prefect_tavus.tavus_api import TavusClient, VideoRequest
    >>> with TavusClient(api_key="...") as client:  # doctest: +SKIP
    ...     video = client.create_video(VideoRequest(replica_id="r79e1c033f", script="Hi!"))
    ...     ready = client.wait_for_video(video.video_id, timeout=1800)
"""

from prefect_tavus.tavus_api._version import USER_AGENT, __version__
from prefect_tavus.tavus_api.client import DEFAULT_BASE_URL, AsyncTavusClient, TavusClient
from prefect_tavus.tavus_api.download import AsyncDownloadStream, DownloadResult, DownloadStream
from prefect_tavus.tavus_api.errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CreateOutcomeUnknownError,
    DownloadError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TavusError,
    VideoDeletedError,
    VideoFailedError,
    WaitTimeoutError,
)
from prefect_tavus.tavus_api.models import (
    Replica,
    ReplicaPage,
    ReplicaType,
    ScrollDepth,
    ScrollReturn,
    ScrollType,
    Video,
    VideoPage,
    VideoProperties,
    VideoRequest,
    VideoStatus,
)
from prefect_tavus.tavus_api.retry import RetryPolicy

__all__ = [
    "DEFAULT_BASE_URL",
    "USER_AGENT",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncDownloadStream",
    "AsyncTavusClient",
    "AuthenticationError",
    "BadRequestError",
    "CreateOutcomeUnknownError",
    "DownloadError",
    "DownloadResult",
    "DownloadStream",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "Replica",
    "ReplicaPage",
    "ReplicaType",
    "RetryPolicy",
    "ScrollDepth",
    "ScrollReturn",
    "ScrollType",
    "ServerError",
    "TavusClient",
    "TavusError",
    "Video",
    "VideoDeletedError",
    "VideoFailedError",
    "VideoPage",
    "VideoProperties",
    "VideoRequest",
    "VideoStatus",
    "WaitTimeoutError",
    "__version__",
]
