"""``python -m benchmarks`` (``make bench``): the five figures of the batch flow, each a
ratio with its target, measured side by side in one run on 127.0.0.1.

Services: the Tavus simulator (quota 20 creates/s, generation 5 s +- 1 s) behind an
observing proxy, moto's S3 server, and a ``prefect server`` with a temporary home.
Prints a table and writes ``bench-results.json``.

Example:
    python -m benchmarks --quick            # about 100 rows, small output: under a minute
    python -m benchmarks                    # the full run (1,000 rows, 2 GiB output)
    python -m benchmarks --rows 300 --baseline-rows 100 --output /tmp/r.json
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks._report import Figure, format_table, machine, write_json
from benchmarks.lookup import lookup_requests
from benchmarks.scenarios import Bench, Outcome, get_every, manifest_rows
from benchmarks.settings import MIB, BenchSettings

DEFAULT_OUTPUT = Path("bench-results.json")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="prefect-tavus benchmarks: the batch flow against its targets.",
    )
    parser.add_argument("--quick", action="store_true", help="~100 rows, small output (<1 min)")
    parser.add_argument("--rows", type=int, help="rows of the main runs (1000; quick 100)")
    parser.add_argument("--small-rows", type=int, help="rows of the memory comparison run")
    parser.add_argument("--baseline-rows", type=int, help="rows of the 10-thread baseline")
    parser.add_argument("--big-output-mib", type=int, help="size of the stored output, MiB")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> BenchSettings:
    base = BenchSettings.quick() if args.quick else BenchSettings.full()
    return base.with_(
        rows=args.rows,
        small_rows=args.small_rows,
        baseline_rows=args.baseline_rows,
        big_output_bytes=None if args.big_output_mib is None else args.big_output_mib * MIB,
    )


def _say(text: str) -> None:
    print(text, flush=True)


def _check_batch(outcome: Outcome) -> None:
    """A measured run that did not store every row must not give figures."""
    report = outcome.report
    if outcome.killed:
        return
    if report.get("state") not in (None, "COMPLETED"):
        raise RuntimeError(f"{outcome.name}: flow ended {report['state']}: {report.get('message')}")
    result = report.get("result")
    counts = result.get("counts", {}) if isinstance(result, dict) else {}
    stored = report.get("stored", counts.get("stored"))
    if stored is not None and stored != outcome.rows:
        raise RuntimeError(f"{outcome.name}: {stored} of {outcome.rows} rows stored")


def run(settings: BenchSettings) -> tuple[list[Figure], dict[str, Any], dict[str, Any]]:
    """Every scenario in turn; returns the figures, the details and the Prefect API used."""
    s = settings
    big_rows = manifest_rows(s.rows, "main")
    details: dict[str, Any] = {}
    with Bench.start(s) as bench:
        _say(f"services up: simulator {bench.sim.base_url}, Prefect {bench.prefect.api_url}")

        def scenario(label: str, fn: Any, *args: Any, **kwargs: Any) -> Outcome:
            _say(f"running {label} ...")
            began = time.perf_counter()
            outcome: Outcome = fn(*args, **kwargs)
            _say(
                f"  {outcome.rows} rows, {outcome.seconds:.1f} s, {outcome.created} created, "
                f"{outcome.total_requests} API requests ({time.perf_counter() - began:.0f} s)"
            )
            details[label] = outcome.summary()
            return outcome

        bench.reset()
        flow = scenario("flow", bench.flow_batch, big_rows, "main")
        _check_batch(flow)
        rerun = scenario("flow_rerun", bench.flow_batch, big_rows, "main", name="flow-rerun")
        _check_batch(rerun)

        bench.reset()
        plain = scenario("plain_asyncio", bench.plain_loop, big_rows, "plain")
        _check_batch(plain)

        bench.reset()
        threads = scenario(
            "threads_baseline",
            bench.thread_script,
            manifest_rows(s.baseline_rows, "threads"),
            "threads",
        )
        _check_batch(threads)

        bench.reset()
        small = scenario(
            "flow_small", bench.flow_batch, manifest_rows(s.small_rows, "small"), "small"
        )
        _check_batch(small)

        bench.reset()
        killed_rows = manifest_rows(s.sigkill_rows, "killed")
        killed = scenario(
            "flow_sigkill",
            bench.flow_batch,
            killed_rows,
            "killed",
            name="flow-sigkill",
            kill_when=bench.killed_mid_wait(),
        )
        if not killed.killed:
            raise RuntimeError("the SIGKILL scenario ended before it could be killed mid-wait")
        after_kill = scenario(
            "flow_after_sigkill", bench.flow_batch, killed_rows, "killed", name="flow-after-kill"
        )
        _check_batch(after_kill)

        bench.reset()
        single = scenario(
            "flow_single_video", bench.flow_single, s.script_template.format(first_name="Ada")
        )
        _check_batch(single)

        bench.reset()
        store_small = scenario(
            "store_small_output", bench.flow_batch, manifest_rows(1, "store-small"), "store-small"
        )
        _check_batch(store_small)
        bench.reset(output_size_bytes=s.big_output_bytes)
        store_big = scenario(
            "store_big_output", bench.flow_batch, manifest_rows(1, "store-big"), "store-big"
        )
        _check_batch(store_big)
        details["store_big_output"]["stored_bytes"] = bench.stored_video_bytes("store-big")

        lookups = [
            lookup_requests(bench.sim, existing=s.lookup_existing_videos, list_order=order)
            for order in ("newest", "oldest")
        ]
        details["name_lookup"] = lookups
        details["prefect_api"] = {
            "server": "prefect server subprocess on 127.0.0.1, temporary PREFECT_HOME",
            "database": bench.prefect.database,
            "database_locked_in_log": bench.prefect.database_locked_count(),
            "server_error_lines_in_log": bench.prefect.server_errors(),
        }

    all_runs = [
        flow,
        rerun,
        plain,
        threads,
        small,
        killed,
        after_kill,
        single,
        store_small,
        store_big,
    ]
    figures = figures_from(
        s,
        flow=flow,
        plain=plain,
        threads=threads,
        small=small,
        single=single,
        store_small=store_small,
        store_big=store_big,
        all_runs=all_runs,
        distinct_rows={
            "main": s.rows,
            "plain": s.rows,
            "threads": s.baseline_rows,
            "small": s.small_rows,
            "killed": s.sigkill_rows,
            "single": 1,
            "store": 2,
        },
        lookups=lookups,
        big_output_bytes=s.big_output_bytes,
    )
    return figures, details, details["prefect_api"]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def figures_from(
    s: BenchSettings,
    *,
    flow: Outcome,
    plain: Outcome,
    threads: Outcome,
    small: Outcome,
    single: Outcome,
    store_small: Outcome,
    store_big: Outcome,
    all_runs: list[Outcome],
    distinct_rows: dict[str, int],
    lookups: list[dict[str, Any]],
    big_output_bytes: int,
) -> list[Figure]:
    """The report's figures from the scenarios' outcomes."""
    bound = s.lower_bound_seconds(flow.rows)
    ratio = flow.seconds / bound
    per_video = flow.total_requests / flow.rows
    get5 = get_every(flow.seen, s.baseline_poll_seconds)
    overhead = flow.seconds / plain.seconds
    growth = (store_big.peak_rss_mib or 0) - (store_small.peak_rss_mib or 0)
    rss_ratio = (flow.peak_rss_mib or 0) / (small.peak_rss_mib or 1)
    created = sum(o.created for o in all_runs)
    rows = sum(distinct_rows.values())
    duplicates = created / rows
    delays = flow.delays()
    plain_delays = plain.delays()
    threads_delays = threads.delays()
    newest = next(x for x in lookups if x["list_order"] == "newest")
    oldest = next(x for x in lookups if x["list_order"] == "oldest")
    big = (
        f"{big_output_bytes / 1024**3:g} GiB"
        if big_output_bytes >= 1024**3
        else (f"{big_output_bytes / 1024**2:g} MiB")
    )
    return [
        Figure(
            "throughput_ratio_to_bound",
            f"1. throughput: flow wall time / lower bound ({flow.rows} rows)",
            ratio,
            target="<= 1.25",
            met=ratio <= 1.25,
            beside=(
                f"flow {flow.seconds:.1f} s vs bound {bound:.0f} s ({flow.rows}/"
                f"{s.quota_creates_per_second} per s + {s.generation_seconds:g} s); plain asyncio "
                f"{plain.seconds / bound:.2f}x; 10-thread script "
                f"{threads.rows / threads.seconds:.2f} "
                f"videos/s vs flow {flow.rows / flow.seconds:.2f} videos/s"
            ),
        ),
        Figure(
            "requests_per_video",
            "2. API requests per video (flow)",
            per_video,
            target="<= 1.2",
            met=per_video <= 1.2,
            beside=(
                f"a GET every {s.baseline_poll_seconds:g} s would cost {get5:.2f}; "
                "10-thread script "
                f"{threads.total_requests / threads.rows:.2f}; single-video flow "
                f"{single.total_requests / single.rows:.0f}; plain asyncio "
                f"{plain.total_requests / plain.rows:.2f}"
            ),
        ),
        Figure(
            "overhead_ratio_flow_to_plain",
            "3. orchestration overhead: flow / plain asyncio",
            overhead,
            target="<= 1.5",
            met=overhead <= 1.5,
            beside=f"flow {flow.seconds:.1f} s vs plain {plain.seconds:.1f} s, same rows",
        ),
        Figure(
            "store_2gib_rss_growth_mib",
            f"4. peak RSS growth storing one {big} output (MiB)",
            growth,
            target="<= 100",
            met=growth <= 100,
            beside=(
                f"peak {store_big.peak_rss_mib:.0f} MiB vs {store_small.peak_rss_mib:.0f} MiB "
                "for a small output, same 1-row flow"
            ),
            digits=1,
        ),
        Figure(
            "rss_ratio_rows",
            f"4b. peak RSS {flow.rows} rows / {small.rows} rows",
            rss_ratio,
            beside=f"{flow.peak_rss_mib:.0f} MiB vs {small.peak_rss_mib:.0f} MiB",
        ),
        Figure(
            "duplicates_per_row",
            "5. videos created per row (all runs)",
            duplicates,
            target="== 1.00",
            met=created == rows,
            beside=f"{created} created for {rows} rows, incl. a rerun and a rerun after SIGKILL",
        ),
        Figure(
            "ready_to_noticed_median_s",
            "ready -> noticed, median (s)",
            _median(delays),
            beside=(
                f"worst {max(delays):.2f} s (flow); plain asyncio median "
                f"{_median(plain_delays) or 0:.2f} / worst {max(plain_delays, default=0):.2f} s; "
                f"10-thread script {_median(threads_delays) or 0:.2f} / "
                f"{max(threads_delays, default=0):.2f} s"
            ),
        ),
        Figure(
            "ready_to_noticed_max_s",
            "ready -> noticed, worst (s)",
            max(delays) if delays else None,
        ),
        Figure(
            "name_lookup_requests_5000",
            f"name lookup after a lost create: list requests ({newest['existing_videos']} videos)",
            float(newest["list_requests"]),
            beside=(
                f"newest-first listing; oldest-first {oldest['list_requests']}; "
                f"videos created {newest['videos_created']} and {oldest['videos_created']}"
            ),
            digits=0,
        ),
    ]


def main(argv: Sequence[str] | None = None) -> list[Figure]:
    """Run everything, print the table, write the JSON; returns the figures."""
    args = parse_args(argv)
    settings = settings_from(args)
    logging.getLogger("prefect_tavus.tavus_api").setLevel(logging.ERROR)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    info = machine()
    started = time.perf_counter()
    figures, details, prefect_api = run(settings)
    total = time.perf_counter() - started
    _say("")
    _say(format_table(figures))
    _say(
        f"\n{settings.rows} rows on {info['cores']} cores, {info['memory_gib']} GiB, Python "
        f"{info['python']}, Prefect {info['prefect']} ({prefect_api['database']}, "
        f"{prefect_api['database_locked_in_log']} 'database is locked'); total {total:.0f} s"
    )
    path = write_json(
        args.output,
        figures,
        rows=settings.rows,
        machine_info=info,
        details=details,
        settings=asdict(settings),
        seconds=total,
        prefect_api=prefect_api,
    )
    _say(f"results written to {path}")
    return figures


if __name__ == "__main__":
    main()
