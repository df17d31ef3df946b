"""Everything `make demo` (and the benchmarks) run on: the Tavus simulator, an S3 server
(moto in server mode) and the Prefect blocks pointing at them, all on 127.0.0.1.

Nothing here is used against the real Tavus API or real S3: there you create the
blocks yourself (see README) and run the same flow.

Example:
    >>> with local_stack() as stack:  # doctest: +SKIP
    ...     names = stack.save_blocks()
    ...     generate_video(job, **names)
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer
from prefect import get_client
from prefect.exceptions import ObjectNotFound
from prefect_aws import AwsClientParameters, AwsCredentials, S3Bucket
from pydantic import SecretStr

from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.tavus_api.simulator import SimulatorConfig, SimulatorServer

LOCAL_REGION = "us-east-1"
# Fixed, fake credentials for the local S3 server; moto accepts any.
LOCAL_AWS_KEY = "local-access-key"
LOCAL_AWS_SECRET = "local-secret-key"  # not a secret: a local moto server


@dataclass(frozen=True)
class BlockNames:
    """Names of the four blocks the local stack saves; the defaults are ``prefect.yaml``'s.

    >>> BlockNames.prefixed("demo").tavus
    'demo-tavus'
    """

    tavus: str = "tavus"
    aws: str = "tavus-aws"
    media: str = "tavus-media"
    outputs: str = "tavus-outputs"

    @classmethod
    def prefixed(cls, prefix: str) -> BlockNames:
        """``<prefix>-tavus``, ``<prefix>-s3``, ``<prefix>-media``, ``<prefix>-outputs``."""
        return cls(f"{prefix}-tavus", f"{prefix}-s3", f"{prefix}-media", f"{prefix}-outputs")

    def flow_kwargs(self) -> dict[str, str]:
        """The flow keyword arguments naming the blocks."""
        return {
            "credentials_block": self.tavus,
            "media_bucket_block": self.media,
            "output_bucket_block": self.outputs,
        }


@dataclass
class LocalStack:
    """Handles on the running local services."""

    s3_endpoint: str
    tavus: SimulatorServer
    media_bucket: str = "tavus-media"
    output_bucket: str = "tavus-outputs"

    def s3_client(self) -> Any:  # boto3 client types are generated at runtime
        """A boto3 S3 client on the local server."""
        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name=LOCAL_REGION,
            aws_access_key_id=LOCAL_AWS_KEY,
            aws_secret_access_key=LOCAL_AWS_SECRET,
        )

    def save_blocks(self, prefix: str = "local", names: BlockNames | None = None) -> dict[str, str]:
        """Create the buckets and save the blocks the flow loads by name.

        The blocks are named ``<prefix>-tavus`` etc., or as ``names`` says. Returns the
        flow keyword arguments naming them, e.g. ``{"credentials_block": "local-tavus", ...}``.
        """
        names = names or BlockNames.prefixed(prefix)
        s3 = self.s3_client()
        for bucket in (self.media_bucket, self.output_bucket):
            s3.create_bucket(Bucket=bucket)
        aws = AwsCredentials(
            aws_access_key_id=LOCAL_AWS_KEY,
            aws_secret_access_key=SecretStr(LOCAL_AWS_SECRET),
            region_name=LOCAL_REGION,
            aws_client_parameters=AwsClientParameters(endpoint_url=self.s3_endpoint),
        )
        aws.save(names.aws, overwrite=True)
        S3Bucket(bucket_name=self.media_bucket, credentials=aws).save(names.media, overwrite=True)
        S3Bucket(bucket_name=self.output_bucket, credentials=aws).save(
            names.outputs, overwrite=True
        )
        TavusCredentials(api_key=SecretStr(self.tavus.api_key), base_url=self.tavus.base_url).save(
            names.tavus, overwrite=True
        )
        return names.flow_kwargs()


def delete_blocks(names: BlockNames) -> None:
    """Remove the blocks :meth:`LocalStack.save_blocks` saved (their servers are gone)."""
    slugs = {
        names.tavus: TavusCredentials.get_block_type_slug(),
        names.aws: AwsCredentials.get_block_type_slug(),
        names.media: S3Bucket.get_block_type_slug(),
        names.outputs: S3Bucket.get_block_type_slug(),
    }
    with get_client(sync_client=True) as client:
        for name, slug in slugs.items():
            with suppress(ObjectNotFound):
                client.delete_block_document(
                    client.read_block_document_by_name(name, block_type_slug=slug).id
                )


@contextmanager
def local_stack(
    generation_seconds: float = 2.0, queue_seconds: float = 0.5
) -> Iterator[LocalStack]:
    """Start the simulator (real clock) and a moto S3 server on free loopback ports."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    config = SimulatorConfig(
        api_keys=["local-demo-key"],
        clock="real",
        generation_seconds=generation_seconds,
        queue_seconds=queue_seconds,
        # new video ids on every start, as Tavus gives: runs kept in a Prefect server
        # (artifacts, events by tavus.video.<id>) then never mix two demos' videos
        seed=random.randrange(2**32),
    )
    try:
        with SimulatorServer(config) as tavus:
            yield LocalStack(s3_endpoint=f"http://{host}:{port}", tavus=tavus)
    finally:
        moto.stop()
