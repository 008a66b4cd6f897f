"""tools/mutants.py itself, on a tiny fake project: killed, survived, and a snippet that moved."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def mutants():
    spec = importlib.util.spec_from_file_location("mutants_tool", ROOT / "tools" / "mutants.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutants_tool"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tree(tmp_path):
    """A package with one tested function and one that no test looks at."""
    (tmp_path / "calc").mkdir()
    (tmp_path / "calc" / "__init__.py").write_text("")
    (tmp_path / "calc" / "ops.py").write_text(
        "def add(a, b):\n    return a + b\n\n\ndef shout(word):\n    return word.upper() + '!'\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_ops.py").write_text(
        "from calc.ops import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    )
    return tmp_path


def run(mutants, tree, chosen, **kwargs):
    out = io.StringIO()
    status = mutants.run_all(chosen, tree, jobs=2, copied=("calc", "tests"), linked=(), package="calc", out=out,
                             **kwargs)
    return status, out.getvalue()


def test_caught_mutants_are_killed_uncaught_ones_survive_and_the_tree_is_left_alone(mutants, tree):
    before = (tree / "calc" / "ops.py").read_text()
    chosen = [
        mutants.Mutant("add-subtracts", "calc/ops.py", "return a + b", "return a - b", ("tests/test_ops.py",)),
        mutants.Mutant("shout-whispers", "calc/ops.py", "word.upper()", "word.lower()", ("tests/test_ops.py",)),
    ]
    status, report = run(mutants, tree, chosen)
    assert status == 1, report  # not every mutant was killed
    assert "baseline: 1 test files pass unmutated" in report
    assert "killed   add-subtracts" in report
    assert "survived shout-whispers" in report and "SURVIVED: shout-whispers" in report
    assert "kill rate: 1/2 = 50%" in report
    assert (tree / "calc" / "ops.py").read_text() == before  # mutated in copies only
    status, report = run(mutants, tree, chosen[:1], baseline=False)
    assert status == 0 and "kill rate: 1/1 = 100%" in report


@pytest.mark.parametrize(("original", "problem"), [("return a * b", "is not found"),
                                                   ("return", "is found 2 times")])
def test_a_snippet_not_found_exactly_once_stops_the_run_before_any_mutant(mutants, tree, original, problem):
    chosen = [
        mutants.Mutant("add-subtracts", "calc/ops.py", "return a + b", "return a - b", ("tests/test_ops.py",)),
        mutants.Mutant("moved", "calc/ops.py", original, "return 0", ("tests/test_ops.py",)),
    ]
    status, report = run(mutants, tree, chosen, baseline=False)
    assert status == 2
    assert f"mutant moved: the original snippet {original!r} {problem}" in report and "update this mutant" in report
    assert "kill rate" not in report  # nothing ran


def test_a_failing_suite_is_not_counted_as_kills(mutants, tree):
    (tree / "tests" / "test_ops.py").write_text("def test_broken():\n    assert False\n")
    m = mutants.Mutant("add-subtracts", "calc/ops.py", "return a + b", "return a - b", ("tests/test_ops.py",))
    status, report = run(mutants, tree, [m])
    assert status == 2 and "fail WITHOUT any mutant" in report


def test_a_missing_test_file_is_refused(mutants, tree):
    m = mutants.Mutant("add-subtracts", "calc/ops.py", "return a + b", "return a - b", ("tests/test_gone.py",))
    status, report = run(mutants, tree, [m], baseline=False)
    assert status == 2 and "its test file tests/test_gone.py does not exist" in report


def test_the_project_mutants_all_apply_and_cover_every_module(mutants):
    """Every curated snippet is still in the code, once: a refactor that moves one fails here first."""
    mutants.check_mutants(mutants.MUTANTS, ROOT)
    assert len(mutants.MUTANTS) >= 30
    files = {m.file for m in mutants.MUTANTS}
    for module in ("lstm", "rnn", "optim", "train", "batching", "sampling", "vocab", "data", "checkpoint",
                   "gradcheck", "checking"):
        assert f"lstm_lab/{module}.py" in files
    names = {m.name for m in mutants.MUTANTS}
    assert {"lstm-step-dC-drops-the-highway", "lstm-fused-highway-uses-input-gate"} <= names  # both backward paths


def test_a_mutant_that_needs_more_cores_than_the_machine_has_is_left_out_and_named(mutants):
    one = mutants.Mutant("add-subtracts", "calc/ops.py", "return a + b", "return a - b", ("tests/test_ops.py",))
    two = mutants.Mutant("threads", "calc/ops.py", "limits=1", "limits=None", ("tests/test_ops.py",), cores=2)
    out = io.StringIO()
    assert mutants.testable_here([one, two], cores=1, out=out) == [one]
    assert "not run  threads: needs 2 cores" in out.getvalue() and "gives 1" in out.getvalue()
    assert mutants.testable_here([one, two], cores=2, out=io.StringIO()) == [one, two]
    pin = next(m for m in mutants.MUTANTS if m.name == "import-leaves-blas-threads-as-they-are")
    assert pin.cores == 2
