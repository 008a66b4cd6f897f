"""Checkers for Lesson 10: correlating a cell with a feature of the text."""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.inside import correlations


def _correlation_case(rng: np.random.Generator) -> tuple:
    T, H = (int(n) for n in rng.integers(5, 40, size=2))
    values = random_array(rng, (T, H))
    feature = random_array(rng, (T,)) + values[:, 0]  # cell 0 tracks the feature, partly
    return values, feature


def _uncentred_correlations(values: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """The classic slip: cosine similarity, without subtracting the means first."""
    return (values * feature[:, None]).sum(axis=0) / np.sqrt((values**2).sum(axis=0) * (feature**2).sum())


def _covariances(values: np.ndarray, feature: np.ndarray) -> np.ndarray:
    v, f = values - values.mean(axis=0), feature - feature.mean()
    return (v * f[:, None]).mean(axis=0)


def check_correlations(fn: Any) -> CheckResult:
    """Check a learner's ``fn(values (T, H), feature (T,)) -> (H,)`` against ``correlations``."""
    return check_function(
        "correlations", fn, correlations, _correlation_case, output_names=["r"],
        mistakes=[
            Mistake("subtract the means first: values - values.mean(axis=0) and feature - feature.mean(). "
                    "Without it you computed a cosine similarity.", _uncentred_correlations),
            Mistake("that is the covariance: divide by the two standard deviations (the square roots of the "
                    "summed squares) to get a correlation in [-1, 1].", _covariances),
        ],
        pointer="one number per cell (column): sum((v - mean v)(f - mean f)) / sqrt(sum((v - mean v)^2) "
             "sum((f - mean f)^2)).",
    )


register_solution("correlations", correlations)
