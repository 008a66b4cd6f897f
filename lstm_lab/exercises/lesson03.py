"""Checkers for Lesson 3: the centred difference, one step backwards, BPTT and the loss gradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_lab.activations import softmax
from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.exercises.lesson02 import rnn_sequence_case
from lstm_lab.gradcheck import numerical_gradient
from lstm_lab.losses import softmax_cross_entropy
from lstm_lab.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

# ----- the centred difference ---------------------------------------------------------------


def _smooth_loss(x: np.ndarray, W: np.ndarray, G: np.ndarray) -> float:
    """A small smooth loss that reads x: sum(tanh(x @ W) * G), curved enough to show h's error."""
    return float(np.sum(np.tanh(x @ W) * G))


def _numgrad_case(rng: np.random.Generator) -> tuple:
    B, D, H = (int(n) for n in rng.integers(2, 5, size=3))
    x = random_array(rng, (B, D))
    index = (int(rng.integers(B)), int(rng.integers(D)))
    # Large enough steps that a one-sided difference is visibly off (its error grows like h).
    h = float(rng.choice([1e-3, 1e-4]))
    return x, random_array(rng, (D, H)), random_array(rng, (B, H)), index, h


def _numgrad_variant(kind: str) -> Callable[..., float]:
    """What a mistaken numerical_gradient(f, x, index, h) returns (and does to x)."""

    def slope(f: Callable[[], float], x: np.ndarray, index: tuple, h: float) -> float:
        old = x[index]
        if kind == "copy":  # perturbs a copy, so f never sees the change
            y = x.copy()
            y[index] = old + h
            f_plus = f()
            y[index] = old - h
            return (f_plus - f()) / (2 * h)
        x[index] = old + h
        f_plus = f()
        x[index] = old if kind in ("one_sided", "minus_at_x") else old - h
        f_minus = f()
        if kind != "not_restored":
            x[index] = old
        if kind == "one_sided":
            return (f_plus - f_minus) / h
        if kind == "over_h":
            return (f_plus - f_minus) / h
        if kind == "sign":
            return (f_minus - f_plus) / (2 * h)
        return (f_plus - f_minus) / (2 * h)

    return slope


def check_numerical_gradient(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(f, x, index, h) -> float``: the centred-difference slope of f along x[index].

    ``f`` takes no arguments and reads the array ``x``; compared are the slope and x after
    the call (which must be x as it was).
    """

    def around(slope_fn: Callable[..., Any]) -> Callable[..., Any]:
        # f must read the very array this side of the check was given (each side has a copy).
        return lambda x, W, G, index, h: slope_fn(lambda: _smooth_loss(x, W, G), x, index, h)

    def after(args: tuple, result: Any) -> tuple:
        return result, args[0]

    return check_function(
        "numerical_gradient",
        around(fn),
        around(numerical_gradient),
        _numgrad_case,
        output_names=["the slope", "x after the call"],
        after_call=after,
        mistakes=[
            Mistake(
                "this is the one-sided (forward) difference: it compares x + h with x itself, and its "
                "error shrinks only like h, not h squared.",
                around(_numgrad_variant("one_sided")),
            ),
            Mistake(
                "the difference is divided by h, but the two points where the loss was evaluated are 2h apart.",
                around(_numgrad_variant("over_h")),
            ),
            Mistake(
                "the second evaluation is at x itself, not at x - h: the entry was put back between the two "
                "evaluations instead of being moved to the other side.",
                around(_numgrad_variant("minus_at_x")),
            ),
            Mistake(
                "the slope is right but x[index] was not put back: after the call the entry still holds a "
                "perturbed value, so every later use of x (the next entry's slope, training) sees a changed weight.",
                around(_numgrad_variant("not_restored")),
            ),
            Mistake("the slope has the wrong sign: the difference is taken the wrong way round.",
                    around(_numgrad_variant("sign"))),
            Mistake(
                "the slope is 0: the loss never saw the perturbation. f reads the array x itself, and the "
                "change was made somewhere f does not look.",
                around(_numgrad_variant("copy")),
            ),
        ],
        pointer="section 1's formula: the loss at two points placed symmetrically around the entry, their "
        "difference divided by the distance between the points; and afterwards x exactly as it was.",
    )


# ----- one step backwards --------------------------------------------------------------------


def _step_case(rng: np.random.Generator) -> tuple:
    B, D, H = (int(n) for n in rng.integers(2, 6, size=3))
    return (
        random_array(rng, (B, D)),
        random_array(rng, (B, H)),
        random_array(rng, (D, H), 0.5),
        random_array(rng, (H, H), 0.5),
        random_array(rng, (H,), 0.5),
    )


def _step_backward_variant(kind: str) -> Callable[..., tuple]:
    """A mistaken rnn_step_backward(dh_next, cache) on lstm_lab's cache."""

    def backward(dh_next: np.ndarray, cache: tuple) -> tuple:
        x, h_prev, W_xh, W_hh, h_next = cache
        if kind == "no_dtanh":
            dz = dh_next
        elif kind == "dtanh_of_h_prev":
            dz = dh_next * (1.0 - h_prev**2)
        else:
            dz = dh_next * (1.0 - h_next**2)
        if kind == "divide_by_B":
            dz = dz / x.shape[0]
        dx, dh_prev, dW_xh, dW_hh, db_h = dz @ W_xh.T, dz @ W_hh.T, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)
        if kind == "dh_prev_untransposed":
            dh_prev = dz @ W_hh
        if kind == "dW_hh_transposed":
            dW_hh = dW_hh.T
        if kind == "db_mean":
            db_h = dz.mean(axis=0)
        return dx, dh_prev, dW_xh, dW_hh, db_h

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
        x, h_prev, W_xh, W_hh, b_h = _step_case(rng)
        h_next, _ = rnn_step_forward(x, h_prev, W_xh, W_hh, b_h)
        return random_array(rng, h_next.shape), (x, h_prev, W_xh, W_hh, b_h)

    def on_package_cache(backward: Callable[..., Any]) -> Callable[..., tuple]:
        return lambda dh_next, inputs: backward(dh_next, rnn_step_forward(*inputs)[1])

    def mistake(kind: str) -> Callable[..., tuple]:
        return on_package_cache(_step_backward_variant(kind))

    return check_function(
        "rnn_step_backward",
        lambda dh_next, inputs: fn(dh_next, forward(*inputs)[1]),
        on_package_cache(rnn_step_backward),
        case,
        output_names=_STEP_BACKWARD_NAMES,
        mistakes=[
            Mistake(
                "the tanh derivative is missing: the gradient went from h_next to the pre-activation "
                "unchanged, as if there were no tanh.",
                mistake("no_dtanh"),
            ),
            Mistake(
                "the tanh derivative was taken at h_prev, the state this step started from, not at the "
                "output of this step's tanh.",
                mistake("dtanh_of_h_prev"),
            ),
            Mistake(
                "every gradient is divided by the batch size: the 1/B of the averaged loss is already in "
                "the gradient that arrives here.",
                mistake("divide_by_B"),
            ),
            Mistake("dh_prev went back through W_hh itself, not through its transpose.",
                    mistake("dh_prev_untransposed")),
            Mistake("dW_hh is transposed.", mistake("dW_hh_transposed")),
            Mistake(
                "db_h is the mean over the batch, not the sum: the bias is added to every row, so every row's "
                "gradient adds up.",
                mistake("db_mean"),
            ),
        ],
        pointer="first through the tanh (its derivative written with this step's output), then the product "
        "rule for each product in a_t = x_t W_xh + h_(t-1) W_hh + b_h; let the shapes say where each "
        "transpose goes, and which axis the bias gradient sums over.",
    )


