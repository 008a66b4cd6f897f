"""Checkers for Lesson 4: clipping and the Adagrad update."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.optim import Adagrad, clip_by_value
from lstm_lab.params import Param


def check_clip_by_value(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(params, limit)``, which clips every Param.grad into [-limit, limit] in place."""

    def case(rng: np.random.Generator) -> tuple:
        params = []
        for name, shape in (("W_xh", (4, 3)), ("W_hh", (3, 3)), ("b_h", (3,))):
            p = Param(name, random_array(rng, shape))
            p.grad[...] = random_array(rng, shape, 8.0)  # many entries beyond the limit
            params.append(p)
        return params, float(rng.uniform(1.0, 5.0))

    def after(args: tuple, result: Any) -> tuple:
        params = args[0]
        return tuple(p.grad for p in params) + tuple(p.value for p in params)

    names = ["W_xh.grad", "W_hh.grad", "b_h.grad", "W_xh.value", "W_hh.value", "b_h.value"]

    def clip_values(params: list[Param], limit: float) -> None:
        for p in params:
            np.clip(p.value, -limit, limit, out=p.value)

    def upper_only(params: list[Param], limit: float) -> None:
        for p in params:
            np.minimum(p.grad, limit, out=p.grad)

    return check_function(
        "clip_by_value",
        fn,
        clip_by_value,
        case,
        output_names=names,
        after_call=after,
        mistakes=[
            Mistake(
                "the gradients are unchanged. Clip in place, so the caller's arrays change: "
                "np.clip(p.grad, -limit, limit, out=p.grad) (p.grad = np.clip(...) also works; "
                "a new local variable does not).",
                lambda params, limit: None,
            ),
            Mistake("you clipped p.value: clip the gradients, p.grad.", clip_values),
            Mistake("only large positive entries were clipped: clip to -limit from below too.", upper_only),
        ],
        pointer="for p in params: np.clip(p.grad, -limit, limit, out=p.grad)",
    )



def check_adagrad_update(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(w, g, m, lr, eps=1e-8) -> (w_new, m_new)``, one Adagrad step (Lesson 4).

    Compared over three successive steps against ``lstm_lab.optim.Adagrad``, so a
    memory that is not carried forward is caught too.
    """
    def reference(w: np.ndarray, g: np.ndarray, m: np.ndarray, lr: float) -> tuple[np.ndarray, np.ndarray]:
        p = Param("w", w.copy())
        p.state["sum_sq"] = m.copy()
        p.grad[...] = g
        Adagrad(lr=lr).step([p])
        return p.value, p.state["sum_sq"]

    def three_steps(update: Callable[..., Any]) -> Callable[..., tuple]:
        def run(w: np.ndarray, gs: np.ndarray, lr: float) -> tuple:
            m = np.zeros_like(w)
            for g in gs:
                w, m = update(w, g, m, lr)
            return w, m

        return run

    def case(rng: np.random.Generator) -> tuple:
        return random_array(rng, (3, 4)), random_array(rng, (3, 3, 4)), float(rng.uniform(0.05, 0.5))

    return check_function(
        "adagrad_update",
        three_steps(fn),
        three_steps(reference),
        case,
        output_names=["w", "m"],
        mistakes=[
            Mistake(  # the stub: its stored output must not show the recipe
                "w and m came back unchanged: the function is still the stub, or it computes the update "
                "without returning the new arrays.",
                three_steps(lambda w, g, m, lr: (w, m)),
            ),
            Mistake(
                "the weight moved by lr * g, plain gradient descent: divide by np.sqrt(m + eps).",
                three_steps(lambda w, g, m, lr: (w - lr * g, m + g * g)),
            ),
            Mistake(
                "the memory m is replaced each step; Adagrad adds to it: m = m + g * g.",
                three_steps(lambda w, g, m, lr: (w - lr * g / np.sqrt(g * g + 1e-8), g * g)),
            ),
            Mistake(
                "update m before using it: the step divides by the memory including this g.",
                three_steps(lambda w, g, m, lr: (w - lr * g / np.sqrt(m + 1e-8), m + g * g)),
            ),
        ],
        pointer="m = m + g * g, then w = w - lr * g / np.sqrt(m + eps).",
    )


register_solution("clip_by_value", clip_by_value)
register_solution("adagrad_update", Adagrad.step)
