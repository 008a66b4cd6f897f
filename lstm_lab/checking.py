"""The checking engine behind every exercise: compare a learner's function with the reference.

A checker (one per exercise, in ``lstm_lab.exercises.lessonNN``) runs the learner's function and
lstm_lab's reference on a few seeded random cases and says precisely what differs: which
output, its shape, its dtype, or the first value that differs. It never prints the solution:

* first failure: what differs and, when the output matches a classic mistake, what that mistake
  is (``Mistake.what``: "the bias b_h is missing", never the corrected line);
* second and later failures of the same exercise: also a conceptual ``pointer`` (which equation,
  which term);
* an untouched stub (``raise NotImplementedError()`` or ``return None``): "not written yet";
* the answer itself only on an explicit ``show_solution(name)``, which says it is a spoiler.

An exception in the learner's code becomes a failed check with the exception's text, never a
crash of the checker. ``result.assert_ok()`` turns a failure into ``CheckFailed``, which a
notebook shows as the message alone (no traceback), so a graded cell fails for nbgrader.

A checker takes a few lines::

    def check_lstm_step_forward(fn):
        def case(rng):  # one random set of arguments, in fn's order
            B, D, H = 2, 3, 4
            return (random_array(rng, (B, D)), random_array(rng, (B, H)), ...)

        return check_function(
            "lstm_step_forward", fn, lstm_step_forward, case,
            output_names=["h_next", "C_next"],
            select=lambda out: out[:2],  # compare (h_next, C_next), not the cache
            mistakes=[Mistake("the output gate o is missing from h_next.", forgot_output_gate)],
            pointer="equation (6): what scales tanh(C_t) on its way out?",
        )
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import inspect
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Frames from these files are the checker's, not the learner's, when an error is located.
_CHECKER_FILES = (str(Path(__file__).resolve()), str(Path(__file__).resolve().parent / "exercises"))

#: How many times each exercise has failed in this kernel; reset when it passes.
_failures: dict[str, int] = {}

#: (seed offset, minimum number of cases) while ``hidden_cases`` is active, else None.
_hidden: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar("hidden", default=None)

#: Exercise name -> the package's reference (function or class), for ``show_solution``.
_solutions: dict[str, Any] = {}


class CheckFailed(AssertionError):
    """A failed check: ``result`` holds it; a notebook shows only its message."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(result.message)
        self.result = result

    def _render_traceback_(self) -> list[str]:  # IPython shows these lines instead of a traceback
        return self.result.message.splitlines()


@dataclass
class CheckResult:
    """The outcome of a check: ``passed`` and a ``message`` for the learner."""

    passed: bool
    message: str

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:  # a notebook cell ending in a check shows the message itself
        return self.message

    def __bool__(self) -> bool:
        return self.passed

    def assert_ok(self) -> CheckResult:
        """Return the result if it passed, else raise ``CheckFailed`` carrying it."""
        if not self.passed:
            raise CheckFailed(self)
        return self


@dataclass
class Mistake:
    """A classic mistake: ``what`` it is (said, never fixed) and the ``outputs`` it produces.

    ``outputs`` has the reference's signature and returns what the mistaken code would.
    """

    what: str
    outputs: Callable[..., Any]


def _fmt(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, (float, np.floating)) else repr(v)


def _as_outputs(out: Any) -> list[Any]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _compare_one(name: str, got: Any, expected: Any, rtol: float, atol: float) -> str | None:
    """None if ``got`` matches ``expected``, else a sentence saying what differs."""
    if got is None:
        return f"{name} is None: did you forget to return it (or to assign it)?"
    exp = np.asarray(expected)
    try:
        arr = np.asarray(got)
    except Exception:  # e.g. a ragged list
        return f"{name} could not be read as an array of numbers (got a {type(got).__name__})."
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        return f"{name} could not be read as an array of numbers (got dtype {arr.dtype})."
    if arr.shape != exp.shape:
        msg = f"{name} has shape {arr.shape}, expected {exp.shape}."
        if arr.ndim == exp.ndim and arr.shape == exp.shape[::-1]:
            msg += " It looks transposed: check the order of the matrix product."
        elif arr.shape[1:] == exp.shape and arr.ndim == exp.ndim + 1:
            msg += " Did you forget to sum over the batch (axis=0)?"
        return msg
    if np.issubdtype(exp.dtype, np.floating) and not np.issubdtype(arr.dtype, np.floating):
        return (
            f"{name} has dtype {arr.dtype}, expected a float array like {exp.dtype}. "
            "Did you create it with an integer dtype, e.g. np.zeros_like of an id array?"
        )
    a = arr.astype(np.float64)
    e = exp.astype(np.float64)
    close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    if a.ndim == 0:
        msg = f"{name} is {_fmt(a[()])}, expected {_fmt(e[()])} (difference {abs(a - e):.3g})."
    else:
        first = tuple(int(i) for i in np.argwhere(~close)[0])
        diff = np.abs(a - e)
        max_diff = float(np.nanmax(diff)) if np.isfinite(diff).any() else float("nan")
        msg = (
            f"{name} has the right shape {arr.shape} but wrong values: {int((~close).sum())} of "
            f"{close.size} entries differ, max abs difference {max_diff:.3g}; first at index {first}: "
            f"got {_fmt(a[first])}, expected {_fmt(e[first])}."
        )
    if np.isnan(a).any() and not np.isnan(e).any():
        msg += " Your output contains nan."
    if arr.dtype != exp.dtype and np.issubdtype(arr.dtype, np.floating):
        msg += f" (Note: your dtype is {arr.dtype}, the reference's is {exp.dtype}.)"
    return msg


