"""Numerical gradient checking: is my backward pass right?

Nudge one entry of a parameter up and down by h, watch the loss, and compare the slope
(f(x + h) - f(x - h)) / 2h with the analytic gradient from the backward pass. Works on
anything: a loss function of no arguments that reads the arrays you perturb.

Example::

    loss, _ = model.loss(x, y, h0)              # fills every Param.grad
    report = gradient_check(lambda: model.loss(x, y, h0)[0], model.params)
    print(report)
    report.assert_passed()
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lstm_lab.checks import check_positive_float, check_positive_int
from lstm_lab.params import Param

#: Default tolerance on the relative error. In float64 with centred differences
#: (truncation error O(h^2) ~ 1e-10, rounding error ~ 1e-16 * |loss| / h) a correct
#: backward pass on these losses typically shows 1e-10..1e-7, while a real bug (a missing
#: term, a wrong sign, a transposed matrix) gives 1e-3..1. 1e-6 sits well between the two.
#: Caveat: the rounding part is absolute, ~eps |loss| / h, so with a loss of ~100 (T=25,
#: V=63) a gradient entry below ~1e-5 cannot reach 1e-6 however right it is; the report
#: then adds a note saying so. Check small models, or pass a larger tolerance.
DEFAULT_TOLERANCE = 1e-6


def _call_loss(f: Callable[[], Any]) -> float:
    value = f()
    if isinstance(value, tuple):
        raise ValueError(
            "the loss function returned a tuple; it must return just the loss, a number. "
            "If it returns (loss, state), wrap it: lambda: model.loss(x, y, h0)[0]."
        )
    return float(value)


def _check_float_array(x: np.ndarray, what: str) -> None:
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{what} must be a numpy float array to be perturbed, got {type(x).__name__}.")


def numerical_gradient(f: Callable[[], float], x: np.ndarray, index: Any, h: float = 1e-5) -> float:
    """Centred-difference estimate of d f / d x[index].

    Args:
        f: takes no arguments and returns the loss; it must read ``x`` (the same array
            object, which is modified in place).
        x: float array of any shape.
        index: which entry, e.g. ``(3, 7)``.
        h: the step. Too large: truncation error grows like h^2; too small: rounding
            error grows like 1/h. 1e-5 balances the two in float64.

    Returns:
        (f(x + h e_index) - f(x - h e_index)) / 2h. ``x[index]`` is always restored, even
        if ``f`` raises.
    """
    _check_float_array(x, "x")
    h = check_positive_float("h", h, "1e-5")
    old = x[index].copy() if isinstance(x[index], np.ndarray) else x[index]
    try:
        x[index] = old + h
        f_plus = _call_loss(f)
        x[index] = old - h
        f_minus = _call_loss(f)
    finally:
        x[index] = old
    return (f_plus - f_minus) / (2.0 * h)


def numerical_gradient_array(f: Callable[[], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """``numerical_gradient`` for every entry of x: an array of x's shape (2 x.size calls of f)."""
    _check_float_array(x, "x")
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        grad[index] = numerical_gradient(f, x, index, h)
    return grad


def relative_error(analytic: Any, numeric: Any, tiny: float = 1e-8) -> np.ndarray:
    """|a - n| / max(tiny, |a| + |n|), elementwise.

    Relative, so a gradient of 1e3 and one of 1e-3 are judged alike. ``tiny`` guards the
    entries where both are (nearly) zero, e.g. the embedding rows of symbols absent from
    the batch: there 0 / 0 would be nan, and two values within 1e-8 of zero agree
    well enough that the error is at most |a - n| / 1e-8.
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    return np.abs(a - n) / np.maximum(tiny, np.abs(a) + np.abs(n))


def _fmt_err(e: float) -> str:
    return f"{e:.2g}"


@dataclass
class GradCheckRow:
    """The result for one parameter: its worst entry."""

    name: str
    shape: tuple[int, ...]
    checked: int
    max_rel_error: float
    worst_index: tuple[int, ...]
    analytic: float
    numeric: float


@dataclass
class GradCheckReport:
    """Per-parameter rows, the tolerance, and the verdict (``passed``)."""

    rows: list[GradCheckRow] = field(default_factory=list)
    tolerance: float = DEFAULT_TOLERANCE
    loss: float = float("nan")
    h: float = 1e-5
    tiny: float = 1e-8

    @property
    def rounding_noise(self) -> float:
        """Rough size of the numeric gradient's float64 rounding error: eps |loss| / h.

        A loss of 100 is only known to ~1e-14, and dividing a difference of two such values
        by 2h = 2e-5 leaves ~1e-9 of noise: gradients much smaller than ~1e-5 cannot be
        checked to a relative 1e-6, however right they are.
        """
        return float(np.finfo(np.float64).eps * max(1.0, abs(self.loss)) / self.h)

    @property
    def passed(self) -> bool:
        """True if every row's error is below the tolerance (a nan error fails: nan < t is False)."""
        return bool(self.rows) and all(row.max_rel_error < self.tolerance for row in self.rows)

    @property
    def worst(self) -> GradCheckRow | None:
        """The row with the largest relative error (nan counts as largest)."""
        if not self.rows:
            return None
        return max(self.rows, key=lambda r: np.inf if np.isnan(r.max_rel_error) else r.max_rel_error)

    def verdict(self) -> str:
        worst = self.worst
        if worst is None:
            return "FAIL: no parameters were checked"
        if self.passed:
            return f"PASS: max relative error {_fmt_err(worst.max_rel_error)} < tolerance {self.tolerance:g}"
        verdict = (
            f"FAIL: {worst.name} max relative error {_fmt_err(worst.max_rel_error)} >= {self.tolerance:g} "
            f"(analytic {worst.analytic:.6g} vs numeric {worst.numeric:.6g} at index {worst.worst_index})"
        )
        if abs(worst.analytic - worst.numeric) <= 2.0 * self.rounding_noise:
            verdict += (
                f"\nNote: the difference {abs(worst.analytic - worst.numeric):.1e} is within float64 rounding "
                f"noise (~{self.rounding_noise:.0e} for a loss of {self.loss:.3g} and h={self.h:g}), so the "
                "gradient may well be right. Check on a smaller model or shorter sequence (smaller loss), "
                "or where the gradients are larger."
            )
        return verdict

    def __str__(self) -> str:
        header = (
            f"{'param':<8} {'shape':<12} {'checked':>7} {'max rel err':>11}  "
            f"{'worst index':<12} {'analytic':>12} {'numeric':>12}"
        )
        lines = [header, "-" * len(header)]
        for r in self.rows:
            lines.append(
                f"{r.name:<8} {str(r.shape):<12} {r.checked:>7} {r.max_rel_error:>11.1e}  "
                f"{str(r.worst_index):<12} {r.analytic:>12.4e} {r.numeric:>12.4e}"
            )
        lines.append(self.verdict())
        return "\n".join(lines)

    def assert_passed(self) -> None:
        """Raise AssertionError with the report if any parameter failed."""
        if not self.passed:
            raise AssertionError(str(self))


