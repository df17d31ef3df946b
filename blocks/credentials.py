"""The Tavus API key and connection settings, stored as a Prefect block.

The key is a ``SecretStr``: the Prefect server stores it encrypted and shows it as
``**********``; it is unwrapped only inside :meth:`TavusCredentials.get_client` /
:meth:`TavusCredentials.get_async_client`, where the client is built.

Example:
    >>> from prefect_tavus.blocks import TavusCredentials
    >>> TavusCredentials(api_key="sk-...").save("tavus")  # doctest: +SKIP
    >>> with TavusCredentials.load("tavus").get_client() as client:  # doctest: +SKIP
    ...     print(client.get_replica("r79e1c033f").status)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect.blocks.abstract import CredentialsBlock
from pydantic import Field, HttpUrl, SecretStr, field_validator

from prefect_tavus.tavus_api._version import DEFAULT_BASE_URL
from prefect_tavus.tavus_api.models import check_http_url

if TYPE_CHECKING:  # imported lazily: building a block must not need the client module
    from prefect_tavus.tavus_api.client import AsyncTavusClient, TavusClient
    from prefect_tavus.tavus_api.retry import RetryPolicy


class TavusCredentials(CredentialsBlock):
    """Credentials and connection settings for the Tavus Video API.

    Holds the API key (never shown in the UI, logs or ``repr``) and how the client
    talks to Tavus: base URL (point it at the local simulator for demos and tests),
    timeouts and retry backoff for transient failures (429, 502-504, dropped
    connections). A create request is never blindly re-sent: see the client docs.

    Example:
        Load saved credentials and make a client:
        ```python
        from prefect_tavus.blocks import TavusCredentials

        tavus_credentials = TavusCredentials.load("BLOCK_NAME")
        with tavus_credentials.get_client() as client:
            replicas = client.list_replicas()
        ```
    """

    _block_type_name = "Tavus Credentials"
    _block_type_slug = "tavus-credentials"
    _logo_url = HttpUrl("https://www.tavus.io/favicon.png")
    _documentation_url = HttpUrl("https://docs.tavus.io/api-reference/authentication")

    api_key: SecretStr = Field(
        default=...,
        title="API Key",
        description="Tavus API key, sent as the x-api-key header (Developer Portal > API Keys).",
    )
    base_url: str = Field(
        default=DEFAULT_BASE_URL,
        title="Base URL",
        description="Root URL of the Tavus API; change it only to use a local simulator or proxy.",
    )
    connect_timeout: float = Field(
        default=10.0,
        gt=0,
        title="Connect Timeout (s)",
        description="Seconds to wait for a connection to the API before giving up.",
    )
    read_timeout: float = Field(
        default=30.0,
        gt=0,
        title="Read Timeout (s)",
        description="Seconds to wait for the API to answer a request before giving up.",
    )
    max_retries: int = Field(
        default=4,
        ge=0,
        title="Max Retries",
        description="Retries of a call that failed transiently (429, 502-504, dropped connection).",
    )
    retry_initial_delay: float = Field(
        default=0.5,
        ge=0,
        title="First Retry Delay (s)",
        description="Seconds before the first retry; each later retry waits twice as long.",
    )
    retry_max_delay: float = Field(
        default=30.0,
        ge=0,
        title="Longest Retry Delay (s)",
        description="Cap on the wait between two retries, in seconds.",
    )

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        return check_http_url(value, "base_url").rstrip("/")

    def retry_policy(self) -> RetryPolicy:
        """The client's :class:`~tavus_api.retry.RetryPolicy` built from this block's fields."""
        from prefect_tavus.tavus_api.retry import RetryPolicy

        return RetryPolicy(
            max_retries=self.max_retries,
            initial_delay=self.retry_initial_delay,
            max_delay=max(self.retry_max_delay, self.retry_initial_delay),
        )

    def _client_settings(self) -> dict[str, Any]:
        # the one place the secret is unwrapped: straight into the client
        return {
            "api_key": self.api_key.get_secret_value(),
            "base_url": self.base_url,
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
            "retry": self.retry_policy(),
        }

    def get_client(self) -> TavusClient:
        """A synchronous :class:`~tavus_api.client.TavusClient`; use it as a context manager.

        Example:
            ```python
            with TavusCredentials.load("BLOCK_NAME").get_client() as client:
                video = client.get_video("1e30440cf9")
            ```
        """
        from prefect_tavus.tavus_api.client import TavusClient

        return TavusClient(**self._client_settings())

    def get_async_client(self) -> AsyncTavusClient:
        """An :class:`~tavus_api.client.AsyncTavusClient`; use it with ``async with``.

        Example:
            ```python
            async with TavusCredentials.load("BLOCK_NAME").get_async_client() as client:
                video = await client.get_video("1e30440cf9")
            ```
        """
        from prefect_tavus.tavus_api.client import AsyncTavusClient

        return AsyncTavusClient(**self._client_settings())