def _compare(
    learner_output: Any, reference_output: Any, names: Sequence[str] | None, rtol: float, atol: float
) -> str | None:
    """None if the outputs match, else a sentence about the first difference."""
    ref = _as_outputs(reference_output)
    got = _as_outputs(learner_output)
    multi = isinstance(reference_output, (tuple, list))
    if names is None:
        names = [f"output {i}" for i in range(len(ref))] if multi else ["the output"]
    names = list(names)
    if len(names) != len(ref):
        raise ValueError(f"{len(names)} names given for {len(ref)} reference outputs.")
    listed = ", ".join(names)
    if learner_output is None and reference_output is not None:
        return f"got None, expected {listed}: did you forget the return statement?"
    if multi and not isinstance(learner_output, (tuple, list)):
        kind = type(learner_output).__name__
        return f"expected {len(ref)} outputs ({listed}) returned as a tuple, got a single {kind}."
    if len(got) != len(ref):
        noun = "output" if len(ref) == 1 else "outputs"
        return f"expected {len(ref)} {noun} ({listed}), got {len(got)}."
    for name, g, r in zip(names, got, ref, strict=True):
        problem = _compare_one(name, g, r, rtol, atol)
        if problem is not None:
            return problem
    return None


def compare(
    learner_output: Any,
    reference_output: Any,
    names: Sequence[str] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> CheckResult:
    """Compare a learner's output with the reference's and explain any difference.

    Args:
        learner_output: one array/number, or a tuple/list of them.
        reference_output: the same from the reference implementation.
        names: a name for each output, used in messages (default "output 0", ...).
        rtol, atol: tolerances as in ``np.isclose``.

    Returns:
        CheckResult; on failure the message names the first differing output and says
        whether the count, shape, dtype or values differ.
    """
    problem = _compare(learner_output, reference_output, names, rtol, atol)
    if problem is None:
        return CheckResult(True, "✓ matches the reference")
    return CheckResult(False, f"✗ {problem}")


def random_array(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    """Standard normal float64 array times ``scale``: the raw material of test cases."""
    return rng.standard_normal(shape) * scale


def _where(err: BaseException) -> str:
    """' (line 12: h = ...)' for the innermost frame of the learner's code, if found."""
    frames = [
        f
        for f in traceback.extract_tb(err.__traceback__)
        if not str(Path(f.filename).resolve()).startswith(_CHECKER_FILES) and "site-packages" not in f.filename
    ]
    if not frames:
        return ""
    last = frames[-1]
    return f" (line {last.lineno}: {last.line})" if last.line else f" (line {last.lineno})"


def check_function(
    name: str,
    fn: Callable[..., Any],
    reference: Callable[..., Any],
    make_cases: Callable[[np.random.Generator], tuple],
    *,
    output_names: Sequence[str] | None = None,
    select: Callable[[Any], Any] = lambda out: out,
    mistakes: Sequence[Mistake] = (),
    pointer: str = "",
    n_cases: int = 3,
    seed: int = 0,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    after_call: Callable[[tuple, Any], Any] | None = None,
) -> CheckResult:
    """Run ``fn`` and ``reference`` on ``n_cases`` seeded random cases and compare.

    Args:
        name: the function's name, used in messages.
        fn: the learner's function.
        reference: lstm_lab's implementation (same signature).
        make_cases: rng -> tuple of arguments for one case.
        output_names: names of the compared outputs.
        select: picks what to compare from a function's result, e.g. drop the cache.
        mistakes: classic mistakes; if the learner's output matches one, it is named.
        pointer: a conceptual pointer (which equation, which term), added from the second
            failure of this exercise on; never the solution.
        after_call: for in-place functions: (args, result) -> what to compare (e.g. the
            gradients after clipping); replaces ``select``.
    """
    hidden = _hidden.get()
    label = "case"
    if hidden is not None:  # other seeds and more cases than the visible check
        seed, n_cases, label = seed + hidden[0], max(n_cases, hidden[1]), "hidden case"
    rng = np.random.default_rng(seed)
    picked = select if after_call is None else None
    for case in range(1, n_cases + 1):
        args = make_cases(rng)
        # Each side gets its own copy, so a function that modifies its inputs affects neither.
        ref_args = copy.deepcopy(args)
        expected_raw = reference(*ref_args)
        expected = picked(expected_raw) if picked else after_call(ref_args, expected_raw)
        fn_args = copy.deepcopy(args)
        try:
            got_raw = fn(*fn_args)
        except NotImplementedError:
            return CheckResult(
                False,
                f"✗ {name} is not written yet (it raises NotImplementedError): replace that line with "
                "your code, run its cell, then run this check again.",
            )
        except Exception as err:
            return _failed(
                name,
                f"✗ {name} raised {type(err).__name__}: {err}{_where(err)} on {label} {case} of {n_cases}.",
                pointer,
            )
        try:
            got = picked(got_raw) if picked else after_call(fn_args, got_raw)
        except Exception as err:
            return _failed(
                name,
                f"✗ {name} returned a {type(got_raw).__name__}, which is not the expected kind of result: {err}.",
                pointer,
            )
        problem = _compare(got, expected, output_names, rtol, atol)
        if problem is None:
            continue
        msg = f"✗ {name}, {label} {case} of {n_cases}: {problem}"
        # An untouched stub (returns None; for in-place functions, changes nothing) gets no
        # mistake and no pointer: there is no attempt to comment on yet.
        if _is_untouched_stub(got_raw, got, args, after_call, output_names, rtol, atol):
            if after_call is None:
                return CheckResult(False, msg + "\n(The function is still the stub: write it, then check again.)")
            return CheckResult(
                False,
                msg + "\n(Nothing changed: either the function is still the stub, or it made new arrays without"
                " writing them into the caller's. It must work in place, changing the arrays it was given.)",
            )
        for mistake in mistakes:
            mistake_args = copy.deepcopy(args)
            mistaken = mistake.outputs(*mistake_args)
            mistaken = picked(mistaken) if picked else after_call(mistake_args, mistaken)
            if _compare(got, mistaken, output_names, rtol, atol) is None:
                msg += f"\nThis is a known mistake: {mistake.what}"
                break
        return _failed(name, msg, pointer)
    _failures.pop(name, None)
    kind = "hidden random cases" if hidden is not None else "random cases"
    return CheckResult(True, f"✓ {name} matches the reference on {n_cases} {kind}")


def _failed(name: str, msg: str, pointer: str) -> CheckResult:
    """A failed attempt: counted, and from the second one on it carries the pointer."""
    _failures[name] = _failures.get(name, 0) + 1
    if _failures[name] >= 2 and pointer:
        msg += f"\nPointer (attempt {_failures[name]}): {pointer}"
    return CheckResult(False, msg)


def reset_attempts() -> None:
    """Forget every exercise's failed attempts (the next failure is a first one again)."""
    _failures.clear()


@contextlib.contextmanager
def hidden_cases(seed_offset: int = 1000, n_cases: int = 5) -> Iterator[None]:
    """Within this block, checkers use other seeds and at least ``n_cases`` cases.

    The autograder's hidden tests run the same checker this way, so an answer tuned to the
    visible cases does not pass.
    """
    token = _hidden.set((seed_offset, n_cases))
    try:
        yield
    finally:
        _hidden.reset(token)


def register_solution(name: str, reference: Any) -> None:
    """Record the package's reference for exercise ``name`` (a function or class)."""
    _solutions[name] = reference


def show_solution(name: str) -> Any:
    """The package's reference for exercise ``name``, as highlighted code: a spoiler.

    Call it after your own attempt; a lesson's cells after an exercise already use this version.
    """
    from IPython.display import Code, Markdown, display

    if name not in _solutions:
        known = ", ".join(sorted(_solutions)) or "none registered"
        raise KeyError(f"no exercise called {name!r}; the exercises are: {known}.")
    reference = _solutions[name]
    warning = Markdown(
        f"**Spoiler:** lstm_lab's own `{name}`. If you have not attempted the exercise yet, "
        "stop here and write it first: reading the answer teaches far less than deriving it."
    )
    display(warning)
    return Code(inspect.getsource(reference), language="python")


def _all_none(value: Any) -> bool:
    """None, or a non-empty tuple/list of Nones: what a stub like ``return h_next, None`` gives."""
    if isinstance(value, (tuple, list)):
        return len(value) > 0 and all(_all_none(v) for v in value)
    return value is None


def _is_untouched_stub(
    got_raw: Any,
    got: Any,
    args: tuple,
    after_call: Callable[[tuple, Any], Any] | None,
    output_names: Sequence[str] | None,
    rtol: float,
    atol: float,
) -> bool:
    """True for a function that returned None (or only Nones) and, if in place, changed nothing."""
    if not _all_none(got_raw):
        return False
    if after_call is None:
        return True
    unchanged = after_call(copy.deepcopy(args), None)
    return _compare(got, unchanged, output_names, rtol, atol) is None
