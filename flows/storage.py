"""S3 plumbing shared by the tasks, on top of prefect-aws's ``S3Bucket`` block.

Every client comes from the block's own credentials (``AwsCredentials`` or
``MinIOCredentials``, endpoint and options from ``aws_client_parameters``). Keys
honour the block's ``bucket_folder``. Large transfers go through boto3's managed
transfer (multipart above :data:`MULTIPART_THRESHOLD`), so memory stays flat.

Example:
    >>> loc = S3Location.parse("s3://media-bucket/voices/a.wav")
    >>> loc.bucket, loc.key, loc.uri
    ('media-bucket', 'voices/a.wav', 's3://media-bucket/voices/a.wav')
"""

from __future__ import annotations

import io
import os
import re
from typing import TYPE_CHECKING, Any

from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from prefect_aws import S3Bucket
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MULTIPART_THRESHOLD = 8 * 1024 * 1024
"""Objects larger than this are sent in parts (8 MiB, S3's usual default)."""

TRANSFER_CONFIG = TransferConfig(
    multipart_threshold=MULTIPART_THRESHOLD,
    multipart_chunksize=MULTIPART_THRESHOLD,
    max_concurrency=4,
    use_threads=True,
)
# Parts read from a stream (a download) wait in memory for an upload thread; s3transfer
# holds up to 10 by default (80 MiB), boto3's TransferConfig does not take the setting.
TRANSFER_CONFIG.max_in_memory_upload_chunks = 4
"""boto3 managed-transfer settings for every upload: 8 MiB parts, 4 in flight, at most 4
read ahead from a stream (so about 64 MiB of parts in memory at most, whatever the size)."""

MAX_PRESIGN_SECONDS = 7 * 24 * 3600
"""SigV4 presigned URLs live at most 7 days."""

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")

BUCKET_NAME_RULES = (
    "3-63 characters: lowercase letters, digits, dots and hyphens, starting and ending "
    "with a letter or digit, no '..', not an IP address"
)
"""What S3 allows in a bucket name, as the error messages say it."""


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid S3 bucket name, or ``None`` if it is.

    >>> bucket_name_problem("media-bucket") is None
    True
    >>> bucket_name_problem("Bad_Bucket")  # doctest: +ELLIPSIS
    "'Bad_Bucket' is not a valid S3 bucket name (3-63 characters: lowercase letters, ..."
    """
    if _BUCKET.match(name) and ".." not in name and not _IP_ADDRESS.match(name):
        return None
    return f"{name!r} is not a valid S3 bucket name ({BUCKET_NAME_RULES})"


class S3Object(BaseModel):
    """Base of every record naming one S3 object by ``bucket`` and ``key``.

    >>> S3Object(bucket="media-bucket", key="voices/a.wav").uri
    's3://media-bucket/voices/a.wav'
    """

    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str

    @property
    def uri(self) -> str:
        """``s3://bucket/key``."""
        return f"s3://{self.bucket}/{self.key}"


class S3Location(S3Object):
    """An object in S3: ``bucket`` and ``key``, parsed from an ``s3://`` URI."""

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        """Read ``s3://bucket/key``; raise ``ValueError`` saying what is wrong.

        >>> S3Location.parse("s3://Bad_Bucket/x")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: 'Bad_Bucket' is not a valid S3 bucket name (3-63 characters: ...)
        """
        if not uri.startswith("s3://"):
            raise ValueError(f"{uri!r} is not an S3 URI; expected s3://bucket/key")
        bucket, _, key = uri[len("s3://") :].partition("/")
        if not bucket or not key or key.endswith("/"):
            raise ValueError(f"{uri!r} is not an S3 object URI; expected s3://bucket/key")
        problem = bucket_name_problem(bucket)
        if problem:
            raise ValueError(problem)
        return cls(bucket=bucket, key=key)

    def __str__(self) -> str:
        return self.uri


