"""The Tavus Video API as a typed Python client (no Prefect in here).

Example:
    >>> from tavus_api import TavusClient, VideoRequest
    >>> with TavusClient(api_key="...") as client:  # doctest: +SKIP
    ...     video = client.create_video(VideoRequest(replica_id="r79e1c033f", script="Hi!"))
    ...     ready = client.wait_for_video(video.video_id, timeout=1800)
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("prefect-tavus")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
