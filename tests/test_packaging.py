"""The install stays complete: every subpackage is packaged, conda and pip list the same
dependencies, and the embedded data resolve."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import spatialecon
from spatialecon._files import embedded_path

ROOT = Path(spatialecon.__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_subpackage_is_listed_for_wheels():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "spatialecon").rglob("__init__.py")
    }
    assert found <= listed, f"add to pyproject [tool.setuptools] packages: {found - listed}"


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[ ]", r.strip(), maxsplit=1)[0].lower() for r in requirements}


def test_environment_yml_lists_the_pyproject_dependencies():
    project = _pyproject()["project"]
    wanted = _names(project["dependencies"]) | _names(project["optional-dependencies"]["dev"])
    text = (ROOT / "environment.yml").read_text()
    conda = _names(re.findall(r"^\s+- (?:-e )?([A-Za-z][\w.\-]*)", text, flags=re.M))
    assert wanted - {"python"} <= conda, f"missing from environment.yml: {wanted - conda}"


def test_embedded_data_resolve():
    assert embedded_path("provinces.csv").is_file()
    assert embedded_path("datasets", "index.json").is_file()


def test_make_maps_installs_only_the_runtime():
    """`make maps` installs the package without extras; the test, bench, lint and notebook
    targets add the development extras on top."""
    text = (ROOT / "Makefile").read_text()
    variables = dict(re.findall(r"^(\w+)\s*:=\s*(\S+)", text, flags=re.M))
    rules = {target: deps.split() for target, deps in
             re.findall(r"^([\w$()./-]+):\s*([^=\n]*)$", text, flags=re.M)}
    runtime, dev = "$(STAMP)", "$(DEV)"
    assert rules["maps"] == [runtime]
    for target in ("test", "test-fast", "bench", "lint", "notebooks"):
        assert rules[target] == [dev], target
    assert rules[dev] == [runtime]
    recipe = text.split(f"{runtime}: pyproject.toml", 1)[1].split("\n\n", 1)[0]
    installs = re.findall(r"pip install --quiet (.+)", recipe)
    assert installs[-1] == "-e ." and "[dev" not in recipe
    assert variables["STAMP"] != variables["DEV"]