def join_key(*parts: str | None) -> str:
    """Join key parts with single slashes, dropping empty parts.

    >>> join_key("a/", "/b/", None, "c.wav")
    'a/b/c.wav'
    """
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def object_key(bucket: S3Bucket, *parts: str | None) -> str:
    """A key inside ``bucket``'s ``bucket_folder``.

    >>> object_key(S3Bucket(bucket_name="b-1", bucket_folder="team"), "tavus", "x.wav")
    'team/tavus/x.wav'
    """
    return join_key(bucket.bucket_folder, *parts)


def s3_client(bucket: S3Bucket) -> Any:
    """The block's own boto3 S3 client (``bucket.credentials.get_s3_client()``)."""
    return bucket.credentials.get_s3_client()


def presign_client(bucket: S3Bucket) -> Any:
    """A boto3 S3 client for presigning with Signature Version 4.

    boto3 presigns with legacy SigV2 unless ``signature_version`` is set explicitly, so
    when the block's ``aws_client_parameters.config`` does not set it, this builds a
    client from the block's own session and parameters with ``s3v4`` added.
    """
    creds = bucket.credentials
    params = creds.aws_client_parameters.get_params_override()
    config: Config | None = params.pop("config", None)
    if config is not None and config.signature_version == "s3v4":
        return creds.get_s3_client()
    sigv4 = Config(signature_version="s3v4")
    params["config"] = config.merge(sigv4) if config is not None else sigv4
    if creds.region_name:
        params["region_name"] = creds.region_name
    return creds.get_boto3_session().client("s3", **params)


def head_object(client: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """``HeadObject`` of ``bucket/key``, or ``None`` when there is no such object."""
    try:
        head: dict[str, Any] = client.head_object(Bucket=bucket, Key=key)  # boto3 is untyped
        return head
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def bucket_problem(client: Any, bucket: str) -> str | None:
    """Why ``bucket`` cannot be used (its name, then ``HeadBucket``), or ``None`` if it can."""
    invalid = bucket_name_problem(bucket)
    if invalid:
        return invalid  # boto would refuse it before sending, with its regex as the reason
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            return f"bucket {bucket!r} does not exist"
        if code in ("403", "AccessDenied", "Forbidden"):
            return f"bucket {bucket!r} is not accessible with these credentials (403)"
        return f"bucket {bucket!r} cannot be used: {code or exc}"
    except BotoCoreError as exc:
        return f"bucket {bucket!r} cannot be reached: {exc}"
    return None


class S3RangeReader(io.RawIOBase):
    """A read-only, seekable file over one S3 object, fetched with ranged GETs.

    Lets header parsers (mutagen) read a stored video's metadata without downloading
    it: only the bytes they ask for are fetched, ``block_size`` at a time.
    """

    def __init__(
        self, client: Any, bucket: str, key: str, size: int, block_size: int = 256 * 1024
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._size = size
        self._block_size = block_size
        self._pos = 0
        self._buf_start = 0
        self._buf = b""
        self.requests = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), self._size - self._pos)
        if want <= 0:
            return 0
        end = self._buf_start + len(self._buf)
        if not (self._buf_start <= self._pos and self._pos + want <= end):
            length = max(want, self._block_size)
            last = min(self._size, self._pos + length) - 1
            response = self._client.get_object(
                Bucket=self._bucket, Key=self._key, Range=f"bytes={self._pos}-{last}"
            )
            self._buf = response["Body"].read()
            self._buf_start = self._pos
            self.requests += 1
        start = self._pos - self._buf_start
        chunk = self._buf[start : start + want]
        view[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


__all__ = [
    "MAX_PRESIGN_SECONDS",
    "MULTIPART_THRESHOLD",
    "S3Location",
    "S3Object",
    "S3RangeReader",
    "TRANSFER_CONFIG",
    "bucket_problem",
    "head_object",
    "join_key",
    "object_key",
    "presign_client",
    "s3_client",
]
