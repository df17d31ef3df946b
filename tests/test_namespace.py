"""Installed names live under ``prefect_tavus`` only, so a user's own packages never collide.

Run as a user would: a fresh project directory holding its own ``flows/`` and ``blocks/``
packages (the most common layout of a Prefect project), the current directory first on
``sys.path``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

USER_PROBE = """
import json
import prefect.plugins
from prefect.blocks.core import Block
from prefect.utilities.dispatch import lookup_type

import flows, blocks  # the user's own packages
from prefect_tavus.flows import generate_video
from prefect_tavus.blocks import TavusCredentials

loaded = prefect.plugins.load_prefect_collections()
print(json.dumps({
    "user_flows": flows.WHO,
    "user_blocks": blocks.WHO,
    "flow_module": generate_video.fn.__module__,
    "flow_file": generate_video.fn.__code__.co_filename,
    "block_file": __import__("inspect").getfile(TavusCredentials),
    "collection": getattr(loaded["prefect_tavus"], "__name__", repr(loaded["prefect_tavus"])),
    "registered": lookup_type(Block, "tavus-credentials").__module__,
}))
"""


def test_a_project_with_its_own_flows_and_blocks_loads_ours_under_the_namespace(
    tmp_path: Path,
) -> None:
    for name in ("flows", "blocks"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"WHO = 'user {name}'\n")
    done = subprocess.run(
        [sys.executable, "-c", USER_PROBE],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), "DO_NOT_TRACK": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["user_flows"] == "user flows" and seen["user_blocks"] == "user blocks"
    assert seen["flow_module"] == "prefect_tavus.flows.generate"
    # ours, from the repository's own top-level folders (prefect_tavus/flows links to flows/)
    assert Path(seen["flow_file"]).resolve() == ROOT / "flows" / "generate.py"
    assert Path(seen["block_file"]).resolve() == ROOT / "blocks" / "credentials.py"
    assert seen["collection"] == "prefect_tavus.blocks"
    assert seen["registered"] == "prefect_tavus.blocks.credentials"


@pytest.mark.timeout(240)
def test_the_built_wheel_installs_only_the_prefect_tavus_namespace(tmp_path: Path) -> None:
    # built from a copy: setuptools leaves build/ in the source tree and never prunes it, so a
    # wheel built in the checkout could carry modules that no longer exist
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".prefect", "build", "*.egg-info", "__pycache__", "*_cache", "output"
        ),
    )
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=220,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = tmp_path.glob("prefect_tavus-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/", 1)[0] for name in names}
    assert top_level == {"prefect_tavus", wheel.name.split("-py3")[0] + ".dist-info"}
    for package in ("flows", "blocks", "tavus_api", "tavus_api/simulator"):
        assert f"prefect_tavus/{package}/__init__.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "prefect_tavus = prefect_tavus.blocks" in text
    assert "tavus-sim = prefect_tavus.tavus_api.simulator.cli:main" in text
