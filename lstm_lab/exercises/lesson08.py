"""Checkers for Lesson 8: the accuracy of next-word predictions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.debugging import next_word_accuracy


def _accuracy_case(rng: np.random.Generator) -> tuple:
    T, V = (int(n) for n in rng.integers(5, 12, size=2))
    logits = random_array(rng, (T, V), 2.0)
    targets = rng.integers(0, V, size=T)
    # Make some predictions right, so an accuracy of 0 is not an accident.
    right = rng.random(T) < 0.5
    targets[right] = np.argmax(logits[right], axis=1)
    return logits, targets


def check_next_word_accuracy(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(logits (T, V), targets (T,)) -> accuracy`` (Lesson 8), a float in [0, 1]."""
    return check_function(
        "next_word_accuracy",
        fn,
        next_word_accuracy,
        _accuracy_case,
        output_names=["accuracy"],
        n_cases=4,
        mistakes=[
            Mistake("this is the number of right predictions; divide by T for the fraction.",
                    lambda z, y: float(np.sum(np.argmax(z, axis=1) == y))),
            Mistake("the prediction was compared with the position before (the input), not the target; "
                    "targets[t] is the word that came after position t.",
                    lambda z, y: float(np.mean(np.argmax(z[1:], axis=1) == y[:-1]))),
        ],
        pointer="the prediction at each position is the word with the largest score (np.argmax over the "
        "vocabulary axis); the accuracy is the fraction of positions where it equals the target.",
    )


register_solution("next_word_accuracy", next_word_accuracy)
