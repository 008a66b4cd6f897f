"""Progress bars: the stored notebook keeps the final line, and nbval still passes strictly.

The notebook tests run real kernels (nbclient, then nbval in a subprocess), because what
matters is what a kernel's display messages leave in the saved file.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from nbval.plugin import get_sanitize_patterns

from lstm_lab.progress import ProgressBar, in_notebook, progress_bar

ROOT = Path(__file__).resolve().parent.parent
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# One cell per way a bar can end; each stores one display_data output.
CELLS = {
    "loop": "for _ in progress_bar(range(30), desc='loop'):\n    pass",
    "break": "for i in progress_bar(range(30), desc='brk'):\n    if i == 11:\n        break",
    "exception": "for i in progress_bar(range(30), desc='exc'):\n    if i == 7:\n        raise RuntimeError('boom')",
    "manual": ("bar = progress_bar(total=20, desc='training', unit='step')\nfor _ in range(20):\n"
               "    bar.update(1)\nbar.close()\nbar.close()"),
    "with": "with progress_bar(total=4096, unit='B', unit_scale=True, desc='Downloading x') as b:\n    b.update(4096)",
    "train": ("import numpy as np\nfrom lstm_lab.lstm import LSTM\nfrom lstm_lab.train import train\n"
              "ids = np.arange(400) % 7\nh = train(LSTM(7, 4, seed=0), ids, num_steps=12, batch_size=2, seq_length=5,"
              " progress=True)"),
}
EXPECTED = {  # (description, percent, n/total) of each cell's final line
    "loop": ("loop", 100, "30/30"), "break": ("brk", 37, "11/30"), "exception": ("exc", 23, "7/30"),
    "manual": ("training", 100, "20/20"), "with": ("Downloading x", 100, "4.10k/4.10k"),
    "train": ("training", 100, "12/12"),
}  # fmt: skip


def _sanitize(text: str) -> str:
    for regex, replace in get_sanitize_patterns(SANITIZE.read_text(encoding="utf-8")):
        text = re.sub(regex, replace, text)
    return text


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> Path:
    """A notebook of progress bars, executed by nbclient as tools/execute_notebooks.py does."""
    from nbclient import NotebookClient

    cells = [new_code_cell("from lstm_lab.progress import progress_bar, in_notebook\nassert in_notebook()")]
    cells += [new_code_cell(source) for source in CELLS.values()]
    cells[len(cells) - len(CELLS) + list(CELLS).index("exception")].metadata["tags"] = ["raises-exception"]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    nb.metadata.pop("widgets", None)
    path = tmp_path_factory.mktemp("progress") / "bars.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_stored_output_is_the_final_line_however_the_loop_ends(executed):
    nb = nbformat.read(executed, as_version=4)
    for cell, name in zip(nb.cells[1:], CELLS, strict=True):
        bars = [out for out in cell.outputs if out.output_type == "display_data"]
        assert len(bars) == 1, f"{name}: expected one bar output, got {cell.outputs}"
        assert WIDGET_VIEW not in bars[0].data, f"{name}: the widget was not replaced by its final line"
        line = bars[0].data["text/plain"]
        desc, percent, count = EXPECTED[name]
        assert re.fullmatch(rf"{desc}: +{percent}%\|[^|]*\| {count} \[\d\d:\d\d<\d\d:\d\d, +[\d.]+\w*/s\]", line), (
            f"{name}: {line!r}")
    errors = [out for out in nb.cells[1 + list(CELLS).index("exception")].outputs if out.output_type == "error"]
    assert [err.ename for err in errors] == ["RuntimeError"]  # the exception still reaches the reader


def test_strict_nbval_passes_on_the_stored_final_lines(executed):
    # nbval ignores update_display_data: it compares the 0% bar as created with the stored
    # 100% line, which only the sanitizer's tqdm-bar entry makes equal.
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         f"--nbval-sanitize-with={SANITIZE}", str(executed)],
        cwd=executed.parent, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert f"{len(CELLS) + 1} passed" in run.stdout


def test_the_sanitizer_makes_the_created_and_the_final_bar_equal():
    from tqdm.notebook import tqdm

    bar = tqdm(total=3000, desc="training", unit="step", display=False)  # a widget, as in a kernel
    created = repr(bar.container)  # what nbval sees: the text/plain of the first display
    assert "0%|" in created and "0/3000" in created
    bar.update(3000)
    final = str(bar)
    bar.close()
    assert "100%|" in final and "3000/3000" in final
    assert _sanitize(created) == _sanitize(final) == "training:TQDM-BAR"
    # Other text is left alone: a percentage in prose, a fraction, a table.
    for text in ["accuracy 100% | 3/4 of the cases", "loss 1.23 | 45%", "[00:01<00:02]"]:
        assert "TQDM-BAR" not in _sanitize(text)


def test_outside_a_notebook_it_is_tqdm_on_stderr(capsys):
    assert not in_notebook()
    with progress_bar(total=5, desc="steps") as bar:
        for _ in range(5):
            bar.update(1)
    assert isinstance(bar, ProgressBar) and bar.n == 5
    assert "steps: 100%" in capsys.readouterr().err
    assert list(progress_bar(range(4), desc="items")) == [0, 1, 2, 3]
    assert "items: 100%" in capsys.readouterr().err


def test_final_line_is_the_bars_text_and_close_is_idempotent(capsys):
    bar = progress_bar(total=10, desc="x", unit="step")
    bar.update(4)
    assert re.match(r"x: +40%\|.*\| 4/10 ", bar.final_line())
    bar.close()
    assert "40%" in capsys.readouterr().err
    bar.close()  # a second close does nothing (no second final line)
    assert capsys.readouterr().err == ""
