"""``tavus-sim``: run the local Tavus-compatible server in the foreground.

Example::

    tavus-sim --port 8787 --api-key sim-key --generation-seconds 5
    curl -H 'x-api-key: sim-key' http://127.0.0.1:8787/v2/replicas

    # an account under load: a quota, jittered generation, 5,000 old videos, 2 GiB outputs
    tavus-sim --quota-creates-per-second 20 --quota-concurrent-generating 500 \
        --generation-jitter-seconds 1 --preexisting-videos 5000 --list-order oldest \
        --output-size-bytes 2147483648
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prefect_tavus.tavus_api.simulator.config import SimulatorConfig


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tavus-sim",
        description="A local server speaking the Tavus Video API (for demos, tests, benchmarks).",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1).")
    add("--port", type=int, default=8787, help="Port (default 8787; 0 = any free port).")
    add(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="Accepted x-api-key (repeatable; default 'sim-key').",
    )
    add(
        "--clock",
        choices=["real", "manual"],
        default="real",
        help="'manual': time moves only via POST /_sim/clock/advance.",
    )
    add("--queue-seconds", type=float, default=1.0, help="Seconds a video stays queued.")
    add("--generation-seconds", type=float, default=5.0, help="Seconds a video generates.")
    add("--training-seconds", type=float, default=30.0, help="Seconds a new replica trains.")
    add("--page-base", type=int, choices=[0, 1], default=0, help="First page index of lists.")
    add(
        "--delete-status",
        type=int,
        choices=[200, 204],
        default=200,
        help="Success status of delete and rename.",
    )
    add(
        "--unknown-id-status",
        type=int,
        choices=[400, 404],
        default=400,
        help="Status for an unknown video/replica id.",
    )
    add("--seed", type=int, default=0, help="Seed of fault probabilities and ids.")
    add("--workers", type=int, default=4, help="Threads downloading and rendering.")
    add("--data-dir", type=Path, default=None, help="Keep inputs and renders here.")
    add("--public-base-url", default=None, help="Base of the URLs handed out.")
    add(
        "--quota-creates-per-second",
        type=int,
        default=None,
        metavar="N",
        help="Accept at most N creates in any 1 s window; more get 429 + Retry-After.",
    )
    add(
        "--quota-concurrent-generating",
        type=int,
        default=None,
        metavar="N",
        help="At most N videos queued or generating; more creates get 429 + Retry-After.",
    )
    add(
        "--generation-jitter-seconds",
        type=float,
        default=0.0,
        help="Each video generates --generation-seconds +- a uniform draw of this (seeded).",
    )
    add(
        "--preexisting-videos",
        type=int,
        default=0,
        metavar="N",
        help="N ready videos already in the account, old (rendered only when downloaded).",
    )
    add(
        "--list-order",
        choices=["newest", "oldest"],
        default="newest",
        help="Order of GET /v2/videos (default newest first).",
    )
    add(
        "--output-size-bytes",
        type=int,
        default=None,
        metavar="BYTES",
        help="Serve every MP4 download at this size (render + padding, streamed).",
    )
    add("--log-level", default="warning", help="Python log level (default warning).")
    return parser


def _config(args: argparse.Namespace) -> SimulatorConfig:
    """The :class:`SimulatorConfig` the flags describe (raises pydantic's ValidationError)."""
    from prefect_tavus.tavus_api.simulator.config import SimulatorConfig

    return SimulatorConfig(
        api_keys=args.api_keys or ["sim-key"],
        clock=args.clock,
        queue_seconds=args.queue_seconds,
        generation_seconds=args.generation_seconds,
        training_seconds=args.training_seconds,
        page_base=args.page_base,
        delete_status=args.delete_status,
        unknown_id_status=args.unknown_id_status,
        seed=args.seed,
        workers=args.workers,
        data_dir=args.data_dir,
        public_base_url=args.public_base_url,
        admin_loopback_only=True,
        quota_creates_per_second=args.quota_creates_per_second,
        quota_concurrent_generating=args.quota_concurrent_generating,
        generation_jitter_seconds=args.generation_jitter_seconds,
        preexisting_videos=args.preexisting_videos,
        list_order=args.list_order,
        output_size_bytes=args.output_size_bytes,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, print where the server listens, serve until interrupted."""
    args = build_parser().parse_args(argv)
    try:
        import imageio_ffmpeg  # noqa: F401 - only checking the extra is installed
    except ImportError:
        print(
            "tavus-sim renders real videos with the ffmpeg of imageio-ffmpeg, which a "
            "production install leaves out: pip install 'prefect-tavus[simulator]'",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    from pydantic import ValidationError

    from prefect_tavus.tavus_api.simulator.server import SimulatorServer

    try:
        config = _config(args)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            flag = f"--{str(loc[0]).replace('_', '-')}" if loc else "options"
            print(f"tavus-sim: invalid {flag}: {error['msg']}", file=sys.stderr)
        return 2
    server = SimulatorServer(config, host=args.host, port=args.port)
    keys = len(config.api_keys)
    print(f"tavus-sim listening on {server.base_url} ({keys} API key(s))", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
