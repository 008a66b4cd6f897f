"""The classroom edition: nbgrader's student release, autograding and feedback (issue #15).

Every lesson in notebooks/ that has nbgrader cells is tested, and so is a small fixture lesson
(tests/fixtures/classroom/) that exercises the tooling fast whatever the lessons hold:

* every exercise follows the convention (cell order, metadata, markers, tags; README of helpers);
* the student edition holds no solution code: no line of a solution region and no line of the
  package's reference (what show_solution prints) in any cell's source or output;
* the student edition runs top to bottom with every exercise unsolved: the only errors are
  CheckFailed in check cells (the autograder's run of the untouched edition, nbclient underneath);
* autograding the teacher's notebooks gives full marks, the untouched edition zero, and planted
  realistic mistakes partial marks with feedback that names the mistake and prints no solution.
"""

from __future__ import annotations

import ast
import html
import inspect
import re
import shutil
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

import lstm_lab.exercises  # noqa: F401  (registers every exercise's reference for show_solution)
from lstm_lab import checking

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import autograde  # noqa: E402
import student_edition  # noqa: E402
from student_edition import assignment_name, lesson_number  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "classroom" / "notebooks"
ANSWER_META = {"grade": False, "locked": False, "schema_version": 3, "solution": True, "task": False}
CHECK_META = {"grade": True, "locked": True, "schema_version": 3, "solution": False, "task": False}
# Shorter solution text (whitespace removed) is too generic to count as a leak: "returnh,cache".
MIN_LEAK_CHARS = 12


def has_exercises(path: Path) -> bool:
    return any("nbgrader" in c.metadata for c in nbformat.read(path, as_version=4).cells)


LESSONS = [p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")) if has_exercises(p)]
ALL = [*LESSONS, *sorted(FIXTURE.glob("*.ipynb"))]


def source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ----------------------------------------------------------------------------- solution text


def region(text: str, begin: str, end: str) -> list[str]:
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == begin]
    ends = [i for i, line in enumerate(lines) if line.strip() == end]
    assert len(starts) == len(ends) == 1, f"one {begin} ... {end} region expected"
    return lines[starts[0] + 1 : ends[0]]


def telling(line: str) -> list[str]:
    """The pieces of a solution line that give it away: the statement and, for an assignment, its
    right-hand side (so "h_next = tanh(...)" is caught as "tanh(...)" too). Comments, plain
    returns and short lines tell nothing."""
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith(("return", "pass", "raise", '"""', "'''")):
        pieces = [line[len("return"):].strip()] if line.startswith("return") else []
    else:
        pieces = [line]
        if re.match(r"[\w\[\], .:]+\s*[-+*/@]?=\s*\S", line) and "==" not in line.split("=", 1)[0]:
            pieces.append(line.split("=", 1)[1])
    return [p for p in (squash(p) for p in pieces) if len(p) >= MIN_LEAK_CHARS and re.search(r"[=(@\[+*/-]", p)]


def exercises(nb) -> list[str]:
    """The exercise names of a notebook: '<name>' of each '<name>_answer' cell."""
    return [
        c.metadata["nbgrader"]["grade_id"].removesuffix("_answer")
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    ]


def reference_lines(name: str) -> list[str]:
    """The body lines (no signature, no docstring) of the package's reference for ``name``."""
    reference = checking._solutions.get(name)  # the registry show_solution reads
    if reference is None:
        return []
    text = textwrap.dedent(inspect.getsource(reference))
    tree = ast.parse(text)
    lines = text.splitlines()
    body_lines = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                body = body[1:]
            for stmt in body:
                body_lines += lines[stmt.lineno - 1 : stmt.end_lineno]
    return body_lines


