"""Checkers for Lesson 5: the LSTM step forward."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_lab.activations import sigmoid
from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.lstm import lstm_step_forward


def _lstm_step_case(rng: np.random.Generator) -> tuple:
    """(x (B, D), h_prev (B, H), C_prev (B, H), p): random sizes from 2 to 5, gate weights (D + H, H)."""
    B, D, H = (int(n) for n in rng.integers(2, 6, size=3))
    p = {}
    for g in "fiCo":
        p[f"W_{g}"] = random_array(rng, (D + H, H), 0.5)
        p[f"b_{g}"] = random_array(rng, (H,), 0.5)
    return random_array(rng, (B, D)), random_array(rng, (B, H)), random_array(rng, (B, H)), p


def _buggy_lstm_step(kind: str) -> Callable[..., Any]:
    """lstm_step_forward with one classic mistake built in; returns (h_next, C_next, None)."""

    def step(x: np.ndarray, h_prev: np.ndarray, C_prev: np.ndarray, p: dict[str, np.ndarray]) -> tuple:
        z = np.concatenate([h_prev, x] if kind == "h_first" else [x, h_prev], axis=1)
        f = sigmoid(z @ p["W_f"] + p["b_f"])
        i = sigmoid(z @ p["W_i"] + p["b_i"])
        a_C = z @ p["W_C"] + p["b_C"]
        C_tilde = sigmoid(a_C) if kind == "sigmoid_candidate" else np.tanh(a_C)
        o = sigmoid(z @ p["W_o"] + p["b_o"])
        if kind == "forget_candidate":  # the forget gate scales the candidate, not the old cell
            C_next = f * C_tilde + i * C_tilde
        elif kind == "gates_swapped":
            C_next = i * C_prev + f * C_tilde
        else:
            C_next = f * C_prev + i * C_tilde
        shown = {"no_tanh_of_C": C_next, "old_cell": np.tanh(C_prev)}.get(kind, np.tanh(C_next))
        h_next = shown if kind == "no_output_gate" else o * shown
        return h_next, C_next, None

    return step


def check_lstm_step_forward(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(x, h_prev, C_prev, p) -> (h_next, C_next, cache)`` (Lesson 5).

    p holds W_f, W_i, W_C, W_o (D + H, H) and b_f, b_i, b_C, b_o (H,), with z = [x, h_prev]
    (x first). h_next (B, H) and C_next (B, H) are compared; the cache may be anything.
    """
    return check_function(
        "lstm_step_forward",
        fn,
        lstm_step_forward,
        _lstm_step_case,
        output_names=["h_next", "C_next"],
        select=lambda out: tuple(out[:2]) if isinstance(out, (tuple, list)) and len(out) >= 2 else out,
        mistakes=[
            Mistake("h_next has no output gate: the squashed cell is shown in full, with nothing deciding "
                    "how much of each unit the rest of the network sees.", _buggy_lstm_step("no_output_gate")),
            Mistake("the cell is not squashed before it is shown: h_next is built from the raw cell state, "
                    "which a sum can push past 1.", _buggy_lstm_step("no_tanh_of_C")),
            Mistake("h_next shows the OLD cell state, the one that came in, instead of the one this step "
                    "just made.", _buggy_lstm_step("old_cell")),
            Mistake("the forget gate scales the candidate instead of the old cell, so the old cell state "
                    "never reaches C_next.", _buggy_lstm_step("forget_candidate")),
            Mistake("the forget and input gates are swapped: the input gate scales the old cell and the "
                    "forget gate the candidate.", _buggy_lstm_step("gates_swapped")),
            Mistake("z has h_prev first and x second. The gate matrices' first D rows are the ones that read "
                    "x, so every layer reads the wrong half of z.", _buggy_lstm_step("h_first")),
            Mistake("the candidate is squashed with a sigmoid, so it can only write positive values; a "
                    "candidate must be able to push the cell down as well as up.",
                    _buggy_lstm_step("sigmoid_candidate")),
        ],
        pointer="go through the equations of section 2 one at a time and compare each with your code: which "
        "vector the four layers read (and in which order its parts come), which squashing each layer uses, "
        "which state each gate multiplies, and which two factors make h_t.",
    )


register_solution("lstm_step_forward", lstm_step_forward)
