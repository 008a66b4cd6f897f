"""Checkers for Lesson 6: the LSTM step backward."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_lab.activations import dsigmoid
from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.exercises.lesson05 import _lstm_step_case
from lstm_lab.lstm import lstm_step_backward, lstm_step_forward

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
        pointer="go through the forward equations in reverse: do, dC (remember dC_next), df, di, dC_tilde, "
        "dC_prev = dC * f; then each gate's da, dW = z.T @ da, db = da.sum(axis=0), dz = sum of da @ W.T; "
        "dx = dz[:, :D], dh_prev = dz[:, D:]. Return (dx, dh_prev, dC_prev, grads).",
    )


register_solution("lstm_step_backward", lstm_step_backward)
