"""Lesson 6's exercise, the LSTM step backward: right answers pass, mistakes are named, nothing is given away."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from exercise_cells import (
    answer_source,
    assert_gives_nothing_away,
    assert_named_then_pointed,
    assert_passes_also_on_hidden_cases,
    define,
    edited,
    reference_lines,
    solution_lines,
    student_stub,
)

from lstm_lab.activations import sigmoid
from lstm_lab.checking import hidden_cases
from lstm_lab.exercises import check_lstm_step_backward
from lstm_lab.lstm import LSTMStepCache, lstm_step_backward, lstm_step_forward

LESSON = "06_lstm_backward.ipynb"
NAMESPACE = {"np": np, "sigmoid": sigmoid, "LSTMStepCache": LSTMStepCache}  # what the lesson imported before
SOURCE = answer_source(LESSON, "lstm_step_backward")
SECRETS = solution_lines(SOURCE) + reference_lines(lstm_step_backward)


def _define(source: str, name: str) -> Any:
    """Run an answer cell's source with the names its lesson imported before it; return the function."""
    return define(source, name, NAMESPACE)


def with_lines(*changes: tuple[str, str]) -> Any:
    """The notebook's solution with some text changed: a realistic wrong answer."""
    return _define(edited(SOURCE, *changes), "lstm_step_backward")


def test_the_stub_is_not_written_yet_and_gets_no_hint():
    for _ in range(2):  # a second run of the stub is still no attempt: no pointer
        result = check_lstm_step_backward(_define(student_stub(SOURCE), "lstm_step_backward"))
        assert not result.passed and "lstm_step_backward is not written yet" in result.message, result.message
        assert "known mistake" not in result.message and "Pointer" not in result.message
        assert_gives_nothing_away(result.message, SECRETS)


def test_a_stub_returning_none_is_told_it_is_still_the_stub():
    result = check_lstm_step_backward(lambda dh_next, dC_next, cache: None)
    assert not result.passed and "did you forget the return statement?" in result.message, result.message
    assert "still the stub" in result.message
    assert_gives_nothing_away(result.message, SECRETS)


def test_the_reference_and_the_notebooks_solution_pass_visible_and_hidden_cases():
    mine = _define(SOURCE, "lstm_step_backward")
    for fn in (lstm_step_backward, mine):
        result = assert_passes_also_on_hidden_cases(check_lstm_step_backward, fn, "5 hidden random cases")
        assert result.message == "✓ lstm_step_backward matches the reference on 3 random cases"


def test_lesson_5s_forward_and_lesson_6s_backward_from_the_notebooks_work_together():
    forward = _define(answer_source("05_lstm_forward.ipynb", "lstm_step_forward"), "lstm_step_forward")
    backward = _define(SOURCE, "lstm_step_backward")
    assert check_lstm_step_backward(backward, forward_fn=forward).passed


