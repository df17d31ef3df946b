"""Prefect blocks for Tavus: what a user configures once in the UI and loads by name.

Register them with ``prefect block register -m blocks`` (a third-party collection is
not registered by the Prefect server on its own). Storage uses prefect-aws's
``S3Bucket`` + ``AwsCredentials`` blocks.

Example:
    >>> from prefect_tavus.blocks import TavusCredentials
    >>> creds = TavusCredentials.load("tavus")  # doctest: +SKIP
"""

from prefect_tavus.blocks.credentials import TavusCredentials

__all__ = ["TavusCredentials"]
