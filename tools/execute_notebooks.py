"""Re-execute notebooks top to bottom in a fresh kernel and store the outputs.

    python tools/execute_notebooks.py notebooks/*.ipynb

This is how stored outputs are made (`make notebooks`): never by hand, never
from a kernel that ran cells out of order. Widget state is dropped afterwards
(about 12 KB per progress bar, and nbval never compares it).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    start = time.perf_counter()
    ExecutePreprocessor(timeout=900, kernel_name="python3").preprocess(
        nb, {"metadata": {"path": str(path.parent)}})
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return seconds


def main(paths: list[str]) -> None:
    for name in paths:
        seconds = execute(Path(name))
        print(f"{name}: executed in {seconds:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