def solution_pieces(teacher_nb, name: str | None = None) -> dict[str, str]:
    """{squashed piece: where it comes from} for the solution regions and references of a lesson
    (of exercise ``name`` only, if given).

    What the exercise gives the learner anyway is no solution and is left out: the answer cell's
    signature and docstring (the interface, e.g. "cache: a tuple (x, h_prev, W_xh, W_hh, h_next)")
    and the task's markdown cell just before it (e.g. "start from `model.initial_state(1)`").
    """
    pieces, given = {}, ""
    cells = teacher_nb.cells
    for i, cell in enumerate(cells):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and name in (None, meta["grade_id"].removesuffix("_answer")):
            lines = region(source(cell), "### BEGIN SOLUTION", "### END SOLUTION")
            given += squash(source(cell).replace("\n".join(lines), ""))
            if i > 0 and cells[i - 1].cell_type == "markdown":
                given += squash(source(cells[i - 1]))
            for line in lines:
                for p in telling(line):
                    pieces[p] = f"solution of {meta['grade_id']}: {line.strip()}"
    for exercise in exercises(teacher_nb) if name is None else [name]:
        for line in reference_lines(exercise):
            for p in telling(line):
                pieces.setdefault(p, f"package reference of {exercise}: {line.strip()}")
    return {p: where for p, where in pieces.items() if p not in given and p not in GENERIC.get(name, ())}


# Solution pieces that are also ordinary narrative code before the exercise, and why that is no spoiler.
GENERIC = {
    # Lesson 9 counts the story's tokens in section 2; the exercise is what to do with rare ones.
    "replace_rare": {"counts=Counter(tokens)", "Counter(tokens)"},
}


