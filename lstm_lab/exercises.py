"""Automatic checks for the notebooks' exercises.

Each ``check_*`` function takes the learner's function, runs it and lstm_lab's reference
on a few seeded random cases, and returns a ``CheckResult`` saying precisely what differs
(which output, its shape, its dtype, or its values), with a hint when the difference
matches a classic mistake. An exception in the learner's code becomes a failed check
with the exception's text, never a crash of the notebook.

Adding a checker takes a few lines with ``check_function``::

    def check_lstm_step_forward(fn):
        def case(rng):  # one random set of arguments, in fn's order
            B, D, H = 2, 3, 4
            return (random_array(rng, (B, D)), random_array(rng, (B, H)), ...)

        return check_function(
            "lstm_step_forward", fn, lstm_step_forward, case,
            output_names=["h_next", "C_next"],
            select=lambda out: out[:2],  # compare (h_next, C_next), not the cache
            mistakes=[Mistake("h_next = o * tanh(C_next): the output gate seems to be missing.",
                              forgot_output_gate)],  # same signature, returns what the mistake gives
        )
"""

from __future__ import annotations

import copy
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstm_lab.activations import softmax
from lstm_lab.losses import softmax_cross_entropy
from lstm_lab.optim import clip_by_value
from lstm_lab.params import Param
from lstm_lab.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward


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

    def assert_ok(self) -> None:
        """Raise AssertionError with the message if the check failed."""
        if not self.passed:
            raise AssertionError(self.message)


@dataclass
class Mistake:
    """A classic mistake: what it produces (same signature as the reference) and a hint."""

    hint: str
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
        if f.filename != __file__ and "site-packages" not in f.filename
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
    hint: str = "",
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
        mistakes: classic mistakes; if the learner's output matches one, its hint is shown.
        hint: shown on any failure not matched by a mistake.
        after_call: for in-place functions: (args, result) -> what to compare (e.g. the
            gradients after clipping); replaces ``select``.
    """
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
        except Exception as err:
            return CheckResult(
                False, f"✗ {name} raised {type(err).__name__}: {err}{_where(err)} on case {case} of {n_cases}."
            )
        try:
            got = picked(got_raw) if picked else after_call(fn_args, got_raw)
        except Exception as err:
            return CheckResult(
                False, f"✗ {name} returned a {type(got_raw).__name__}, which is not the expected kind of result: {err}."
            )
        problem = _compare(got, expected, output_names, rtol, atol)
        if problem is None:
            continue
        msg = f"✗ {name}, case {case} of {n_cases}: {problem}"
        # An untouched stub (returns None; for in-place functions, changes nothing) is what a
        # stored exercise output shows: it gets no hint, since hints point at the solution.
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
                msg += f"\nHint: {mistake.hint}"
                break
        else:
            if hint:
                msg += f"\nHint: {hint}"
        return CheckResult(False, msg)
    return CheckResult(True, f"✓ {name} matches the reference on {n_cases} random cases")


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


# ----- the checkers the notebooks call ------------------------------------------------------


def _rnn_step_case(rng: np.random.Generator) -> tuple:
    B, D, H = (int(n) for n in rng.integers(2, 6, size=3))
    return (
        random_array(rng, (B, D)),
        random_array(rng, (B, H)),
        random_array(rng, (D, H), 0.5),
        random_array(rng, (H, H), 0.5),
        random_array(rng, (H,), 0.5),
    )


def check_rnn_step_forward(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(x, h_prev, W_xh, W_hh, b_h) -> (h_next, cache)``; only h_next is compared."""
    return check_function(
        "rnn_step_forward",
        fn,
        rnn_step_forward,
        _rnn_step_case,
        output_names=["h_next"],
        select=lambda out: out[0] if isinstance(out, tuple) else out,
        mistakes=[
            Mistake(
                "h_next looks like x @ W_xh + h_prev @ W_hh + b_h: apply np.tanh to it.",
                lambda x, h, Wx, Wh, b: (x @ Wx + h @ Wh + b, None),
            ),
            Mistake(
                "the bias b_h seems to be missing.",
                lambda x, h, Wx, Wh, b: (np.tanh(x @ Wx + h @ Wh), None),
            ),
            Mistake(
                "the h_prev @ W_hh term seems to be missing: the recurrence needs the previous state.",
                lambda x, h, Wx, Wh, b: (np.tanh(x @ Wx + b), None),
            ),
        ],
        hint="h_next = np.tanh(x @ W_xh + h_prev @ W_hh + b_h), return (h_next, cache).",
    )


