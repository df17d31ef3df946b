"""The deployment definitions, the block-creation command and `make demo` itself."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from mutagen.mp4 import MP4
from prefect.schedules import Cron
from prefect.utilities.callables import parameter_schema
from prefect.utilities.schema_tools.validation import validate
from prefect_aws import S3Bucket

from deployments import create_blocks, demo
from deployments.stack import ROOT, deployment_specs
from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.flows import VideoJob, generate_video, generate_videos
from prefect_tavus.flows.batch import batch_settings
from prefect_tavus.flows.batch_form import BatchChecks
from prefect_tavus.flows.batch_validation import InvalidBatch
from prefect_tavus.flows.chunks import chunk_parameters
from prefect_tavus.flows.form import AdvancedSettings, block_ref


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


def _assert_a_clean_form(flow: Any, groups: tuple[str, ...]) -> dict[str, Any]:
    """Every parameter (and every field of its groups) titled and described, no anyOf
    with null anywhere, the blocks as pickers; returns the flow's schema."""
    schema = parameter_schema(flow).model_dump()
    forms = {"": schema, **{f"{k}.": schema["definitions"][k] for k in groups}}
    for prefix, form in forms.items():
        for name, prop in form["properties"].items():
            assert prop.get("title") and prop["title"] != name, f"{prefix}{name} has no human title"
            assert prop.get("description"), f"{prefix}{name} has no description"
            assert "<" not in prop["description"], f"{prefix}{name}: <...> is taken for HTML"
    for node in _walk({k: v for k, v in schema.items() if k != "definitions"}) + _walk(
        [schema["definitions"][k] for k in groups]
    ):
        for union in (node.get("anyOf", []), node.get("oneOf", [])):
            assert {"type": "null"} not in union, node
            assert not union, f"a type toggle: {node}"
        assert node.get("default", "") is not None, f"a null default shows as 'null': {node}"
    blocks = {
        n: schema["properties"][n]["$ref"] for n in ("credentials_block", "media_bucket_block")
    }
    assert blocks == {
        "credentials_block": "#/definitions/TavusCredentials",
        "media_bucket_block": "#/definitions/S3Bucket",
    }
    assert schema["properties"]["output_bucket_block"]["$ref"] == "#/definitions/S3Bucket"
    assert schema["definitions"]["TavusCredentials"]["block_type_slug"] == "tavus-credentials"
    return schema


def test_the_run_form_is_titled_described_and_has_no_type_toggles() -> None:
    schema = _assert_a_clean_form(generate_video, ("VideoJob", "AdvancedSettings"))
    job = schema["definitions"]["VideoJob"]["properties"]
    assert job["speech"]["enum"] == ["script", "audio"]
    assert job["background_scroll_type"]["enum"] == ["human", "smooth"]


def test_the_batch_run_form_groups_its_settings_apart_from_the_manifest() -> None:
    groups = ("BatchChecks", "Pacing", "Chunking", "AdvancedSettings")
    schema = _assert_a_clean_form(generate_videos, groups)
    by_position = sorted(schema["properties"], key=lambda n: schema["properties"][n]["position"])
    assert by_position[:4] == ["manifest", "script_template", "video_name_template", "row_defaults"]
    assert schema["required"] == ["manifest"]
    assert schema["properties"]["manifest"]["type"] == "string"
    assert {n: schema["properties"][n]["$ref"] for n in ("checks", "pacing", "chunking")} == {
        "checks": "#/definitions/BatchChecks",
        "pacing": "#/definitions/Pacing",
        "chunking": "#/definitions/Chunking",
    }
    assert schema["definitions"]["BatchChecks"]["properties"]["on_invalid_rows"]["enum"] == [
        "fail",
        "skip",
    ]
    # the groups start from what the form shows: empty boxes, not null
    assert schema["properties"]["pacing"]["default"]["concurrency_limit_name"] == ""
    assert "chunk_size" not in schema["properties"]["chunking"]["default"]


def test_the_batch_deployments_parameters_are_what_the_flow_reads() -> None:
    for spec in deployment_specs():
        if spec["entrypoint"] != "prefect_tavus.flows.batch:generate_videos":
            continue
        params = spec["parameters"]
        settings, checks = batch_settings(params)  # the flow's own reading, blocks by $ref
        assert settings.options.output_bucket_block == "tavus-outputs"
        assert settings.concurrency_limit_name == "tavus-creates"
        assert settings.options.output_prefix.startswith("tavus/")
        assert settings.row_defaults == {"replica_id": "rfe12d8b9597"}
        assert checks == BatchChecks()
        _assert_the_server_accepts(params)
    with pytest.raises(InvalidBatch) as bad:
        batch_settings({"pacing": {"creates_per_sec": 2}, "settings": "fast"})
    assert bad.value.fields == ["pacing.creates_per_sec", "settings"]


def _assert_the_server_accepts(params: dict[str, Any]) -> None:
    """What a deployment with ``enforce_parameter_schema`` checks (blocks: by reference)."""
    schema = parameter_schema(generate_videos).model_dump()
    for name in ("credentials_block", "media_bucket_block", "output_bucket_block"):
        assert set(params.get(name, {"$ref": {}})) == {"$ref"}, f"{name} must be a $ref"
    plain = {k: v for k, v in params.items() if not k.endswith("_block")}
    validate(plain, schema, raise_on_error=True)


def test_a_chunk_runs_parameters_are_the_parents_in_the_flows_form() -> None:
    parent, _ = batch_settings(
        {
            "manifest": "s3://tavus-media/in.csv",
            "media_bucket_block": {"$ref": {"block_document_slug": "s3-bucket/in"}},
            "output_bucket_block": None,  # from Python: store in the media bucket
            "pacing": {"creates_per_second": 2, "concurrency_limit_name": "tavus-creates"},
            "chunking": {"chunk_size": 3, "chunk_deployment": "generate-videos/x"},
            "settings": {"output_prefix": "out", "poll_interval_seconds": 1},
        }
    )
    params = chunk_parameters(parent, "b1", "chunk-001", "s3://m/c.jsonl", delete_on_cancel=True)
    assert set(params) <= set(inspect.signature(generate_videos.fn).parameters)
    _assert_the_server_accepts(params)
    assert params["output_bucket_block"] == block_ref(S3Bucket, "in")  # None: the media bucket
    child, checks = batch_settings(params)
    assert child.chunk_name == "chunk-001" and child.chunk_size is None
    assert child.batch_name == "b1"
    assert child.options == parent.options.model_copy(update={"output_bucket_block": "in"})
    assert child.creates_per_second == 2 and child.concurrency_limit_name == "tavus-creates"
    assert checks.on_invalid_rows == "skip" and checks.delete_unfinished_on_cancel
