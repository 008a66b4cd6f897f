"""Checkers for Lesson 7 (Adam, sampling with a temperature) and Lesson 7b (a race's budget)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lstm_lab.activations import softmax
from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.optim import Adam
from lstm_lab.params import Param
from lstm_lab.sampling import temperature_softmax

# --- Lesson 7: one Adam step -----------------------------------------------------------------


def _adam_reference(
    w: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, t: int,
    lr: float, beta1: float, beta2: float, eps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """lstm_lab.optim.Adam's step on one array, in the exercise's signature."""
    p = Param("w", np.array(w, dtype=np.float64))
    p.grad[...] = g
    p.state.update({"m": np.array(m, dtype=np.float64), "v": np.array(v, dtype=np.float64), "t": t})
    Adam(lr=lr, beta1=beta1, beta2=beta2, eps=eps).step([p])
    return p.value, p.state["m"], p.state["v"], p.state["t"]


def _steps(update: Callable[..., Any]) -> Callable[..., tuple]:
    """Run ``update`` over successive gradients from a zero memory, so the memory must carry forward."""

    def run(w: np.ndarray, gs: np.ndarray, lr: float, beta1: float, beta2: float, eps: float) -> tuple:
        m, v, t = np.zeros_like(w), np.zeros_like(w), 0
        for g in gs:
            out = update(w, g, m, v, t, lr, beta1, beta2, eps)
            if not isinstance(out, (tuple, list)) or len(out) != 4:
                return out  # let the comparison say what came back
            w, m, v, t = out
        return w, m, v, t

    return run


def _adam_mistake(*, correct: bool = True, t_before: bool = False, root: bool = True,
                  square: bool = True, store_hat: bool = False) -> Callable[..., tuple]:
    """An Adam step with one classic mistake switched on (the defaults are the right step)."""

    def update(w, g, m, v, t, lr, beta1, beta2, eps):  # the learner's signature
        t_new = t + 1
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * (g * g if square else g)
        k = t if t_before else t_new
        with np.errstate(divide="ignore", invalid="ignore"):
            m_hat = m / (1 - beta1**k) if correct else m
            v_hat = v / (1 - beta2**k) if correct else v
            scale = np.sqrt(v_hat) if root else v_hat
            w = w - lr * m_hat / (scale + eps)
        if store_hat:
            return w, m_hat, v_hat, t_new
        return w, m, v, t_new

    return update


def _adam_case(rng: np.random.Generator) -> tuple:
    shape = (int(rng.integers(2, 4)), int(rng.integers(3, 6)))
    n_steps = int(rng.integers(3, 6))
    return (random_array(rng, shape), random_array(rng, (n_steps, *shape)), float(rng.uniform(0.001, 0.05)),
            float(rng.choice([0.8, 0.9])), float(rng.choice([0.99, 0.999])), 1e-8)


def check_adam_update(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(w, g, m, v, t, lr, beta1, beta2, eps) -> (w, m, v, t)``, one Adam step (Lesson 7).

    ``t`` comes in as the number of steps taken before this one (0 on the first call) and goes out
    as the count including this step. The check runs 3 to 5 successive steps from m = v = 0, t = 0
    and compares with ``lstm_lab.optim.Adam``.
    """
    return check_function(
        "adam_update",
        _steps(fn),
        _steps(_adam_reference),
        _adam_case,
        output_names=["w", "m", "v", "t"],
        mistakes=[
            Mistake("w, m, v and t came back unchanged: the function is still the stub, or it computes the "
                    "step without returning the new values.",
                    _steps(lambda w, g, m, v, t, *rest: (w, m, v, t))),
            Mistake("there is no bias correction: the step uses m and v as they are, and both start at zero, "
                    "so the first steps have the wrong size.", _steps(_adam_mistake(correct=False))),
            Mistake("the bias correction used the number of steps taken before this one: on the first step "
                    "1 - beta**t is then 0, a division by zero.", _steps(_adam_mistake(t_before=True))),
            Mistake("the step divides by the corrected average of g squared itself, not by its square root, "
                    "so its size depends on how large the gradients are.", _steps(_adam_mistake(root=False))),
            Mistake("v averages the gradient g, not its square: it is then not a measure of the gradient's "
                    "size and can be negative.", _steps(_adam_mistake(square=False))),
            Mistake("the memories returned are the bias-corrected averages; the running averages carried to "
                    "the next step are the uncorrected ones.", _steps(_adam_mistake(store_hat=True))),
        ],
        pointer="go through the equations above in order: which two quantities are running averages kept "
        "between steps, which are only corrected copies for this step, and what is t on the first step?",
    )


