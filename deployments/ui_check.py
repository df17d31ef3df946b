"""`make ui-check`: look at the Prefect UI the way a data team does, in headless Chromium.

Starts ``make serve``'s stack (:func:`deployments.stack.served_stack`) with a fresh
``PREFECT_HOME``, runs ``generate-video`` once from an audio file in the media bucket
and once with a bad input, ``generate-videos`` once over the sample manifest, then
opens in Debian's ``chromium`` (driven by Playwright's Python API; no browser is
downloaded):

- each deployment's run form (``Run -> Custom run``),
- the finished run's Artifacts tab and its summary artifact,
- a finished ``generate-videos/from-manifest`` run's Artifacts tab and its table,
- the failed run's page,

and saves a screenshot of each under ``docs/ui/``. It fails if a form shows a type
toggle (``Property is type ...``) or a summary artifact is missing.

Not part of ``make test``: it needs ``apt-get install -y chromium`` and
``pip install playwright``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from prefect import get_client
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.stack import ROOT, ServedStack, free_port, served_stack
from prefect_tavus.flows.batch_results import TABLE_ARTIFACT_KEY
from prefect_tavus.tavus_api.simulator.fixtures import make_wav

SHOTS = ROOT / "docs" / "ui"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOGGLE_TEXT = "Property is type"


def run_examples(stack: ServedStack, workdir: Path) -> dict[str, Any]:
    """One audio video (ready) and one bad input (failed); returns their flow runs."""
    wav = make_wav(workdir / "hello.wav", seconds=4.0)
    stack.local.s3_client().upload_file(str(wav), stack.local.media_bucket, "incoming/hello.wav")
    job = {
        "replica_id": "rfe12d8b9597",
        "speech": "audio",
        "audio": f"s3://{stack.local.media_bucket}/incoming/hello.wav",
    }
    done = run_deployment(
        "generate-video/on-demand", parameters={"job": job}, timeout=240, poll_interval=2
    )
    bad = {"replica_id": "rfe12d8b9597", "speech": "audio", "script": "Hi"}
    failed = run_deployment(
        "generate-video/on-demand", parameters={"job": bad}, timeout=240, poll_interval=2
    )
    batch = run_deployment("generate-videos/from-manifest", timeout=300, poll_interval=2)
    return {"done": done, "failed": failed, "batch": batch}


def check(stack: ServedStack, runs: dict[str, Any]) -> list[str]:
    """Take the screenshots; return what is wrong (empty when the UI is good)."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    SHOTS.mkdir(parents=True, exist_ok=True)
    with get_client(sync_client=True) as client:
        deployments = {
            f"{client.read_flow(d.flow_id).name}-{d.name}": d for d in client.read_deployments()
        }
        artifacts = client.read_artifacts()
        states = {key: client.read_flow_run(run.id).state for key, run in runs.items()}
    print({key: (state.type.value, state.message) for key, state in states.items() if state})
    summaries = [
        a
        for a in artifacts
        if a.flow_run_id == runs["done"].id and (a.key or "").endswith("-summary")
    ]
    if not summaries:
        problems.append(f"no summary artifact for finished run {runs['done'].id}")
    tables = [
        a for a in artifacts if a.flow_run_id == runs["batch"].id and a.key == TABLE_ARTIFACT_KEY
    ]
    if not tables:
        problems.append(f"no {TABLE_ARTIFACT_KEY} artifact for batch run {runs['batch'].id}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # tall enough that the whole form is on one screenshot (the UI scrolls inside a pane)
        page = browser.new_page(viewport={"width": 1280, "height": 4200})

        def shoot(path: str, name: str) -> str:
            """Open ``path`` of the UI, let it settle, save ``<name>.png``; return the page HTML."""
            page.goto(f"{stack.ui_url}{path}")
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
            return page.content()

        for full_name, deployment in deployments.items():
            name = f"form-{full_name}"
            if TOGGLE_TEXT in shoot(f"/deployments/deployment/{deployment.id}/run", name):
                problems.append(f"{name}: the form shows a type toggle ({TOGGLE_TEXT!r})")
        page.set_viewport_size({"width": 1280, "height": 1100})
        shoot(f"/runs/flow-run/{runs['done'].id}?tab=Artifacts", "run-finished-artifacts")
        for artifact in summaries:
            shoot(f"/artifacts/artifact/{artifact.id}", "summary-artifact")
        shoot(f"/runs/flow-run/{runs['batch'].id}?tab=Artifacts", "batch-finished-artifacts")
        for artifact in tables:
            shoot(f"/artifacts/artifact/{artifact.id}", "batch-table-artifact")
        shoot(f"/runs/flow-run/{runs['failed'].id}", "run-failed")
        browser.close()
    return problems


def main() -> int:
    """Start the stack, run the examples, take the screenshots; 1 if something is wrong."""
    port = int(os.environ.get("UI_CHECK_PORT") or free_port())
    with (
        tempfile.TemporaryDirectory(prefix="tavus-ui-check-") as tmp,
        served_stack(
            port,
            home=Path(tmp) / "home",
            worker_output=(Path(tmp) / "worker.log").open("w"),
            worker_poll_seconds=2,
        ) as stack,
        temporary_settings({PREFECT_API_URL: stack.api_url}),
    ):
        runs = run_examples(stack, Path(tmp))
        problems = check(stack, runs)
    for problem in problems:
        print(f"ui-check: {problem}", file=sys.stderr)
    print(f"ui-check: screenshots in {SHOTS.relative_to(ROOT)}/; {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
