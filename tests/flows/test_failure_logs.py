"""An expected failure is logged once: the flow's one record, no task-engine repeats."""

from __future__ import annotations

from prefect_tavus.flows import generate_video
from tests.flows._observe import read_logs
from tests.flows.conftest import Env

R = "rfe12d8b9597"


def test_a_bad_input_appears_once_in_the_run_logs(env: Env) -> None:
    job = {"replica_id": R, "speech": "audio", "script": "Hi"}
    state = generate_video(job, **env.video_params(), return_state=True)
    assert state.is_failed()
    logs = read_logs(state.state_details.flow_run_id)
    mentions = [log for log in logs if "job.audio: is empty" in log]
    assert len(mentions) == 1, mentions
    assert mentions[0].startswith("Invalid input, nothing was made: job.audio: is empty")
    assert not [log for log in logs if "Traceback" in log or "failed with exception" in log]
    finished = [log for log in logs if log.startswith("Finished in state Failed")]
    assert finished == [
        "Finished in state Failed: InvalidVideoJob (the flow run logs why)",
        "Finished in state Failed (the reason is logged above)",
    ]
    assert state.message.startswith("Invalid input, nothing was made: job.audio: is empty")