def _buggy_step_backward(kind: str) -> Callable[..., Any]:
    def backward(dh_next: np.ndarray, cache: tuple) -> tuple:
        x, h_prev, W_xh, W_hh, h_next = cache
        dz = dh_next if kind == "no_dtanh" else dh_next * (1.0 - h_next**2)
        if kind == "divide_by_B":
            dz = dz / x.shape[0]
        if kind == "dtanh_of_h_prev":
            dz = dh_next * (1.0 - h_prev**2)
        return dz @ W_xh.T, dz @ W_hh.T, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)

    return backward


_STEP_BACKWARD_NAMES = ["dx", "dh_prev", "dW_xh", "dW_hh", "db_h"]


def check_rnn_step_backward(
    fn: Callable[..., Any], forward_fn: Callable[..., Any] | None = None
) -> CheckResult:
    """Check ``fn(dh_next, cache) -> (dx, dh_prev, dW_xh, dW_hh, db_h)``.

    The cache comes from ``forward_fn`` (your own rnn_step_forward, if its cache differs
    from lstm_lab's) or else from lstm_lab's, which is (x, h_prev, W_xh, W_hh, h_next).
    """
    forward = forward_fn or rnn_step_forward

    def case(rng: np.random.Generator) -> tuple:
        x, h_prev, W_xh, W_hh, b_h = _rnn_step_case(rng)
        h_next, _ = rnn_step_forward(x, h_prev, W_xh, W_hh, b_h)
        return random_array(rng, h_next.shape), (x, h_prev, W_xh, W_hh, b_h)

    def reference(dh_next: np.ndarray, inputs: tuple) -> tuple:
        return rnn_step_backward(dh_next, rnn_step_forward(*inputs)[1])

    def learner(dh_next: np.ndarray, inputs: tuple) -> tuple:
        return fn(dh_next, forward(*inputs)[1])

    def mistake(kind: str) -> Callable[..., Any]:
        return lambda dh_next, inputs: _buggy_step_backward(kind)(dh_next, rnn_step_forward(*inputs)[1])

    return check_function(
        "rnn_step_backward",
        learner,
        reference,
        case,
        output_names=_STEP_BACKWARD_NAMES,
        mistakes=[
            Mistake(
                "you seem to have forgotten the tanh derivative: multiply dh_next by (1 - h_next**2) first.",
                mistake("no_dtanh"),
            ),
            Mistake(
                "the tanh derivative uses h_next, the output of this step's tanh, not h_prev.",
                mistake("dtanh_of_h_prev"),
            ),
            Mistake(
                "don't divide by the batch size here: the loss already did (dlogits carries the 1/B).",
                mistake("divide_by_B"),
            ),
        ],
        hint="dz = dh_next * (1 - h_next**2); then dx = dz @ W_xh.T, dh_prev = dz @ W_hh.T, "
        "dW_xh = x.T @ dz, dW_hh = h_prev.T @ dz, db_h = dz.sum(axis=0).",
    )


def _rnn_seq_case(rng: np.random.Generator) -> tuple:
    B, T, D, H = (int(n) for n in rng.integers(2, 5, size=4))
    return (
        random_array(rng, (B, T, D)),
        random_array(rng, (B, H)),
        random_array(rng, (D, H), 0.5),
        random_array(rng, (H, H), 0.5),
        random_array(rng, (H,), 0.5),
    )


