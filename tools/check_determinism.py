"""Execute every notebook under two CPU configurations and check that nbval would see the same outputs.

    python tools/check_determinism.py                 # every notebooks/*.ipynb (what `make determinism` runs)
    python tools/check_determinism.py notebooks/07_lstm_training.ipynb -j 1
    python tools/check_determinism.py --show-configurations

nbval (strict mode, see the README) compares each cell's new output with the stored one, so a
checked output that depends on the CPU fails CI on some machines and not on others: an AVX2
laptop and an AVX-512 server round differently, and a value that came out of training can flip.
This tool runs each notebook top to bottom in a fresh kernel under two CPU configurations:

- **best**: whatever this machine does by default (its best OpenBLAS kernel, every numpy code
  path the CPU supports);
- a **reduced** one: the next CPU generation down, forced with OpenBLAS's ``OPENBLAS_CORETYPE`` and
  numpy's ``NPY_DISABLE_CPU_FEATURES``. On an AVX-512 machine that is an AVX2 laptop: OpenBLAS's
  Haswell kernel and numpy without its AVX-512 targets. On an AVX2 machine, OpenBLAS's
  Sandybridge kernel and numpy without AVX2; on an AVX-only one, Nehalem and no AVX. The numpy
  targets to disable are read from this numpy build (``__cpu_dispatch__``) and the CPU
  (``__cpu_features__``), never assumed.

A probe cell appended to every run reports, from inside that kernel, the OpenBLAS kernel
(threadpoolctl) and numpy's enabled targets; the tool stops if a kernel did not run the
configuration it was given. The two runs are compared by nbval's rules:

- cells tagged ``nbval-ignore-output`` or ``nbval-skip`` (or with the NBVAL_* comments) are
  not compared;
- streams are merged and ``\\r``/backspace progress lines collapsed, as nbval does;
- PNG/JPEG images, metadata, tracebacks and widget model ids are not compared;
- every other text (stdout, stderr, text/plain, text/html, an error's name and value) is
  compared after applying ``tests/nbval_sanitize.cfg``;
- a cell that raises without the ``raises-exception`` tag fails, as under nbval.

The helpers that merge streams and read tags and the sanitize file are nbval's own, so the
rules cannot drift apart. For a notebook with a difference, the best configuration is run once
more, to tell an output that depends on the CPU from one that varies from run to run. Exit
status 1 if any checked output differs, naming the notebook, the cell and both outputs.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell
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
# Variables that select CPU code paths: cleared for "best", set for "reduced".
CPU_VARIABLES = ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES")
PROBE_MARK = "check_determinism probe: "
SAME = "best again"  # the second configuration's name when the CPU offers no other
# Printed from inside a kernel: what it actually runs. Names start with _ so that nothing
# a notebook defined is touched.
PROBE_SOURCE = f"""\
import json as _json, platform as _platform
try:
    from numpy._core import _multiarray_umath as _umath
except ImportError:  # numpy 1.x
    from numpy.core import _multiarray_umath as _umath
