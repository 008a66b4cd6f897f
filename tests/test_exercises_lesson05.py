"""Lesson 5's exercise, the LSTM step forward: right answers pass, mistakes are named, nothing is given away."""

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
from lstm_lab.exercises import check_lstm_step_forward
from lstm_lab.lstm import LSTMCache, LSTMStepCache, lstm_forward, lstm_step_forward

LESSON = "05_lstm_forward.ipynb"
NAMESPACE = {"np": np, "sigmoid": sigmoid, "LSTMStepCache": LSTMStepCache}  # what the lesson imported before
SOURCE = answer_source(LESSON, "lstm_step_forward")
SECRETS = solution_lines(SOURCE) + reference_lines(lstm_step_forward)


def _define(source: str) -> Any:
    """Run an answer cell's source as the lesson runs it; return its lstm_step_forward."""
    return define(source, "lstm_step_forward", NAMESPACE)


def with_line(old: str, new: str) -> Any:
    """The notebook's solution with one line changed: a realistic wrong answer."""
    return _define(edited(SOURCE, (old, new)))


def test_the_stub_is_not_written_yet_and_gets_no_hint():
    result = check_lstm_step_forward(_define(student_stub(SOURCE)))
    assert not result.passed and "lstm_step_forward is not written yet" in result.message, result.message
    assert "known mistake" not in result.message and "Pointer" not in result.message
    assert_gives_nothing_away(result.message, SECRETS)
    # Run twice, the stub still gets no pointer: there is no attempt to point at.
    again = check_lstm_step_forward(_define(student_stub(SOURCE)))
    assert "Pointer" not in again.message


def test_a_stub_returning_none_is_told_it_is_still_the_stub():
    result = check_lstm_step_forward(lambda x, h_prev, C_prev, p: None)
    assert not result.passed and "still the stub" in result.message, result.message
    assert_gives_nothing_away(result.message, SECRETS)


def test_the_reference_and_the_notebooks_solution_pass_visible_and_hidden_cases():
    mine = _define(SOURCE)
    for fn in (lstm_step_forward, mine):
        result = assert_passes_also_on_hidden_cases(check_lstm_step_forward, fn, "5 hidden random cases")
        assert result.message == "✓ lstm_step_forward matches the reference on 3 random cases"


def test_the_notebooks_solution_returns_a_cache_lstm_lab_can_go_back_through():
    rng = np.random.default_rng(0)
    B, D, H = 2, 3, 4
    x, h_prev, C_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    p = {f"{w}_{g}": rng.standard_normal((D + H, H) if w == "W" else H) for g in "fiCo" for w in "Wb"}
    mine = _define(SOURCE)(x, h_prev, C_prev, p)[2]
    ref = lstm_step_forward(x, h_prev, C_prev, p)[2]
    assert isinstance(mine, LSTMStepCache) and mine._fields == ref._fields
    for name in ("z", "C_prev", "f", "i", "C_tilde", "o", "tanh_C"):
        np.testing.assert_allclose(getattr(mine, name), getattr(ref, name), rtol=1e-14, err_msg=name)
    assert mine.D == ref.D == D


WRONG_ANSWERS = {
    "no output gate": (("h_next = o * tanh_C", "h_next = tanh_C"), "h_next has no output gate"),
    "no tanh of the cell": (("h_next = o * tanh_C", "h_next = o * C_next"), "the cell is not squashed"),
    "old cell shown": (("tanh_C = np.tanh(C_next)", "tanh_C = np.tanh(C_prev)"), "shows the OLD cell state"),
    "forget gate on the candidate": (
        ("C_next = f * C_prev + i * C_tilde", "C_next = f * C_tilde + i * C_tilde"),
        "the forget gate scales the candidate instead of the old cell",
    ),
    "gates swapped": (
        ("C_next = f * C_prev + i * C_tilde", "C_next = i * C_prev + f * C_tilde"),
        "the forget and input gates are swapped",
    ),
    "h_prev first in z": (
        ("np.concatenate([x, h_prev], axis=1)", "np.concatenate([h_prev, x], axis=1)"),
        "z has h_prev first and x second",
    ),
    "sigmoid candidate": (("C_tilde = np.tanh(", "C_tilde = sigmoid("), "the candidate is squashed with a sigmoid"),
}


@pytest.mark.parametrize("case", list(WRONG_ANSWERS), ids=list(WRONG_ANSWERS))
def test_each_classic_mistake_is_named_and_the_second_attempt_gets_the_pointer(case):
    (old, new), words = WRONG_ANSWERS[case]
    assert_named_then_pointed(check_lstm_step_forward, with_line(old, new), words, SECRETS,
                              pointer="Pointer (attempt 2): go through the equations of section 2")


def test_an_unknown_mistake_says_what_differs_without_claiming_a_known_one():
    no_forget_bias = with_line('f = sigmoid(z @ p["W_f"] + p["b_f"])', 'f = sigmoid(z @ p["W_f"])')
    result = check_lstm_step_forward(no_forget_bias)
    assert not result.passed and "h_next has the right shape" in result.message, result.message
    assert "known mistake" not in result.message
    assert_gives_nothing_away(result.message, SECRETS)


def test_an_error_in_the_learners_code_is_a_failed_check_naming_the_line():
    transposed = with_line('f = sigmoid(z @ p["W_f"] + p["b_f"])', 'f = sigmoid(z @ p["W_f"].T + p["b_f"])')
    result = check_lstm_step_forward(transposed)
    assert not result.passed and "raised ValueError" in result.message, result.message


def test_lstm_forward_keeps_its_shapes_and_names_its_cache():
    rng = np.random.default_rng(1)
    B, T, D, H = 2, 5, 3, 4
    p = {f"{w}_{g}": rng.standard_normal((D + H, H) if w == "W" else H) for g in "fiCo" for w in "Wb"}
    h, cache = lstm_forward(rng.standard_normal((B, T, D)), np.zeros((B, H)), np.zeros((B, H)), p)
    assert h.shape == (B, T, H) and isinstance(cache, LSTMCache) and cache._fields == ("steps", "C_T")
    assert len(cache.steps) == T and all(isinstance(s, LSTMStepCache) for s in cache.steps)
    assert cache.C_T.shape == (B, H) and cache.steps[-1].tanh_C.shape == (B, H)
    np.testing.assert_allclose(h[:, -1], cache.steps[-1].o * cache.steps[-1].tanh_C, rtol=1e-14)
