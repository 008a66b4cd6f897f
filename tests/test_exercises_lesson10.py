"""Lesson 10's exercises: the correlation and the control for a cell-correlation claim.

For each exercise: the untouched stub is told it is not written yet; the package's reference and
the notebook's own solution pass, also on the hidden cases; realistic wrong answers are each named;
a second failure adds the conceptual pointer; and no message contains a line of the solution.
The control's reference is checked against the package's null models (``inside.shifted_null``,
``inside.search_with_controls``).
"""

from __future__ import annotations

import numpy as np
import pytest
from exercise_cells import (
    answer_source,
    assert_gives_nothing_away,
    assert_named_then_pointed,
    assert_passes_also_on_hidden_cases,
    define,
    solution_lines,
)

from lstm_lab import inside
from lstm_lab.exercises import check_correlations, check_null_control, lesson10

LESSON = "10_inside_the_lstm.ipynb"


def _notebook_function(name: str):
    """The teacher's solution from the answer cell; as in the lesson, ``correlations`` is the package's."""
    namespace = {"np": np, "correlations": inside.correlations}
    return define(answer_source(LESSON, name), name, namespace)


def _solution_lines(name: str) -> list[str]:
    """The non-trivial code lines of the answer cell's solution region (at least two)."""
    return solution_lines(answer_source(LESSON, name), at_least=2)


def _assert_no_solution_line(name: str, message: str) -> None:
    assert_gives_nothing_away(message, _solution_lines(name))


# ----- the correlation ------------------------------------------------------------------------


def test_correlations_stub_is_not_written_yet():
    def stub(values, feature):
        raise NotImplementedError()

    result = check_correlations(stub)
    assert not result.passed and "not written yet" in result.message and "Pointer" not in result.message
    none = check_correlations(lambda values, feature: None)
    assert not none.passed and "still the stub" in none.message and "known mistake" not in none.message


@pytest.mark.parametrize("source", ["package", "notebook"])
def test_correlations_reference_and_notebook_solution_pass(source):
    fn = inside.correlations if source == "package" else _notebook_function("correlations")
    assert_passes_also_on_hidden_cases(check_correlations, fn)


def _uncentred(values, feature):
    return values.T @ feature / np.sqrt((values**2).sum(axis=0) * (feature @ feature))


def _covariance(values, feature):
    return ((values - values.mean(axis=0)) * (feature - feature.mean())[:, None]).mean(axis=0)


def _cov_over_std(values, feature):
    cov = np.array([np.cov(values[:, j], feature)[0, 1] for j in range(values.shape[1])])
    return cov / (values.std(axis=0) * feature.std())


@pytest.mark.parametrize(
    ("learner", "named"),
    [(_uncentred, "means were not subtracted"), (_covariance, "this is the covariance"),
     (_cov_over_std, "T / (T - 1)")],
)
def test_correlations_wrong_answers_are_named_then_pointed(learner, named):
    first, second = assert_named_then_pointed(check_correlations, learner, named, _solution_lines("correlations"))
    assert "section 3" in second.message
    for message in (first.message, second.message):
        assert "values.mean(axis=0)" not in message and "np.sqrt" not in message


def test_correlations_over_the_wrong_axis_is_told_the_shape():
    def per_time_step(values, feature):
        return inside.correlations(values.T, np.resize(feature, values.shape[1]))

    result = check_correlations(per_time_step)
    assert not result.passed and "shape" in result.message


# ----- the control ------------------------------------------------------------------------------


def test_the_reference_agrees_with_the_package_null_models():
    """null_control on the shifts inside.shifted_null draws gives its numbers, and the package's verdict."""
    rng = np.random.default_rng(3)
    T, H = 300, 6
    feature = lesson10._slow_signal(rng, T)
    values = lesson10._drifting_cells(rng, T, H)
    values[:, 2] = feature + 0.5 * feature.std() * rng.standard_normal(T)
    untrained = [lesson10._drifting_cells(rng, T, H) for _ in range(3)]
    n_shifts, seed = 12, 7
    min_shift = T // 10
    shifts = np.random.default_rng(seed).integers(min_shift, T - min_shift + 1, size=n_shifts)  # as shifted_null
    untrained_best, shifted_best, threshold, finding = lesson10.null_control(values, feature, untrained, shifts, 0.1)
    np.testing.assert_allclose(shifted_best, inside.shifted_null(values, feature, n_shifts=n_shifts, seed=seed))
    (search,) = inside.search_with_controls(values, {"s": feature}, untrained, margin=0.1, n_shifts=n_shifts, seed=seed)
    np.testing.assert_allclose(untrained_best, search.untrained)
    assert threshold == pytest.approx(search.threshold) and finding == search.beats_nulls and finding


