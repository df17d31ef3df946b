"""`make demo`: the main job end to end on one machine, with no account and no internet.

Starts the Tavus simulator and an S3 server (moto) on free loopback ports, saves the
blocks the flow loads by name into Prefect's local API, and runs ``generate-video``
twice: from an audio file it makes (a few seconds of sound) and from a script. Prints
one line per video and leaves a local copy of each under ``output/``.

Run it with ``make demo`` (or ``python -m deployments.demo``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from deployments.local import BlockNames, LocalStack, delete_blocks, local_stack
from prefect_tavus.flows import VideoJob, VideoResult, generate_video
from prefect_tavus.flows.form import AdvancedSettings
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID
from prefect_tavus.tavus_api.simulator.fixtures import make_wav

OUTPUT_DIR = Path("output")
DEMO_SETTINGS = AdvancedSettings(poll_interval_seconds=0.5, max_poll_interval_seconds=2.0)
SCRIPT = (
    "Hello from Prefect! This video was scripted, rendered and stored by a flow, "
    "with every step visible in the Prefect UI."
)


def keep_local_copy(stack: LocalStack, result: VideoResult, directory: Path) -> Path:
    """Download the stored video from S3 into ``directory``; returns the file's path."""
    location = urlsplit(result.video_uri)
    target = directory / Path(location.path).name
    stack.s3_client().download_file(location.netloc, location.path.lstrip("/"), str(target))
    return target


def describe(label: str, result: VideoResult, local_copy: Path) -> str:
    """One line per video: id, status, duration and where the outputs are."""
    duration = f"{result.duration_seconds:.1f}s" if result.duration_seconds else "n/a"
    return (
        f"{label:<6} video_id={result.video_id} status={result.status} duration={duration}\n"
        f"       video={result.video_uri}\n"
        f"       metadata={result.metadata_uri}\n"
        f"       local copy={local_copy}"
    )


def main() -> None:
    """Run the two demo videos and print what was made."""
    OUTPUT_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tavus-demo-") as tmp, local_stack() as stack:
        names = BlockNames.prefixed("demo")
        blocks = stack.save_blocks(names=names)
        audio = make_wav(Path(tmp) / "hello.wav", seconds=4.0)
        jobs = {
            "audio": VideoJob(replica_id=DEFAULT_REPLICA_ID, audio=str(audio)),
            "script": VideoJob(replica_id=DEFAULT_REPLICA_ID, script=SCRIPT),
        }
        lines = []
        for label, job in jobs.items():
            result = generate_video(job, **blocks, settings=DEMO_SETTINGS)
            lines.append(describe(label, result, keep_local_copy(stack, result, OUTPUT_DIR)))
        delete_blocks(names)  # they point at servers that stop now
    print("\n".join(["", "prefect-tavus demo: 2 videos made and stored", *lines]))


if __name__ == "__main__":
    main()
