"""Helpers the exercise tests share: read a lesson's answer cell, run it, make nbgrader's stub of it,
and assert the learner's path through a checker (passes, named mistakes, pointers, nothing given away).

Not a test module (no ``test_`` prefix, so pytest does not collect it): tests/test_exercises_lessonNN.py
import it. The convention these helpers read (issues #14 and #15): an answer cell ``<name>_answer`` holds the
teacher's solution between ``### BEGIN SOLUTION`` and ``### END SOLUTION``; the check cell
``<name>_check`` follows it, then the reveal cell ``show_solution("<name>")``.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lstm_lab.checking import CheckResult, hidden_cases

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

# A solution region: its indentation (group 1) and its body (group 2), END line included in the match.
SOLUTION_REGION = re.compile(r"^( *)### BEGIN SOLUTION\n(.*?)^ *### END SOLUTION\n?", re.S | re.M)


def notebook_cells(notebook: str | Path) -> list[dict[str, Any]]:
    """The cells of ``notebooks/<notebook>`` (or of the path ``notebook``) as stored JSON dicts."""
    path = notebook if isinstance(notebook, Path) else NOTEBOOKS / notebook
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def grade_ids(cells: list[dict[str, Any]]) -> list[str | None]:
    """The nbgrader ``grade_id`` of every cell, None where a cell has none."""
    return [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells]


def answer_source(notebook: str | Path, name: str) -> str:
    """The source of the one answer cell ``<name>_answer`` of ``notebook``."""
    cells = notebook_cells(notebook)
    found = [c for c, gid in zip(cells, grade_ids(cells), strict=True) if gid == f"{name}_answer"]
    if len(found) != 1:
        raise LookupError(f"{Path(notebook).name} has {len(found)} answer cells {name}_answer, not one")
    return "".join(found[0]["source"])


def code_part(line: str) -> str:
    """A line of code without its ``#`` comment and its surrounding blanks."""
    return line.split("#", 1)[0].strip()


def solution_lines(source: str, min_length: int = 12, at_least: int = 1) -> list[str]:
    """The code lines of an answer cell's solution regions, comments dropped, at least ``min_length`` long.

    These are the lines no checker message, hint or stored output may contain. A short
    ``min_length`` catches more (``return h``), a long one only what is distinctive. Fewer than
    ``at_least`` such lines fails: a check against no lines could never fail.
    """
    lines = [code_part(line) for m in SOLUTION_REGION.finditer(source) for line in m.group(2).splitlines()]
    lines = [line for line in lines if line and len(line) >= min_length]
    assert len(lines) >= at_least, f"the answer cell's solution region has {len(lines)} such lines"
    return lines


def reference_lines(fn: Callable[..., Any], min_length: int = 12) -> list[str]:
    """The code lines (after the docstring) of the package's reference ``fn``: what show_solution prints."""
    body = inspect.getsource(fn).split('"""')[-1]
    return [code_part(line) for line in body.splitlines() if len(code_part(line)) >= min_length]


def student_stub(source: str) -> str:
    """The answer cell as nbgrader's student edition has it: the stub where the solution was."""
    return SOLUTION_REGION.sub(
        lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}raise NotImplementedError()\n", source)


def edited(source: str, *changes: tuple[str, str]) -> str:
    """``source`` with each ``(old, new)`` replaced; each ``old`` must occur exactly once."""
    for old, new in changes:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


def define(source: str, name: str, namespace: dict[str, Any]) -> Any:
    """Run a cell's source with the names in ``namespace`` (what the lesson defined before it); return ``name``.

    ``namespace`` is copied, so one dict can serve every call.
    """
    scope = dict(namespace)
    exec(compile(source, f"<answer cell {name}>", "exec"), scope)
    return scope[name]


def assert_gives_nothing_away(message: str, lines: Iterable[str]) -> None:
    """No line of ``lines`` (solution or reference code) stands in ``message``."""
    leaked = [line for line in lines if line in message]
    assert not leaked, f"the message gives away the solution code {leaked}:\n{message}"


