"""tools/check_determinism.py compares two runs of a notebook by nbval's rules."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

TOOL = Path(__file__).resolve().parent.parent / "tools" / "check_determinism.py"
spec = importlib.util.spec_from_file_location("check_determinism", TOOL)
check_determinism = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_determinism)
PATTERNS = check_determinism.get_sanitize_patterns(check_determinism.SANITIZE_FILE.read_text())


def notebook(loss_text: str, timing: str, figure: str, png: str, bar: str) -> nbformat.NotebookNode:
    ignored = new_code_cell("print(time.time())", metadata={"tags": ["nbval-ignore-output"]})
    ignored.outputs = [new_output("stream", name="stdout", text=timing)]
    checked = new_code_cell("print(loss)")
    checked.outputs = [new_output("stream", name="stdout", text="loss "), new_output("stream", name="stdout",
                                                                                      text=loss_text)]
    plot = new_code_cell("plt.show()")
    plot.outputs = [new_output("display_data", data={"text/plain": figure, "image/png": png})]
    progress = new_code_cell("for _ in tqdm(range(3)): pass")
    progress.outputs = [new_output("stream", name="stderr", text=bar)]
    return new_notebook(cells=[new_markdown_cell("# Title"), ignored, checked, plot, progress])


def test_identical_checked_outputs_agree_whatever_nbval_ignores():
    one = notebook("2.1234\n", "1.5 s\n", "<Figure size 800x360 with 1 Axes>", "AAAA", "3/3 [00:01<00:00, 2.1it/s]")
    two = notebook("2.1234\n", "9.9 s\n", "<Figure size 1000x450 with 1 Axes>", "BBBB", "3/3 [00:02<00:00, 1.4it/s]")
    assert check_determinism.differences(one, two, PATTERNS) == []


def test_a_changed_checked_output_is_reported_with_its_cell_and_lines():
    one = notebook("2.1234\n", "1 s\n", "<Figure size 800x360 with 1 Axes>", "A", "")
    two = notebook("2.1235\n", "1 s\n", "<Figure size 800x360 with 1 Axes>", "A", "")
    [problem] = check_determinism.differences(one, two, PATTERNS)
    assert problem.startswith("Cell 1 (stdout) differs")
    assert "-loss 2.1234" in problem and "+loss 2.1235" in problem


def test_a_different_number_of_axes_is_a_difference():
    one = notebook("1\n", "", "<Figure size 800x360 with 1 Axes>", "A", "")
    two = notebook("1\n", "", "<Figure size 800x360 with 2 Axes>", "A", "")
    [problem] = check_determinism.differences(one, two, PATTERNS)
    assert problem.startswith("Cell 2 (text/plain)")
