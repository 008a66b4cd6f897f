"""Execute every notebook twice in fresh kernels and check that nbval would see the same outputs.

    python tools/check_determinism.py                 # every notebooks/*.ipynb (what `make determinism` runs)
    python tools/check_determinism.py notebooks/07_lstm_training.ipynb -j 1

nbval (strict mode, see the README) compares each cell's new output with the stored one, so
a cell whose checked output changes from run to run makes CI flaky. This tool finds such a
cell before CI does: it runs each notebook twice, top to bottom, each time in a new kernel,
and compares the two runs by nbval's rules:

- cells tagged ``nbval-ignore-output`` or ``nbval-skip`` (or with the NBVAL_* comments) are
  not compared;
- streams are merged and ``\\r``/backspace progress lines collapsed, as nbval does;
- PNG/JPEG images, metadata, tracebacks and widget model ids are not compared;
- every other text (stdout, stderr, text/plain, text/html, an error's name and value) is
  compared after applying ``tests/nbval_sanitize.cfg``.

The helpers that merge streams and read tags and the sanitize file are nbval's own, so the
rules cannot drift apart. Exit status 1 if any checked output differs, with the cell and the
first differing lines.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import re
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor
from nbval.plugin import (
    coalesce_streams,
    find_comment_markers,
    find_metadata_tags,
    get_sanitize_patterns,
    transform_streams_for_comparison,
)

ROOT = Path(__file__).resolve().parent.parent
SANITIZE_FILE = ROOT / "tests" / "nbval_sanitize.cfg"
# nbval's IPyNbFile.skip_compare without --nbdime: keys whose values are never compared.
SKIP_COMPARE = ("metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
                "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg")


def execute(path: Path) -> tuple[nbformat.NotebookNode | None, float, str]:
    """Run the notebook top to bottom in a new kernel (as tools/execute_notebooks.py does).

    Returns the executed notebook (None if a cell raised), the seconds taken, and the error.
    """
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    try:
        ExecutePreprocessor(timeout=900, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(path.parent)}})
    except Exception as err:  # a failing cell: report it with the others instead of stopping
        last_line = re.sub(r"\x1b\[[0-9;]*m", "", str(err)).strip().splitlines()[-1]  # no terminal colours
        return None, time.perf_counter() - start, last_line
    return nb, time.perf_counter() - start, ""


def is_checked(cell: nbformat.NotebookNode) -> bool:
    """Whether strict nbval compares this code cell's output."""
    options = defaultdict(bool, find_metadata_tags(cell.metadata))
    options.update(dict(find_comment_markers(cell.source)))
    options.setdefault("check", True)
    return bool(options["check"]) and not options["skip"]


def comparable(outputs: list, patterns: list[tuple[str, str]]) -> dict[str, list]:
    """A cell's outputs as nbval compares them: {key or MIME type: [sanitized values, in order]}."""
    flat: dict[str, list] = defaultdict(list)

    def sanitize(value):
        if isinstance(value, str):
            for regex, replace in patterns:
                value = re.sub(regex, replace, value)
        return value

    merged = transform_streams_for_comparison(coalesce_streams(copy.deepcopy(outputs)))
    for output in merged:
        for key, value in output.items():
            if key in SKIP_COMPARE:
                continue
            if key == "data":
                for mime, data in value.items():
                    if mime not in SKIP_COMPARE:
                        flat[mime].append(sanitize(data))
            else:
                flat[key].append(sanitize(value))
    return dict(flat)


def differences(first: nbformat.NotebookNode, second: nbformat.NotebookNode,
                patterns: list[tuple[str, str]]) -> list[str]:
    """One message per checked code cell whose outputs differ between two runs of a notebook."""
    problems = []
    code = [(c, d) for c, d in zip(first.cells, second.cells, strict=True) if c.cell_type == "code"]
    for number, (a, b) in enumerate(code):  # numbered like nbval's "Cell N"
        if not is_checked(a):
            continue
        left, right = comparable(a.outputs, patterns), comparable(b.outputs, patterns)
        if left == right:
            continue
        for key in sorted(set(left) | set(right)):
            if left.get(key) != right.get(key):
                one = "\n".join(str(v) for v in left.get(key, []))
                two = "\n".join(str(v) for v in right.get(key, []))
                diff = list(difflib.unified_diff(one.splitlines(), two.splitlines(), lineterm="", n=0))
                shown = "\n      ".join(diff[2:12])
                problems.append(f"Cell {number} ({key}) differs between runs:\n      {shown}")
                break
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="kernels to run at once (default 2)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        print("check_determinism: no notebooks found", file=sys.stderr)
        return 1
    patterns = get_sanitize_patterns(SANITIZE_FILE.read_text(encoding="utf-8"))

    start = time.perf_counter()
    runs = [p for p in paths for _ in range(2)]
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(execute, runs))
    failed = 0
    for k, path in enumerate(paths):
        (first, s1, err1), (second, s2, err2) = results[2 * k], results[2 * k + 1]
        if first is None or second is None:
            print(f"{path.name}: a cell raised, so the runs cannot be compared: {err1 or err2}")
            failed += 1
            continue
        problems = differences(first, second, patterns)
        checked = sum(is_checked(c) for c in first.cells if c.cell_type == "code")
        status = "same" if not problems else f"{len(problems)} cell(s) DIFFER"
        print(f"{path.name}: {checked} checked cells, {status} (runs took {s1:.1f} s and {s2:.1f} s)")
        for problem in problems:
            print(f"    {problem}")
        failed += bool(problems)
    print(f"check_determinism: {len(paths)} notebooks run twice in {time.perf_counter() - start:.0f} s; "
          + ("all checked outputs agree." if not failed else f"{failed} notebook(s) failed (see above). For "
             "an output that differs: make it reproducible (seed every RNG, format floats) or, if it "
             "legitimately varies, tag the cell nbval-ignore-output and assert what must hold."))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
