"""Stored videos as Prefect assets: ``s3://`` keys with their upstream inputs.

Prefect 3.9 records an asset when a *materializing task* finishes
(``prefect.assets.materialize``): the task's assets are fixed when the task is called,
not inside it. A video's keys hold its ``video_id``, known only after the create, so
the store step is made a materializing task at call time, once the id is known
(:func:`materializing`): it materializes ``<prefix>/<video_id>/<video_id>.mp4``
(``.webm`` when transparent) and ``metadata.json``, with the replica
(``tavus://replicas/<id>``) and the uploaded inputs (their ``s3://`` URIs) as upstream
assets, and the stored size, sha256 and duration as materialization metadata.

Prefect records these as events (``prefect.asset.materialization.succeeded``, one per
asset, the upstream assets in ``related``; ``prefect.asset.referenced`` per input); the
open-source server keeps them in its Event Feed, Prefect Cloud also shows the Assets
catalog and lineage graph.

Example:
    >>> video_asset_keys(S3Bucket(bucket_name="out"), "tavus/videos", "v1", transparent=False)
    ('s3://out/tavus/videos/v1/v1.mp4', 's3://out/tavus/videos/v1/metadata.json')
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import ParamSpec

from prefect.assets import Asset, AssetProperties, add_asset_metadata, materialize
from prefect.cache_policies import NO_CACHE
from prefect.tasks import MaterializingTask, Task
from prefect_aws import S3Bucket

from prefect_tavus.flows.outputs import METADATA_FILE, StoredOutputs
from prefect_tavus.flows.storage import object_key
from prefect_tavus.tavus_api.models import Video

P = ParamSpec("P")

MATERIALIZED_BY = "prefect-tavus"
"""Shown as the tool that materialized the assets."""


def video_asset_keys(
    bucket: S3Bucket, prefix: str, video_id: str, *, transparent: bool
) -> tuple[str, str]:
    """The ``s3://`` keys of the stored video file and its ``metadata.json``."""
    folder = object_key(bucket, prefix, video_id)
    extension = "webm" if transparent else "mp4"
    base = f"s3://{bucket.bucket_name}/{folder}"
    return f"{base}/{video_id}.{extension}", f"{base}/{METADATA_FILE}"


def replica_asset(replica_id: str) -> str:
    """The replica a video was made with, as an upstream asset key.

    >>> replica_asset("rfe12d8b9597")
    'tavus://replicas/rfe12d8b9597'
    """
    return f"tavus://replicas/{replica_id}"


def materializing(
    store: Task[P, StoredOutputs],
    bucket: S3Bucket,
    prefix: str,
    video: Video,
    *,
    transparent: bool,
    upstream: Iterable[str],
) -> MaterializingTask[P, StoredOutputs]:
    """``store`` (a task returning :class:`StoredOutputs`) as a task materializing the video.

    Call it like ``store``; its run records the stored video file and ``metadata.json``
    as assets (``upstream``: the replica and input keys), with the stored size, sha256
    and duration as the video asset's metadata.

    Example:
        >>> upstream = [replica_asset("r1"), "s3://in/a.wav"]
        >>> task = materializing(store_outputs, bucket, "tavus/videos", video,
        ...     transparent=False, upstream=upstream)  # doctest: +SKIP
        >>> outputs = task(creds, video, bucket, "tavus/videos")  # doctest: +SKIP
    """
    video_key, metadata_key = video_asset_keys(
        bucket, prefix, video.video_id, transparent=transparent
    )
    name = video.video_name or video.video_id
    assets = [
        Asset(
            key=video_key,
            properties=AssetProperties(name=f"Tavus video {name}", url=video.hosted_url),
        ),
        Asset(key=metadata_key, properties=AssetProperties(name=f"metadata of {name}")),
    ]

    @functools.wraps(store.fn)
    def store_and_describe(*args: P.args, **kwargs: P.kwargs) -> StoredOutputs:
        outputs = store.fn(*args, **kwargs)
        add_asset_metadata(
            video_key,
            {
                "video_id": video.video_id,
                "stored_uri": outputs.video.uri,
                "size_bytes": outputs.video.size_bytes,
                "sha256": outputs.video.sha256,
                "duration_seconds": outputs.duration_seconds,
            },
        )
        add_asset_metadata(metadata_key, {"video_id": video.video_id})
        return outputs

    return materialize(
        *assets,
        by=MATERIALIZED_BY,
        name=store.name,
        task_run_name=store.task_run_name,
        asset_deps=[Asset(key=key) for key in sorted(set(upstream))],
        cache_policy=NO_CACHE,
        persist_result=False,
        retries=store.retries,
        retry_delay_seconds=store.retry_delay_seconds,
    )(store_and_describe)


__all__ = [
    "MATERIALIZED_BY",
    "replica_asset",
    "materializing",
    "video_asset_keys",
]
