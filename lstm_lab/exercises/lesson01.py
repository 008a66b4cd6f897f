"""Checkers for Lesson 1: cutting the text into batch streams."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_lab.batching import make_streams
from lstm_lab.checking import CheckResult, Mistake, check_function, register_solution


def check_make_streams(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(ids, batch_size) -> (B, L)`` array of contiguous streams (Lesson 1)."""
    def case(rng: np.random.Generator) -> tuple:
        return rng.integers(0, 60, size=int(rng.integers(40, 120))), int(rng.integers(2, 7))

    def interleaved(ids: np.ndarray, batch_size: int) -> np.ndarray:
        L = len(ids) // batch_size
        return ids[: batch_size * L].reshape(L, batch_size).T

    return check_function(
        "make_streams",
        fn,
        make_streams,
        case,
        output_names=["streams"],
        mistakes=[
            Mistake(
                "row b holds every B-th symbol (b, b+B, b+2B, ...): each row must be one contiguous "
                "piece of the text, so reshape to (batch_size, L) rather than (L, batch_size).T.",
                interleaved,
            )
        ],
        pointer="L = len(ids) // batch_size; keep ids[:batch_size * L] and reshape it to (batch_size, L).",
    )


register_solution("make_streams", make_streams)
