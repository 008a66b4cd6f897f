"""Checkers for Lesson 3: backpropagation through time and the loss gradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_lab.activations import softmax
from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.exercises.lesson02 import _rnn_seq_case, _rnn_step_case
from lstm_lab.losses import softmax_cross_entropy
from lstm_lab.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward


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
        pointer="dz = dh_next * (1 - h_next**2); then dx = dz @ W_xh.T, dh_prev = dz @ W_hh.T, "
        "dW_xh = x.T @ dz, dW_hh = h_prev.T @ dz, db_h = dz.sum(axis=0).",
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
        pointer="go backwards in time, t = T-1 ... 0, adding each step's weight gradients.",
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
        pointer="loss = -sum of log softmax at the targets / B; dlogits = (softmax - one_hot(targets)) / B.",
    )


register_solution("rnn_step_backward", rnn_step_backward)
register_solution("rnn_backward", rnn_backward)
register_solution("softmax_cross_entropy", softmax_cross_entropy)