def exercise_end(cells, name: str) -> int:
    """The index of exercise ``name``'s check cell: after it, the lesson may show the package's version."""
    return next(i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade_id") == f"{name}_check")


def output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if "text" in out:
            parts.append(out["text"] if isinstance(out["text"], str) else "".join(out["text"]))
        for value in out.get("data", {}).values():
            if isinstance(value, (str, list)):
                parts.append(value if isinstance(value, str) else "".join(value))
        if out.get("output_type") == "error":
            parts += [out.get("evalue", ""), *out.get("traceback", [])]
    return "\n".join(parts)


def leaks(text: str, pieces: dict[str, str], allowed: str = "") -> list[str]:
    """Which solution pieces occur in ``text`` (and not in ``allowed``, e.g. the learner's own code)."""
    hay, own = squash(html.unescape(text)), squash(allowed)
    return [where for piece, where in pieces.items() if piece in hay and piece not in own]


# ----------------------------------------------------------------------------- the convention


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_exercises_follow_the_convention(path):
    cells = nbformat.read(path, as_version=4).cells
    ids = [c.metadata["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids)), f"{path.name}: grade_ids repeat: {sorted(i for i in ids if ids.count(i) > 1)}"
    assert ids, f"{path.name}: no nbgrader cells"
    for i, cell in enumerate(cells):
        meta = cell.metadata.get("nbgrader")
        if not meta or not meta.get("solution"):
            continue
        where = f"{path.name}, cell {i} ({meta.get('grade_id')})"
        name = meta["grade_id"].removesuffix("_answer")
        assert meta["grade_id"] == f"{name}_answer", f"{where}: an answer cell's grade_id ends in _answer"
        assert {k: v for k, v in meta.items() if k != "grade_id"} == ANSWER_META, f"{where}: metadata {meta}"
        assert cell.cell_type == "code" and i > 0 and cells[i - 1].cell_type == "markdown", (
            f"{where}: an answer is a code cell after the task's markdown cell"
        )
        text = source(cell).rstrip()
        assert text.splitlines()[-1] == "    ### END SOLUTION", f"{where}: nothing may follow '    ### END SOLUTION'"
        assert region(text, "### BEGIN SOLUTION", "### END SOLUTION"), f"{where}: empty solution"
        check = cells[i + 1]
        cmeta = check.metadata.get("nbgrader", {})
        cwhere = f"{path.name}, cell {i + 1}"
        assert cmeta.get("grade_id") == f"{name}_check", f"{cwhere}: the check cell {name}_check follows the answer"
        assert {k: v for k, v in cmeta.items() if k not in ("grade_id", "points")} == CHECK_META, (
            f"{cwhere}: metadata {cmeta}"
        )
        assert isinstance(cmeta.get("points"), int) and cmeta["points"] > 0, f"{cwhere}: points must be > 0"
        assert "raises-exception" in check.metadata.get("tags", []), f"{cwhere}: tag it raises-exception"
        ctext = source(check).strip()
        visible = ctext.split("### BEGIN HIDDEN TESTS")[0].strip()
        assert visible.endswith(".assert_ok()"), f"{cwhere}: the visible check ends with .assert_ok()"
        hidden = region(ctext, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
        assert hidden and hidden[0].strip() == "with hidden_cases():" and "assert_ok()" in "\n".join(hidden), (
            f"{cwhere}: the hidden tests rerun the checker inside `with hidden_cases():`"
        )
        assert ctext.endswith("### END HIDDEN TESTS"), f"{cwhere}: nothing may follow the hidden tests"
        if i + 2 < len(cells) and "reveal" in cells[i + 2].metadata.get("tags", []):
            assert source(cells[i + 2]).strip() == f'show_solution("{name}")', f"{path.name}, cell {i + 2}"
            assert name in checking._solutions, f"{path.name}: show_solution({name!r}) has no registered reference"


# ----------------------------------------------------------------------------- student edition


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    """{teacher path: student notebook} built by tools/student_edition.py into a temporary course."""
    tmp = tmp_path_factory.mktemp("classroom")
    built = {}
    groups = [(FIXTURE, [p for p in ALL if p.parent == FIXTURE])]
    if LESSONS:
        groups.append((ROOT / "notebooks", LESSONS))
    for k, (folder, notebooks) in enumerate(groups):
        numbers = [lesson_number(p.name) for p in notebooks]
        out = student_edition.build(folder, tmp / f"course{k}", tmp / f"student{k}", numbers)
        built.update({nb: tmp / f"student{k}" / nb.name for nb in notebooks})
        assert sorted(out) == sorted(built[nb] for nb in notebooks)
    return built


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_student_edition_holds_no_solution_code(editions, path):
    teacher = nbformat.read(path, as_version=4)
    student = nbformat.read(editions[path], as_version=4)
    assert solution_pieces(teacher), f"{path.name}: no solution text found to look for"
    found = []
    for name in exercises(teacher):
        pieces, end = solution_pieces(teacher, name), exercise_end(teacher.cells, name)
        # Up to its check cell (and its reveal cell's output), where the learner has not tried yet.
        for i, cell in enumerate(student.cells[: end + 2]):
            if i <= end or "reveal" in cell.metadata.get("tags", []):
                found += [f"cell {i}: {w}" for w in leaks(source(cell) + "\n" + output_text(cell), pieces)]
    for i, cell in enumerate(student.cells):
        if cell.metadata.get("nbgrader", {}).get("solution"):
            assert "raise NotImplementedError()" in source(cell), f"cell {i}: the stub is missing"
    assert not found, f"{editions[path]} gives solutions away:\n" + "\n".join(found)


def test_student_edition_keeps_the_narrative_outputs(editions):
    teacher = nbformat.read(FIXTURE / "02_fixture.ipynb", as_version=4)
    student = nbformat.read(editions[FIXTURE / "02_fixture.ipynb"], as_version=4)
    narrative = [i for i, c in enumerate(teacher.cells) if c.cell_type == "code" and c.outputs
                 and "nbgrader" not in c.metadata and "reveal" not in c.metadata.get("tags", [])]
    assert narrative and all(student.cells[i].outputs == teacher.cells[i].outputs for i in narrative)
    revealed = [i for i, c in enumerate(teacher.cells) if "reveal" in c.metadata.get("tags", [])]
    assert revealed and teacher.cells[revealed[0]].outputs and not student.cells[revealed[0]].outputs


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_run_all_in_the_student_edition_reveals_nothing(editions, path):
    """A reveal cell's show_solution is a comment there: only a learner who uncomments it sees the answer."""
    student = nbformat.read(editions[path], as_version=4)
    for cell in [c for c in student.cells if "reveal" in c.metadata.get("tags", [])]:
        lines = source(cell).splitlines()
        assert all(line.startswith("#") for line in lines if line.strip()), source(cell)
        assert any("# show_solution(" in line for line in lines), source(cell)


def test_a_broken_config_fails_loudly(tmp_path):
    broken = tmp_path / "nbgrader_config.py"
    broken.write_text((ROOT / "nbgrader_config.py").read_text().replace("ClearGradedCellOutput if", "p if"))
    with pytest.raises(SystemExit, match="ClearGradedCellOutput"):
        student_edition.check_config(broken)
    broken.write_text("c = get_config()\nc.GenerateAssignment.preprocessors = undefined_name\n")
    with pytest.raises(SystemExit, match="does not load"):
        student_edition.check_config(broken)


# ----------------------------------------------------------------------------- autograding


def planted(path: Path, exercise: str, old: str, new: str) -> nbformat.NotebookNode:
    """The teacher's notebook with ``old`` replaced by ``new`` once, inside one solution region."""
    nb = nbformat.read(path, as_version=4)
    [cell] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"{exercise}_answer"]
    text = source(cell)
    head, body, tail = text.partition("### BEGIN SOLUTION")
    assert body.count(old) + tail.split("### END SOLUTION")[0].count(old) == 1, f"{old!r} once in {exercise}"
    cell.source = head + body + tail.replace(old, new, 1)
    return nb


# Realistic mistakes, each in one exercise's solution region: (student, lesson file, exercise, old, new).
# Each must be one the checker names; the fixture's run fast, the lessons' show the real thing.
MISTAKES = [
    ("fixture-no-bias", FIXTURE / "02_fixture.ipynb", "rnn_step_forward",
     "x @ W_xh + h_prev @ W_hh + b_h", "x @ W_xh + h_prev @ W_hh"),
    ("fixture-no-recurrence", FIXTURE / "02_fixture.ipynb", "rnn_step_again",
     "x @ W_xh + h_prev @ W_hh + b_h", "x @ W_xh + b_h"),
    ("lesson02-no-bias", ROOT / "notebooks" / "02_rnn_forward.ipynb", "rnn_step_forward",
     "x @ W_xh + h_prev @ W_hh + b_h", "x @ W_xh + h_prev @ W_hh"),
    ("lesson02-h0-every-step", ROOT / "notebooks" / "02_rnn_forward.ipynb", "rnn_forward",
     "rnn_step_forward(x[:, t], state,", "rnn_step_forward(x[:, t], h0,"),
]


@pytest.fixture(scope="module")
def graded(editions, tmp_path_factory):
    """One autograde run per folder of lessons: the teacher, the untouched edition, the mistakes."""
    tmp = tmp_path_factory.mktemp("grading")
    results = {}
    for folder, lessons in ((FIXTURE, [p for p in ALL if p.parent == FIXTURE]), (ROOT / "notebooks", LESSONS)):
        if not lessons:
            continue
        subs = tmp / f"submissions-{folder.name}-{len(results)}"
        for nb in lessons:
            (subs / "teacher").mkdir(parents=True, exist_ok=True)
            shutil.copy2(nb, subs / "teacher" / nb.name)
            untouched = subs / "untouched" / assignment_name(nb)  # nbgrader's own layout is accepted too
            untouched.mkdir(parents=True, exist_ok=True)
            shutil.copy2(editions[nb], untouched / nb.name)
        for student, path, exercise, old, new in MISTAKES:
            if path in lessons:
                (subs / student).mkdir(parents=True, exist_ok=True)
                nbformat.write(planted(path, exercise, old, new), subs / student / path.name)
        if folder == FIXTURE:  # a function renamed: its check cell raises NameError, not CheckFailed
            nb = nbformat.read(FIXTURE / "02_fixture.ipynb", as_version=4)
            [cell] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "rnn_step_again_answer"]
            cell.source = cell.source.replace("def rnn_step_again(", "def rnn_step_twice(")
            (subs / "fixture-renamed").mkdir()
            nbformat.write(nb, subs / "fixture-renamed" / "02_fixture.ipynb")
        out = tmp / f"grades-{len(results)}"
        scores = autograde.grade(subs, out, folder)
        results[folder] = (subs, out, scores)
    return results


def lesson_scores(graded, path: Path, student: str) -> dict[str, tuple[float, float]]:
    _, _, scores = graded[path.parent]
    return {s.exercise: (s.score, s.max_score) for s in scores if s.student == student and s.lesson ==
            assignment_name(path)}


def autograded(graded, path: Path, student: str) -> nbformat.NotebookNode:
    _, out, _ = graded[path.parent]
    folder = out / "course" / "autograded" / student / assignment_name(path)
    return nbformat.read(folder / path.name, as_version=4)


def notebook_text(nb) -> str:
    return "\n".join(source(c) + "\n" + output_text(c) for c in nb.cells)


def submitted_text(graded, path: Path, student: str, editions) -> str:
    """What this learner had before grading: their submission and the student edition, all cells."""
    subs, _, _ = graded[path.parent]
    [nb] = (subs / student).rglob(path.name)
    return notebook_text(nbformat.read(nb, as_version=4)) + notebook_text(nbformat.read(editions[path], as_version=4))


def feedback_text(graded, path: Path, student: str) -> str:
    _, out, _ = graded[path.parent]
    page = (out / "feedback" / student / f"{path.stem}.html").read_text()
    page = re.sub(r"(?s)<(style|script)\b.*?</\1>", "", page)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def planted_crash(path: Path, index: int, cell) -> bool:
    """A narrative cell that raises on purpose (Lesson 8's crashing bug): tagged raises-exception,
    no nbgrader cell, and the same error as in the teacher's stored run."""
    teacher = nbformat.read(path, as_version=4).cells[index]
    stored = [o.ename for o in teacher.get("outputs", []) if o.output_type == "error"]
    got = [o.ename for o in cell.get("outputs", []) if o.output_type == "error"]
    return ("raises-exception" in cell.metadata.get("tags", []) and "nbgrader" not in cell.metadata
            and bool(stored) and got == stored)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_the_teachers_solutions_get_full_marks(graded, path):
    scores = lesson_scores(graded, path, "teacher")
    assert scores and all(got == best for got, best in scores.values()), scores
    errors = [i for i, c in enumerate(autograded(graded, path, "teacher").cells)
              if any(o.output_type == "error" for o in c.get("outputs", [])) and not planted_crash(path, i, c)]
    assert not errors, f"{path.name}: cells {errors} raised with the teacher's solutions"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_the_untouched_edition_gets_zero_and_runs_to_the_end(graded, path):
    scores = lesson_scores(graded, path, "untouched")
    assert scores and all(got == 0 for got, _ in scores.values()), scores
    # The autograder ran the student edition top to bottom in one kernel (with the hidden tests
    # put back): every error must be a check cell's CheckFailed (or a crash the lesson plants on
    # purpose, as in the teacher's run), so later cells ran on the package.
    for i, cell in enumerate(autograded(graded, path, "untouched").cells):
        if planted_crash(path, i, cell):
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                meta = cell.metadata.get("nbgrader", {})
                assert out.ename == "CheckFailed" and meta.get("grade") and not meta.get("solution"), (
                    f"{path.name}, cell {i}: {out.ename}: {out.evalue}"
                )
                assert "raises-exception" in cell.metadata.get("tags", []), f"{path.name}, cell {i}"
                assert "not written yet" in out.evalue, f"{path.name}, cell {i}: {out.evalue}"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_feedback_shows_no_hidden_test_and_no_solution(graded, editions, path):
    """Feedback adds to what the learner had only scores and the checks' messages: no hidden test,
    no reveal output, no solution (for the untouched edition, whose submission holds none)."""
    pieces = solution_pieces(nbformat.read(path, as_version=4))
    for student in ("untouched", "teacher"):
        text = feedback_text(graded, path, student)
        assert "BEGIN HIDDEN TESTS" not in text and "with hidden_cases()" not in text, f"{student}: hidden tests"
        had = submitted_text(graded, path, student, editions)
        assert not leaks(text, pieces, allowed=had), f"{student}'s feedback for {path.name}: {leaks(text, pieces, had)}"


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m[0])
def test_a_planted_mistake_gets_partial_marks_and_named_feedback(graded, editions, mistake):
    student, path, exercise, old, new = mistake
    if path.parent not in graded:
        pytest.fail(f"{path} was not graded: is it still a lesson with exercises?")
    scores = lesson_scores(graded, path, student)
    assert scores[f"{exercise}_check"][0] == 0, scores
    assert all(got == best for name, (got, best) in scores.items() if name != f"{exercise}_check"), scores
    assert 0 < sum(g for g, _ in scores.values()) < sum(b for _, b in scores.values())
    # The check cell's message in the feedback: the checker's, naming the mistake.
    [cell] = [c for c in autograded(graded, path, student).cells
              if c.metadata.get("nbgrader", {}).get("grade_id") == f"{exercise}_check"]
    [error] = [o for o in cell.outputs if o.output_type == "error"]
    assert error.ename == "CheckFailed" and "known mistake" in error.evalue, error.evalue
    text = feedback_text(graded, path, student)
    assert squash(error.evalue) in squash(text), "the feedback misses the checker's message"
    # Only what the learner did not have already would be a leak: here, the one exercise they got
    # wrong, whose solution their own submission does not hold.
    had = submitted_text(graded, path, student, editions)
    pieces = solution_pieces(nbformat.read(path, as_version=4), exercise)
    assert not leaks(text, pieces, allowed=had), leaks(text, pieces, had)


def test_a_traceback_in_the_feedback_shows_no_solution(graded, editions):
    """A check cell that raises something else (here NameError: the learner renamed the function)
    gets a traceback in the feedback, which quotes the hidden tests' lines: they only call the
    checker, so no solution appears."""
    path = FIXTURE / "02_fixture.ipynb"
    scores = lesson_scores(graded, path, "fixture-renamed")
    assert scores == {"rnn_step_forward_check": (2.0, 2.0), "rnn_step_again_check": (0.0, 1.0)}, scores
    [cell] = [c for c in autograded(graded, path, "fixture-renamed").cells
              if c.metadata.get("nbgrader", {}).get("grade_id") == "rnn_step_again_check"]
    assert [o.ename for o in cell.outputs if o.output_type == "error"] == ["NameError"]
    text = feedback_text(graded, path, "fixture-renamed")
    had = submitted_text(graded, path, "fixture-renamed", editions)
    pieces = solution_pieces(nbformat.read(path, as_version=4))
    assert "NameError" in text and not leaks(text, pieces, allowed=had), leaks(text, pieces, had)


def test_submissions_that_cannot_be_placed_are_refused(tmp_path):
    sources = {"lesson02": FIXTURE / "02_fixture.ipynb"}
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "notes.ipynb").write_text("{}")
    with pytest.raises(SystemExit, match="not a lesson of this course"):
        autograde.find_submissions(tmp_path, sources)
    (tmp_path / "ada" / "notes.ipynb").unlink()
    for name in ("02_fixture.ipynb", "02_fixture-Copy1.ipynb"):
        (tmp_path / "ada" / name).write_text("{}")
    with pytest.raises(SystemExit, match="two notebooks for lesson02"):
        autograde.find_submissions(tmp_path, sources)
    (tmp_path / "ada" / "02_fixture.ipynb").unlink()
    assert autograde.find_submissions(tmp_path, sources) == {("ada", "lesson02"): tmp_path / "ada" /
                                                               "02_fixture-Copy1.ipynb"}


