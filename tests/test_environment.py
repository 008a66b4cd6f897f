"""pyproject.toml, constraints.txt and environment.yml describe one environment.

pyproject.toml holds lower bounds; constraints.txt the exact versions CI tested (`make venv`
installs with it); environment.yml, for conda and Binder users, pins the same versions. If
they drift, one group of learners gets a different course and stored outputs stop holding.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
# Packages that exist only on one side for a reason: conda needs python and pip
# themselves; tomli only backfills tomllib on Python 3.10.
ONLY_CONDA = {"python", "pip"}
ONLY_PIP = {"tomli"}
# Installed only by .ci/run, with their own pins there (never by `make venv`).
CI_ONLY = {"torch", "playwright"}

spec = importlib.util.spec_from_file_location("update_constraints", ROOT / "tools" / "update_constraints.py")
update_constraints = importlib.util.module_from_spec(spec)
sys.modules["update_constraints"] = update_constraints
spec.loader.exec_module(update_constraints)
canonical = update_constraints.canonical


def _name_and_bound(requirement: str) -> tuple[str, str]:
    requirement = requirement.split(";")[0].strip()
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", requirement)
    assert match, f"cannot read requirement {requirement!r}"
    return canonical(match.group(1)), match.group(2).replace(" ", "")


def pyproject_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    return [Requirement(r) for r in reqs]


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


def constraint_lines() -> list[Requirement]:
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    return [Requirement(line.split("#", 1)[0]) for line in lines if line.split("#", 1)[0].strip()]


def ci_pins() -> dict[str, str]:
    """{name: version} for the Python CI runs (the lines whose marker holds here, or have none)."""
    return update_constraints.read_constraints((ROOT / "constraints.txt").read_text())


def test_same_packages_in_pyproject_and_environment_yml():
    pip_side = {canonical(r.name) for r in pyproject_requirements()} - ONLY_PIP
    conda_side = {n for n in {**conda_requirements(), **pip_section_requirements()} if n not in ONLY_CONDA}
    assert pip_side == conda_side, (
        f"only in pyproject.toml: {sorted(pip_side - conda_side)}; "
        f"only in environment.yml: {sorted(conda_side - pip_side)}"
    )


def test_environment_yml_pins_the_versions_constraints_txt_pins():
    pins = ci_pins()
    listed = {n: b for n, b in {**conda_requirements(), **pip_section_requirements()}.items() if n not in ONLY_CONDA}
    wrong = {n: (b, f"=={pins.get(n)}") for n, b in listed.items() if b != f"=={pins.get(n)}"}
    assert not wrong, f"environment.yml against constraints.txt (run `make update-constraints`): {wrong}"


def test_constraints_are_exact_pins_one_per_package_and_python():
    seen = set()
    for req in constraint_lines():
        [spec] = req.specifier
        assert spec.operator == "==" and "*" not in spec.version, f"{req}: constraints.txt pins exact versions"
        key = (canonical(req.name), str(req.marker))
        assert key not in seen, f"{req.name} pinned twice for the same Python"
        seen.add(key)


def test_constraints_pin_every_direct_dependency_within_pyproject_bounds():
    pins = ci_pins()
    for req in pyproject_requirements():
        if req.marker is not None and not req.marker.evaluate({"python_version": "3.11"}):
            continue  # e.g. tomli, on Python 3.10 only: pinned by a marked line if at all
        name = canonical(req.name)
        assert name in pins, f"{req.name} is a dependency but constraints.txt does not pin it"
        assert req.specifier.contains(pins[name]), f"constraints.txt pins {name}=={pins[name]}, outside {req}"


def test_every_python_pyproject_allows_gets_a_pin_for_each_package():
    """A package pinned only for some Pythons (marked lines) must be pinned for the others too."""
    by_name: dict[str, list] = {}
    for req in constraint_lines():
        by_name.setdefault(canonical(req.name), []).append(req.marker)
    floor = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"].lstrip(">=")
    for name, markers in by_name.items():
        if markers == [None]:
            continue
        for minor in range(int(floor.split(".")[1]), 15):
            env = {"python_version": f"3.{minor}"}
            hits = sum(m is None or m.evaluate(env) for m in markers)
            assert hits <= 1, f"{name}: two pins apply on Python 3.{minor}"


def test_ci_only_packages_and_the_project_itself_are_not_pinned():
    names = {canonical(r.name) for r in constraint_lines()}
    assert not names & (CI_ONLY | {"lstm-lab"}), names & (CI_ONLY | {"lstm-lab"})


def test_make_venv_installs_with_the_constraints_and_rebuilds_when_they_change():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^\$\(STAMP\): pyproject.toml \$\(CONSTRAINTS\)$", makefile, re.M)
    assert "pip install --quiet -c $(CONSTRAINTS) -e \".[dev]\"" in makefile
    assert re.search(r"^CONSTRAINTS := constraints.txt$", makefile, re.M)


def test_regenerated_files_keep_their_layout():
    """update_constraints rewrites environment.yml's versions only; its own output reads back the same."""
    pins = ci_pins()
    text = (ROOT / "environment.yml").read_text()
    assert update_constraints.pin_environment(text, pins) == text
    main = {"numpy": "2.4.6", "Jinja2": "3.1.6"}
    rendered = update_constraints.render_constraints(main, "3.11", {"3.10": {"numpy": "2.2.6", "Jinja2": "3.1.6",
                                                                             "tomli": "2.3.0"}})
    assert 'numpy==2.4.6 ; python_version != "3.10"\nnumpy==2.2.6 ; python_version == "3.10"\n' in rendered
    assert "\nJinja2==3.1.6\n" in rendered and 'tomli==2.3.0 ; python_version == "3.10"' in rendered
    assert update_constraints.read_constraints(rendered) == {"numpy": "2.4.6", "jinja2": "3.1.6"}


def test_python_floor_agrees():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == conda_requirements()["python"]


def test_environment_installs_the_package_itself():
    assert "      - -e ." in (ROOT / "environment.yml").read_text().splitlines()
