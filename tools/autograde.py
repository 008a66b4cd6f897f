"""Autograde a folder of submitted lessons with nbgrader (`make autograde SUBMISSIONS=dir`).

    python tools/autograde.py SUBMISSIONS [--out build/grades]

SUBMISSIONS holds one folder per student, named by the student's id, with the notebooks they
handed in, named as in the student edition (the two-digit lesson number is what counts; a
suffix such as "02_rnn_forward-Copy1.ipynb" is accepted)::

    SUBMISSIONS/
        ada/02_rnn_forward.ipynb
        ada/03_rnn_backprop.ipynb
        grace/02_rnn_forward.ipynb
        linus/lesson02/02_rnn_forward.ipynb     # nbgrader's own layout works too

A course directory's own submitted/ folder (what ``nbgrader collect`` fills, e.g.
build/course/submitted) is graded in place: the feedback is then where ``nbgrader release_feedback``
expects it. Any other folder is graded in a fresh course directory, --out/course/.

What it writes, in --out (default build/grades/; rebuilt on every run):

    scores.csv              one row per student, lesson and exercise: score, max_score
    scores.md               the same as a table, one row per student, with totals
    feedback/<student>/02_rnn_forward.html    what each student gets back
    course/                 the fresh course directory it graded in (gradebook.db, autograded/), if not in place
    course.txt              the course directory it graded in

Grading runs every submitted lesson top to bottom in a fresh kernel with the teacher's check
cells (hidden tests included) put back in place of the student's: a student cannot pass by
editing a check cell. The feedback shows each check cell's message (what differs, the mistake
it recognises) and neither the hidden tests' source nor the reveal cells' output.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))

from student_edition import NOTEBOOKS, ROOT, SetupError, assignment_name, build, lesson_notebooks, nbgrader  # noqa: E402 (tools/ is not a package)

OUT = ROOT / "build" / "grades"
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
# Folders a lesson's relative paths reach (../data/..., ../bench/results): linked beside each
# student's graded lessons, so that they resolve there as they do from notebooks/ and student/.
SHARED_FOLDERS = ("data", "bench")


@dataclass(frozen=True)
class Score:
    student: str
    lesson: str
    exercise: str
    score: float
    max_score: float


def find_submissions(submissions: Path, sources: dict[str, Path]) -> dict[tuple[str, str], Path]:
    """{(student, assignment): submitted notebook}; one clear error for anything it cannot place."""
    if not submissions.is_dir():
        raise SetupError(f"SUBMISSIONS={submissions} is not a folder: give a folder with one folder per student.")
    found: dict[tuple[str, str], Path] = {}
    problems = []
    for student_dir in sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith(".")):
        student = student_dir.name
        if not STUDENT_ID.fullmatch(student):
            problems.append(f"{student_dir}: a student folder is named by an id of letters, digits, '_', '-', '.'")
            continue
        for nb in sorted(student_dir.rglob("*.ipynb")):
            if ".ipynb_checkpoints" in nb.parts:
                continue
            match = re.match(r"(\d\d[a-z]?)(_|-|\.|$)", nb.name)
            lesson = f"lesson{match.group(1)}" if match else None
            if lesson not in sources:
                problems.append(f"{nb}: not a lesson of this course (names start with its number, e.g. 02_...)")
            elif (student, lesson) in found:
                problems.append(f"{nb}: {student} has two notebooks for {lesson} (also {found[student, lesson]})")
            else:
                found[student, lesson] = nb
    if problems:
        raise SetupError("cannot read the submissions:\n  " + "\n  ".join(problems))
    if not found:
        raise SetupError(f"no submitted notebooks in {submissions} (expected {submissions}/<student>/NN_name.ipynb).")
    return found


def graded_cells(notebook: Path) -> list[str]:
    """The grade_ids of a lesson's graded cells, in the lesson's order."""
    cells = nbformat.read(notebook, as_version=4).cells
    return [c.metadata["nbgrader"]["grade_id"] for c in cells if c.metadata.get("nbgrader", {}).get("grade")]


def read_scores(course: Path, submitted: dict[tuple[str, str], Path], sources: dict[str, Path]) -> list[Score]:
    from nbgrader.api import Gradebook

    scores = []
    order = {lesson: graded_cells(nb) for lesson, nb in sources.items()}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, lesson in sorted(submitted):
            notebook = gb.find_submission_notebook(sources[lesson].stem, lesson, student)
            for grade in sorted(notebook.grades, key=lambda g: order[lesson].index(g.name)):
                scores.append(Score(student, lesson, grade.name, float(grade.score), float(grade.max_score)))
    return scores


def write_tables(scores: list[Score], out: Path) -> tuple[Path, Path]:
    csv_path, md_path = out / "scores.csv", out / "scores.md"
    with csv_path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "lesson", "exercise", "score", "max_score"])
        for s in scores:
            writer.writerow([s.student, s.lesson, s.exercise, f"{s.score:g}", f"{s.max_score:g}"])
    columns = list(dict.fromkeys((s.lesson, s.exercise) for s in scores))
    students = list(dict.fromkeys(s.student for s in scores))
    cell = {(s.student, s.lesson, s.exercise): s for s in scores}
    header = ["student", *(f"{lesson} {exercise}" for lesson, exercise in columns), "total"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for student in students:
        row, got, best = [student], 0.0, 0.0
        for lesson, exercise in columns:
            s = cell.get((student, lesson, exercise))
            row.append(f"{s.score:g}/{s.max_score:g}" if s else "-")
            if s:
                got, best = got + s.score, best + s.max_score
        row.append(f"{got:g}/{best:g}")
        lines.append("| " + " | ".join(row) + " |")
    md_path.write_text("# Autograded scores\n\n" + "\n".join(lines) + "\n")
    return csv_path, md_path


def grade(submissions: Path, out: Path = OUT, notebooks: Path = NOTEBOOKS) -> list[Score]:
    """Grade every notebook in ``submissions``; write the tables and feedback into ``out``."""
    sources = {assignment_name(nb): nb for nb in lesson_notebooks(notebooks)}
    submitted = find_submissions(submissions, sources)
    lessons = sorted({lesson for _, lesson in submitted})
    in_place = submissions.name == "submitted" and (submissions.parent / "gradebook.db").exists()
    if in_place:  # a course directory's own submitted/ (after `nbgrader collect`): grade it there
        course = submissions.parent
        if out.resolve() in (course.resolve(), *course.resolve().parents):
            raise SetupError(f"--out {out} would delete the course directory {course}; choose another folder.")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    if not in_place:
        course = out / "course"
        build(notebooks, course, student=None, lessons=[lesson.removeprefix("lesson") for lesson in lessons])
    for (student, lesson), nb in submitted.items():
        dest = course / "submitted" / student / lesson / sources[lesson].name
        if nb.resolve() != dest.resolve():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(nb, dest)
        graded = course / "autograded" / student
        graded.mkdir(parents=True, exist_ok=True)
        for name in SHARED_FOLDERS:
            link = graded / name
            if (ROOT / name).exists() and not link.exists():
                link.symlink_to(ROOT / name, target_is_directory=True)
    for lesson in lessons:
        nbgrader(["autograde", lesson, "--force"], course)
        nbgrader(["generate_feedback", lesson, "--force"], course)
    scores = read_scores(course, submitted, sources)
    (out / "course.txt").write_text(f"{course}\n")
    for student, lesson in submitted:
        html = course / "feedback" / student / lesson / (sources[lesson].stem + ".html")
        if not html.exists():
            raise SetupError(f"nbgrader wrote no feedback {html}.")
        dest = out / "feedback" / student / html.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(html, dest)
    write_tables(scores, out)
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="folder with one folder of notebooks per student")
    parser.add_argument("--out", type=Path, default=OUT, help="where scores and feedback go (rebuilt)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="the teacher's notebooks")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    scores = grade(args.submissions.resolve(), out, args.notebooks.resolve())
    students = sorted({s.student for s in scores})
    got, best = sum(s.score for s in scores), sum(s.max_score for s in scores)
    print(f"graded {len(students)} students ({', '.join(students)}): {got:g} of {best:g} points in all")
    print(f"  scores:   {out / 'scores.md'} and {out / 'scores.csv'}")
    print(f"  feedback: {out / 'feedback'}/<student>/<lesson>.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