import threadpoolctl as _threadpoolctl
print({PROBE_MARK!r} + _json.dumps({{
    "machine": _platform.machine(),
    "features": {{k: bool(v) for k, v in _umath.__cpu_features__.items()}},
    "dispatch": list(_umath.__cpu_dispatch__),
    "blas": [{{"api": i.get("internal_api"), "core": i.get("architecture")}}
             for i in _threadpoolctl.threadpool_info() if i.get("user_api") == "blas"],
}}))
"""


# --- choosing and verifying the configurations -------------------------------------------------

def _avx512(target: str) -> bool:
    return target.startswith("AVX512") or target == "X86_V4"


def _avx2_or_above(target: str) -> bool:
    return _avx512(target) or target in ("AVX2", "FMA3", "X86_V3")


def _avx_or_above(target: str) -> bool:
    return _avx2_or_above(target) or target in ("AVX", "F16C")


# x86 generations, newest first: (the CPU feature that puts a machine at this level, what it
# is called, the OpenBLAS kernel one level down and the CPU features it needs, which numpy
# dispatch targets to turn off to get there, the reduced machine's short name and description).
X86_LEVELS = (
    ("AVX512F", "AVX-512", "Haswell", ("AVX2", "FMA3"), _avx512, "AVX2", "an AVX2 laptop"),
    ("AVX2", "AVX2", "Sandybridge", ("AVX",), _avx2_or_above, "AVX", "an AVX (pre-AVX2) machine"),
    ("AVX", "AVX", "Nehalem", ("SSE42",), _avx_or_above, "SSE4.2", "an SSE4.2 (pre-AVX) machine"),
)


@dataclass(frozen=True)
class Configuration:
    """One way of running the notebooks: the CPU variables a kernel is started with."""

    name: str
    about: str
    openblas_core: str | None = None  # OPENBLAS_CORETYPE, None: OpenBLAS picks
    numpy_disabled: tuple[str, ...] = ()  # NPY_DISABLE_CPU_FEATURES

    def variables(self) -> dict[str, str]:
        env = {}
        if self.openblas_core:
            env["OPENBLAS_CORETYPE"] = self.openblas_core
        if self.numpy_disabled:
            env["NPY_DISABLE_CPU_FEATURES"] = " ".join(self.numpy_disabled)
        return env

    def environ(self) -> dict[str, str]:
        """The kernel's whole environment: ours without CPU variables, plus this configuration's."""
        env = {k: v for k, v in os.environ.items() if k not in CPU_VARIABLES}
        # Two kernels run at once on 2 cores; results do not depend on the thread count.
        env.setdefault("OPENBLAS_NUM_THREADS", "1")
        env.update(self.variables())
        return env

    def command_line(self) -> str:
        return " ".join(f'{k}="{v}"' if " " in v else f"{k}={v}" for k, v in self.variables().items()) or "(defaults)"


def choose_configurations(cpu: dict) -> tuple[Configuration, Configuration | None, str]:
    """The machine's best configuration and one CPU generation below it that the CPU can also run.

    ``cpu`` is a probe result from a Python started with no CPU variables set. Returns (best, reduced or
    None if nothing can be turned down, a sentence saying what was chosen and why).
    """
    features, dispatch = cpu["features"], cpu["dispatch"]
    has = [t for t in dispatch if features.get(t)]  # dispatch targets this CPU runs
    best = Configuration("best", "this machine's defaults")
    machine = cpu["machine"].lower()
    if machine in ("x86_64", "amd64", "i386", "i686", "x86"):
        for flag, level, core, needs, above, short, reduced_name in X86_LEVELS:
            if features.get(flag) and all(features.get(n) for n in needs):
                off = tuple(t for t in has if above(t))
                reduced = Configuration(short, reduced_name, core, off)
                return best, reduced, (f"the CPU has {level}, so the second configuration is {reduced_name}: "
                                       f"OpenBLAS's {core} kernel and numpy without its {level} code paths")
        return best, None, "the CPU has no AVX: no older kernel to compare with"
    if machine in ("aarch64", "arm64"):
        # ARMV8 is OpenBLAS's generic kernel for every 64-bit ARM CPU; every numpy target off.
        reduced = Configuration("ARMv8", "a generic ARMv8 machine", "ARMV8", tuple(has))
        return best, reduced, "the CPU is 64-bit ARM, so the second configuration is generic ARMv8"
    if has:
        reduced = Configuration("baseline", "numpy's baseline", None, tuple(has))
        return best, reduced, f"on {machine} only numpy's dispatched code paths can be turned off"
    return best, None, f"on {machine} with this numpy there is no code path to turn off"


def describe(probe: dict) -> str:
    """What a kernel ran, in words: its BLAS kernel and numpy's enabled dispatch targets."""
    blas = ", ".join(f"{b['api']} {b['core']}" if b["core"] else str(b["api"]) for b in probe["blas"])
    blas = blas or "none found"
    enabled = [t for t in probe["dispatch"] if probe["features"].get(t)]
    return f"BLAS {blas}; numpy code paths {' '.join(enabled) or 'baseline only'}"


def mismatch(config: Configuration, probe: dict) -> str:
    """Why a kernel did not run ``config`` ('' if it did)."""
    problems = []
    if config.openblas_core:
        for blas in probe["blas"]:
            if blas["api"] == "openblas" and str(blas["core"]).lower() != config.openblas_core.lower():
                problems.append(f"OpenBLAS runs {blas['core']}, not {config.openblas_core}")
    still_on = [t for t in config.numpy_disabled if probe["features"].get(t)]
    if still_on:
        problems.append(f"numpy still uses {' '.join(still_on)}")
    return "; ".join(problems)


def probe_kernel(env: dict[str, str]) -> dict:
    """Run the probe in a fresh Python with this environment."""
    code = PROBE_SOURCE
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.split(PROBE_MARK, 1)[1])


# --- running notebooks -------------------------------------------------------------------------

@dataclass
class Run:
    notebook: nbformat.NotebookNode | None  # None if the run stopped (dead kernel, timeout)
    seconds: float
    error: str = ""
    probe: dict = field(default_factory=dict)