# ----- backpropagation through time ------------------------------------------------------------


def check_rnn_backward(fn: Callable[..., Any], forward_fn: Callable[..., Any] | None = None) -> CheckResult:
    """Check ``fn(dh, cache) -> (dx, dh0, dW_xh, dW_hh, db_h)`` (backprop through time).

    The cache comes from ``forward_fn`` (your rnn_forward) or else lstm_lab's rnn_forward.
    """
    forward = forward_fn or rnn_forward

    def case(rng: np.random.Generator) -> tuple:
        inputs = rnn_sequence_case(rng)
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

    def last_step_weights_only(dh: np.ndarray, inputs: tuple) -> tuple:
        # The shared weights' gradients are overwritten at each step instead of added up.
        dx, dh0, *_ = reference(dh, inputs)
        cache = rnn_forward(*inputs)[1]
        dh_t = np.zeros_like(dh[:, 0])
        for t in reversed(range(dh.shape[1])):
            _, dh_t, dW_xh, dW_hh, db_h = rnn_step_backward(dh[:, t] + dh_t, cache[t])
        return dx, dh0, dW_xh, dW_hh, db_h

    return check_function(
        "rnn_backward",
        lambda dh, inputs: fn(dh, forward(*inputs)[1]),
        reference,
        case,
        output_names=["dx", "dh0", "dW_xh", "dW_hh", "db_h"],
        mistakes=[
            Mistake(
                "the gradient from the future is missing: each step was sent back only its own loss's "
                "gradient, nothing from the steps after it.",
                no_recurrent_grad,
            ),
            Mistake(
                "the weight gradients are those of step 0 alone: the weights are shared by all T steps, "
                "and each step's contribution was replaced by the next instead of kept.",
                last_step_weights_only,
            ),
        ],
        pointer="section 4's equation: the gradient reaching h_t has two sources; walk backwards in time "
        "carrying one of them, and remember that shared weights collect a contribution from every step.",
    )


# ----- the loss gradient ---------------------------------------------------------------------


def _softmax_ce_case(rng: np.random.Generator) -> tuple:
    B, T, V = (int(n) for n in rng.integers(2, 6, size=3))
    return random_array(rng, (B, T, V), 2.0), rng.integers(0, V, size=(B, T))


def _onehot_like(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    y = np.zeros_like(logits)
    np.put_along_axis(y, targets[..., None], 1.0, axis=-1)
    return y


_AVERAGED_OVER_T = (
    "the loss is averaged over time as well: it is summed over the T steps and averaged over the B sequences only."
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
                "dlogits is the softmax itself: the target's own term of the derivative is missing.",
                mistake(lambda B, T: 1.0, lambda z, y, B, T: softmax(z) / B),
            ),
            Mistake(
                "dlogits is missing the 1/B: the loss is averaged over the batch, so its gradient is too.",
                mistake(lambda B, T: 1.0, lambda z, y, B, T: softmax(z) - _onehot_like(z, y)),
            ),
            Mistake(
                "the loss is summed over the batch, not averaged over it.",
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
        pointer="section 2's derivation: the loss is minus the log-probability of each target, summed over "
        "time and averaged over the batch; its derivative with respect to a score is the probability minus "
        "the indicator of the target, scaled like the loss.",
    )


# Only the lesson's exercises have a solution to reveal. check_rnn_backward and
# check_softmax_cross_entropy are there for a learner's own versions: Lesson 3 derives both and
# shows lstm_lab's code, so neither is an exercise whose answer must stay hidden.
register_solution("numerical_gradient", numerical_gradient)
register_solution("rnn_step_backward", rnn_step_backward)
