"""Checkers for Lesson 11: the GRU step forward and backward."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_lab.activations import sigmoid
from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.gru import GATE_PARAM_NAMES, gru_step_backward, gru_step_forward

_GRU_STEP_BACKWARD_NAMES = ["dx", "dh_prev", *(f"grads[{n!r}]" for n in GATE_PARAM_NAMES)]


def _gru_step_case(rng: np.random.Generator) -> tuple:
    """(x, h_prev, p) of random sizes, every bias nonzero (so a misplaced bias shows)."""
    B, D, H = (int(n) for n in rng.integers(2, 6, size=3))
    shapes = {"W_r": (D + H, H), "W_z": (D + H, H), "W_xn": (D, H), "W_hn": (H, H)}
    p = {name: random_array(rng, shapes.get(name, (H,)), 0.6) for name in GATE_PARAM_NAMES}
    return random_array(rng, (B, D)), random_array(rng, (B, H)), p


def _buggy_gru_step(kind: str) -> Callable[..., Any]:
    """gru_step_forward with one classic mistake built in; returns (h_next, None)."""

    def step(x: np.ndarray, h_prev: np.ndarray, p: dict[str, np.ndarray]) -> tuple:
        xh = np.concatenate([x, h_prev], axis=1)
        r = sigmoid(xh @ p["W_r"] + p["b_r"])
        z = sigmoid(xh @ p["W_z"] + p["b_z"])
        hn = h_prev @ p["W_hn"] + p["b_hn"]
        if kind == "paper_reset":  # Cho et al. 2014: r scales h_prev before the product
            hn = (r * h_prev) @ p["W_hn"] + p["b_hn"]
            r = np.ones_like(r)
        elif kind == "bias_outside_reset":
            n = np.tanh(x @ p["W_xn"] + p["b_xn"] + r * (h_prev @ p["W_hn"]) + p["b_hn"])
            return (1.0 - z) * n + z * h_prev, None
        elif kind == "no_reset":
            r = np.ones_like(r)
        n = np.tanh(x @ p["W_xn"] + p["b_xn"] + r * hn)
        if kind == "update_swapped":
            return z * n + (1.0 - z) * h_prev, None
        return (1.0 - z) * n + z * h_prev, None

    return step


def check_gru_step_forward(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(x, h_prev, p) -> (h_next, cache)`` (Lesson 11); h_next is compared, the cache may be anything.

    p holds W_r, W_z (D + H, H) on [x, h_prev] (x first), W_xn (D, H), W_hn (H, H) and the
    biases b_r, b_z, b_xn, b_hn (H,).
    """
    return check_function(
        "gru_step_forward",
        fn,
        gru_step_forward,
        _gru_step_case,
        output_names=["h_next"],
        select=lambda out: out[0] if isinstance(out, (tuple, list)) and len(out) >= 1 else out,
        mistakes=[
            Mistake("the reset gate scales h_prev BEFORE its matrix product: that is the original 2014 paper's "
                    "GRU. This lesson's GRU, like PyTorch's, lets the reset gate scale what comes OUT of the "
                    "hidden part of the candidate (its bias included).", _buggy_gru_step("paper_reset")),
            Mistake("the bias b_hn is outside the reset gate's product: in this lesson's equation (3) the gate "
                    "scales the whole hidden part of the candidate, bias included.",
                    _buggy_gru_step("bias_outside_reset")),
            Mistake("the reset gate has no effect: the candidate reads the old state at full strength.",
                    _buggy_gru_step("no_reset")),
            Mistake("the two roles of the update gate are swapped: z_t is the share of the OLD state that is "
                    "kept, and 1 - z_t the share of the candidate that is written.",
                    _buggy_gru_step("update_swapped")),
        ],
        pointer="Equations (1) to (4) in order: both gates read [x_t, h_{t-1}]; the candidate adds the input's "
        "part to the hidden part scaled by r_t; the new state mixes the old one and the candidate with weights "
        "that sum to one. Return (h_next, cache).",
    )


