"""Lessons 7 and 7b's exercises: Adam, the temperature softmax, a run's result at a budget.

For each: the stub is told it is not written yet, the package's reference and the notebook's own
solution pass (also on the hidden cases), realistic wrong answers are each named, the second
failure adds the pointer, and no message contains a line of the notebook's solution.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from exercise_cells import (
    NOTEBOOKS,
    answer_source,
    assert_gives_nothing_away,
    assert_passes_also_on_hidden_cases,
    define,
    solution_lines,
)

from lstm_lab.activations import softmax
from lstm_lab.exercises import check_adam_update, check_best_up_to, check_temperature_softmax
from lstm_lab.exercises.lesson07 import _adam_reference, best_up_to
from lstm_lab.sampling import temperature_softmax

LESSON_7 = NOTEBOOKS / "07_lstm_training.ipynb"
LESSON_7B = NOTEBOOKS / "07b_rnn_vs_lstm.ipynb"


def notebook_solution(notebook: Path, name: str):
    """The teacher's solution from the answer cell, as a learner would run it."""
    return define(answer_source(notebook, name), name, {"np": np})


def stub(*args):
    raise NotImplementedError()


def assert_no_solution_in(message: str, notebook: Path, name: str) -> None:
    assert_gives_nothing_away(message, solution_lines(answer_source(notebook, name)))


# ----- Adam ------------------------------------------------------------------------------------