WRONG_ANSWERS = {
    "dC_next forgotten": (
        [("dC = dC_next + dh_next * o * (1 - tanh_C**2)", "dC = dh_next * o * (1 - tanh_C**2)")],
        "dx", "dC_next is missing",
    ),
    "no tanh derivative on the output path": (
        [("dC = dC_next + dh_next * o * (1 - tanh_C**2)", "dC = dC_next + dh_next * o")],
        "dx", "the derivative of the tanh is missing",
    ),
    "tanh derivative of C itself": (
        [("dC = dC_next + dh_next * o * (1 - tanh_C**2)",
          "dC = dC_next + dh_next * o * (1 - (f * C_prev + i * C_tilde)**2)")],
        "dx", "written with the cell state itself",
    ),
    "sigmoid derivative at the wrong argument": (
        [("df * f * (1 - f)", "df * sigmoid(f) * (1 - sigmoid(f))"),
         ("di * i * (1 - i)", "di * sigmoid(i) * (1 - sigmoid(i))"),
         ("do * o * (1 - o)", "do * sigmoid(o) * (1 - sigmoid(o))")],
        "dx", "the sigmoid derivatives of f, i and o are taken at the wrong argument",
    ),
    "dx and dh_prev swapped": (
        [("return dz[:, :D], dz[:, D:],", "return dz[:, D:], dz[:, :D],")],
        "dx", "dx and dh_prev are swapped",
    ),
    "dz split as if h came first": (
        [("return dz[:, :D], dz[:, D:],", "H = dh_next.shape[1]\n    return dz[:, H:], dz[:, :H],")],
        "dx", "dz was split as if z were [h_prev, x]",
    ),
    "dh_prev from the wrong end": (
        [("return dz[:, :D], dz[:, D:],", "return dz[:, :D], dz[:, :dh_next.shape[1]],")],
        "dh_prev", "dh_prev comes from the wrong end of dz",
    ),
    "dC_prev from dC_next alone": (
        [("dC_prev = dC * f", "dC_prev = dC_next * f")],
        "dC_prev", "dC_prev is passed back from the incoming dC_next alone",
    ),
}


@pytest.mark.parametrize("case", list(WRONG_ANSWERS), ids=list(WRONG_ANSWERS))
def test_each_classic_mistake_is_named_and_the_second_attempt_gets_the_pointer(case):
    changes, first_wrong, words = WRONG_ANSWERS[case]
    first, _ = assert_named_then_pointed(check_lstm_step_backward, with_lines(*changes), words, SECRETS,
                                         pointer="Pointer (attempt 2): go back to your paper of section 2")
    assert f"case 1 of 3: {first_wrong} has " in first.message, first.message


def test_an_unknown_mistake_says_what_differs_without_claiming_a_known_one():
    no_batch_sum = with_lines(('grads[f"b_{g}"] = da_g.sum(axis=0)', 'grads[f"b_{g}"] = da_g[0]'))
    result = check_lstm_step_backward(no_batch_sum)
    assert not result.passed and "grads['b_f'] has the right shape" in result.message, result.message
    assert "known mistake" not in result.message
    assert_gives_nothing_away(result.message, SECRETS)


def test_grads_must_be_a_dict_by_name():
    def grads_as_tuple(dh_next, dC_next, cache):
        dx, dh_prev, dC_prev, grads = lstm_step_backward(dh_next, dC_next, cache)
        return dx, dh_prev, dC_prev, tuple(grads.values())

    result = check_lstm_step_backward(grads_as_tuple)
    assert not result.passed and "a dict of gate gradients by name" in result.message, result.message

    def missing_b_o(dh_next, dC_next, cache):
        dx, dh_prev, dC_prev, grads = lstm_step_backward(dh_next, dC_next, cache)
        del grads["b_o"]
        return dx, dh_prev, dC_prev, grads

    result = check_lstm_step_backward(missing_b_o)
    assert not result.passed and "grads['b_o'] is None" in result.message, result.message


def test_the_learners_own_forward_and_cache_can_be_checked():
    def my_forward(x, h_prev, C_prev, p):
        h_next, C_next, cache = lstm_step_forward(x, h_prev, C_prev, p)
        return h_next, C_next, ("mine", cache)

    def my_backward(dh_next, dC_next, cache):
        assert cache[0] == "mine"
        return lstm_step_backward(dh_next, dC_next, cache[1])

    assert check_lstm_step_backward(my_backward, forward_fn=my_forward).passed
    assert not check_lstm_step_backward(my_backward).passed  # lstm_lab's cache is not the learner's tuple


def test_the_checker_uses_cases_where_a_swapped_slice_shows_in_the_shape():
    swapped = with_lines(("return dz[:, :D], dz[:, D:],", "return dz[:, D:], dz[:, :D],"))
    with hidden_cases():
        result = check_lstm_step_backward(swapped)
    assert "dx has shape" in result.message and "expected" in result.message, result.message
