"""Checkers for Lesson 5: the LSTM step forward."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_lab.activations import sigmoid
from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.lstm import lstm_step_forward


def _lstm_step_case(rng: np.random.Generator) -> tuple:
    B, D, H = (int(n) for n in rng.integers(2, 6, size=3))
    p = {}
    for g in "fiCo":
        p[f"W_{g}"] = random_array(rng, (D + H, H), 0.5)
        p[f"b_{g}"] = random_array(rng, (H,), 0.5)
    return random_array(rng, (B, D)), random_array(rng, (B, H)), random_array(rng, (B, H)), p


def _lstm_gates(x: np.ndarray, h_prev: np.ndarray, p: dict[str, np.ndarray]) -> tuple:
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
        pointer="z = [x, h_prev] (x first); f, i, o are sigmoids of z @ W + b, C_tilde a tanh; then "
        "C_next = f * C_prev + i * C_tilde and h_next = o * tanh(C_next). Return (h_next, C_next, cache).",
    )


register_solution("lstm_step_forward", lstm_step_forward)