def gradient_check(
    loss_fn: Callable[[], float],
    params: Sequence[Param],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    num_checks: int | None = None,
    rng: np.random.Generator | int | None = None,
    h: float = 1e-5,
    tiny: float | None = None,
) -> GradCheckReport:
    """Compare every Param.grad (already filled by your backward pass) with numerical slopes.

    Args:
        loss_fn: no arguments, returns the loss computed from the current Param values.
            It may overwrite Param.grad (``lambda: model.loss(x, y, h0)[0]`` does): the
            analytic gradients are copied first and put back at the end.
        params: the parameters to check, float64 (float32 is too coarse: its rounding
            error alone exceeds any useful tolerance).
        tolerance: a parameter passes if its largest relative error is below this.
        num_checks: None checks every entry; an int checks that many random entries per
            parameter (all of them if it has fewer), for big models.
        rng: generator (or int seed) choosing the random entries; default seed 0.
        h: finite-difference step.
        tiny: the floor of the relative error's denominator, |a-n| / max(tiny, |a|+|n|).
            None (the default) sets it from the check's own rounding noise:
            ``10 * rounding_noise / tolerance``. An entry whose gradient is smaller than
            that floor cannot be resolved to a relative ``tolerance`` by finite differences
            at all (the numeric slope itself is only known to ~rounding_noise), so it is
            judged by its absolute difference instead, which must stay within ten times the
            noise. Larger entries, which are nearly all of them, are judged relatively.

    Returns:
        A GradCheckReport; print it, or call ``.assert_passed()``.
    """
    tolerance = check_positive_float("tolerance", tolerance, "1e-6")
    h = check_positive_float("h", h, "1e-5")
    if num_checks is not None:
        num_checks = check_positive_int("num_checks", num_checks, "20")
    params = list(params)
    if not params:
        raise ValueError("params is empty: pass the list of parameters to check, e.g. model.params.")
    for p in params:
        if not isinstance(p, Param):
            raise ValueError(f"params must hold Param objects, got {type(p).__name__}.")
        if p.value.dtype != np.float64:
            raise ValueError(
                f"{p.name} has dtype {p.value.dtype}; gradient checking needs float64 (float32 rounding "
                "swamps the finite differences). Build the model with dtype=np.float64 for gradient checking."
            )
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(0 if rng is None else rng)

    analytic_grads = [p.grad.copy() for p in params]
    try:
        loss = _call_loss(loss_fn)
        if not np.isfinite(loss):
            raise ValueError(f"the loss is {loss}, so there is no gradient to check; check the inputs and weights.")
        report = GradCheckReport(tolerance=tolerance, loss=loss, h=h)
        if tiny is None:
            tiny = max(1e-8, 10.0 * report.rounding_noise / tolerance)
        else:
            tiny = check_positive_float("tiny", tiny, "1e-8")
        report.tiny = tiny
        for p, analytic in zip(params, analytic_grads, strict=True):
            if num_checks is None or num_checks >= p.value.size:
                indices = list(np.ndindex(p.shape))
            else:
                flat = rng.choice(p.value.size, size=num_checks, replace=False)
                indices = [tuple(int(i) for i in np.unravel_index(k, p.shape)) for k in flat]
            numeric = np.array([numerical_gradient(loss_fn, p.value, idx, h) for idx in indices])
            chosen = np.array([analytic[idx] for idx in indices])
            errors = relative_error(chosen, numeric, tiny=tiny)
            k = int(np.argmax(np.where(np.isnan(errors), np.inf, errors)))
            report.rows.append(
                GradCheckRow(
                    name=p.name,
                    shape=tuple(p.shape),
                    checked=len(indices),
                    max_rel_error=float(errors[k]),
                    worst_index=tuple(int(i) for i in indices[k]),
                    analytic=float(chosen[k]),
                    numeric=float(numeric[k]),
                )
            )
    finally:
        for p, analytic in zip(params, analytic_grads, strict=True):
            p.grad[...] = analytic
    return report
