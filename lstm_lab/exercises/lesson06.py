"""Checkers for Lesson 6: the LSTM step backward."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_lab.activations import sigmoid
from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.exercises.lesson05 import _lstm_step_case
from lstm_lab.lstm import GATE_PARAM_NAMES, LSTMStepCache, lstm_step_backward, lstm_step_forward

_LSTM_STEP_BACKWARD_NAMES = ["dx", "dh_prev", "dC_prev", *(f"grads[{n!r}]" for n in GATE_PARAM_NAMES)]


def _flatten_lstm_backward(out: Any) -> Any:
    """(dx, dh_prev, dC_prev, grads dict) -> one flat tuple in _LSTM_STEP_BACKWARD_NAMES order."""
    if not isinstance(out, (tuple, list)) or len(out) != 4:
        return out  # None or a wrong count: the engine explains it
    if not isinstance(out[3], dict):
        raise ValueError(
            f"the fourth output must be a dict of gate gradients by name (W_f, b_f, W_i, ...), "
            f"got a {type(out[3]).__name__}"
        )
    return (*out[:3], *(out[3].get(name) for name in GATE_PARAM_NAMES))


def _buggy_lstm_step_backward(kind: str) -> Callable[..., Any]:
    """lstm_step_backward with one classic mistake built in (reads lstm_lab's LSTMStepCache)."""

    def dsig(s: np.ndarray) -> np.ndarray:  # the sigmoid's slope from its output s ...
        if kind == "dsigmoid_of_gate":  # ... or, mistakenly, as if s were the pre-activation
            s = sigmoid(s)
        return s * (1.0 - s)

    def backward(dh_next: np.ndarray, dC_next: np.ndarray, cache: LSTMStepCache) -> tuple:
        z, C_prev, f, i, C_tilde, o, tanh_C, p, D = cache
        slope = {"no_dtanh": 1.0, "dtanh_of_C": 1.0 - (f * C_prev + i * C_tilde) ** 2}.get(kind, 1.0 - tanh_C**2)
        dC = (0.0 if kind == "no_dC_next" else dC_next) + dh_next * o * slope
        da = {
            "f": dC * C_prev * dsig(f), "i": dC * C_tilde * dsig(i),
            "C": dC * i * (1.0 - C_tilde**2), "o": dh_next * tanh_C * dsig(o),
        }  # fmt: skip
        grads = {}
        for g, d in da.items():
            grads[f"W_{g}"], grads[f"b_{g}"] = z.T @ d, d.sum(axis=0)
        dz = sum(d @ p[f"W_{g}"].T for g, d in da.items())
        H = dh_next.shape[1]
        dx, dh_prev = dz[:, :D], dz[:, D:]
        if kind == "swapped_slices":  # the right split, the names the wrong way round
            dx, dh_prev = dz[:, D:], dz[:, :D]
        elif kind == "split_h_first":  # split as if z were [h_prev, x]
            dx, dh_prev = dz[:, H:], dz[:, :H]
        elif kind == "wrong_end":
            dh_prev = dz[:, :H]
        dC_prev = (dC_next if kind == "dC_prev_from_dC_next" else dC) * f
        return dx, dh_prev, dC_prev, grads

    return backward


def check_lstm_step_backward(
    fn: Callable[..., Any], forward_fn: Callable[..., Any] | None = None
) -> CheckResult:
    """Check ``fn(dh_next, dC_next, cache) -> (dx, dh_prev, dC_prev, grads)`` (Lesson 6).

    dh_next, dC_next are (B, H); dx is (B, D), dh_prev and dC_prev (B, H); grads is a dict of
    the gate gradients by name, W_f ... b_o, shaped like the parameters. The cache comes from
    ``forward_fn`` (your own lstm_step_forward, if its cache differs) or else from lstm_lab's
    ``lstm_step_forward``: an ``LSTMStepCache`` with z, C_prev, f, i, C_tilde, o, tanh_C, p, D.
    """
    forward = forward_fn or lstm_step_forward

    def case(rng: np.random.Generator) -> tuple:
        inputs = _lstm_step_case(rng)  # (x, h_prev, C_prev, p)
        while inputs[0].shape[1] == inputs[1].shape[1]:  # D != H, so a swapped slice shows in the shape
            inputs = _lstm_step_case(rng)
        B, H = inputs[1].shape
        return random_array(rng, (B, H)), random_array(rng, (B, H)), inputs

    def with_cache(backward: Callable[..., Any], forward_used: Callable[..., Any]) -> Callable[..., Any]:
        return lambda dh_next, dC_next, inputs: backward(dh_next, dC_next, forward_used(*inputs)[2])

    def mistake(what: str, kind: str) -> Mistake:
        return Mistake(what, with_cache(_buggy_lstm_step_backward(kind), lstm_step_forward))

    return check_function(
        "lstm_step_backward",
        with_cache(fn, forward),
        with_cache(lstm_step_backward, lstm_step_forward),
        case,
        output_names=_LSTM_STEP_BACKWARD_NAMES,
        select=_flatten_lstm_backward,
        mistakes=[
            mistake("dC_next is missing: the cell's gradient counts only the route through h_next, so "
                    "nothing that arrives along the cell from the next step gets through.", "no_dC_next"),
            mistake("on the route from h_next into the cell, the derivative of the tanh is missing: "
                    "h_next depends on the cell only through tanh(C_next).", "no_dtanh"),
            mistake("the tanh derivative on the route from h_next into the cell is written with the cell "
                    "state itself instead of with the tanh's output.", "dtanh_of_C"),
            mistake("the sigmoid derivatives of f, i and o are taken at the wrong argument: the gate values "
                    "are treated as if they were the pre-activations.", "dsigmoid_of_gate"),
            mistake("dx and dh_prev are swapped: each was taken from the other one's columns of dz.",
                    "swapped_slices"),
            mistake("dz was split as if z were [h_prev, x]; the forward step put x first.", "split_h_first"),
            mistake("dh_prev comes from the wrong end of dz: its columns overlap the ones that belong to x.",
                    "wrong_end"),
            mistake("dC_prev is passed back from the incoming dC_next alone, not from the cell's total "
                    "gradient (both routes added).", "dC_prev_from_dC_next"),
        ],
        pointer="go back to your paper of section 2, which walks the forward equations from the last to the "
        "first, and compare it line by line with your code: by which two routes "
        "C_next reaches the loss, what each elementwise product sends to each of its factors, each squashing's "
        "derivative written with its output, and the layout of z = [x, h_prev] (x first).",
    )


register_solution("lstm_step_backward", lstm_step_backward)
