"""Tools for finding bugs in a model that does not learn (Lesson 8).

Each tool answers one question a learner asks of broken code:

- ``trace_shapes``: what shape does every line of this function produce? (a crash on shapes)
- ``fix``: change one line of a method and show the change as a diff, keeping the original
  class as it was, so a lesson fixes bugs one at a time without copying the class.
- ``step_gradient_check``: is the backward pass of one step right? Lesson 6's per-step gradient
  check, which needs no reference implementation: it works on any project's own code.
- ``compare_step_with_reference``: does one step of my LSTM, forward and backward, agree with
  ``lstm_lab.lstm`` (which is checked against finite differences and PyTorch)? Which output
  differs, and by how much?
- ``min_accuracy_for_loss``: the accuracy a given loss guarantees, to see that a reported
  accuracy cannot be right.
- ``next_word_accuracy``: the reference accuracy of next-symbol predictions.
- ``most_frequent_word_accuracy``, ``bigram_accuracy``: the controls an accuracy on new text
  must beat before it means anything (counts, no training).

The model in ``compare_step_with_reference`` uses column vectors, like most LSTM write-ups
(and the seed notebook this course started from): x (D, 1), h and C (H, 1),
z = [x; h_prev] stacked vertically (x on top), gate weights W (H, D + H), biases b (H, 1).
``lstm_lab.lstm`` uses row vectors, so its W is the transpose of these.
"""

from __future__ import annotations

import copy
import difflib
import inspect
import linecache
import math
import re
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any

import numpy as np

from lstm_lab.checks import check_positive_float, check_positive_int
from lstm_lab.gradcheck import gradient_check
from lstm_lab.lstm import GATE_PARAM_NAMES, lstm_step_backward, lstm_step_forward
from lstm_lab.params import Param

# ----------------------------------------------------------------------------------------------
# Shapes at every line
# ----------------------------------------------------------------------------------------------


@dataclass
class ShapeEvent:
    """One executed line and the arrays it created or replaced (name -> shape)."""

    lineno: int
    code: str
    shapes: dict[str, tuple[int, ...]]


@dataclass
class ShapeTrace:
    """What ``trace_shapes`` saw: one event per line that produced new array shapes.

    Attributes:
        function: the traced function's name.
        events: the lines in execution order; a line inside a loop appears again only when
            the shapes it produces change.
        error: the exception the call raised, or None.
        error_line: (lineno, code) of the line that raised, or None.
        result: what the call returned (None if it raised).
    """

    function: str
    events: list[ShapeEvent] = field(default_factory=list)
    error: BaseException | None = None
    error_line: tuple[int, str] | None = None
    result: Any = None

    def shape_of(self, name: str) -> tuple[int, ...] | None:
        """The last shape recorded for the variable ``name`` (None if never seen)."""
        for event in reversed(self.events):
            if name in event.shapes:
                return event.shapes[name]
        return None

    def __str__(self) -> str:
        lines = [f"shapes line by line in {self.function}:"]
        for e in self.events:
            shapes = ", ".join(f"{n} {s}" for n, s in e.shapes.items())
            lines.append(f"  {e.lineno:>4}  {_shorten(e.code, 46):<46}  -> {shapes}")
        if self.error is not None:
            where = f" at line {self.error_line[0]}: {self.error_line[1]}" if self.error_line else ""
            lines.append(f"  raised {type(self.error).__name__}{where}")
            lines.append(f"         {self.error}")
        return "\n".join(lines)

    def __repr__(self) -> str:  # a cell ending in a trace shows the table
        return str(self)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _arrays(frame_locals: dict[str, Any]) -> dict[str, tuple[int, tuple[int, ...]]]:
    """name -> (id, shape) for every numpy array among a frame's local variables."""
    return {n: (id(v), v.shape) for n, v in frame_locals.items() if isinstance(v, np.ndarray)}


