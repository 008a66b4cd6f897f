"""nbgrader's configuration for the classroom edition (docs/teaching.md).

nbgrader loads this file when it runs in the repository's root (as `make student`, `make autograde`
and every command in docs/teaching.md do). The course directory it works in is build/course/,
generated from notebooks/ by tools/student_edition.py; override it with --CourseDirectory.root=DIR.

nbgrader only LOGS an exception raised while loading this file, then runs with its defaults
(which clear every output, narrative figures included, and leave reveal cells' spoilers in).
tools/student_edition.py therefore loads it itself first and refuses to run unless
ClearGradedCellOutput is in place (see `check_config` there).
"""

import os

from nbgrader.converters.generate_assignment import GenerateAssignment
from nbgrader.converters.generate_feedback import GenerateFeedback
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, NbGraderPreprocessor

c = get_config()  # noqa: F821 (nbgrader defines get_config when it loads this file)

ROOT = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = os.path.join(ROOT, "build", "course")

# The stub a learner sees where the teacher's solution was (nbgrader's default text, stated here
# so tests/test_student_edition.py and the guide can rely on it).
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"


class ClearGradedCellOutput(ClearOutput):
    """Clear the outputs of answer, check and reveal cells only.

    nbgrader's ClearOutput empties every cell, so the student edition would lose each lesson's
    figures and printed results before it is run. The answer cells' outputs (results of the
    solution), the check cells' ("✓ ...") and the reveal cells' (the package's source) would give
    the exercise away; every other output is narrative and stays.
    """

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade") or "reveal" in tags):
            return super().preprocess_cell(cell, resources, index)
        return cell, resources


REVEAL_NOTE = ("# A spoiler: lstm_lab's own answer. Run it only after your own attempt:\n"
               "# remove the '# ' in front of show_solution, then run this cell.\n")


class DisarmReveal(NbGraderPreprocessor):
    """Comment out the ``show_solution(...)`` call of each reveal cell.

    In the teacher's edition a reveal cell shows the package's answer after the check. A student
    who presses Run All would get that spoiler without asking for it, so in the student edition the
    call is a comment the learner uncomments on purpose.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and "reveal" in cell.metadata.get("tags", []):
            lines = cell.source.splitlines()
            cell.source = REVEAL_NOTE + "\n".join(f"# {line}" if line.strip() else line for line in lines)
        return cell, resources


# .default(), not .default_value (that is Undefined for this trait).
c.GenerateAssignment.preprocessors = [
    ClearGradedCellOutput if p is ClearOutput else p for p in GenerateAssignment.preprocessors.default()
] + [DisarmReveal]

# Autograding re-executes whole lessons; nbgrader's default of 30 s per cell is shorter than a
# lesson's training cells on a loaded machine.
c.Execute.timeout = 900

class ClearRevealOutput(ClearOutput):
    """Clear the outputs of reveal cells (the package's source, printed by show_solution)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and "reveal" in cell.metadata.get("tags", []):
            return super().preprocess_cell(cell, resources, index)
        return cell, resources


# The feedback a learner reads shows each check cell's source and message. Removed: the hidden
# tests' source (ClearHiddenTests) and the reveal cells' output (ClearRevealOutput), which the
# autograder's run of the whole lesson printed. What remains of a failed check is the checker's
# message (CheckFailed shows no traceback), which says what differs and never the solution.
c.GenerateFeedback.preprocessors = [ClearHiddenTests, ClearRevealOutput, *GenerateFeedback.preprocessors.default()]