def _buggy_gru_step_backward(kind: str) -> Callable[..., Any]:
    """gru_step_backward with one classic mistake built in (the cache is lstm_lab's GRUStepCache)."""

    def backward(dh_next: np.ndarray, cache: Any) -> tuple:
        x, h_prev, xh, r, z, hn, n, p = cache
        D = x.shape[1]
        dn = dh_next * (1.0 - z)
        dz = dh_next * (n - h_prev) if kind == "dz_sign" else dh_next * (h_prev - n)
        da_n = dn * (1.0 - n**2)
        dr = da_n * hn
        dhn = da_n if kind == "dhn_without_r" else da_n * r
        da_r, da_z = dr * r * (1.0 - r), dz * z * (1.0 - z)
        grads = {"W_r": xh.T @ da_r, "b_r": da_r.sum(axis=0), "W_z": xh.T @ da_z, "b_z": da_z.sum(axis=0),
                 "W_xn": x.T @ da_n, "b_xn": da_n.sum(axis=0), "W_hn": h_prev.T @ dhn, "b_hn": dhn.sum(axis=0)}
        dxh = da_r @ p["W_r"].T + da_z @ p["W_z"].T
        dh_prev = dxh[:, D:]
        if kind != "no_highway":
            dh_prev = dh_prev + dh_next * z
        if kind != "no_candidate_path":
            dh_prev = dh_prev + dhn @ p["W_hn"].T
        return dxh[:, :D] + da_n @ p["W_xn"].T, dh_prev, grads

    return backward


def _flatten_gru_backward(out: Any) -> Any:
    """(dx, dh_prev, grads dict) -> one flat tuple in _GRU_STEP_BACKWARD_NAMES order."""
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        return out  # None or a wrong count: compare() explains it
    if not isinstance(out[2], dict):
        raise ValueError(f"the third output must be a dict of parameter gradients by name (W_r, b_r, ...), "
                         f"got a {type(out[2]).__name__}")
    return (*out[:2], *(out[2].get(name) for name in GATE_PARAM_NAMES))


def check_gru_step_backward(fn: Callable[..., Any], forward_fn: Callable[..., Any] | None = None) -> CheckResult:
    """Check ``fn(dh_next, cache) -> (dx, dh_prev, grads)`` (Lesson 11).

    grads is a dict of the eight parameter gradients by name, W_r ... b_hn. The cache comes
    from ``forward_fn`` (your own gru_step_forward, if its cache differs) or else from
    lstm_lab's ``gru_step_forward``, a GRUStepCache (x, h_prev, xh, r, z, hn, n, p).
    """
    forward = forward_fn or gru_step_forward

    def case(rng: np.random.Generator) -> tuple:
        inputs = _gru_step_case(rng)  # (x, h_prev, p)
        return random_array(rng, inputs[1].shape), inputs

    def with_cache(backward: Callable[..., Any], forward_used: Callable[..., Any]) -> Callable[..., Any]:
        return lambda dh_next, inputs: backward(dh_next, forward_used(*inputs)[1])

    def mistake(kind: str) -> Callable[..., Any]:
        return with_cache(_buggy_gru_step_backward(kind), gru_step_forward)

    return check_function(
        "gru_step_backward",
        with_cache(fn, forward),
        with_cache(gru_step_backward, gru_step_forward),
        case,
        output_names=_GRU_STEP_BACKWARD_NAMES,
        select=_flatten_gru_backward,
        mistakes=[
            Mistake("dh_prev lacks the direct path: h_{t-1} reaches h_t not only through the gates and the "
                    "candidate but also straight through the update gate's product (the GRU's highway).",
                    mistake("no_highway")),
            Mistake("dh_prev lacks the path through the candidate: h_{t-1} is multiplied by W_hn inside n_t.",
                    mistake("no_candidate_path")),
            Mistake("the update gate's gradient has the wrong sign: differentiate the mix of old state and "
                    "candidate with respect to z_t again; which of the two does z_t weight?", mistake("dz_sign")),
            Mistake("the gradient into the hidden part of the candidate was not scaled by the reset gate, though "
                    "the forward pass scaled that part by it.", mistake("dhn_without_r")),
        ],
        pointer="Go back through the forward equations in reverse, (4) to (1), as on paper: each value's "
        "gradient is the sum over every place it is used; h_{t-1} is used in four places.",
    )


register_solution("gru_step_forward", gru_step_forward)
register_solution("gru_step_backward", gru_step_backward)
