"""Lesson 11's exercises, the GRU step forward and backward: right answers pass, mistakes are named,
nothing is given away."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from exercise_cells import (
    answer_source,
    assert_gives_nothing_away,
    define,
    edited,
    reference_lines,
    solution_lines,
    student_stub,
)

from lstm_lab.activations import sigmoid
from lstm_lab.checking import hidden_cases
from lstm_lab.exercises import check_gru_step_backward, check_gru_step_forward
from lstm_lab.gru import GRUStepCache, gru_step_backward, gru_step_forward

LESSON = "11_gru.ipynb"
NAMESPACE = {"np": np, "sigmoid": sigmoid, "GRUStepCache": GRUStepCache}  # what the lesson imported before


def _define(source: str, name: str) -> Any:
    """Run an answer cell's source with the names the lesson imported before it; return the function."""
    return define(source, name, NAMESPACE)


EXERCISES = {
    "gru_step_forward": (check_gru_step_forward, gru_step_forward),
    "gru_step_backward": (check_gru_step_backward, gru_step_backward),
}
SOURCES = {name: answer_source(LESSON, name) for name in EXERCISES}
SECRETS = [line for name, (_, ref) in EXERCISES.items()
           for line in solution_lines(SOURCES[name]) + reference_lines(ref)]


def with_lines(name: str, *changes: tuple[str, str]) -> Any:
    """The notebook's solution with some text changed: a realistic wrong answer."""
    return _define(edited(SOURCES[name], *changes), name)


@pytest.mark.parametrize("name", EXERCISES)
def test_the_stub_is_not_written_yet_and_gets_no_hint(name):
    checker = EXERCISES[name][0]
    for _ in range(2):  # a second run of the stub is still no attempt: no pointer
        result = checker(_define(student_stub(SOURCES[name]), name))
        assert not result.passed and f"{name} is not written yet" in result.message, result.message
        assert "known mistake" not in result.message and "Pointer" not in result.message
        assert_gives_nothing_away(result.message, SECRETS)


@pytest.mark.parametrize("name", EXERCISES)
def test_the_reference_and_the_notebooks_solution_pass_visible_and_hidden_cases(name):
    checker, reference = EXERCISES[name]
    for fn in (reference, _define(SOURCES[name], name)):
        result = checker(fn)
        assert result.passed and result.message == f"✓ {name} matches the reference on 3 random cases"
        with hidden_cases():
            hidden = checker(fn)
        assert hidden.passed and "hidden random cases" in hidden.message, hidden.message


def test_the_notebooks_forward_and_backward_work_together():
    forward = _define(SOURCES["gru_step_forward"], "gru_step_forward")
    backward = _define(SOURCES["gru_step_backward"], "gru_step_backward")
    assert check_gru_step_backward(backward, forward_fn=forward).passed


WRONG_FORWARDS = {
    "the paper's reset placement": (
        [('n = np.tanh(x @ p["W_xn"] + p["b_xn"] + r * hn)',
          'n = np.tanh(x @ p["W_xn"] + p["b_xn"] + (r * h_prev) @ p["W_hn"] + p["b_hn"])')],
        "the original 2014 paper's GRU",
    ),
    "b_hn outside the reset gate": (
        [('hn = h_prev @ p["W_hn"] + p["b_hn"]', 'hn = h_prev @ p["W_hn"]'),
         ('p["b_xn"] + r * hn)', 'p["b_xn"] + r * hn + p["b_hn"])')],
        "the bias b_hn is outside the reset gate's product",
    ),
    "no reset gate": (
        [('p["b_xn"] + r * hn)', 'p["b_xn"] + hn)')],
        "the reset gate has no effect",
    ),
    "update gate swapped": (
        [("h_next = (1 - z) * n + z * h_prev", "h_next = z * n + (1 - z) * h_prev")],
        "the two roles of the update gate are swapped",
    ),
}


@pytest.mark.parametrize("case", WRONG_FORWARDS)
def test_wrong_forwards_are_named_and_given_nothing_away(case):
    changes, named = WRONG_FORWARDS[case]
    result = check_gru_step_forward(with_lines("gru_step_forward", *changes))
    assert not result.passed and "h_next" in result.message
    assert named in result.message, result.message
    assert "Pointer" not in result.message
    assert_gives_nothing_away(result.message, SECRETS)


WRONG_BACKWARDS = {
    "highway forgotten": (
        [("dh_prev = dh_next * z + dhn", "dh_prev = dhn")],
        "dh_prev", "dh_prev lacks the direct path",
    ),
    "candidate path forgotten": (
        [('dh_prev = dh_next * z + dhn @ p["W_hn"].T + dxh[:, D:]', "dh_prev = dh_next * z + dxh[:, D:]")],
        "dh_prev", "dh_prev lacks the path through the candidate",
    ),
    "dz with the wrong sign": (
        [("dz = dh_next * (h_prev - n)", "dz = dh_next * (n - h_prev)")],
        "dx", "the update gate's gradient has the wrong sign",
    ),
    "reset gate forgotten on the way back": (
        [("dhn = da_n * r", "dhn = da_n")],
        "dh_prev", "was not scaled by the reset gate",
    ),
}


@pytest.mark.parametrize("case", WRONG_BACKWARDS)
def test_wrong_backwards_are_named_and_given_nothing_away(case):
    changes, output, named = WRONG_BACKWARDS[case]
    result = check_gru_step_backward(with_lines("gru_step_backward", *changes))
    assert not result.passed and output in result.message, result.message
    assert named in result.message, result.message
    assert_gives_nothing_away(result.message, SECRETS)


@pytest.mark.parametrize("name, changes", [
    ("gru_step_forward", [("h_next = (1 - z) * n + z * h_prev", "h_next = z * n + (1 - z) * h_prev")]),
    ("gru_step_backward", [("dhn = da_n * r", "dhn = da_n")]),
])
def test_the_second_failure_adds_the_pointer(name, changes):
    checker = EXERCISES[name][0]
    wrong = with_lines(name, *changes)
    first, second = checker(wrong), checker(wrong)
    assert "Pointer" not in first.message and "Pointer (attempt 2)" in second.message, second.message
    assert_gives_nothing_away(second.message, SECRETS)


def test_a_grads_list_instead_of_a_dict_is_explained():
    def backward(dh_next, cache):
        dx, dh_prev, grads = gru_step_backward(dh_next, cache)
        return dx, dh_prev, list(grads.values())

    result = check_gru_step_backward(backward)
    assert not result.passed and "dict of parameter gradients" in result.message, result.message
