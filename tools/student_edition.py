"""Generate the student edition of the lessons with nbgrader (`make student`).

    python tools/student_edition.py                      # every lesson: build/course/, student/
    python tools/student_edition.py --lessons 02 05      # only these lessons
    python tools/student_edition.py --notebooks DIR --course DIR --student DIR   # (tests)

notebooks/ stays the teacher's edition and the only source. This copies each lesson into an
nbgrader course directory, one assignment per lesson (build/course/source/lesson02/02_rnn_forward.ipynb),
runs ``nbgrader generate_assignment`` (solutions become stubs, hidden tests go, the outputs of
answer, check and reveal cells are cleared: nbgrader_config.py), and copies each release to
student/NN_name.ipynb. student/ sits beside notebooks/, so a lesson's ``../data`` paths and its
imports work there unchanged.

nbgrader only logs a broken nbgrader_config.py and carries on with its defaults, which would
strip every figure from the lessons and leave the reveal cells' spoilers in place. This tool
loads the config itself first (`check_config`) and checks every generated notebook
(`check_release`), so a broken set-up fails loudly instead.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "nbgrader_config.py"
NOTEBOOKS = ROOT / "notebooks"
COURSE = ROOT / "build" / "course"
STUDENT = ROOT / "student"
LESSON_FILE = re.compile(r"(\d\d[a-z]?)_[A-Za-z0-9_]+\.ipynb")  # 02_rnn_forward, 07b_rnn_vs_lstm
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


class SetupError(SystemExit):
    """A broken classroom set-up: the message says what and how to fix it."""


def assignment_name(notebook: Path | str) -> str:
    """'lesson02' for 02_rnn_forward.ipynb, 'lesson07b' for 07b_...: one nbgrader assignment per lesson."""
    match = LESSON_FILE.fullmatch(Path(notebook).name)
    if not match:
        raise SetupError(f"{notebook}: a lesson notebook is named NN_name.ipynb (e.g. 02_rnn_forward.ipynb).")
    return f"lesson{lesson_number(match.group(1))}"


def lesson_number(name: str) -> str:
    """'02' for '2', '02' or '02_rnn_forward.ipynb'; '07b' for '07b_rnn_vs_lstm.ipynb'."""
    match = re.match(r"(\d+)([a-z]?)(_|$)", name)
    if not match:
        raise SetupError(f"{name!r} is not a lesson number (e.g. 02, or 07b).")
    return f"{int(match.group(1)):02d}{match.group(2)}"


def lesson_notebooks(notebooks: Path, lessons: list[str] | None = None) -> list[Path]:
    """The lesson notebooks in ``notebooks``, optionally only those numbered in ``lessons`` ('2', '02', '07b')."""
    found = sorted(p for p in notebooks.glob("*.ipynb") if LESSON_FILE.fullmatch(p.name))
    if lessons:
        wanted = {lesson_number(n) for n in lessons}
        found = [p for p in found if lesson_number(p.name) in wanted]
        missing = wanted - {lesson_number(p.name) for p in found}
        if missing:
            raise SetupError(f"no lesson notebook numbered {', '.join(sorted(missing))} in {notebooks}.")
    if not found:
        raise SetupError(f"no lesson notebooks (NN_name.ipynb) in {notebooks}.")
    return found


def check_config(config: Path = CONFIG) -> None:
    """Load nbgrader_config.py as nbgrader would, and fail unless the classroom preprocessors are set."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput
    from traitlets.config.loader import PyFileConfigLoader

    if not config.exists():
        raise SetupError(f"{config} is missing: nbgrader would strip every output. Restore it from git.")
    try:
        cfg = PyFileConfigLoader(config.name, path=str(config.parent)).load_config()
    except Exception as exc:  # nbgrader itself would only log this and run with its defaults
        raise SetupError(f"{config} does not load ({type(exc).__name__}: {exc}); fix it first.") from exc
    pre = list(cfg.GenerateAssignment.get("preprocessors", []))
    names = [p.__name__ for p in pre if isinstance(p, type)]
    if "ClearGradedCellOutput" not in names or ClearOutput in pre:
        raise SetupError(
            f"{config}: GenerateAssignment.preprocessors must replace nbgrader's ClearOutput by "
            f"ClearGradedCellOutput (found {names}); otherwise the lessons lose their figures."
        )
    if "DisarmReveal" not in names:
        raise SetupError(f"{config}: GenerateAssignment.preprocessors must include DisarmReveal; otherwise Run All "
                         "in the student edition prints every reveal cell's spoiler.")
    feedback = list(cfg.GenerateFeedback.get("preprocessors", []))
    if ClearHiddenTests not in feedback or "ClearRevealOutput" not in [p.__name__ for p in feedback]:
        raise SetupError(f"{config}: GenerateFeedback.preprocessors must include ClearHiddenTests and "
                         "ClearRevealOutput, or the feedback shows hidden tests and solutions.")


