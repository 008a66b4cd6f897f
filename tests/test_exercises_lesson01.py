"""Lesson 1's exercises (make_streams, windows): the learner's path through each checker.

The helpers at the top read a lesson's answer cells; Lesson 2's tests use them too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
_REGION = re.compile(r"^( *)### BEGIN SOLUTION\n(.*?)^ *### END SOLUTION\n?", re.S | re.M)


def answer_source(notebook: str, name: str) -> str:
    """The source of the answer cell ``<name>_answer`` of ``notebooks/<notebook>``."""
    nb = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == f"{name}_answer":
            return "".join(cell["source"])
    raise LookupError(f"{notebook} has no answer cell {name}_answer")


def solution_lines(source: str) -> list[str]:
    """The code lines of the answer cell's solution region, comments dropped."""
    lines = []
    for region in _REGION.finditer(source):
        for line in region.group(2).splitlines():
            code = line.split("#", 1)[0].strip()
            if code:
                lines.append(code)
    assert lines, "the answer cell has no solution region"
    return lines


def student_stub(source: str) -> str:
    """The answer cell as the student edition has it: nbgrader's stub where the solution was."""
    return _REGION.sub(lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}raise NotImplementedError()\n", source)


def define(source: str, name: str, namespace: dict[str, Any]) -> Any:
    """Run a cell's source in ``namespace`` (what the lesson defined before it); return ``name``."""
    exec(compile(source, f"<answer cell {name}>", "exec"), namespace)
    return namespace[name]


def assert_no_solution_line(message: str, lines: list[str]) -> None:
    for line in lines:
        assert line not in message, f"the message gives away the solution line {line!r}:\n{message}"
