"""Pin the exact versions of everything `make venv` installs: constraints.txt and environment.yml.

    make update-constraints                       # maintainers: resolve the newest releases, rewrite both files
    python tools/update_constraints.py --python python3.12 --also python3.10
    python tools/update_constraints.py --drift .venv-latest   # what differs from the pins (make test-latest)

`make venv` (so `make lab` and `make test`) installs with ``pip install -c constraints.txt``:
a learner next year gets the stack CI tested, so the stored notebook outputs still hold.
pyproject.toml keeps lower bounds only. To move the pins, run this tool (it resolves
``-e .[dev]`` in a fresh virtual environment, with no constraints, so every package is at its
newest release), then ``make clean test`` and ``.ci/run``; commit the two files if they pass.

``--also`` resolves again with another interpreter (default: python3.10, the oldest Python that
pyproject allows, if it is installed): numpy and IPython no longer support it, so where its
versions differ it gets its own lines with a ``python_version`` marker.

CI-only packages (torch and playwright, installed by .ci/run with their own pins) are not
resolved here; .ci/run installs them with ``-c constraints.txt`` so they cannot move a pin.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints.txt"
ENVIRONMENT = ROOT / "environment.yml"
# environment.yml entries that are not Python packages pip installs.
CONDA_ONLY = {"python", "pip"}


def canonical(name: str) -> str:
    """PEP 503 normalised name: Jinja2, jupyter_client -> jinja2, jupyter-client."""
    return re.sub(r"[-_.]+", "-", name).lower()


def interpreter_version(python: str) -> str:
    """'3.11' for an interpreter that runs; '' if it does not (e.g. a pyenv shim of an inactive version)."""
    if not shutil.which(python):
        return ""
    out = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else ""


def resolve(python: str) -> dict[str, str]:
    """{name: version} of everything ``pip install -e .[dev]`` installs today, newest releases, no constraints."""
    with tempfile.TemporaryDirectory(prefix="lstm-lab-resolve-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip"]
        subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip"], check=True)
        report = Path(tmp) / "report.json"
        subprocess.run([*pip, "install", "--quiet", "--dry-run", "--ignore-installed", "--report", str(report),
                        "-e", f"{ROOT}[dev]"], check=True)
        installs = json.loads(report.read_text())["install"]
    return {item["metadata"]["name"]: item["metadata"]["version"] for item in installs
            if canonical(item["metadata"]["name"]) != "lstm-lab"}


def read_constraints(text: str) -> dict[str, str]:
    """{canonical name: version} of the pins that apply to the Python CI tests (lines without ``== "3.x"``)."""
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        spec, _, marker = line.partition(";")
        name, _, version = spec.strip().partition("==")
        if "==" in marker:  # another interpreter's own line
            continue
        pins[canonical(name)] = version.strip()
    return pins


def render_constraints(main: dict[str, str], main_python: str, others: dict[str, dict[str, str]]) -> str:
    """constraints.txt: one pin per package; a package that differs on another Python gets marker lines."""
    lines = [
        "# Exact versions of every package `make venv` installs (pip install -c constraints.txt -e \".[dev]\"),",
        f"# resolved and tested on CPython {main_python}. Regenerate with `make update-constraints` (README,",
        "# \"For maintainers\"); pyproject.toml keeps lower bounds. environment.yml pins the same versions",
        "# (tests/test_environment.py). torch and playwright are CI-only: .ci/run pins them itself.",
    ]
    if others:
        lines.append(f"# Lines marked python_version == ...: resolved (not tested) for Python {', '.join(others)},")
        lines.append("# which some of these releases no longer support.")
    names = sorted(set(main).union(*others.values()), key=canonical)
    for name in names:
        differ = [v for v, pins in others.items() if pins.get(name) != main.get(name)]
        if name in main:
            marker = " and ".join(f'python_version != "{v}"' for v in differ)
            lines.append(f"{name}=={main[name]}" + (f" ; {marker}" if marker else ""))
        for v in differ:
            if name in others[v]:
                lines.append(f'{name}=={others[v][name]} ; python_version == "{v}"')
    return "\n".join(lines) + "\n"


def pin_environment(text: str, pins: dict[str, str]) -> str:
    """environment.yml with every package's version set to ``==pin`` (comments and layout kept)."""
    def repin(match: re.Match) -> str:
        indent, name, rest = match.group(1), match.group(2), match.group(4) or ""
        if name in CONDA_ONLY:
            return match.group(0)
        if canonical(name) not in pins:
            raise SystemExit(f"environment.yml lists {name}, which `pip install -e .[dev]` does not install")
        return f"{indent}{name}=={pins[canonical(name)]}{rest}"

    head, sep, deps = text.partition("\ndependencies:")  # not the channels list above it
    return head + sep + re.sub(r"(?m)^( {2}- | {6}- )([A-Za-z0-9_.\-]+)([<>=!~][^\s#]*)?(\s+#.*)?$", repin, deps)


def drift(venv: Path) -> list[str]:
    """How the packages installed in ``venv`` differ from constraints.txt's pins."""
    freeze = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "freeze", "--exclude-editable"],
                            capture_output=True, text=True, check=True).stdout
    installed = {canonical(n): v for n, _, v in (line.partition("==") for line in freeze.splitlines()) if v}
    pins = read_constraints(CONSTRAINTS.read_text())
    changes = [f"{n} {pins[n]} -> {installed[n]}" for n in sorted(pins.keys() & installed.keys())
               if pins[n] != installed[n]]
    changes += [f"{n} {installed[n]} (new)" for n in sorted(installed.keys() - pins.keys())]
    changes += [f"{n} {pins[n]} (no longer installed)" for n in sorted(pins.keys() - installed.keys())]
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter CI tests with (default: this one)")
    parser.add_argument("--also", nargs="*", default=None,
                        help="other interpreters to resolve for (default: python3.10 if installed)")
    parser.add_argument("--drift", type=Path, metavar="VENV", help="only list how VENV differs from the pins")
    args = parser.parse_args(argv)
    if args.drift:
        changes = drift(args.drift)
        print(f"{args.drift} against constraints.txt: " + ("; ".join(changes) if changes else "the pinned versions"))
        return 0

    main_version = interpreter_version(args.python)
    if not main_version:
        raise SystemExit(f"update_constraints: cannot run {args.python}")
    others = {}
    for python in args.also if args.also is not None else ["python3.10"]:
        version = interpreter_version(python)
        if not version:
            print(f"update_constraints: {python} does not run here; its Python gets no pins of its own")
        elif version != main_version:
            others[version] = resolve(python)
    main_pins = resolve(args.python)
    CONSTRAINTS.write_text(render_constraints(main_pins, main_version, others), encoding="utf-8")
    pins = {canonical(n): v for n, v in main_pins.items()}
    ENVIRONMENT.write_text(pin_environment(ENVIRONMENT.read_text(encoding="utf-8"), pins), encoding="utf-8")
    print(f"constraints.txt: {len(main_pins)} packages pinned for Python {main_version}"
          + "".join(f"; {sum(o.get(n) != v for n, v in main_pins.items())} differ on {ver}"
                    for ver, o in others.items())
          + ". environment.yml repinned. Now `make clean test` and `.ci/run`, then commit both files.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
