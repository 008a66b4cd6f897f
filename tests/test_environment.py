"""pyproject.toml and environment.yml must list the same dependencies.

Conda and Binder users install from environment.yml, everyone else from
pyproject.toml; if the lists drift, one group gets a different course.
"""

from __future__ import annotations

import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
# Packages that exist only on one side for a reason: conda needs python and pip
# themselves; tomli only backfills tomllib on Python 3.10.
ONLY_CONDA = {"python", "pip"}
ONLY_PIP = {"tomli"}


def _name_and_bound(requirement: str) -> tuple[str, str]:
    requirement = requirement.split(";")[0].strip()
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", requirement)
    assert match, f"cannot read requirement {requirement!r}"
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    return dict(_name_and_bound(r) for r in reqs)


def conda_requirements() -> dict[str, str]:
    """The conda dependency lines of environment.yml (not the nested pip list)."""
    reqs = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text[text.index("\ndependencies:"):].splitlines():
        match = re.fullmatch(r"  - ([A-Za-z0-9_.\-]+[^#]*?)\s*(#.*)?", line)
        if match:
            name, bound = _name_and_bound(match.group(1))
            reqs[name] = bound
    return reqs


def pip_section_requirements() -> dict[str, str]:
    """The packages environment.yml installs with pip inside the conda environment (not -e .)."""
    reqs = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        match = re.fullmatch(r"      - ([A-Za-z0-9_.\-]+[^#]*?)\s*(#.*)?", line)
        if match and not match.group(1).startswith("-"):
            name, bound = _name_and_bound(match.group(1))
            reqs[name] = bound
    return reqs


def test_same_packages_on_both_sides():
    pip_side = {n for n in pyproject_requirements() if n not in ONLY_PIP}
    conda_side = {n for n in {**conda_requirements(), **pip_section_requirements()} if n not in ONLY_CONDA}
    assert pip_side == conda_side, (
        f"only in pyproject.toml: {sorted(pip_side - conda_side)}; "
        f"only in environment.yml: {sorted(conda_side - pip_side)}"
    )


def test_same_lower_bounds_on_both_sides():
    pip_side, conda_side = pyproject_requirements(), {**conda_requirements(), **pip_section_requirements()}
    differ = {n: (pip_side[n], conda_side[n]) for n in pip_side.keys() & conda_side.keys()
              if pip_side[n] != conda_side[n]}
    assert not differ, f"version bounds differ (pyproject, environment.yml): {differ}"


def test_python_floor_agrees():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == conda_requirements()["python"]


def test_environment_installs_the_package_itself():
    assert "      - -e ." in (ROOT / "environment.yml").read_text().splitlines()
