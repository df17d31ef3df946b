"""What the client says about itself: the installed version of prefect-tavus (read once;
``0.0.0`` from a bare source tree), its ``User-Agent`` and where it talks by default.

Kept free of imports beyond the standard library, so the credentials block can read
:data:`DEFAULT_BASE_URL` without loading the client.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("prefect-tavus")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

USER_AGENT = f"prefect-tavus/{__version__} (+httpx)"
"""``User-Agent`` sent with every request (API calls and downloads)."""

DEFAULT_BASE_URL = "https://tavusapi.com"
"""The Tavus API root, used unless a client or the credentials block names another."""