def check_rnn_forward(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(x, h0, W_xh, W_hh, b_h) -> (h, cache)``; only h (B, T, H) is compared."""
    return check_function(
        "rnn_forward",
        fn,
        rnn_forward,
        _rnn_seq_case,
        output_names=["h"],
        select=lambda out: out[0] if isinstance(out, tuple) else out,
        hint="loop t over range(T): h_prev = step(x[:, t], h_prev, ...) and store h[:, t] = h_prev.",
    )


def check_rnn_backward(fn: Callable[..., Any], forward_fn: Callable[..., Any] | None = None) -> CheckResult:
    """Check ``fn(dh, cache) -> (dx, dh0, dW_xh, dW_hh, db_h)`` (backprop through time).

    The cache comes from ``forward_fn`` (your rnn_forward) or else lstm_lab's rnn_forward.
    """
    forward = forward_fn or rnn_forward

    def case(rng: np.random.Generator) -> tuple:
        inputs = _rnn_seq_case(rng)
        h, _ = rnn_forward(*inputs)
        return random_array(rng, h.shape), inputs

    def reference(dh: np.ndarray, inputs: tuple) -> tuple:
        return rnn_backward(dh, rnn_forward(*inputs)[1])

    def no_recurrent_grad(dh: np.ndarray, inputs: tuple) -> tuple:
        # Every step sees only dh[:, t], never the gradient flowing back from step t + 1.
        cache = rnn_forward(*inputs)[1]
        grads = [rnn_step_backward(dh[:, t], cache[t]) for t in range(dh.shape[1])]
        dx = np.stack([g[0] for g in grads], axis=1)
        return (dx, grads[0][1], *(sum(g[k] for g in grads) for k in (2, 3, 4)))

    return check_function(
        "rnn_backward",
        lambda dh, inputs: fn(dh, forward(*inputs)[1]),
        reference,
        case,
        output_names=["dx", "dh0", "dW_xh", "dW_hh", "db_h"],
        mistakes=[
            Mistake(
                "the gradient from the future is missing: at step t backpropagate dh[:, t] + dh_prev "
                "from step t + 1, not dh[:, t] alone.",
                no_recurrent_grad,
            )
        ],
        hint="go backwards in time, t = T-1 ... 0, adding each step's weight gradients.",
    )


def _softmax_ce_case(rng: np.random.Generator) -> tuple:
    B, T, V = (int(n) for n in rng.integers(2, 6, size=3))
    return random_array(rng, (B, T, V), 2.0), rng.integers(0, V, size=(B, T))


def _onehot_like(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    y = np.zeros_like(logits)
    np.put_along_axis(y, targets[..., None], 1.0, axis=-1)
    return y


_AVERAGED_OVER_T = (
    "you averaged over time as well: the loss is summed over the T steps and averaged over the B sequences only."
)


def check_softmax_cross_entropy(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(logits (B,T,V), targets (B,T)) -> (loss, dlogits)``."""

    def nll(logits: np.ndarray, targets: np.ndarray) -> float:
        return softmax_cross_entropy(logits, targets)[0]

    def mistake(loss_scale: Callable[[int, int], float], grad: Callable[..., np.ndarray]) -> Callable:
        def outputs(logits: np.ndarray, targets: np.ndarray) -> tuple:
            B, T, _ = logits.shape
            return nll(logits, targets) * loss_scale(B, T), grad(logits, targets, B, T)

        return outputs

    return check_function(
        "softmax_cross_entropy",
        fn,
        softmax_cross_entropy,
        _softmax_ce_case,
        output_names=["loss", "dlogits"],
        mistakes=[
            Mistake(
                "dlogits is the softmax itself: subtract 1 at the target, `dy[target] -= 1`.",
                mistake(lambda B, T: 1.0, lambda z, y, B, T: softmax(z) / B),
            ),
            Mistake(
                "dlogits is missing the 1/B: the loss is averaged over the batch, so its gradient is too.",
                mistake(lambda B, T: 1.0, lambda z, y, B, T: softmax(z) - _onehot_like(z, y)),
            ),
            Mistake(
                "the loss is summed over the batch: divide it (and dlogits) by B.",
                mistake(lambda B, T: B, lambda z, y, B, T: softmax(z) - _onehot_like(z, y)),
            ),
            Mistake(
                _AVERAGED_OVER_T,
                mistake(lambda B, T: 1.0 / T, lambda z, y, B, T: (softmax(z) - _onehot_like(z, y)) / (B * T)),
            ),
            Mistake(
                _AVERAGED_OVER_T,
                mistake(lambda B, T: 1.0 / T, lambda z, y, B, T: (softmax(z) - _onehot_like(z, y)) / B),
            ),
        ],
        hint="loss = -sum of log softmax at the targets / B; dlogits = (softmax - one_hot(targets)) / B.",
    )


def check_clip_by_value(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(params, limit)``, which clips every Param.grad into [-limit, limit] in place."""

    def case(rng: np.random.Generator) -> tuple:
        params = []
        for name, shape in (("W_xh", (4, 3)), ("W_hh", (3, 3)), ("b_h", (3,))):
            p = Param(name, random_array(rng, shape))
            p.grad[...] = random_array(rng, shape, 8.0)  # many entries beyond the limit
            params.append(p)
        return params, float(rng.uniform(1.0, 5.0))

    def after(args: tuple, result: Any) -> tuple:
        params = args[0]
        return tuple(p.grad for p in params) + tuple(p.value for p in params)

    names = ["W_xh.grad", "W_hh.grad", "b_h.grad", "W_xh.value", "W_hh.value", "b_h.value"]

    def clip_values(params: list[Param], limit: float) -> None:
        for p in params:
            np.clip(p.value, -limit, limit, out=p.value)

    def upper_only(params: list[Param], limit: float) -> None:
        for p in params:
            np.minimum(p.grad, limit, out=p.grad)

    return check_function(
        "clip_by_value",
        fn,
        clip_by_value,
        case,
        output_names=names,
        after_call=after,
        mistakes=[
            Mistake(
                "the gradients are unchanged. Clip in place, so the caller's arrays change: "
                "np.clip(p.grad, -limit, limit, out=p.grad) (p.grad = np.clip(...) also works; "
                "a new local variable does not).",
                lambda params, limit: None,
            ),
            Mistake("you clipped p.value: clip the gradients, p.grad.", clip_values),
            Mistake("only large positive entries were clipped: clip to -limit from below too.", upper_only),
        ],
        hint="for p in params: np.clip(p.grad, -limit, limit, out=p.grad)",
    )


def check_make_streams(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(ids, batch_size) -> (B, L)`` array of contiguous streams (Lesson 1)."""
    from lstm_lab.batching import make_streams

    def case(rng: np.random.Generator) -> tuple:
        return rng.integers(0, 60, size=int(rng.integers(40, 120))), int(rng.integers(2, 7))

    def interleaved(ids: np.ndarray, batch_size: int) -> np.ndarray:
        L = len(ids) // batch_size
        return ids[: batch_size * L].reshape(L, batch_size).T

    return check_function(
        "make_streams",
        fn,
        make_streams,
        case,
        output_names=["streams"],
        mistakes=[
            Mistake(
                "row b holds every B-th symbol (b, b+B, b+2B, ...): each row must be one contiguous "
                "piece of the text, so reshape to (batch_size, L) rather than (L, batch_size).T.",
                interleaved,
            )
        ],
        hint="L = len(ids) // batch_size; keep ids[:batch_size * L] and reshape it to (batch_size, L).",
    )


def check_adagrad_update(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(w, g, m, lr, eps=1e-8) -> (w_new, m_new)``, one Adagrad step (Lesson 4).

    Compared over three successive steps against ``lstm_lab.optim.Adagrad``, so a
    memory that is not carried forward is caught too.
    """
    from lstm_lab.optim import Adagrad

    def reference(w: np.ndarray, g: np.ndarray, m: np.ndarray, lr: float) -> tuple[np.ndarray, np.ndarray]:
        p = Param("w", w.copy())
        p.state["sum_sq"] = m.copy()
        p.grad[...] = g
        Adagrad(lr=lr).step([p])
        return p.value, p.state["sum_sq"]

    def three_steps(update: Callable[..., Any]) -> Callable[..., tuple]:
        def run(w: np.ndarray, gs: np.ndarray, lr: float) -> tuple:
            m = np.zeros_like(w)
            for g in gs:
                w, m = update(w, g, m, lr)
            return w, m

        return run

    def case(rng: np.random.Generator) -> tuple:
        return random_array(rng, (3, 4)), random_array(rng, (3, 3, 4)), float(rng.uniform(0.05, 0.5))

    return check_function(
        "adagrad_update",
        three_steps(fn),
        three_steps(reference),
        case,
        output_names=["w", "m"],
        mistakes=[
            Mistake(  # the stub: its stored output must not show the recipe
                "w and m came back unchanged: the function is still the stub, or it computes the update "
                "without returning the new arrays.",
                three_steps(lambda w, g, m, lr: (w, m)),
            ),
            Mistake(
                "the weight moved by lr * g, plain gradient descent: divide by np.sqrt(m + eps).",
                three_steps(lambda w, g, m, lr: (w - lr * g, m + g * g)),
            ),
            Mistake(
                "the memory m is replaced each step; Adagrad adds to it: m = m + g * g.",
                three_steps(lambda w, g, m, lr: (w - lr * g / np.sqrt(g * g + 1e-8), g * g)),
            ),
            Mistake(
                "update m before using it: the step divides by the memory including this g.",
                three_steps(lambda w, g, m, lr: (w - lr * g / np.sqrt(m + 1e-8), m + g * g)),
            ),
        ],
        hint="m = m + g * g, then w = w - lr * g / np.sqrt(m + eps).",
    )


def check_temperature_softmax(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(logits, temperature) -> probabilities`` (Lesson 7), including tiny temperatures."""
    from lstm_lab.sampling import temperature_softmax

    def case(rng: np.random.Generator) -> tuple:
        logits = random_array(rng, (int(rng.integers(2, 5)), 7), 3.0)
        return logits, float(rng.choice([0.01, 0.5, 1.0, 2.0]))

    def naive(z: np.ndarray, t: float) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(z / t)
            return e / e.sum(axis=-1, keepdims=True)

    return check_function(
        "temperature_softmax",
        fn,
        temperature_softmax,
        case,
        output_names=["probabilities"],
        n_cases=6,
        mistakes=[
            Mistake("the logits were multiplied by the temperature; divide them by it.",
                    lambda z, t: softmax(z * t)),
            Mistake("the temperature is not used: divide the logits by it before the softmax.",
                    lambda z, t: softmax(z)),
            Mistake("exp overflowed for a small temperature: subtract the largest logit before dividing.",
                    naive),
        ],
        hint="softmax over the last axis of (logits - max) / temperature.",
    )


def _lstm_step_case(rng: np.random.Generator) -> tuple:
    B, D, H = (int(n) for n in rng.integers(2, 6, size=3))
    p = {}
    for g in "fiCo":
        p[f"W_{g}"] = random_array(rng, (D + H, H), 0.5)
        p[f"b_{g}"] = random_array(rng, (H,), 0.5)
    return random_array(rng, (B, D)), random_array(rng, (B, H)), random_array(rng, (B, H)), p


def _lstm_gates(x: np.ndarray, h_prev: np.ndarray, p: dict[str, np.ndarray]) -> tuple:
    from lstm_lab.activations import sigmoid

    z = np.concatenate([x, h_prev], axis=1)
    return (sigmoid(z @ p["W_f"] + p["b_f"]), sigmoid(z @ p["W_i"] + p["b_i"]),
            np.tanh(z @ p["W_C"] + p["b_C"]), sigmoid(z @ p["W_o"] + p["b_o"]))


def _buggy_lstm_step(kind: str) -> Callable[..., Any]:
    def step(x: np.ndarray, h_prev: np.ndarray, C_prev: np.ndarray, p: dict[str, np.ndarray]) -> tuple:
        f, i, C_tilde, o = _lstm_gates(x, h_prev, p)
        C_next = f * C_tilde + i * C_tilde if kind == "forget_candidate" else f * C_prev + i * C_tilde
        if kind == "no_output_gate":
            return np.tanh(C_next), C_next, None
        if kind == "no_tanh_of_C":
            return o * C_next, C_next, None
        return o * np.tanh(C_next), C_next, None

    return step


def check_lstm_step_forward(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(x, h_prev, C_prev, p) -> (h_next, C_next, cache)`` (Lesson 5).

    p holds W_f, W_i, W_C, W_o (D + H, H) and b_f, b_i, b_C, b_o (H,), with z = [x, h_prev]
    (x first). h_next and C_next are compared; the cache may be anything.
    """
    from lstm_lab.lstm import lstm_step_forward

    return check_function(
        "lstm_step_forward",
        fn,
        lstm_step_forward,
        _lstm_step_case,
        output_names=["h_next", "C_next"],
        select=lambda out: tuple(out[:2]) if isinstance(out, (tuple, list)) and len(out) >= 2 else out,
        mistakes=[
            Mistake("h_next = tanh(C_next) without the output gate: multiply by o, h_next = o * tanh(C_next).",
                    _buggy_lstm_step("no_output_gate")),
            Mistake("h_next = o * C_next: squash the cell first, h_next = o * np.tanh(C_next).",
                    _buggy_lstm_step("no_tanh_of_C")),
            Mistake("the forget gate multiplies the candidate: it scales the OLD cell, "
                    "C_next = f * C_prev + i * C_tilde.", _buggy_lstm_step("forget_candidate")),
        ],
        hint="z = [x, h_prev] (x first); f, i, o are sigmoids of z @ W + b, C_tilde a tanh; then "
        "C_next = f * C_prev + i * C_tilde and h_next = o * tanh(C_next). Return (h_next, C_next, cache).",
    )


# ----- Lesson 6: the LSTM backward step -----------------------------------------------------

_LSTM_GRAD_NAMES = ("W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o")
_LSTM_STEP_BACKWARD_NAMES = ["dx", "dh_prev", "dC_prev", *(f"grads[{n!r}]" for n in _LSTM_GRAD_NAMES)]


def _flatten_lstm_backward(out: Any) -> Any:
    """(dx, dh_prev, dC_prev, grads dict) -> one flat tuple in _LSTM_STEP_BACKWARD_NAMES order."""
    if not isinstance(out, (tuple, list)) or len(out) != 4:
        return out  # None or a wrong count: compare() explains it
    if not isinstance(out[3], dict):
        raise ValueError(
            f"the fourth output must be a dict of gate gradients by name (W_f, b_f, W_i, ...), "
            f"got a {type(out[3]).__name__}"
        )
    return (*out[:3], *(out[3].get(name) for name in _LSTM_GRAD_NAMES))


def _buggy_lstm_step_backward(kind: str) -> Callable[..., Any]:
    """lstm_step_backward with one classic mistake built in (the cache is lstm_lab's dict)."""
    from lstm_lab.activations import dsigmoid

    def backward(dh_next: np.ndarray, dC_next: np.ndarray, cache: dict[str, Any]) -> tuple:
        z, C_prev, p, D = cache["z"], cache["C_prev"], cache["p"], cache["D"]
        f, i, C_tilde, o, tanh_C = (cache[k] for k in ("f", "i", "C_tilde", "o", "tanh_C"))
        if kind == "dtanh_of_C":  # 1 - C**2 instead of 1 - tanh(C)**2
            C_next = f * C_prev + i * C_tilde
            dC = dC_next + dh_next * o * (1.0 - C_next**2)
        elif kind == "no_dC_next":  # the gradient from the future cell is dropped
            dC = dh_next * o * (1.0 - tanh_C**2)
        else:
            dC = dC_next + dh_next * o * (1.0 - tanh_C**2)
        da = {
            "f": dC * C_prev * dsigmoid(f), "i": dC * C_tilde * dsigmoid(i),
            "C": dC * i * (1.0 - C_tilde**2), "o": dh_next * tanh_C * dsigmoid(o),
        }  # fmt: skip
        grads = {}
        for g, d in da.items():
            grads[f"W_{g}"], grads[f"b_{g}"] = z.T @ d, d.sum(axis=0)
        dz = sum(d @ p[f"W_{g}"].T for g, d in da.items())
        H = dh_next.shape[1]
        dh_prev = dz[:, :H] if kind == "wrong_end" else dz[:, D:]
        return dz[:, :D], dh_prev, dC * f, grads

    return backward


def check_lstm_step_backward(
    fn: Callable[..., Any], forward_fn: Callable[..., Any] | None = None
) -> CheckResult:
    """Check ``fn(dh_next, dC_next, cache) -> (dx, dh_prev, dC_prev, grads)`` (Lesson 6).

    grads is a dict of the gate gradients by name, W_f ... b_o, shaped like the parameters.
    The cache comes from ``forward_fn`` (your own lstm_step_forward, if its cache differs)
    or else from lstm_lab's ``lstm_step_forward``, a dict with z, C_prev, f, i, C_tilde, o,
    tanh_C, p and D.
    """
    from lstm_lab.lstm import lstm_step_backward, lstm_step_forward

    forward = forward_fn or lstm_step_forward

    def case(rng: np.random.Generator) -> tuple:
        inputs = _lstm_step_case(rng)  # (x, h_prev, C_prev, p)
        B, H = inputs[1].shape
        return random_array(rng, (B, H)), random_array(rng, (B, H)), inputs

    def with_cache(backward: Callable[..., Any], forward_used: Callable[..., Any]) -> Callable[..., Any]:
        return lambda dh_next, dC_next, inputs: backward(dh_next, dC_next, forward_used(*inputs)[2])

    def mistake(kind: str) -> Callable[..., Any]:
        return with_cache(_buggy_lstm_step_backward(kind), lstm_step_forward)

    return check_function(
        "lstm_step_backward",
        with_cache(fn, forward),
        with_cache(lstm_step_backward, lstm_step_forward),
        case,
        output_names=_LSTM_STEP_BACKWARD_NAMES,
        select=_flatten_lstm_backward,
        mistakes=[
            Mistake(
                "dh_prev came from the wrong end of dz. z = [x, h_prev] puts x FIRST, so dx is the "
                "first D columns and dh_prev the LAST H: dh_prev = dz[:, D:], not dz[:, :H].",
                mistake("wrong_end"),
            ),
            Mistake(
                "the tanh derivative was applied to C itself. h_next = o * tanh(C_next), and "
                "tanh'(C) = 1 - tanh(C)**2: use the cached tanh_C, (1 - tanh_C**2), not (1 - C**2).",
                mistake("dtanh_of_C"),
            ),
            Mistake(
                "dC_next, the gradient arriving from the next step's cell, is missing: "
                "dC = dC_next + dh_next * o * (1 - tanh_C**2).",
                mistake("no_dC_next"),
            ),
        ],
        hint="go through the forward equations in reverse: do, dC (remember dC_next), df, di, dC_tilde, "
        "dC_prev = dC * f; then each gate's da, dW = z.T @ da, db = da.sum(axis=0), dz = sum of da @ W.T; "
        "dx = dz[:, :D], dh_prev = dz[:, D:]. Return (dx, dh_prev, dC_prev, grads).",
    )


# ----- Lesson 8: accuracy of next-word predictions -------------------------------------------


def _accuracy_case(rng: np.random.Generator) -> tuple:
    T, V = (int(n) for n in rng.integers(5, 12, size=2))
    logits = random_array(rng, (T, V), 2.0)
    targets = rng.integers(0, V, size=T)
    # Make some predictions right, so an accuracy of 0 is not an accident.
    right = rng.random(T) < 0.5
    targets[right] = np.argmax(logits[right], axis=1)
    return logits, targets


def check_next_word_accuracy(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(logits (T, V), targets (T,)) -> accuracy`` (Lesson 8), a float in [0, 1]."""
    from lstm_lab.debugging import next_word_accuracy

    return check_function(
        "next_word_accuracy",
        fn,
        next_word_accuracy,
        _accuracy_case,
        output_names=["accuracy"],
        n_cases=4,
        mistakes=[
            Mistake("this is the number of right predictions; divide by T for the fraction.",
                    lambda z, y: float(np.sum(np.argmax(z, axis=1) == y))),
            Mistake("the prediction was compared with the position before (the input), not the target; "
                    "targets[t] is the word that came after position t.",
                    lambda z, y: float(np.mean(np.argmax(z[1:], axis=1) == y[:-1]))),
        ],
        hint="the prediction at each position is the word with the largest score (np.argmax over the "
        "vocabulary axis); the accuracy is the fraction of positions where it equals the target.",
    )


# ----- Lesson 9: pooling rare words -----------------------------------------------------------


def check_replace_rare(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(tokens, min_count) -> tokens`` against ``lstm_lab.vocab.replace_rare`` (Lesson 9).

    Rare tokens (fewer than ``min_count`` occurrences) become ``"<unk>"``; the length is kept.
    """
    from collections import Counter

    from lstm_lab.vocab import replace_rare

    words = ["바다", "고양이", "할머니는", "불을", "켰다", ".", ",", "등대", "배", "아침"]

    def case(rng: np.random.Generator) -> tuple:
        n = int(rng.integers(12, 25))
        weights = np.linspace(1.0, 0.1, len(words))
        tokens = [words[i] for i in rng.choice(len(words), size=n, p=weights / weights.sum())]
        return tokens, int(rng.integers(2, 4))

    def as_ids(tokens: Any) -> Any:
        """Tokens -> ids over a shared table, so compare() can say where they differ."""
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            return tokens if tokens is None else np.asarray(tokens, dtype=object)
        table = {w: i for i, w in enumerate([*words, "<unk>"])}
        return np.array([table.get(t, -1) for t in tokens])  # -1: a token that was not in the input

    def at_most(tokens: list[str], min_count: int) -> list[str]:
        counts = Counter(tokens)
        return [t if counts[t] > min_count else "<unk>" for t in tokens]

    def dropped(tokens: list[str], min_count: int) -> list[str]:
        counts = Counter(tokens)
        return [t for t in tokens if counts[t] >= min_count]

    return check_function(
        "replace_rare",
        fn,
        replace_rare,
        case,
        output_names=["the tokens (shown as ids in the check's word list: 10 is '<unk>', -1 a word not in the input)"],
        select=as_ids,
        n_cases=4,
        mistakes=[
            Mistake("words seen exactly min_count times were replaced too: keep a word if its count is "
                    ">= min_count.", at_most),
            Mistake("rare words were removed; replace each by '<unk>' instead, so the text keeps its length "
                    "and the model learns where unknown words go.", dropped),
        ],
        hint="count every token first (collections.Counter counts a list), then decide token by token; "
        "the result is a list as long as the input.",
    )
