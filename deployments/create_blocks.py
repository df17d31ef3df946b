"""Create the blocks the generate-video flow loads by name, for the real Tavus API and S3.

The Tavus API key is read from the ``TAVUS_API_KEY`` environment variable, or asked
for without echo; it is never a command-line argument (shell history, process list).
AWS credentials come from boto3's usual chain (environment, profile, instance role)
unless you name an existing ``AwsCredentials`` block.

Example:
    TAVUS_API_KEY=... python -m deployments.create_blocks \\
        --media-bucket my-tavus-media --output-bucket my-tavus-videos
"""

from __future__ import annotations

import argparse
import getpass
import os

from prefect_aws import AwsClientParameters, AwsCredentials, S3Bucket
from pydantic import SecretStr

from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.tavus_api import DEFAULT_BASE_URL


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (no secrets among them)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tavus-block", default="tavus", help="name of the Tavus block")
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL, help="Tavus API base URL")
    parser.add_argument("--media-bucket", required=True, help="S3 bucket for uploaded inputs")
    parser.add_argument("--output-bucket", help="S3 bucket for outputs (default: media bucket)")
    parser.add_argument("--media-block", default="tavus-media", help="name of its S3Bucket block")
    parser.add_argument("--output-block", default="tavus-outputs", help="name of its block")
    parser.add_argument("--aws-block", help="existing AwsCredentials block to use")
    parser.add_argument("--region", help="AWS region of the buckets")
    parser.add_argument("--endpoint-url", help="S3-compatible endpoint (MinIO, ...)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Save TavusCredentials and the media/output S3Bucket blocks."""
    args = parse_args(argv)
    api_key = os.environ.get("TAVUS_API_KEY") or getpass.getpass("Tavus API key: ")
    TavusCredentials(api_key=SecretStr(api_key), base_url=args.base_url).save(
        args.tavus_block, overwrite=True
    )
    if args.aws_block:
        aws = AwsCredentials.load(args.aws_block)
    else:
        aws = AwsCredentials(
            region_name=args.region,
            aws_client_parameters=AwsClientParameters(endpoint_url=args.endpoint_url),
        )
    buckets = {args.media_block: args.media_bucket}
    buckets[args.output_block] = args.output_bucket or args.media_bucket
    for block_name, bucket in buckets.items():
        S3Bucket(bucket_name=bucket, credentials=aws).save(block_name, overwrite=True)
    print(
        f"Saved blocks: {args.tavus_block!r} (Tavus), "
        + ", ".join(f"{name!r} (s3://{bucket})" for name, bucket in buckets.items())
    )


if __name__ == "__main__":
    main()