def execute(path: Path, config: Configuration) -> Run:
    """Run the notebook top to bottom in a new kernel started with ``config``, then the probe."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(new_code_cell(PROBE_SOURCE))
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute(env=config.environ())
    except Exception as err:  # report it with the others instead of stopping
        last_line = re.sub(r"\x1b\[[0-9;]*m", "", str(err)).strip().splitlines()[-1]  # no terminal colours
        return Run(None, time.perf_counter() - start, last_line or type(err).__name__)
    seconds = time.perf_counter() - start
    probe_cell = nb.cells.pop()
    text = "".join(o.get("text", "") for o in probe_cell.outputs if o.output_type == "stream")
    if PROBE_MARK not in text:
        return Run(None, seconds, "the probe cell printed nothing: " + text.strip()[-200:])
    return Run(nb, seconds, "", json.loads(text.split(PROBE_MARK, 1)[1]))


def _execute_task(task: tuple[Path, Configuration]) -> Run:
    return execute(*task)


# --- comparing by nbval's rules ----------------------------------------------------------------

def options(cell: nbformat.NotebookNode) -> defaultdict:
    """nbval's options for a code cell (tags, then NBVAL_* comments), as strict mode sees them."""
    opts = defaultdict(bool, find_metadata_tags(cell.metadata))
    opts.update(dict(find_comment_markers(cell.source)))
    opts.setdefault("check", True)
    return opts


def is_checked(cell: nbformat.NotebookNode) -> bool:
    """Whether strict nbval compares this code cell's output."""
    opts = options(cell)
    return bool(opts["check"]) and not opts["skip"]


def first_line(cell: nbformat.NotebookNode) -> str:
    line = next((s.strip() for s in cell.source.splitlines() if s.strip()), "")
    return line if len(line) <= 70 else line[:67] + "..."


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


@dataclass(frozen=True)
class Difference:
    cell: int  # numbered like nbval's "Cell N": code cells only, from 0
    source: str  # the cell's first line
    key: str  # stdout, text/plain, evalue, ...
    diff: tuple[str, ...]  # unified diff lines of the first differing key

    def report(self, why: str = "differs", limit: int = 24) -> str:
        shown = list(self.diff[:limit])
        if len(self.diff) > limit:
            shown.append(f"... ({len(self.diff) - limit} more diff lines)")
        body = "\n      ".join(shown)
        return f"Cell {self.cell} `{self.source}` ({self.key}) {why}:\n      {body}"


def differences(first: nbformat.NotebookNode, second: nbformat.NotebookNode,
                patterns: list[tuple[str, str]], labels: tuple[str, str] = ("first run", "second run")
                ) -> list[Difference]:
    """One Difference per checked code cell whose outputs differ between two runs of a notebook."""
    found = []
    code = [(c, d) for c, d in zip(first.cells, second.cells, strict=True) if c.cell_type == "code"]
    for number, (a, b) in enumerate(code):
        if not is_checked(a):
            continue
        left, right = comparable(a.outputs, patterns), comparable(b.outputs, patterns)
        for key in sorted(set(left) | set(right)):
            if left.get(key) != right.get(key):
                one = "\n".join(str(v) for v in left.get(key, []))
                two = "\n".join(str(v) for v in right.get(key, []))
                diff = difflib.unified_diff(one.splitlines(), two.splitlines(), *labels, lineterm="", n=0)
                lines = [line for line in diff if not line.startswith("@@")]
                found.append(Difference(number, first_line(a), key, tuple(lines)))
                break
    return found


def unexpected_errors(nb: nbformat.NotebookNode) -> list[str]:
    """Code cells that raised without the raises-exception tag: nbval fails them in any mode."""
    errors = []
    code = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code):
        opts = options(cell)
        if opts["skip"] or opts["check_exception"]:
            continue
        for out in cell.outputs:
            if out.output_type == "error":
                errors.append(f"Cell {number} `{first_line(cell)}` raised {out.ename}: {out.evalue}")
    return errors


# --- the command -------------------------------------------------------------------------------

def configurations() -> tuple[list[Configuration], str]:
    """The configurations to compare (two, or the best one twice), and the reason for the choice."""
    cpu = probe_kernel(Configuration("best", "").environ())
    best, reduced, why = choose_configurations(cpu)
    if reduced is None:
        return [best, Configuration(SAME, "a second run of the defaults")], (
            why + "; comparing two runs of the machine's defaults instead")
    return [best, reduced], why