# --- Lesson 7: sampling with a temperature ---------------------------------------------------


def check_temperature_softmax(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(logits, temperature) -> probabilities`` (Lesson 7), including tiny temperatures."""

    temperatures = iter([0.01, 1.0, 0.5, 0.002, 2.0, 0.05, 0.01, 1.5])  # tiny ones overflow a naive exp

    def case(rng: np.random.Generator) -> tuple:
        logits = random_array(rng, (int(rng.integers(2, 5)), 7), 3.0)
        return logits, next(temperatures, float(rng.choice([0.01, 0.5, 1.0, 2.0])))

    def naive(z: np.ndarray, t: float) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(z / t)
            return e / e.sum(axis=-1, keepdims=True)

    return check_function(
        "temperature_softmax",
        fn,
        temperature_softmax,
        case,
        output_names=["probabilities"],
        n_cases=6,
        mistakes=[
            Mistake("the temperature scales the logits the wrong way round: with your function a small "
                    "temperature flattens the distribution instead of sharpening it.",
                    lambda z, t: softmax(z * t)),
            Mistake("the temperature has no effect: these are the probabilities at temperature 1.",
                    lambda z, t: softmax(z)),
            Mistake("exp overflowed for a small temperature (inf / inf is nan).", naive),
        ],
        pointer="softmax does not change when every score of a row moves by the same amount: which shift "
        "keeps every exponent at or below 0, however small the temperature?",
    )


# --- Lesson 7b: a model's result at a budget -------------------------------------------------


def best_up_to(val_steps: Sequence[int], val_loss: Sequence[float], budget: int) -> float:
    """The best (lowest) validation loss among the evaluations at steps <= budget.

    Args:
        val_steps: (n,) the steps at which the validation loss was measured, increasing.
        val_loss: (n,) the validation loss measured at each of them.
        budget: the number of steps the race allows.

    Returns:
        What early stopping at that budget keeps: a float.
    """
    allowed = [loss for step, loss in zip(val_steps, val_loss, strict=True) if step <= budget]
    if not allowed:
        raise ValueError(f"no evaluation at or before step {budget}: the first is at step {val_steps[0]}.")
    return float(min(allowed))


def _budget_case(rng: np.random.Generator) -> tuple:
    n = int(rng.integers(6, 12))
    steps = [250 * (k + 1) for k in range(n)]
    # A falling curve that turns upwards, with noise: the best, the last and the overall minimum differ.
    turn = int(rng.integers(1, n - 2))
    losses = [2.0 - 0.1 * min(k, turn) + 0.05 * max(0, k - turn) + float(rng.normal(0, 0.01)) for k in range(n)]
    losses[-1] = min(losses) - 0.05  # a late evaluation beyond any budget below is the best of all
    budget = steps[int(rng.integers(1, n - 1))]  # before or after the turn
    return steps, losses, budget


def check_best_up_to(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(val_steps, val_loss, budget) -> float`` (Lesson 7b)."""

    def at_budget(steps: list[int], losses: list[float], budget: int) -> float:
        return float([loss for s, loss in zip(steps, losses, strict=True) if s <= budget][-1])

    return check_function(
        "best_up_to",
        fn,
        best_up_to,
        _budget_case,
        output_names=["best validation loss"],
        n_cases=4,
        mistakes=[
            Mistake("evaluations after the budget were counted: the model is judged on more steps than "
                    "the race allows.", lambda steps, losses, budget: float(min(losses))),
            Mistake("this is the last validation loss measured within the budget, not the best: a model "
                    "whose validation loss has turned upwards is judged on its worst moment since.", at_budget),
            Mistake("the evaluation at the budget itself was left out: a run of that many steps has measured "
                    "it.", lambda steps, losses, budget: best_up_to(steps, losses, budget - 1)),
        ],
        pointer="the result at a budget is what early stopping would keep if training had to stop at that "
        "step: which evaluations had happened by then, and which of them would you keep?",
    )


register_solution("adam_update", Adam.step)
register_solution("temperature_softmax", temperature_softmax)
register_solution("best_up_to", best_up_to)
