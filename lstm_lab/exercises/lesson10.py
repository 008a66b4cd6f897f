"""Checkers for Lesson 10: correlating a cell with a feature of the text, and the control
that decides whether the best cell is a finding.

Section 3 of the lesson: the correlation r_j of cell j with a signal s over T characters,
and two null models for the best |r_j| of a search over every cell: untrained networks read
over the same text, and the signal rolled in time against the trained cells. The best cell is
a finding when its |r| beats the strongest null by a margin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.inside import CellSearch, best_abs_correlation, best_cells, correlations

# ----------------------------------------------------------------------------------------------
# The correlation
# ----------------------------------------------------------------------------------------------


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


def _mixed_normalisations(values: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """np.cov's covariance (divided by T - 1) over np.std's spreads (divided by T)."""
    v, f = values - values.mean(axis=0), feature - feature.mean()
    return (v * f[:, None]).sum(axis=0) / (len(f) - 1) / (values.std(axis=0) * feature.std())


def check_correlations(fn: Callable[..., Any]) -> CheckResult:
    """Check a learner's ``fn(values (T, H), feature (T,)) -> (H,)`` against ``correlations``."""
    return check_function(
        "correlations", fn, correlations, _correlation_case, output_names=["r"],
        mistakes=[
            Mistake("the means were not subtracted: this is the cosine similarity of the raw values, which "
                    "is not a correlation.", _uncentred_correlations),
            Mistake("this is the covariance: it still carries the size of the two signals, so it is not "
                    "confined to [-1, 1].", _covariances),
            Mistake("the covariance and the spreads are averaged differently (one over T - 1, the other over "
                    "T), so every r is too large by the factor T / (T - 1).", _mixed_normalisations),
        ],
        pointer="the formula in section 3: every sum runs over time t, every deviation is measured from its "
        "own mean, and there is one r per cell (per column of values).",
    )


register_solution("correlations", correlations)

# ----------------------------------------------------------------------------------------------
# The control: null models and the decision
# ----------------------------------------------------------------------------------------------


def null_control(
    values: np.ndarray,
    feature: np.ndarray,
    untrained_values: Sequence[np.ndarray],
    shifts: Sequence[int],
    margin: float = 0.1,
) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """Is the best cell of ``values`` for ``feature`` a finding? lstm_lab's null models, on given shifts.

    ``inside.search_with_controls`` does the same with shifts drawn at random
    (``inside.shifted_null``); here they are given, so that two implementations can agree.

    Args:
        values: (T, H) the trained model's cells. feature: (T,) the signal.
        untrained_values: M arrays (T, H), the cells of untrained models over the same text.
        shifts: S whole numbers, how far to roll the signal in time against the cells.
        margin: how far the best |r| must beat the strongest null.

    Returns:
        untrained_best (M,) the best |r| of each untrained model; shifted_best (S,) the best
        |r| of the trained cells at each shift; threshold, the strongest null plus the margin;
        is_finding, whether the best trained cell's |r| exceeds the threshold.
    """
    ((cell, r),) = best_cells(values, feature, top=1)
    untrained_best = np.array([best_abs_correlation(u, feature) for u in untrained_values])
    shifted_best = np.array([best_abs_correlation(values, np.roll(feature, int(s))) for s in shifts])
    search = CellSearch("", cell, r, untrained_best, shifted_best, float(margin))
    return untrained_best, shifted_best, search.threshold, search.beats_nulls


def _slow_signal(rng: np.random.Generator, T: int) -> np.ndarray:
    """A slowly varying signal like the lesson's: quotation-like 0/1 blocks or a line-position ramp."""
    if rng.random() < 0.5:
        lengths = rng.integers(5, 25, size=T)
        blocks = np.repeat(np.arange(len(lengths)) % 2, lengths)[:T]
        return blocks.astype(np.float64)
    line = int(rng.integers(12, 30))
    return (np.arange(T) % line).astype(np.float64)


def _drifting_cells(rng: np.random.Generator, T: int, H: int) -> np.ndarray:
    """(T, H) cells that drift slowly: random walks, as a cell state does."""
    return np.cumsum(random_array(rng, (T, H), 0.3), axis=0)