def trace_shapes(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> ShapeTrace:
    """Call ``fn(*args, **kwargs)`` and record the shape of every array each of its lines makes.

    "Makes" means: after the line, a local variable holds a numpy array it did not hold
    before (a new name, or a name bound to a new array); the arguments themselves and
    in-place changes (``a[...] = 0``) are not listed. Only the lines of ``fn`` itself are
    traced (not the functions it calls). A line inside a loop is listed the first time it
    runs and again only if its shapes change, so a loop of a thousand steps stays a short
    table. An exception does not propagate: it is recorded with the line that raised it,
    which is where the table ends.

    Args:
        fn: a plain function or a bound method (``model.step_backward``).
        *args, **kwargs: what to call it with.

    Returns:
        a ShapeTrace; print it for the table, or ask ``trace.shape_of("dh_prev")``.
    """
    target: CodeType | None = getattr(fn, "__code__", None)
    if target is None:
        raise ValueError(
            f"trace_shapes needs a Python function or method, got {type(fn).__name__}: it traces the "
            "lines of its source. Pass e.g. model.step_backward, not the result of calling it."
        )
    trace = ShapeTrace(function=getattr(fn, "__qualname__", getattr(fn, "__name__", "function")))
    before: dict[int, dict[str, tuple[int, tuple[int, ...]]]] = {}  # frame id -> arrays before the line
    current_line: dict[int, int] = {}
    last_shapes: dict[int, dict[str, tuple[int, ...]]] = {}  # lineno -> shapes it made last time

    def source_line(lineno: int) -> str:
        return linecache.getline(target.co_filename, lineno).strip()

    def finish_line(frame: FrameType) -> None:
        key = id(frame)
        lineno = current_line.get(key)
        if lineno is None:
            return
        now = _arrays(frame.f_locals)
        old = before.get(key, {})
        made = {n: shape for n, (ident, shape) in now.items() if old.get(n, (None, None))[0] != ident}
        if made and last_shapes.get(lineno) != made:
            trace.events.append(ShapeEvent(lineno, source_line(lineno), made))
            last_shapes[lineno] = made
        before[key] = now

    def local_tracer(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            finish_line(frame)
            current_line[id(frame)] = frame.f_lineno
        elif event == "return":
            finish_line(frame)
        elif event == "exception" and trace.error_line is None:
            trace.error_line = (frame.f_lineno, source_line(frame.f_lineno))
        return local_tracer

    def global_tracer(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "call" and frame.f_code is target:
            before[id(frame)] = _arrays(frame.f_locals)  # the arguments are not "made" by a line
            return local_tracer
        return None

    old_tracer = sys.gettrace()
    sys.settrace(global_tracer)
    try:
        trace.result = fn(*args, **kwargs)
    except Exception as err:  # recorded, not raised: the table is the point
        trace.error = err
    finally:
        sys.settrace(old_tracer)
    return trace


# ----------------------------------------------------------------------------------------------
# One fix at a time
# ----------------------------------------------------------------------------------------------


def _method_source(cls: type, name: str) -> tuple[str, Callable[..., Any]]:
    if not isinstance(cls, type):
        raise ValueError(f"fix expects a class, got {type(cls).__name__}. Pass the class, e.g. fix(WordLSTM, ...).")
    fn = getattr(cls, name, None)
    if not inspect.isfunction(fn):
        raise ValueError(f"{cls.__name__} has no method {name!r}. Its methods: "
                         f"{', '.join(n for n, v in vars(cls).items() if inspect.isfunction(v))}.")
    source = getattr(fn, "__fixed_source__", None)
    if source is None:
        try:
            source = inspect.getsource(fn)
        except (OSError, TypeError) as err:
            raise ValueError(f"the source of {cls.__name__}.{name} cannot be read ({err}); define the class in "
                             "a file or a notebook cell, not with exec.") from None
    return textwrap.dedent(source), fn


def fix(cls: type, method: str, old: str, new: str, *, name: str | None = None, show: bool = True) -> type:
    """A subclass of ``cls`` whose ``method`` has the text ``old`` replaced by ``new``.

    The original class is left untouched, so a lesson can keep the broken class beside each
    fixed one and compare them. The change is printed as a unified diff. Fixes chain: pass
    the class a previous ``fix`` returned.

    Args:
        cls: the class to fix.
        method: the name of the method to change.
        old: text that occurs exactly once in the method's source.
        new: what to put in its place.
        name: the new class's name (default: ``cls``'s name).
        show: print the diff.

    Returns:
        the new class. The fixed method runs with the same module globals as the original.

    Raises:
        ValueError: if ``old`` does not occur exactly once, or the method calls ``super()``
            without arguments (that call only works in a class body; write
            ``super(TheClass, self)`` instead).
    """
    source, fn = _method_source(cls, method)
    count = source.count(old)
    if count != 1:
        where = "does not occur" if count == 0 else f"occurs {count} times"
        raise ValueError(
            f"{old!r} {where} in {cls.__name__}.{method}; give text that occurs exactly once "
            "(copy it from the method, with enough of the line to be unique)."
        )
    fixed = source.replace(old, new)
    if re.search(r"\bsuper\(\s*\)", fixed):
        owner = fn.__qualname__.split(".")[-2] if "." in fn.__qualname__ else cls.__name__  # defines the method
        raise ValueError(
            f"{cls.__name__}.{method} calls super() without arguments, which works only in a class body and "
            f"would fail in the fixed copy; write super({owner}, self) in the method instead."
        )
    filename = f"<{cls.__name__}.{method}, fixed>"
    # Register the text so tracebacks and inspect can show the fixed lines.
    linecache.cache[filename] = (len(fixed), None, fixed.splitlines(keepends=True), filename)
    namespace: dict[str, Any] = {}
    exec(compile(fixed, filename, "exec"), fn.__globals__, namespace)  # the learner's own method, fixed
    new_fn = namespace[fn.__name__]
    new_fn.__fixed_source__ = fixed
    new_fn.__qualname__ = f"{name or cls.__name__}.{method}"
    if show:
        diff = difflib.unified_diff(source.splitlines(), fixed.splitlines(), f"{cls.__name__}.{method}",
                                    f"{name or cls.__name__}.{method} (fixed)", n=1, lineterm="")
        print("\n".join(line for line in diff if not line.startswith("@@")))
    return type(name or cls.__name__, (cls,), {method: new_fn, "__doc__": cls.__doc__})


# ----------------------------------------------------------------------------------------------
# One step against finite differences (no reference needed)
# ----------------------------------------------------------------------------------------------


def _report_table(
    first: tuple[str, int],
    value: tuple[str, int],
    rule: int,
    rows: list[tuple[str, tuple[int, ...], tuple[int, ...], float | None]],
    failed: list[str],
    tolerance: float,
    verdict: str,
) -> str:
    """The table both step reports print: name, shape, and the error or "< tolerance"."""
    (first_label, first_width), (value_label, value_width) = first, value
    lines = [f"{first_label:<{first_width}} {'shape':<10} {value_label:>{value_width}}", "-" * rule]
    for name, expected, got, err in rows:
        # A right entry is shown as "< tolerance": the rounding noise below it differs between CPUs.
        shown = f"shape {got}!" if err is None else f"{err:.1e}" if name in failed else f"< {tolerance:g}"
        lines.append(f"{name:<{first_width}} {str(expected):<10} {shown:>{value_width}}")
    lines.append(verdict)
    return "\n".join(lines)


@dataclass
class StepGradientReport:
    """Per-gradient result of ``step_gradient_check``.

    Attributes:
        rows: (gradient name, shape it should have, shape it had, max relative error or None
            if the shapes differ), in the order dh_prev, dC_prev, then the parameters.
        tolerance: the largest relative error that counts as right.
    """

    rows: list[tuple[str, tuple[int, ...], tuple[int, ...], float | None]]
    tolerance: float

    @property
    def failed(self) -> list[str]:
        """Names of the gradients that are wrong (wrong shape, or relative error >= tolerance)."""
        return [n for n, _, _, e in self.rows if e is None or not e < self.tolerance]

    @property
    def passed(self) -> bool:
        return bool(self.rows) and not self.failed

    def __str__(self) -> str:
        verdict = (f"PASS: every gradient of the step within a relative {self.tolerance:g} of finite differences"
                   if self.passed else f"FAIL: {', '.join(self.failed)} (tolerance {self.tolerance:g})")
        return _report_table(("gradient", 9), ("max relative error", 19), 40, self.rows, self.failed,
                             self.tolerance, verdict)

    def __repr__(self) -> str:
        return str(self)

    def assert_passed(self) -> None:
        """Raise AssertionError with the table if any gradient is wrong."""
        if not self.passed:
            raise AssertionError(str(self))


def step_gradient_check(model: Any, *, seed: int = 0, tolerance: float = 1e-5,
                        num_checks: int = 20) -> StepGradientReport:
    """Lesson 6's per-step gradient check of a column-layout LSTM step: no reference needed.

    One step has no loss of its own, so invent one that uses both outputs,

        L = sum(h * G1) + sum(C * G2)       for fixed random G1 (H, 1), G2 (H, 1),

    whose gradients with respect to h and C are exactly G1 and G2. Feed those to
    ``model.step_backward`` as dh and dC_next, and compare every gradient it returns (dh_prev,
    dC_prev and each parameter's) with centred differences of L, through
    ``lstm_lab.gradcheck.gradient_check``. A wrong line of the backward pass shows up in the
    gradients that depend on it, and in no other, which narrows the search to a few lines.
    (With h alone in L, dC_next would be zero and a backward pass that dropped it would pass.)

    ``model`` needs what ``compare_step_with_reference`` needs (see its docstring): ``params``
    with W_f (H, D + H) among them, ``step_forward`` and ``step_backward`` in column layout. The
    check runs on a deep copy whose weights are redrawn with std 0.5 (at a small initial scale
    the cell state is tiny and a wrong derivative can agree with the right one to 4 digits), and
    with random x, h_prev and C_prev; ``model`` itself is not changed.

    Args:
        model: the object to check.
        seed: seeds the weights, inputs, G1, G2 and the entries checked.
        tolerance: a gradient passes if its largest relative error is below this.
        num_checks: entries checked per array (all of them if it has fewer).

    Returns:
        a StepGradientReport with one row per gradient.
    """
    tolerance = check_positive_float("tolerance", tolerance)
    num_checks = check_positive_int("num_checks", num_checks)
    params = getattr(model, "params", None)
    if not isinstance(params, dict) or "W_f" not in params:
        raise ValueError("model.params must be a dict of Params with W_f of shape (H, D + H) among them, in "
                         "column layout (see compare_step_with_reference's docstring).")
    m = copy.deepcopy(model)
    H, Z = m.params["W_f"].value.shape
    rng = np.random.default_rng(seed)
    for p in m.params.values():
        p.value[...] = rng.normal(0.0, 0.5, p.value.shape)
    x = rng.normal(size=(Z - H, 1))
    h_prev, C_prev = Param("h_prev", rng.normal(size=(H, 1))), Param("C_prev", rng.normal(size=(H, 1)))
    G1, G2 = rng.normal(size=(H, 1)), rng.normal(size=(H, 1))

    def step_loss() -> float:
        h, C, _ = m.step_forward(x, h_prev.value, C_prev.value)
        return float(np.sum(h * G1) + np.sum(C * G2))

    _, _, cache = m.step_forward(x, h_prev.value, C_prev.value)
    dh_prev, dC_prev, grads = m.step_backward(G1, G2, cache)
    analytic = {"h_prev": dh_prev, "C_prev": dC_prev, **grads}
    unknown = [n for n in grads if n not in m.params]
    if unknown:
        raise ValueError(f"step_backward returned gradients for {', '.join(unknown)}, which are not in model.params.")
    arrays = {"h_prev": h_prev, "C_prev": C_prev, **{n: m.params[n] for n in grads}}
    rows: list[tuple[str, tuple[int, ...], tuple[int, ...], float | None]] = []
    checked = []
    for n, p in arrays.items():
        g = np.asarray(analytic[n], dtype=np.float64)
        if g.shape != p.shape:
            rows.append((f"d{n}", p.shape, g.shape, None))
            continue
        p.grad = g.copy()
        checked.append(p)
        rows.append((f"d{n}", p.shape, g.shape, 0.0))
    if checked:
        report = gradient_check(step_loss, checked, tolerance=tolerance, num_checks=num_checks, rng=seed)
        errors = {f"d{r.name}": r.max_rel_error for r in report.rows}
        rows = [(n, e, g, None if d is None else errors[n]) for n, e, g, d in rows]
    return StepGradientReport(rows, tolerance)


# ----------------------------------------------------------------------------------------------
# Agreement with the reference LSTM step
# ----------------------------------------------------------------------------------------------


@dataclass
class ReferenceReport:
    """Per-output agreement of a column-vector LSTM step with ``lstm_lab.lstm``.

    Attributes:
        rows: (output name, shape it should have, shape it had, max |difference| or None if
            the shapes differ).
        tolerance: the largest absolute difference that counts as agreement.
    """

    rows: list[tuple[str, tuple[int, ...], tuple[int, ...], float | None]]
    tolerance: float

    @property
    def failed(self) -> list[str]:
        """Names of the outputs that disagree (wrong shape, or values beyond the tolerance)."""
        return [n for n, _, _, d in self.rows if d is None or not d <= self.tolerance]

    @property
    def passed(self) -> bool:
        return bool(self.rows) and not self.failed

    def __str__(self) -> str:
        verdict = (f"AGREE: every output within {self.tolerance:g} of lstm_lab.lstm"
                   if self.passed else f"DIFFER: {', '.join(self.failed)} (tolerance {self.tolerance:g})")
        return _report_table(("output", 8), ("max |yours - reference|", 24), 44, self.rows, self.failed,
                             self.tolerance, verdict)

    def __repr__(self) -> str:
        return str(self)

    def assert_agrees(self) -> None:
        """Raise AssertionError with the table if any output disagrees."""
        if not self.passed:
            raise AssertionError(str(self))


def compare_step_with_reference(model: Any, *, seed: int = 0, tolerance: float = 1e-10) -> ReferenceReport:
    """Run one LSTM step of ``model`` forward and backward and compare it with ``lstm_lab.lstm``.

    ``model`` (any object, e.g. a lesson's own class) must have, in column layout:

    - ``params``: dict name -> ``Param`` with W_f, W_i, W_C, W_o of shape (H, D + H) and
      b_f, b_i, b_C, b_o of shape (H, 1); z = [x; h_prev] puts x on top;
    - ``step_forward(x (D, 1), h_prev (H, 1), C_prev (H, 1)) -> (h (H, 1), C (H, 1), cache)``;
    - ``step_backward(dh (H, 1), dC_next (H, 1), cache) -> (dh_prev (H, 1), dC_prev (H, 1), grads)``
      with grads a dict of the gate gradients by name, shaped like the parameters.

    The step runs on a deep copy of ``model`` whose gate weights are redrawn at random
    (std 0.5, so the cell state is not tiny and every derivative matters), with random
    x, h_prev, C_prev, dh and dC_next; ``model`` itself is not changed.

    Returns:
        a ReferenceReport with one row per output: h, C, dh_prev, dC_prev and each gradient.
    """
    tolerance = check_positive_float("tolerance", tolerance)
    missing = [n for n in GATE_PARAM_NAMES if n not in getattr(model, "params", {})]
    if missing:
        raise ValueError(f"model.params has no {', '.join(missing)}: it must be a dict of Params named "
                         "W_f, b_f, W_i, b_i, W_C, b_C, W_o, b_o in column layout (see the docstring).")
    m = copy.deepcopy(model)
    H, Z = m.params["W_f"].value.shape
    D = Z - H
    rng = np.random.default_rng(seed)
    for n in GATE_PARAM_NAMES:
        m.params[n].value[...] = rng.normal(0.0, 0.5, m.params[n].value.shape)
    x, h_prev, C_prev = rng.normal(size=(D, 1)), rng.normal(size=(H, 1)), rng.normal(size=(H, 1))
    dh, dC_next = rng.normal(size=(H, 1)), rng.normal(size=(H, 1))

    # The reference in row layout: x (1, D), W (D + H, H), b (H,).
    p_rows = {n: (m.params[n].value.T.copy() if n.startswith("W") else m.params[n].value[:, 0].copy())
              for n in GATE_PARAM_NAMES}
    h_ref, C_ref, cache_ref = lstm_step_forward(x.T, h_prev.T, C_prev.T, p_rows)
    _, dh_prev_ref, dC_prev_ref, grads_ref = lstm_step_backward(dh.T, dC_next.T, cache_ref)
    expected = {"h": h_ref.T, "C": C_ref.T, "dh_prev": dh_prev_ref.T, "dC_prev": dC_prev_ref.T}
    for n in GATE_PARAM_NAMES:
        expected[f"d{n}"] = grads_ref[n].T if n.startswith("W") else grads_ref[n][:, None]

    h, C, cache = m.step_forward(x, h_prev, C_prev)
    dh_prev, dC_prev, grads = m.step_backward(dh, dC_next, cache)
    got = {"h": h, "C": C, "dh_prev": dh_prev, "dC_prev": dC_prev}
    for n in GATE_PARAM_NAMES:
        got[f"d{n}"] = grads[n]
    rows = []
    for n, e in expected.items():
        g = np.asarray(got[n])
        diff = float(np.max(np.abs(g - e))) if g.shape == e.shape else None
        rows.append((n, e.shape, g.shape, diff))
    return ReferenceReport(rows, tolerance)


# ----------------------------------------------------------------------------------------------
# Accuracy
# ----------------------------------------------------------------------------------------------


def next_word_accuracy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Fraction of positions whose highest score is the target.

    Args:
        logits: (T, V) scores, one row per position.
        targets: (T,) the ids that actually came next.

    Returns:
        a float in [0, 1].
    """
    logits, targets = np.asarray(logits), np.asarray(targets)
    if logits.ndim != 2 or targets.shape != (logits.shape[0],):
        raise ValueError(f"logits must be (T, V) and targets (T,), got {logits.shape} and {targets.shape}.")
    return float(np.mean(np.argmax(logits, axis=1) == targets))


def min_accuracy_for_loss(loss_per_word: float) -> float:
    """The lowest accuracy a mean cross-entropy of ``loss_per_word`` nats allows.

    A target given probability above 1/2 is surely the argmax, i.e. a correct prediction,
    and every wrong one therefore costs at least ln 2 nats. With N predictions of mean loss
    L, at most N L / ln 2 of them can cost that much (Markov's inequality), so

        accuracy >= 1 - L / ln 2.

    A reported accuracy below this bound cannot be right: the accuracy code has a bug.

    Args:
        loss_per_word: the mean cross-entropy in nats (natural log), over the same predictions
            the accuracy counts.

    Returns:
        the bound, a float in [0, 1] (0 once the loss reaches ln 2 = 0.693).
    """
    if isinstance(loss_per_word, bool) or not isinstance(loss_per_word, (int, float, np.floating)):
        raise ValueError(f"loss_per_word must be a number of nats, got {loss_per_word!r}.")
    if not math.isfinite(loss_per_word) or loss_per_word < 0:
        raise ValueError(f"loss_per_word must be finite and >= 0 (a cross-entropy), got {loss_per_word!r}.")
    return max(0.0, 1.0 - float(loss_per_word) / math.log(2.0))


def most_frequent_word_accuracy(train_tokens: Sequence[str], test_tokens: Sequence[str]) -> float:
    """Accuracy on ``test_tokens[1:]`` of always predicting the most frequent word of ``train_tokens``.

    The weakest control for a next-word accuracy: a model that does not beat it has learned
    nothing about order. Ties go to the word seen first.

    Args:
        train_tokens: the text the counts come from, as tokens (at least one).
        test_tokens: the text to predict (at least two tokens: one prediction).

    Returns:
        a float in [0, 1].
    """
    _check_token_lists(train_tokens, test_tokens)
    best = Counter(train_tokens).most_common(1)[0][0]
    return sum(w == best for w in test_tokens[1:]) / (len(test_tokens) - 1)


def bigram_accuracy(train_tokens: Sequence[str], test_tokens: Sequence[str]) -> float:
    """Accuracy on ``test_tokens`` of a bigram table counted on ``train_tokens``.

    After each test word, predict the word that followed it most often in the training text
    (ties: the one seen first); after a word never followed by anything there, the most
    frequent word. A count table with one word of context, no training and no rounding: a
    model whose accuracy on new text does not beat it has not learned more than word pairs.

    Args:
        train_tokens: the text the counts come from, as tokens (at least one).
        test_tokens: the text to predict (at least two tokens: one prediction).

    Returns:
        a float in [0, 1].
    """
    _check_token_lists(train_tokens, test_tokens)
    followers: dict[str, Counter[str]] = {}
    for word, after in zip(train_tokens, train_tokens[1:], strict=False):  # each word and the next
        followers.setdefault(word, Counter())[after] += 1
    fallback = Counter(train_tokens).most_common(1)[0][0]
    predictions = [followers[w].most_common(1)[0][0] if w in followers else fallback for w in test_tokens[:-1]]
    return sum(p == w for p, w in zip(predictions, test_tokens[1:], strict=True)) / (len(test_tokens) - 1)


def _check_token_lists(train_tokens: Sequence[str], test_tokens: Sequence[str]) -> None:
    for name, tokens, least in (("train_tokens", train_tokens, 1), ("test_tokens", test_tokens, 2)):
        if isinstance(tokens, str):
            raise ValueError(f"{name} must be a list of tokens, got a str; split it first, e.g. "
                             "tokenize_words(text).")
        if len(tokens) < least:
            raise ValueError(f"{name} has {len(tokens)} tokens; it needs at least {least} "
                             f"({'one word to count' if least == 1 else 'two: a word and the one to predict'}).")
