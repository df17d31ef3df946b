"""The deployment definitions, the block-creation command and `make demo` itself."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from mutagen.mp4 import MP4
from prefect.schedules import Cron
from prefect.utilities.callables import parameter_schema
from prefect_aws import S3Bucket

from deployments import create_blocks, demo
from deployments.stack import ROOT, deployment_specs
from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.flows import VideoJob, generate_video, generate_videos
from prefect_tavus.flows.form import AdvancedSettings


def test_every_deployment_points_at_its_flow_with_valid_parameters() -> None:
    specs = {spec["name"]: spec for spec in deployment_specs()}
    assert set(specs) == {"on-demand", "from-manifest", "weekly-campaign"}
    single = dict(specs["on-demand"]["parameters"])
    assert specs["on-demand"]["entrypoint"] == "prefect_tavus.flows.generate:generate_video"
    VideoJob(**single.pop("job"))
    AdvancedSettings(**single.pop("settings", {}))
    assert set(single) == {"credentials_block", "media_bucket_block", "output_bucket_block"}
    for name in ("from-manifest", "weekly-campaign"):
        spec = specs[name]
        assert spec["entrypoint"] == "prefect_tavus.flows.batch:generate_videos"
        accepted = set(inspect.signature(generate_videos.fn).parameters)
        assert set(spec["parameters"]) <= accepted, set(spec["parameters"]) - accepted
        assert spec["parameters"]["manifest"].startswith("s3://tavus-media/")
        assert "{first_name}" in spec["parameters"]["script_template"]
    sample = (ROOT / "deployments" / "sample-manifest.csv").read_text().splitlines()
    assert sample[0].split(",")[:2] == ["id", "first_name"] and len(sample) == 4


def test_the_weekly_campaign_schedule_is_declared_inactive() -> None:
    weekly = next(spec for spec in deployment_specs() if spec["name"] == "weekly-campaign")
    assert weekly["schedules"] == [{"cron": "0 8 * * 1", "timezone": "UTC", "active": False}]
    deployment = generate_videos.to_deployment(
        name=weekly["name"],
        parameters=weekly["parameters"],
        schedules=[Cron(s["cron"], timezone=s["timezone"]) for s in weekly["schedules"]],
    )
    assert deployment.schedules[0].schedule.cron == "0 8 * * 1"


def test_create_blocks_saves_the_key_as_a_secret_and_never_prints_it(
    prefect_api: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TAVUS_API_KEY", "tvs-very-secret-123")
    create_blocks.main(
        [
            "--tavus-block",
            "cmd-tavus",
            "--media-bucket",
            "in-bucket",
            "--media-block",
            "cmd-in",
            "--output-block",
            "cmd-out",
            "--output-bucket",
            "out-bucket",
            "--region",
            "us-east-1",
        ]
    )
    printed = capsys.readouterr().out
    assert "tvs-very-secret-123" not in printed
    assert "'cmd-tavus'" in printed and "s3://out-bucket" in printed
    creds = TavusCredentials.load("cmd-tavus")
    assert creds.api_key.get_secret_value() == "tvs-very-secret-123"
    assert "tvs-very-secret-123" not in repr(creds)
    assert S3Bucket.load("cmd-in").bucket_name == "in-bucket"
    assert S3Bucket.load("cmd-out").bucket_name == "out-bucket"


@pytest.mark.timeout(180)
def test_make_demo_makes_two_playable_videos_and_keeps_local_copies(
    prefect_api: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    demo.main()
    lines = [line for line in capsys.readouterr().out.splitlines() if "video_id=" in line]
    assert [line.split()[0] for line in lines] == ["audio", "script"]
    assert all("status=ready" in line for line in lines)
    copies = sorted((tmp_path / "output").glob("*.mp4"))
    assert len(copies) == 2
    durations = {round(MP4(str(copy)).info.length) for copy in copies}
    assert 4 in durations  # the audio video follows the 4 s of sound the demo makes


def _walk(schema: object) -> list[dict]:
    found: list[dict] = []
    if isinstance(schema, dict):
        found.append(schema)
        for value in schema.values():
            found += _walk(value)
    elif isinstance(schema, list):
        for value in schema:
            found += _walk(value)
    return found


def test_the_run_form_is_titled_described_and_has_no_type_toggles() -> None:
    schema = parameter_schema(generate_video).model_dump()
    forms = {
        "": schema,
        **{f"{k}.": schema["definitions"][k] for k in ("VideoJob", "AdvancedSettings")},
    }
    for prefix, form in forms.items():
        for name, prop in form["properties"].items():
            assert prop.get("title") and prop["title"] != name, f"{prefix}{name} has no human title"
            assert prop.get("description"), f"{prefix}{name} has no description"
    for node in _walk({k: v for k, v in schema.items() if k != "definitions"}) + _walk(
        [schema["definitions"]["VideoJob"], schema["definitions"]["AdvancedSettings"]]
    ):
        for union in (node.get("anyOf", []), node.get("oneOf", [])):
            assert {"type": "null"} not in union, node
    job = schema["definitions"]["VideoJob"]["properties"]
    assert job["speech"]["enum"] == ["script", "audio"]
    assert job["background_scroll_type"]["enum"] == ["human", "smooth"]
    blocks = {
        n: schema["properties"][n]["$ref"] for n in ("credentials_block", "media_bucket_block")
    }
    assert blocks == {
        "credentials_block": "#/definitions/TavusCredentials",
        "media_bucket_block": "#/definitions/S3Bucket",
    }
    assert schema["definitions"]["TavusCredentials"]["block_type_slug"] == "tavus-credentials"
