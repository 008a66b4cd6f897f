"""Checkers for Lesson 2: the RNN step and the time loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.rnn import rnn_forward, rnn_step_forward


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
        pointer="h_next = np.tanh(x @ W_xh + h_prev @ W_hh + b_h), return (h_next, cache).",
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
        pointer="loop t over range(T): h_prev = step(x[:, t], h_prev, ...) and store h[:, t] = h_prev.",
    )


register_solution("rnn_step_forward", rnn_step_forward)
register_solution("rnn_forward", rnn_forward)
