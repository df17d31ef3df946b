"""Every docstring example in the installed packages runs, under the module's real name.

``pytest --doctest-modules`` would import ``flows/video.py`` by its path as ``flows.video``,
a second copy beside ``prefect_tavus.flows.video`` (and a second registration of the
block type), so the examples are run here on the modules as a user imports them.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import prefect_tavus.blocks
import prefect_tavus.flows
import prefect_tavus.tavus_api

PACKAGES = (prefect_tavus.tavus_api, prefect_tavus.blocks, prefect_tavus.flows)
MODULES = sorted(
    {"prefect_tavus"}
    | {package.__name__ for package in PACKAGES}
    | {
        info.name
        for package in PACKAGES
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
    }
)


def test_every_library_package_is_walked() -> None:
    assert "prefect_tavus.tavus_api.simulator.clock" in MODULES
    assert "prefect_tavus.flows.generate" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
