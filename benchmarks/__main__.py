"""``python -m benchmarks`` (``make bench``): every benchmark, ours vs baseline, in one run.

Prints ``benchmark | ours | baseline | ratio | note`` (medians of alternated runs) and
writes every sample to ``output/bench-results.json``. Everything runs locally on
127.0.0.1 (the Tavus simulator, moto, a Prefect test API).

Example:
    python -m benchmarks --quick                  # about 1.5 minutes
    python -m benchmarks --only calls,memory --size-mb 50
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from benchmarks import calls, memory, overhead, throughput
from benchmarks._report import Row, format_table, write_json

DEFAULT_OUTPUT = Path("output/bench-results.json")
NAMES = ("calls", "throughput", "memory", "overhead")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="prefect-tavus benchmarks: ours vs a hand-written baseline, side by side.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (about 1.5 minutes)")
    parser.add_argument(
        "--only", default=",".join(NAMES), help=f"comma-separated subset of {', '.join(NAMES)}"
    )
    parser.add_argument(
        "--repetitions", type=int, help="runs of each variant (default per benchmark)"
    )
    parser.add_argument(
        "--video-seconds", type=float, help="calls: simulated seconds per video (90)"
    )
    parser.add_argument("--videos", type=int, help="throughput: videos per run (100; quick 20)")
    parser.add_argument("--concurrency", type=int, help="throughput: async videos in flight (50)")
    parser.add_argument("--size-mb", type=int, help="memory: MiB copied (200; quick 20)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(NAMES)
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; pick from {NAMES}")
    return args


def settings_from(args: argparse.Namespace) -> dict[str, Any]:
    """Each selected benchmark's settings: defaults, ``--quick`` sizes, then flags."""
    chosen: dict[str, Any] = {
        "calls": calls.CallsSettings(),
        "throughput": throughput.ThroughputSettings(),
        "memory": memory.MemorySettings(),
        "overhead": overhead.OverheadSettings(),
    }
    if args.quick:
        chosen["calls"] = replace(chosen["calls"], repetitions=3)
        chosen["throughput"] = replace(chosen["throughput"], videos=20, repetitions=2)
        chosen["memory"] = replace(chosen["memory"], size_mb=20, repetitions=3)
        chosen["overhead"] = replace(chosen["overhead"], repetitions=2)
    flags = {
        "calls": {"video_seconds": args.video_seconds},
        "throughput": {"videos": args.videos, "concurrency": args.concurrency},
        "memory": {"size_mb": args.size_mb},
        "overhead": {},
    }
    selected = args.only.split(",")
    out = {}
    for name in NAMES:
        if name not in selected:
            continue
        given = {k: v for k, v in flags[name].items() if v is not None}
        if args.repetitions is not None:
            given["repetitions"] = args.repetitions
        out[name] = replace(chosen[name], **given)
    return out


RUNNERS: dict[str, Callable[[Any], list[Row]]] = {
    "calls": calls.run,
    "throughput": throughput.run,
    "memory": memory.run,
    "overhead": overhead.run,
}


def main(argv: Sequence[str] | None = None) -> list[Row]:
    """Run the selected benchmarks, print the table, write the JSON; returns the rows."""
    args = parse_args(argv)
    # The client logs retries and re-attaches on purpose (the calls benchmark provokes
    # them); they would bury the table.
    logging.getLogger("prefect_tavus.tavus_api").setLevel(logging.ERROR)
    settings = settings_from(args)
    rows: list[Row] = []
    started = time.perf_counter()
    for name, config in settings.items():
        print(f"running {name}: {config}", flush=True)
        began = time.perf_counter()
        rows.extend(RUNNERS[name](config))
        print(f"  done in {time.perf_counter() - began:.1f} s", flush=True)
    total = time.perf_counter() - started
    print()
    print(format_table(rows))
    print(f"\n(medians of alternated runs; ratio = ours / baseline; total {total:.0f} s)")
    path = write_json(
        rows,
        args.output,
        settings={name: asdict(config) for name, config in settings.items()},
        seconds=total,
    )
    print(f"results written to {path}")
    return rows


if __name__ == "__main__":
    main()
