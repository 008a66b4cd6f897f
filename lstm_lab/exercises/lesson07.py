"""Checkers for Lesson 7: sampling with a temperature."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_lab.activations import softmax
from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.sampling import temperature_softmax


def check_temperature_softmax(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(logits, temperature) -> probabilities`` (Lesson 7), including tiny temperatures."""
    def case(rng: np.random.Generator) -> tuple:
        logits = random_array(rng, (int(rng.integers(2, 5)), 7), 3.0)
        return logits, float(rng.choice([0.01, 0.5, 1.0, 2.0]))

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
            Mistake("the logits were multiplied by the temperature; divide them by it.",
                    lambda z, t: softmax(z * t)),
            Mistake("the temperature is not used: divide the logits by it before the softmax.",
                    lambda z, t: softmax(z)),
            Mistake("exp overflowed for a small temperature: subtract the largest logit before dividing.",
                    naive),
        ],
        pointer="softmax over the last axis of (logits - max) / temperature.",
    )


register_solution("temperature_softmax", temperature_softmax)