def nbgrader(args: list[str], course: Path) -> str:
    """Run one nbgrader command on ``course`` from the repository root (so nbgrader_config.py loads).

    The interpreter's bin folder goes first on PATH: nbgrader runs ``alembic``, which is there
    even when the virtual environment is not activated. Returns nbgrader's log; raises on failure.
    """
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    log = done.stdout + done.stderr
    if "Exception while loading config file" in log:
        raise SetupError(f"nbgrader could not load {CONFIG} and would use its defaults:\n{log}")
    if done.returncode != 0:
        raise SetupError(f"`nbgrader {' '.join(args)}` failed (exit {done.returncode}):\n{log}")
    return log


def _cleared(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(
        meta.get("solution") or meta.get("grade") or "reveal" in cell.metadata.get("tags", [])
    )


def check_release(source: Path, release: Path) -> None:
    """Fail unless ``release`` is ``source`` with solutions stubbed and only graded outputs cleared."""
    src = nbformat.read(source, as_version=4)
    rel = nbformat.read(release, as_version=4)
    if len(src.cells) != len(rel.cells):
        raise SetupError(f"{release}: {len(rel.cells)} cells, the source has {len(src.cells)}.")
    for i, (s, r) in enumerate(zip(src.cells, rel.cells, strict=True)):
        text = r.source if isinstance(r.source, str) else "".join(r.source)
        if any(marker in text for marker in SOLUTION_MARKERS):
            raise SetupError(f"{release}, cell {i}: a solution or hidden-test marker survived generate_assignment.")
        if r.cell_type != "code":
            continue
        if _cleared(s) and r.outputs:
            raise SetupError(f"{release}, cell {i}: an answer, check or reveal cell kept its output.")
        if "reveal" in r.metadata.get("tags", []) and re.search(r"^\s*show_solution\(", text, flags=re.M):
            raise SetupError(f"{release}, cell {i}: a reveal cell would print its spoiler on Run All. Is "
                             f"DisarmReveal active in {CONFIG.name}?")
        if not _cleared(s) and len(r.outputs) != len(s.outputs):
            raise SetupError(
                f"{release}, cell {i}: a narrative cell lost its output. Is ClearGradedCellOutput "
                f"active in {CONFIG.name}?"
            )


def build(
    notebooks: Path = NOTEBOOKS,
    course: Path = COURSE,
    student: Path | None = STUDENT,
    lessons: list[str] | None = None,
) -> list[Path]:
    """Generate the student edition of the chosen lessons; returns the student notebooks written."""
    check_config()
    sources = lesson_notebooks(notebooks, lessons)
    for nb in sources:
        folder = course / "source" / assignment_name(nb)
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        shutil.copy2(nb, folder / nb.name)
    names = [assignment_name(nb) for nb in sources]
    if set(names) == {p.name for p in (course / "source").iterdir()}:
        nbgrader(["generate_assignment", "lesson*", "--force"], course)  # one start-up for them all
    else:
        for name in names:
            nbgrader(["generate_assignment", name, "--force"], course)
    written = []
    for nb in sources:
        name = assignment_name(nb)
        release = course / "release" / name / nb.name
        if not release.exists():
            raise SetupError(f"nbgrader wrote no {release}.")
        check_release(nb, release)
        if student is not None:
            student.mkdir(parents=True, exist_ok=True)
            shutil.copy2(release, student / nb.name)
            written.append(student / nb.name)
        else:
            written.append(release)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", nargs="*", help="lesson numbers (default: every lesson)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="the teacher's notebooks")
    parser.add_argument("--course", type=Path, default=COURSE, help="nbgrader course directory to (re)build")
    parser.add_argument("--student", type=Path, default=STUDENT, help="where the student notebooks go")
    args = parser.parse_args(argv)
    written = build(args.notebooks.resolve(), args.course.resolve(), args.student.resolve(), args.lessons)
    print(f"student edition: {len(written)} lessons in {args.student}/ "
          f"(nbgrader course: {args.course}/, releases in {args.course / 'release'}/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