def _control_cases() -> Callable[[np.random.Generator], tuple]:
    """Cases that take turns: a strong negative cell (a finding), no planted cell, and a cell
    between the strongest null and the threshold (beats the nulls, but not by the margin)."""
    counter = iter(range(10**6))

    def case(rng: np.random.Generator) -> tuple:
        kind = next(counter) % 3
        T, H, M, S = int(rng.integers(80, 160)), int(rng.integers(4, 9)), int(rng.integers(2, 5)), int(
            rng.integers(5, 9))
        feature = _slow_signal(rng, T)
        values = _drifting_cells(rng, T, H)
        untrained = [_drifting_cells(rng, T, H) for _ in range(M)]
        shifts = rng.integers(T // 10, T - T // 10 + 1, size=S)
        margin = 0.1
        if kind != 1:
            cell = int(rng.integers(0, H))
            noise = random_array(rng, (T,), feature.std())
            values[:, cell] = -(feature + (0.5 if kind == 0 else 1.5) * noise)
            if kind == 2:  # put |r| halfway into the margin above the strongest null
                untrained_best, shifted_best, _, _ = null_control(values, feature, untrained, shifts, 0.0)
                gap = best_abs_correlation(values, feature) - max(untrained_best.max(), shifted_best.max())
                margin = round(2 * gap, 3) if gap > 0.01 else 0.1
        return values, feature, untrained, shifts, margin

    return case


# Classic slips, each with null_control's signature and outputs.
def _null_of_one_cell(values, feature, untrained_values, shifts, margin=0.1):
    untrained_best, _, _, _ = null_control(values, feature, untrained_values, shifts, margin)
    ((cell, r),) = best_cells(values, feature, top=1)
    shifted_best = np.array([abs(correlations(values[:, [cell]], np.roll(feature, int(s)))[0]) for s in shifts])
    threshold = max(untrained_best.max(), shifted_best.max()) + margin
    return untrained_best, shifted_best, threshold, abs(r) > threshold


def _signed_nulls(values, feature, untrained_values, shifts, margin=0.1):
    untrained_best = np.array([correlations(u, feature).max() for u in untrained_values])
    shifted_best = np.array([correlations(values, np.roll(feature, int(s))).max() for s in shifts])
    threshold = max(untrained_best.max(), shifted_best.max()) + margin
    return untrained_best, shifted_best, threshold, best_abs_correlation(values, feature) > threshold


def _shifted_the_other_way(values, feature, untrained_values, shifts, margin=0.1):
    return null_control(values, feature, untrained_values, -np.asarray(shifts), margin)


def _every_cell_shifted(values, feature, untrained_values, shifts, margin=0.1):
    untrained_best, _, threshold, finding = null_control(values, feature, untrained_values, shifts, margin)
    shifted = np.array([np.abs(correlations(values, np.roll(feature, int(s)))) for s in shifts])
    return untrained_best, shifted, threshold, finding


def _every_untrained_cell(values, feature, untrained_values, shifts, margin=0.1):
    _, shifted_best, threshold, finding = null_control(values, feature, untrained_values, shifts, margin)
    return np.array([np.abs(correlations(u, feature)) for u in untrained_values]), shifted_best, threshold, finding


def _with_threshold(threshold_of: Callable[[np.ndarray, np.ndarray, float], float]) -> Callable[..., tuple]:
    """A slip in the decision only: the nulls are right, the threshold is ``threshold_of(u, s, margin)``."""

    def mistaken(values, feature, untrained_values, shifts, margin=0.1):
        untrained_best, shifted_best, _, _ = null_control(values, feature, untrained_values, shifts, margin)
        threshold = threshold_of(untrained_best, shifted_best, margin)
        return untrained_best, shifted_best, threshold, best_abs_correlation(values, feature) > threshold

    return mistaken


def _signed_decision(values, feature, untrained_values, shifts, margin=0.1):
    untrained_best, shifted_best, threshold, _ = null_control(values, feature, untrained_values, shifts, margin)
    return untrained_best, shifted_best, threshold, correlations(values, feature).max() > threshold


CONTROL_MISTAKES = [
    Mistake("the shifted null follows only the trained model's best cell. The search chose that cell from "
            "all of them, so the null must search all of them too, at every shift.", _null_of_one_cell),
    Mistake("the nulls keep the sign of r: a null cell that follows the signal upside down (r near -1) "
            "is as good a match as one with r near +1.", _signed_nulls),
    Mistake("the signal and the cells were moved against each other the other way round (the cells rolled "
            "by s, or the signal by -s). That is as good a null, but the task rolls the signal by +s, so that "
            "the numbers can be compared.", _shifted_the_other_way),
    Mistake("shifted_best holds every cell's |r| at every shift, not one number per shift (the best "
            "cell's).", _every_cell_shifted),
    Mistake("untrained_best holds every cell's |r| of every untrained model, not one number per model "
            "(its best cell's).", _every_untrained_cell),
    Mistake("the threshold leaves out the margin.", _with_threshold(lambda u, s, m: max(u.max(), s.max()))),
    Mistake("the threshold is set by the nulls' average; a finding must beat the strongest null.",
            _with_threshold(lambda u, s, m: float(np.concatenate([u, s]).mean()) + m)),
    Mistake("the threshold ignores the shifted null: a finding must beat both nulls.",
            _with_threshold(lambda u, s, m: u.max() + m)),
    Mistake("the threshold ignores the untrained models: a finding must beat both nulls.",
            _with_threshold(lambda u, s, m: s.max() + m)),
    Mistake("the decision compares r with its sign, so a cell that follows the signal upside down is "
            "never a finding.", _signed_decision),
]


def check_null_control(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(values, feature, untrained_values, shifts, margin) -> (untrained_best, shifted_best,
    threshold, is_finding)`` against ``null_control`` (Lesson 10).

    Shapes: values (T, H), feature (T,), untrained_values M arrays (T, H), shifts (S,) ->
    untrained_best (M,), shifted_best (S,), threshold a float, is_finding a bool.
    """
    return check_function(
        "null_control", fn, null_control, _control_cases(),
        output_names=["untrained_best", "shifted_best", "threshold", "is_finding (1 means True)"],
        mistakes=CONTROL_MISTAKES,
        pointer="each null model answers: what |r| would the BEST cell of a search reach if no cell had "
        "learned the signal? A search over all cells is compared with nulls searched the same way, and "
        "a finding must clear the strongest of them by the margin.",
        n_cases=3,
    )


register_solution("null_control", null_control)
