"""The stored notebooks are what nbval compares against, so they must be honest.

nbval never compares a cell whose stored execution_count is null: a notebook
committed without outputs would pass everything. These checks make sure every
lesson was stored from one clean, in-order run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def test_there_are_lessons():
    assert len(NOTEBOOKS) >= 1


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request) -> tuple[str, dict]:
    return request.param.name, json.loads(request.param.read_text(encoding="utf-8"))


def test_every_code_cell_was_executed(notebook):
    name, nb = notebook
    missing = [i for i, c in enumerate(code_cells(nb)) if c["execution_count"] is None]
    assert not missing, f"{name}: code cells {missing} have no stored output; run `make notebooks`"


def test_cells_ran_once_in_order(notebook):
    name, nb = notebook
    counts = [c["execution_count"] for c in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{name}: execution counts {counts} are not 1..n: store outputs from a fresh "
        "top-to-bottom run (`make notebooks`)"
    )


def test_no_unexpected_errors_stored(notebook):
    name, nb = notebook
    for c in code_cells(nb):
        if "raises-exception" in c["metadata"].get("tags", []):
            continue
        errors = [o for o in c.get("outputs", []) if o["output_type"] == "error"]
        assert not errors, f"{name}: a stored traceback in cell {c['execution_count']}"


def test_uses_the_standard_kernel(notebook):
    name, nb = notebook
    assert nb["metadata"]["kernelspec"]["name"] == "python3", f"{name}: kernel must be 'python3'"


def test_widget_state_stripped(notebook):
    name, nb = notebook
    assert "widgets" not in nb["metadata"], f"{name}: widget state stored; run `make notebooks`"


def test_small_enough_to_review(notebook):
    name, _ = notebook
    size = next(p for p in NOTEBOOKS if p.name == name).stat().st_size
    assert size < 1_500_000, f"{name} is {size / 1e6:.1f} MB: reduce figure count or dpi"


def test_ignored_outputs_are_few(notebook):
    """An ignored cell checks nothing; each must be a minority, not the lesson."""
    name, nb = notebook
    cells = code_cells(nb)
    ignored = [c for c in cells if "nbval-ignore-output" in c["metadata"].get("tags", [])]
    assert len(ignored) <= max(3, len(cells) // 3), f"{name}: {len(ignored)} of {len(cells)} cells ignored"


def test_starts_with_a_goal_and_ends_with_exercises(notebook):
    name, nb = notebook
    first = "".join(nb["cells"][0]["source"])
    assert nb["cells"][0]["cell_type"] == "markdown" and first.startswith("# "), f"{name}: no title"
    tail = " ".join("".join(c["source"]) for c in nb["cells"][-3:] if c["cell_type"] == "markdown")
    assert "Exercises" in tail, f"{name}: the lesson should end with a summary and exercises"