def assert_passes_also_on_hidden_cases(checker: Callable[[Callable[..., Any]], CheckResult], fn: Callable[..., Any],
                                       hidden_words: str = "hidden") -> CheckResult:
    """``fn`` passes ``checker`` on the visible cases, and on the hidden ones with a message saying
    ``hidden_words``. Returns the visible result (its message is what the notebook stores).
    """
    result = checker(fn)
    assert result.passed, result.message
    with hidden_cases():
        hidden = checker(fn)
    assert hidden.passed and hidden_words in hidden.message, hidden.message
    return result


def assert_named_then_pointed(checker: Callable[[Callable[..., Any]], CheckResult], wrong: Callable[..., Any],
                              named: str, secrets: Iterable[str],
                              pointer: str = "Pointer (attempt 2)") -> tuple[CheckResult, CheckResult]:
    """A wrong answer's first failure names its mistake (``named``) and gives no pointer yet; the second
    failure adds ``pointer``; neither gives a line of ``secrets`` away. Returns both results.
    """
    secrets = list(secrets)
    first = checker(wrong)
    assert not first.passed and "\nThis is a known mistake: " in first.message and named in first.message, first.message
    assert "Pointer" not in first.message
    second = checker(wrong)
    assert pointer in second.message, second.message
    for message in (first.message, second.message):
        assert_gives_nothing_away(message, secrets)
    return first, second


def shown_text(cell: dict[str, Any]) -> list[str]:
    """What a learner sees of a cell without running it: a markdown cell's text, a code cell's stored outputs."""
    shown = ["".join(cell["source"])] if cell["cell_type"] == "markdown" else []
    for out in cell.get("outputs", []):
        shown.append("".join(out.get("text", "")) + str(out.get("data", {}))
                     + "".join(out.get("data", {}).get("text/plain", "")))
    return shown


def assert_nothing_shown_before_check(notebook: str | Path, name: str, lines: list[str]) -> None:
    """No markdown cell and no stored output before the check cell ``<name>_check`` contains one of ``lines``."""
    cells = notebook_cells(notebook)
    for cell in cells[: grade_ids(cells).index(f"{name}_check")]:
        for block in shown_text(cell):
            for line in lines:
                assert line not in block, f"{notebook}: {line!r} is shown before the {name} exercise's check"


def assert_exercise_cells_follow_the_convention(notebook: str | Path, names: list[str], min_length: int = 1) -> None:
    """Each exercise: answer, check (graded, raises-exception, hidden tests), reveal; no answer shown before.

    Before each check cell, no stored output and no ``<details>`` hint contains a solution line
    (at least ``min_length`` long) of that exercise.
    """
    cells = notebook_cells(notebook)
    ids = grade_ids(cells)
    for name in names:
        a = ids.index(f"{name}_answer")
        check, reveal = cells[a + 1], cells[a + 2]
        meta = check["metadata"]["nbgrader"]
        assert ids[a + 1] == f"{name}_check" and meta["grade"] and meta["locked"] and meta["points"] > 0
        assert "raises-exception" in check["metadata"].get("tags", [])
        source = "".join(check["source"])
        assert source.startswith(f"check_{name}({name}).assert_ok()\n### BEGIN HIDDEN TESTS\nwith hidden_cases():")
        assert "".join(reveal["source"]) == f'show_solution("{name}")' and "reveal" in reveal["metadata"]["tags"]
        assert "✓" in "".join("".join(o.get("text", "")) for o in check["outputs"]), f"{name}: no pass line stored"
        assert_nothing_shown_before_check(notebook, name, solution_lines(answer_source(notebook, name), min_length))


def assert_no_show_source_before(notebook: str | Path, names: list[str]) -> None:
    """No cell up to an exercise's answer cell calls ``show.source`` (it would show a reference early)."""
    cells = notebook_cells(notebook)
    ids = grade_ids(cells)
    for name in names:
        for cell in cells[: ids.index(f"{name}_answer") + 1]:
            assert "show.source" not in "".join(cell["source"]), f"{notebook}: show.source before the {name} exercise"
