"""Checkers for Lesson 2: the RNN step and the time loop.

Equation (1) of the lesson: h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h), rows as examples.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_lab.activations import sigmoid
from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.rnn import rnn_forward, rnn_step_forward


def _rnn_step_case(rng: np.random.Generator) -> tuple:
    """(x (B, D), h_prev (B, H), W_xh (D, H), W_hh (H, H), b_h (H,)) with B, D, H in 2..5."""
    B, D, H = (int(n) for n in rng.integers(2, 6, size=3))
    return (
        random_array(rng, (B, D)),
        random_array(rng, (B, H)),
        random_array(rng, (D, H), 0.5),
        random_array(rng, (H, H), 0.5),
        random_array(rng, (H,), 0.5),
    )


def _first(out: Any) -> Any:
    """h_next (or h) from a (state, cache) pair; anything else is compared as it is."""
    return out[0] if isinstance(out, tuple) else out


# Classic wrong steps, each with the reference's signature: (h_next, cache).
def _step_without_tanh(x, h_prev, W_xh, W_hh, b_h):
    return x @ W_xh + h_prev @ W_hh + b_h, None


def _step_with_sigmoid(x, h_prev, W_xh, W_hh, b_h):
    return sigmoid(x @ W_xh + h_prev @ W_hh + b_h), None


def _step_without_bias(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x @ W_xh + h_prev @ W_hh), None


def _step_without_recurrence(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x @ W_xh + b_h), None


def _step_with_W_hh_transposed(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x @ W_xh + h_prev @ W_hh.T + b_h), None


def check_rnn_step_forward(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(x, h_prev, W_xh, W_hh, b_h) -> (h_next, cache)``; only h_next is compared.

    Shapes: x (B, D), h_prev (B, H), W_xh (D, H), W_hh (H, H), b_h (H,) -> h_next (B, H).
    """
    return check_function(
        "rnn_step_forward",
        fn,
        rnn_step_forward,
        _rnn_step_case,
        output_names=["h_next"],
        select=_first,
        mistakes=[
            Mistake("h_next is the raw pre-activation: the squashing nonlinearity is missing.", _step_without_tanh),
            Mistake(
                "the nonlinearity is the logistic sigmoid, whose outputs lie in (0, 1); the RNN's state "
                "lies in (-1, 1).",
                _step_with_sigmoid,
            ),
            Mistake("the bias b_h is missing from the sum.", _step_without_bias),
            Mistake(
                "the recurrent term is missing: h_next does not depend on h_prev, so the network has no memory.",
                _step_without_recurrence,
            ),
            Mistake("W_hh is used transposed (its rows and columns swapped).", _step_with_W_hh_transposed),
        ],
        pointer="equation (1): the new state is one nonlinearity applied to a sum of three terms. Name "
        "each term, check its shape is (B, H), and check the nonlinearity's range is (-1, 1).",
    )


def rnn_sequence_case(rng: np.random.Generator) -> tuple:
    """(x (B, T, D), h0 (B, H), W_xh (D, H), W_hh (H, H), b_h (H,)) with B, T, D, H in 2..4.

    One random input of rnn_forward; Lesson 3's check of rnn_backward draws its cases from it too.
    """
    B, T, D, H = (int(n) for n in rng.integers(2, 5, size=4))
    return (
        random_array(rng, (B, T, D)),
        random_array(rng, (B, H)),
        random_array(rng, (D, H), 0.5),
        random_array(rng, (H, H), 0.5),
        random_array(rng, (H,), 0.5),
    )


# Classic wrong time loops, each with the reference's signature: (h (B, T, H), caches).
def _loop(x, h0, W_xh, W_hh, b_h, *, carry=True, store_before=False, start=None, backwards=False):
    B, T = x.shape[:2]
    h = np.empty((B, T, h0.shape[1]))
    h_prev = h0 if start is None else start
    steps = reversed(range(T)) if backwards else range(T)
    for t in steps:
        h_new, _ = rnn_step_forward(x[:, t], h_prev if carry else h0, W_xh, W_hh, b_h)
        h[:, t] = h_prev if store_before else h_new
        h_prev = h_new
    return h, None


def _loop_without_carry(x, h0, W_xh, W_hh, b_h):
    return _loop(x, h0, W_xh, W_hh, b_h, carry=False)


def _loop_storing_the_old_state(x, h0, W_xh, W_hh, b_h):
    return _loop(x, h0, W_xh, W_hh, b_h, store_before=True)


def _loop_from_zeros(x, h0, W_xh, W_hh, b_h):
    return _loop(x, h0, W_xh, W_hh, b_h, start=np.zeros_like(h0))


def _loop_backwards(x, h0, W_xh, W_hh, b_h):
    return _loop(x, h0, W_xh, W_hh, b_h, backwards=True)


def check_rnn_forward(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(x, h0, W_xh, W_hh, b_h) -> (h, caches)``; only h is compared.

    Shapes: x (B, T, D), h0 (B, H), W_xh (D, H), W_hh (H, H), b_h (H,) -> h (B, T, H),
    h[:, t] the state after step t.
    """
    return check_function(
        "rnn_forward",
        fn,
        rnn_forward,
        rnn_sequence_case,
        output_names=["h"],
        select=_first,
        mistakes=[
            Mistake(
                "every step starts from h0: the state a step computes is never passed on to the next step, "
                "so the network forgets everything after one character.",
                _loop_without_carry,
            ),
            Mistake(
                "position t of h holds the state from BEFORE step t (h0 at position 0): the stored states lag "
                "one step behind.",
                _loop_storing_the_old_state,
            ),
            Mistake("the first step starts from a state of zeros, not from the given h0.", _loop_from_zeros),
            Mistake("the loop runs backwards in time, from the last step to the first.", _loop_backwards),
        ],
        pointer="read equation (1) for t = 1, 2, ..., T: which state goes into step t, which state comes "
        "out, and which of the two belongs at position t of h?",
    )


register_solution("rnn_step_forward", rnn_step_forward)
register_solution("rnn_forward", rnn_forward)
