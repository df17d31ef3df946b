"""The installed version of prefect-tavus, read once (``0.0.0`` from a bare source tree)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("prefect-tavus")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

USER_AGENT = f"prefect-tavus/{__version__} (+httpx)"
"""``User-Agent`` sent with every request (API calls and downloads)."""