def test_the_cases_take_turns_finding_and_not():
    make = lesson10._control_cases()
    rng = np.random.default_rng(0)
    verdicts = [lesson10.null_control(*make(rng))[3] for _ in range(6)]
    assert verdicts[0] and verdicts[3] and not verdicts[1] and not verdicts[4]


def test_null_control_stub_is_not_written_yet():
    def stub(values, feature, untrained_values, shifts, margin=0.1):
        raise NotImplementedError()

    result = check_null_control(stub)
    assert not result.passed and "not written yet" in result.message and "Pointer" not in result.message
    none = check_null_control(lambda *args: None)
    assert not none.passed and "still the stub" in none.message and "known mistake" not in none.message
    _assert_no_solution_line("null_control", result.message + none.message)


@pytest.mark.parametrize("source", ["package", "notebook"])
def test_null_control_reference_and_notebook_solution_pass(source):
    fn = lesson10.null_control if source == "package" else _notebook_function("null_control")
    result = assert_passes_also_on_hidden_cases(check_null_control, fn)
    assert result.message == "✓ null_control matches the reference on 3 random cases", result.message


def _best_abs(values, feature):
    return np.abs(inside.correlations(values, feature)).max()


def _forgets_abs(values, feature, untrained_values, shifts, margin=0.1):
    untrained = np.array([inside.correlations(u, feature).max() for u in untrained_values])
    shifted = np.array([inside.correlations(values, np.roll(feature, s)).max() for s in shifts])
    threshold = max(untrained.max(), shifted.max()) + margin
    return untrained, shifted, threshold, _best_abs(values, feature) > threshold


def _shifts_only_the_best_cell(values, feature, untrained_values, shifts, margin=0.1):
    r = inside.correlations(values, feature)
    best = int(np.argmax(np.abs(r)))
    untrained = np.array([_best_abs(u, feature) for u in untrained_values])
    shifted = np.array([abs(np.corrcoef(values[:, best], np.roll(feature, s))[0, 1]) for s in shifts])
    threshold = max(untrained.max(), shifted.max()) + margin
    return untrained, shifted, threshold, abs(r[best]) > threshold


def _without_margin(values, feature, untrained_values, shifts, margin=0.1):
    untrained = np.array([_best_abs(u, feature) for u in untrained_values])
    shifted = np.array([_best_abs(values, np.roll(feature, s)) for s in shifts])
    threshold = max(untrained.max(), shifted.max())
    return untrained, shifted, threshold, _best_abs(values, feature) > threshold


def _signed_best_cell(values, feature, untrained_values, shifts, margin=0.1):
    untrained = np.array([_best_abs(u, feature) for u in untrained_values])
    shifted = np.array([_best_abs(values, np.roll(feature, s)) for s in shifts])
    threshold = max(untrained.max(), shifted.max()) + margin
    return untrained, shifted, threshold, inside.correlations(values, feature).max() > threshold


def _untrained_only(values, feature, untrained_values, shifts, margin=0.1):
    untrained = np.array([_best_abs(u, feature) for u in untrained_values])
    shifted = np.array([_best_abs(values, np.roll(feature, s)) for s in shifts])
    threshold = untrained.max() + margin
    return untrained, shifted, threshold, _best_abs(values, feature) > threshold


@pytest.mark.parametrize(
    ("learner", "named"),
    [
        (_forgets_abs, "the nulls keep the sign of r"),
        (_shifts_only_the_best_cell, "follows only the trained model's best cell"),
        (_without_margin, "leaves out the margin"),
        (_signed_best_cell, "the decision compares r with its sign"),
        (_untrained_only, "ignores the shifted null"),
    ],
)
def test_null_control_wrong_answers_are_named_then_pointed(learner, named):
    first, second = assert_named_then_pointed(check_null_control, learner, named, _solution_lines("null_control"))
    assert "BEST cell" in second.message
    for message in (first.message, second.message):
        assert "np.roll(" not in message and ".max()" not in message


@pytest.mark.parametrize("mistake", lesson10.CONTROL_MISTAKES, ids=lambda m: m.outputs.__name__)
def test_every_control_mistake_is_named(mistake):
    result = check_null_control(mistake.outputs)
    assert not result.passed and mistake.what in result.message, result.message


def test_rolling_the_cells_instead_of_the_signal_is_named_as_the_other_direction():
    def rolls_the_cells(values, feature, untrained_values, shifts, margin=0.1):
        untrained = np.array([_best_abs(u, feature) for u in untrained_values])
        shifted = np.array([_best_abs(np.roll(values, s, axis=0), feature) for s in shifts])
        threshold = max(untrained.max(), shifted.max()) + margin
        return untrained, shifted, threshold, _best_abs(values, feature) > threshold

    result = check_null_control(rolls_the_cells)
    assert not result.passed and "the other way round" in result.message, result.message
