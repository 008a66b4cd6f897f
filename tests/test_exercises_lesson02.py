"""Lesson 2's exercises (rnn_step_forward, rnn_forward): the learner's path through each checker."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_cells import (
    answer_source,
    assert_exercise_cells_follow_the_convention,
    assert_gives_nothing_away,
    assert_named_then_pointed,
    assert_no_show_source_before,
    assert_passes_also_on_hidden_cases,
    define,
    solution_lines,
    student_stub,
)

from lstm_lab.activations import sigmoid
from lstm_lab.checking import hidden_cases
from lstm_lab.exercises import check_rnn_forward, check_rnn_step_forward
from lstm_lab.rnn import rnn_forward, rnn_step_forward

LESSON = "02_rnn_forward.ipynb"


def _notebook_function(name: str, source: str | None = None):
    """The lesson's answer cell for ``name`` run as the lesson runs it (the package's step is in scope)."""
    return define(source or answer_source(LESSON, name), name, {"np": np, "rnn_step_forward": rnn_step_forward})


def test_lesson_2s_exercises_follow_the_convention_and_show_no_answer_early():
    assert_exercise_cells_follow_the_convention(LESSON, ["rnn_step_forward", "rnn_forward"])
    assert_no_show_source_before(LESSON, ["rnn_step_forward", "rnn_forward"])


# ----- rnn_step_forward -----------------------------------------------------------------------


def _step(mistake: str | None = None):
    """One RNN step as a learner writes it, with one classic mistake or none."""

    def step(x, h_prev, W_xh, W_hh, b_h):
        z = x @ W_xh
        if mistake != "no recurrence":
            z = z + h_prev @ (W_hh.T if mistake == "W_hh transposed" else W_hh)
        if mistake != "no bias":
            z = z + b_h
        if mistake == "no tanh":
            return z, None
        return (sigmoid(z) if mistake == "sigmoid" else np.tanh(z)), (x, h_prev, W_xh, W_hh)

    return step


def test_the_step_reference_and_the_lessons_own_solution_pass():
    assert check_rnn_step_forward(rnn_step_forward).passed
    mine = _notebook_function("rnn_step_forward")
    result = assert_passes_also_on_hidden_cases(check_rnn_step_forward, mine, "5 hidden random cases")
    assert result.message == "✓ rnn_step_forward matches the reference on 3 random cases"
    assert check_rnn_step_forward(_step()).passed  # the learner-style step below, without a mistake


def test_the_student_editions_step_stub_is_not_written_yet():
    stub = _notebook_function("rnn_step_forward", student_stub(answer_source(LESSON, "rnn_step_forward")))
    result = check_rnn_step_forward(stub)
    assert not result.passed and "rnn_step_forward is not written yet" in result.message, result.message
    assert "known mistake" not in result.message and "Pointer" not in check_rnn_step_forward(stub).message
    assert_gives_nothing_away(result.message, solution_lines(answer_source(LESSON, "rnn_step_forward"), min_length=1))


@pytest.mark.parametrize(
    ("mistake", "named"),
    [
        ("no tanh", "the squashing nonlinearity is missing"),
        ("sigmoid", "the logistic sigmoid"),
        ("no bias", "the bias b_h is missing"),
        ("no recurrence", "the recurrent term is missing"),
        ("W_hh transposed", "W_hh is used transposed"),
    ],
)
def test_classic_step_mistakes_are_named_then_pointed_at(mistake, named):
    lines = solution_lines(answer_source(LESSON, "rnn_step_forward"), min_length=1)
    first, second = assert_named_then_pointed(check_rnn_step_forward, _step(mistake), named, lines,
                                              pointer="Pointer (attempt 2): equation (1)")
    assert "h_next has the right shape" in first.message
    for message in (first.message, second.message):
        assert "np.tanh" not in message and "@" not in message, message


# ----- rnn_forward ----------------------------------------------------------------------------


def _loop(mistake: str | None = None):
    """The time loop as a learner writes it, with one classic mistake or none."""

    def forward(x, h0, W_xh, W_hh, b_h):
        B, T, _ = x.shape
        states = []
        h = np.zeros_like(h0) if mistake == "starts from zeros" else h0
        order = range(T - 1, -1, -1) if mistake == "backwards" else range(T)
        for t in order:
            h_new, _ = rnn_step_forward(x[:, t], h0 if mistake == "no carry" else h, W_xh, W_hh, b_h)
            states.append(h if mistake == "stores the old state" else h_new)
            h = h_new
        if mistake == "backwards":
            states.reverse()
        return np.stack(states, axis=1), []

    return forward


def test_the_loop_reference_and_the_lessons_own_solution_pass():
    assert check_rnn_forward(rnn_forward).passed
    mine = _notebook_function("rnn_forward")
    result = check_rnn_forward(mine)
    assert result.passed and result.message == "✓ rnn_forward matches the reference on 3 random cases"
    with hidden_cases():
        assert check_rnn_forward(mine).passed
    assert check_rnn_forward(_loop()).passed


def test_the_student_editions_loop_stub_is_not_written_yet():
    stub = _notebook_function("rnn_forward", student_stub(answer_source(LESSON, "rnn_forward")))
    result = check_rnn_forward(stub)
    assert not result.passed and "rnn_forward is not written yet" in result.message, result.message
    assert_gives_nothing_away(result.message, solution_lines(answer_source(LESSON, "rnn_forward"), min_length=1))


@pytest.mark.parametrize(
    ("mistake", "named"),
    [
        ("no carry", "every step starts from h0"),
        ("stores the old state", "the stored states lag one step behind"),
        ("starts from zeros", "starts from a state of zeros, not from the given h0"),
        ("backwards", "the loop runs backwards in time"),
    ],
)
def test_classic_loop_mistakes_are_named_then_pointed_at(mistake, named):
    lines = solution_lines(answer_source(LESSON, "rnn_forward"), min_length=1)
    first, second = assert_named_then_pointed(check_rnn_forward, _loop(mistake), named, lines,
                                              pointer="Pointer (attempt 2): read equation (1)")
    for message in (first.message, second.message):
        assert "range(" not in message and "[:, t]" not in message, message


def test_a_loop_that_returns_only_the_last_state_is_told_the_shape():
    result = check_rnn_forward(lambda x, h0, W_xh, W_hh, b_h: (rnn_forward(x, h0, W_xh, W_hh, b_h)[0][:, -1], []))
    assert not result.passed and "h has shape" in result.message and "expected (" in result.message, result.message