def test_the_score_tables(graded):
    _, out, scores = graded[FIXTURE]
    rows = (out / "scores.csv").read_text().splitlines()
    assert rows[0] == "student,lesson,exercise,score,max_score" and len(rows) == 1 + len(scores)
    table = (out / "scores.md").read_text()
    assert "| teacher | 2/2 | 1/1 | 3/3 |" in table and "| untouched | 0/2 | 0/1 | 0/3 |" in table
    assert "| fixture-no-bias | 0/2 | 1/1 | 1/3 |" in table


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_the_scan_finds_every_solution_in_the_teachers_edition(path):
    """The leak scan is not blind: run on the teacher's edition, it finds each solution region."""
    teacher = nbformat.read(path, as_version=4)
    pieces = solution_pieces(teacher)
    text = "\n".join(source(c) + "\n" + output_text(c) for c in teacher.cells)
    found = set(leaks(text, pieces))
    for name in exercises(teacher):
        # An answer too short to tell anything (a multiple-choice letter, `return "c"`) has no piece.
        if any(w.startswith(f"solution of {name}_answer") for w in pieces.values()):
            assert any(w.startswith(f"solution of {name}_answer") for w in found), f"{path.name}: nothing of {name}"
    assert any(w.startswith("package reference of") for w in found), "the reveal cells' output was not scanned"