def compare(one: Run, two: Run, configs: list[Configuration],
            patterns: list[tuple[str, str]]) -> tuple[list[str], list[Difference]]:
    """Problems with one notebook's two runs: stopped runs, wrong kernels, unexpected errors; and differences."""
    lines = []
    for config, run in zip(configs, (one, two), strict=True):
        if run.notebook is None:
            lines.append(f"under '{config.name}' the run stopped: {run.error}")
            continue
        wrong = mismatch(config, run.probe)
        if wrong:
            lines.append(f"the '{config.name}' kernel did not run its configuration: {wrong}")
        lines += [f"under '{config.name}': {e}" for e in unexpected_errors(run.notebook)]
    if one.notebook is None or two.notebook is None:
        return lines, []
    return lines, differences(one.notebook, two.notebook, patterns, (configs[0].name, configs[1].name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="kernels to run at once (default 2)")
    parser.add_argument("--show-configurations", action="store_true",
                        help="print the two configurations (verified in a kernel each) and stop")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths and not args.show_configurations:
        print("check_determinism: no notebooks found", file=sys.stderr)
        return 1
    patterns = get_sanitize_patterns(SANITIZE_FILE.read_text(encoding="utf-8"))

    start = time.perf_counter()
    configs, why = configurations()
    print(f"check_determinism: {why}.", flush=True)
    for config in configs:
        probe = probe_kernel(config.environ())
        wrong = mismatch(config, probe)
        print(f"  {config.name:8} {config.about}: {config.command_line()}\n"
              f"           verified in a fresh Python: {describe(probe)}", flush=True)
        if wrong:
            print(f"check_determinism: configuration '{config.name}' could not be applied: {wrong}", file=sys.stderr)
            return 2
    if args.show_configurations:
        return 0

    tasks = [(p, c) for p in paths for c in configs]
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = {}
        for (path, config), run in zip(tasks, pool.map(_execute_task, tasks), strict=True):
            runs[path, config] = run
            print(f"  ran {path.name} under '{config.name}' in {run.seconds:.1f} s", flush=True)
        found = {p: compare(runs[p, configs[0]], runs[p, configs[1]], configs, patterns) for p in paths}
        # A cell that also differs between two runs of 'best' is flaky, not CPU-dependent.
        reruns = {p: pool.submit(execute, p, configs[0]) for p, (_, diffs) in found.items()
                  if diffs and configs[1].name != SAME}
        flaky = {p: {d.cell for d in differences(runs[p, configs[0]].notebook, again.notebook, patterns)}
                 for p, again in ((p, f.result()) for p, f in reruns.items()) if again.notebook is not None}

    failed, seen = 0, defaultdict(set)
    for path in paths:
        one, two = runs[path, configs[0]], runs[path, configs[1]]
        for config, run in ((configs[0], one), (configs[1], two)):
            if run.probe:
                seen[config.name].add(describe(run.probe))
        lines, diffs = found[path]
        for d in diffs:
            if path in flaky:
                why_diff = ("varies from run to run (it also differs between two runs of 'best')"
                            if d.cell in flaky[path] else "depends on the CPU configuration")
            else:
                why_diff = "differs between the runs"
            lines.append(d.report(why_diff))
        executed = one.notebook or two.notebook
        checked = sum(is_checked(c) for c in executed.cells if c.cell_type == "code") if executed else 0
        status = "same" if not lines else f"{len(lines)} problem(s)"
        print(f"{path.name}: {checked} checked cells, {status} "
              f"({configs[0].name} {one.seconds:.1f} s, {configs[1].name} {two.seconds:.1f} s)")
        for line in lines:
            print(f"    {line}")
        failed += bool(lines)

    kernels = "; ".join(f"{name}: {' | '.join(sorted(d))}" for name, d in seen.items())
    print(f"check_determinism: {len(paths)} notebook(s) under {len(configs)} configurations in "
          f"{time.perf_counter() - start:.0f} s (-j {args.jobs}). Kernels ran {kernels}.")
    if failed:
        print(f"check_determinism: {failed} notebook(s) failed (see above). A checked output must be the same "
              "on every CPU: print facts (shapes, counts, messages, asserted bounds); put values that come out "
              "of training or long floating-point chains in a cell tagged nbval-ignore-output that asserts what "
              "must hold. Seed every RNG and format floats.")
        print(f"  To run nbval under '{configs[1].name}': {configs[1].command_line()} OPENBLAS_NUM_THREADS=1 "
              ".venv/bin/python -m pytest notebooks/NN_x.ipynb")
    else:
        print("check_determinism: all checked outputs agree.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
