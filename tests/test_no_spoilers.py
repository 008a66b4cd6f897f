"""No exercise's answer is visible before the learner's attempt (issue #14).

The teacher's edition (notebooks/) holds each solution between nbgrader's solution markers,
and the package holds the reference that ``show_solution`` reveals. Neither may leak into what
a learner reads before attempting: no stored output (apart from the answer cell itself and the
reveal cells after the check), no ``<details>`` hint and no markdown cell may contain a line of
either. A solution line is any non-trivial code line (not a comment, at least ``MIN_CHARS``
long, so ``return h`` or ``B, T = x.shape`` are not mistaken for an answer).
"""

from __future__ import annotations

import inspect
import json
import re
import textwrap
from pathlib import Path

import pytest

import lstm_lab.exercises  # noqa: F401  (registers every lesson's references)
from lstm_lab.checking import _solutions

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
MIN_CHARS = 18
_LESSON_TIME = re.compile(r"\*\*Time:\*\*\s*about\s+(\d+)\s*min")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _src(cell: dict) -> str:
    return "".join(cell["source"])


def _grader(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _code_lines(code: str) -> set[str]:
    """The non-trivial code lines of ``code``, stripped of indentation."""
    lines = set()
    for raw in code.splitlines():
        line = raw.strip()
        if len(line) >= MIN_CHARS and not line.startswith(("#", '"""', "'''")) and not line.endswith('"""'):
            lines.add(line)
    return lines


def solution_region(code: str) -> str:
    """What lies between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in an answer cell."""
    match = re.search(r"### BEGIN SOLUTION\n(.*?)\n\s*### END SOLUTION", code, flags=re.S)
    return match.group(1) if match else ""


def _reference_body(obj: object) -> str:
    """A reference's source without its signature and docstring: the part that answers."""
    source = textwrap.dedent(inspect.getsource(obj))
    doc = inspect.getdoc(obj) or ""
    body = source.split(":\n", 1)[1] if ":\n" in source else source
    for line in doc.splitlines():
        body = body.replace(line, "")
    return body


def answer_lines(nb: dict) -> set[str]:
    """Every solution line of a notebook: its answer cells' regions."""
    lines: set[str] = set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and _grader(cell).get("solution"):
            lines |= _code_lines(solution_region(_src(cell)))
    return lines


REFERENCE_LINES = {name: _code_lines(_reference_body(obj)) for name, obj in _solutions.items()}


def _output_text(output: dict) -> str:
    if output["output_type"] == "stream":
        return "".join(output["text"])
    data = output.get("data", {})
    return "\n".join("".join(v) if isinstance(v, list) else str(v)
                     for k, v in data.items() if k.startswith("text/"))


def _leaks(text: str, lines: set[str]) -> list[str]:
    return sorted(line for line in lines if line in text)


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request) -> tuple[str, dict]:
    return request.param.name, _load(request.param)


def test_every_lesson_has_a_graded_exercise(notebook):
    name, nb = notebook
    answers = [c for c in nb["cells"] if _grader(c).get("solution")]
    assert answers, f"{name}: no answer cell (nbgrader solution: true): the learner writes nothing"
    for cell in answers:
        grade_id = _grader(cell)["grade_id"]
        assert solution_region(_src(cell)).strip(), f"{name}: answer cell {grade_id} has no solution region"


def spoilers(nb: dict) -> list[str]:
    """Where a solution line shows before the attempt: markdown, or a stored output."""
    secret = answer_lines(nb) | set().union(*REFERENCE_LINES.values())
    problems = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            for line in _leaks(_src(cell), secret):
                problems.append(f"markdown cell {index} (a hint or the prose) shows `{line}`")
            continue
        if _grader(cell).get("solution") or "reveal" in _tags(cell):
            continue  # the answer itself, and the spoiler the learner asks for after the check
        for output in cell.get("outputs", []):
            for line in _leaks(_output_text(output), secret):
                problems.append(f"the stored output of code cell {index} shows `{line}`")
    return problems


def test_no_output_or_hint_gives_an_answer_away(notebook):
    name, nb = notebook
    problems = spoilers(nb)
    assert not problems, f"{name}: an exercise's answer is visible before the attempt:\n" + "\n".join(problems)


def test_a_reveal_comes_after_its_check(notebook):
    name, nb = notebook
    checked: set[str] = set()
    for index, cell in enumerate(nb["cells"]):
        grade_id = _grader(cell).get("grade_id", "")
        if _grader(cell).get("grade") and grade_id.endswith("_check"):
            checked.add(grade_id.removesuffix("_check"))
        if "reveal" in _tags(cell):
            revealed = re.findall(r"show_solution\(\s*[\"'](\w+)[\"']", _src(cell))
            assert revealed, f"{name}: reveal cell {index} calls no show_solution(...)"
            for exercise in revealed:
                assert exercise in _solutions, f"{name}: show_solution({exercise!r}) names no registered reference"
                assert exercise in checked, f"{name}: cell {index} reveals {exercise!r} before its check cell"


def test_no_reference_is_shown_with_show_source_before_its_check(notebook):
    """``show.source(f)`` of an exercise's reference would print the answer in the lesson."""
    name, nb = notebook
    shown = {}
    for index, cell in enumerate(nb["cells"]):
        for target in re.findall(r"show\.source\(\s*([\w.]+)", _src(cell)):
            shown.setdefault(target, index)
    for exercise, obj in _solutions.items():
        qualname = obj.__qualname__
        for target, index in shown.items():
            if target != qualname and not target.endswith("." + qualname):
                continue
            checks = [i for i, c in enumerate(nb["cells"]) if _grader(c).get("grade_id") == f"{exercise}_check"]
            assert checks and checks[0] < index, (
                f"{name}: cell {index} shows {qualname} with show.source before the learner writes it"
            )


def test_states_its_time_and_fits_a_class(notebook):
    name, nb = notebook
    head = "\n".join(_src(c) for c in nb["cells"][:2] if c["cell_type"] == "markdown")
    match = _LESSON_TIME.search(head)
    assert match, f"{name}: state the lesson's time at the top: '**Time:** about NN minutes (...)'"
    assert int(match.group(1)) <= 50, f"{name}: {match.group(1)} minutes does not fit a 50-minute class: split it"


def test_the_scanner_finds_a_planted_leak():
    """The scan can say no: a stored output that prints a solution line is caught."""
    nb = _load(next(p for p in NOTEBOOKS if answer_lines(_load(p))))
    line = sorted(answer_lines(nb))[0]
    planted = {"cell_type": "code", "metadata": {}, "source": ["print()"],
               "outputs": [{"output_type": "stream", "name": "stdout", "text": [line + "\n"]}]}
    hint = {"cell_type": "markdown", "metadata": {}, "source": [f"<details>{line}</details>"]}
    assert not spoilers(nb)
    assert spoilers({**nb, "cells": [planted, *nb["cells"]]}) == [f"the stored output of code cell 0 shows `{line}`"]
    assert spoilers({**nb, "cells": [hint, *nb["cells"]]}) == [f"markdown cell 0 (a hint or the prose) shows `{line}`"]