def adam_without_correction(w, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * m / (np.sqrt(v) + eps), m, v, t + 1


def adam_counting_from_zero(w, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    with np.errstate(divide="ignore", invalid="ignore"):
        w = w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return w, m, v, t + 1


def adam_without_sqrt(w, g, m, v, t, lr, beta1, beta2, eps):
    t += 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * (m / (1 - beta1**t)) / (v / (1 - beta2**t) + eps), m, v, t


def adam_v_of_g(w, g, m, v, t, lr, beta1, beta2, eps):
    t += 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g
    with np.errstate(invalid="ignore"):
        return w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v, t


def adam_keeping_corrected(w, g, m, v, t, lr, beta1, beta2, eps):
    t += 1
    m = (beta1 * m + (1 - beta1) * g) / (1 - beta1**t)
    v = (beta2 * v + (1 - beta2) * g * g) / (1 - beta2**t)
    return w - lr * m / (np.sqrt(v) + eps), m, v, t


ADAM_MISTAKES = [
    (adam_without_correction, "no bias correction"),
    (adam_counting_from_zero, "steps taken before this one"),
    (adam_without_sqrt, "not by its square root"),
    (adam_v_of_g, "not its square"),
    (adam_keeping_corrected, "the bias-corrected averages"),
]


def test_adam_stub_is_not_written_yet():
    result = check_adam_update(stub)
    assert not result.passed and "not written yet" in result.message and "Pointer" not in result.message
    assert_no_solution_in(result.message, LESSON_7, "adam_update")


def test_adam_reference_and_notebook_solution_pass():
    learner = notebook_solution(LESSON_7, "adam_update")
    for fn in (_adam_reference, learner):
        assert_passes_also_on_hidden_cases(check_adam_update, fn)


@pytest.mark.parametrize(("mistake", "named"), ADAM_MISTAKES, ids=[m.__name__ for m, _ in ADAM_MISTAKES])
def test_adam_mistakes_are_named_without_the_solution(mistake, named):
    result = check_adam_update(mistake)
    assert not result.passed and "This is a known mistake" in result.message and named in result.message
    assert "Pointer" not in result.message
    assert_no_solution_in(result.message, LESSON_7, "adam_update")


def test_adam_second_failure_adds_the_pointer():
    check_adam_update(adam_without_correction)
    second = check_adam_update(adam_without_sqrt)
    assert "Pointer (attempt 2)" in second.message and "running averages" in second.message
    assert_no_solution_in(second.message, LESSON_7, "adam_update")


def test_adam_check_catches_a_memory_that_is_not_carried_forward():
    def forgetful(w, g, m, v, t, lr, beta1, beta2, eps):
        return _adam_reference(w, g, np.zeros_like(m), np.zeros_like(v), 0, lr, beta1, beta2, eps)

    assert not check_adam_update(forgetful).passed


# ----- the temperature softmax -----------------------------------------------------------------


def overflowing(z, t):
    e = np.exp(z / t)
    return e / e.sum(axis=-1, keepdims=True)


def quiet_overflowing(z, t):
    with np.errstate(over="ignore", invalid="ignore"):
        return overflowing(z, t)


TEMPERATURE_MISTAKES = [
    (lambda z, t: softmax(z * t), "wrong way round"),
    (lambda z, t: softmax(z), "no effect"),
    (quiet_overflowing, "overflowed"),
]


def test_temperature_stub_is_not_written_yet():
    result = check_temperature_softmax(stub)
    assert not result.passed and "not written yet" in result.message
    assert_no_solution_in(result.message, LESSON_7, "temperature_softmax")


def test_temperature_reference_and_notebook_solution_pass():
    for fn in (temperature_softmax, notebook_solution(LESSON_7, "temperature_softmax")):
        assert_passes_also_on_hidden_cases(check_temperature_softmax, fn)


@pytest.mark.parametrize(("mistake", "named"), TEMPERATURE_MISTAKES, ids=["times", "ignored", "overflow"])
def test_temperature_mistakes_are_named_without_the_solution(mistake, named):
    result = check_temperature_softmax(mistake)
    assert not result.passed and named in result.message, result.message
    assert_no_solution_in(result.message, LESSON_7, "temperature_softmax")


def test_temperature_second_failure_adds_the_pointer():
    check_temperature_softmax(lambda z, t: softmax(z))
    second = check_temperature_softmax(lambda z, t: softmax(z * t))
    assert "Pointer (attempt 2)" in second.message and "every exponent" in second.message
    assert_no_solution_in(second.message, LESSON_7, "temperature_softmax")


# ----- Lesson 7b: best_up_to -------------------------------------------------------------------

def last_within(steps, losses, budget):
    return float([x for s, x in zip(steps, losses, strict=True) if s <= budget][-1])


def strictly_before(steps, losses, budget):
    return float(min(x for s, x in zip(steps, losses, strict=True) if s < budget))


BUDGET_MISTAKES = [
    (lambda steps, losses, budget: float(min(losses)), "after the budget"),
    (last_within, "not the best"),
    (strictly_before, "left out"),
]


def test_best_up_to_stub_is_not_written_yet():
    result = check_best_up_to(stub)
    assert not result.passed and "not written yet" in result.message
    assert_no_solution_in(result.message, LESSON_7B, "best_up_to")


def test_best_up_to_reference_and_notebook_solution_pass():
    for fn in (best_up_to, notebook_solution(LESSON_7B, "best_up_to")):
        assert_passes_also_on_hidden_cases(check_best_up_to, fn)


@pytest.mark.parametrize(("mistake", "named"), BUDGET_MISTAKES, ids=["beyond", "last", "strict"])
def test_best_up_to_mistakes_are_named_without_the_solution(mistake, named):
    result = check_best_up_to(mistake)
    assert not result.passed and "known mistake" in result.message and named in result.message, result.message
    assert_no_solution_in(result.message, LESSON_7B, "best_up_to")


def test_best_up_to_second_failure_adds_the_pointer():
    check_best_up_to(BUDGET_MISTAKES[0][0])
    second = check_best_up_to(BUDGET_MISTAKES[1][0])
    assert "Pointer (attempt 2)" in second.message and "early stopping" in second.message


def test_best_up_to_reads_a_stored_bench_run_and_refuses_an_impossible_budget():
    run = json.loads((NOTEBOOKS.parent / "bench" / "results" / "compare-lstm.jsonl").read_text().splitlines()[0])
    assert best_up_to(run["val_steps"], run["val_loss"], 1000) == min(run["val_loss"][:4])
    with pytest.raises(ValueError, match="no evaluation at or before step 100"):
        best_up_to(run["val_steps"], run["val_loss"], 100)
