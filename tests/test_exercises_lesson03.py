"""Lesson 3's exercises: the centred difference and one step backwards (and the other Lesson 3 checkers).

For each exercise: the notebook's stub is told it is not written yet; lstm_lab's reference and the
notebook's own solution pass, also on the hidden cases; realistic wrong answers are each named; the
second failure adds the pointer; and no message, no markdown cell and no stored output before the
check shows a line of the solution.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from exercise_cells import (
    answer_source,
    assert_exercise_cells_follow_the_convention,
    assert_gives_nothing_away,
    assert_named_then_pointed,
    assert_nothing_shown_before_check,
    assert_passes_also_on_hidden_cases,
    define,
    grade_ids,
    notebook_cells,
    solution_lines,
    student_stub,
)

from lstm_lab.activations import softmax
from lstm_lab.exercises import (
    check_numerical_gradient,
    check_rnn_backward,
    check_rnn_step_backward,
    check_softmax_cross_entropy,
)
from lstm_lab.gradcheck import numerical_gradient
from lstm_lab.losses import softmax_cross_entropy
from lstm_lab.rnn import rnn_backward, rnn_step_backward

LESSON = "03_rnn_backprop.ipynb"
EXERCISES = {"numerical_gradient": check_numerical_gradient, "rnn_step_backward": check_rnn_step_backward}
NAMESPACE = {"np": np, "Callable": Callable}


def _notebook_solution(name: str) -> Callable:
    return define(answer_source(LESSON, name), name, NAMESPACE)


def _stub(name: str) -> Callable:
    """The answer cell as nbgrader releases it: the solution region replaced by a stub."""
    return define(student_stub(answer_source(LESSON, name)), name, NAMESPACE)


def _solution_lines(name: str) -> list[str]:
    return solution_lines(answer_source(LESSON, name), min_length=10)


def _assert_reveals_nothing(message: str, name: str) -> None:
    assert_gives_nothing_away(message, _solution_lines(name))


# ----- every exercise -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXERCISES)
def test_the_stub_is_not_written_yet_and_gets_nothing_else(name):
    message = EXERCISES[name](_stub(name)).message
    assert "not written yet" in message and "Pointer" not in message and "known mistake" not in message
    _assert_reveals_nothing(message, name)


@pytest.mark.parametrize(("name", "reference"), [("numerical_gradient", numerical_gradient),
                                                  ("rnn_step_backward", rnn_step_backward)])
def test_the_reference_and_the_notebooks_solution_pass_also_on_hidden_cases(name, reference):
    for fn in (reference, _notebook_solution(name)):
        assert_passes_also_on_hidden_cases(EXERCISES[name], fn)


def test_no_markdown_and_no_output_before_a_check_shows_a_solution_line():
    for name in EXERCISES:
        assert_nothing_shown_before_check(LESSON, name, _solution_lines(name))


def test_exercise_cells_follow_the_convention():
    assert_exercise_cells_follow_the_convention(LESSON, list(EXERCISES), min_length=10)
    cells = notebook_cells(LESSON)
    ids = grade_ids(cells)
    for name in EXERCISES:
        stored = "".join("".join(o.get("text", "")) for o in cells[ids.index(f"{name}_check")]["outputs"])
        assert stored.startswith(f"✓ {name} matches the reference"), stored
    sources = ["".join(c["source"]) for c in cells]
    assert not any("show.source(rnn_step_backward" in source for source in sources)
    assert "**Time:** about 50 minutes" in sources[0]


# ----- the centred difference: realistic wrong answers ----------------------------------------


def one_sided(f, x, index, h=1e-5):
    original = x[index]
    loss = f()
    x[index] = original + h
    loss_up = f()
    x[index] = original
    return (loss_up - loss) / h


def divided_by_h(f, x, index, h=1e-5):
    original = x[index]
    x[index] = original + h
    loss_up = f()
    x[index] = original - h
    loss_down = f()
    x[index] = original
    return (loss_up - loss_down) / h


def never_restored(f, x, index, h=1e-5):
    x[index] += h
    loss_up = f()
    x[index] -= 2 * h
    return (loss_up - f()) / (2 * h)


def on_a_copy(f, x, index, h=1e-5):
    nudged = x.copy()
    nudged[index] += h
    loss_up = f()
    nudged[index] -= 2 * h
    return (loss_up - f()) / (2 * h)


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (one_sided, "one-sided (forward) difference"),
        (divided_by_h, "2h apart"),
        (never_restored, "was not put back"),
        (on_a_copy, "never saw the perturbation"),
    ],
)
def test_numerical_gradient_mistakes_are_named_and_the_second_attempt_gets_the_pointer(wrong, words):
    assert_named_then_pointed(check_numerical_gradient, wrong, words, _solution_lines("numerical_gradient"))


# ----- one step backwards: realistic wrong answers -------------------------------------------


def no_tanh_derivative(dh_next, cache):
    x, h_prev, W_xh, W_hh, h_next = cache
    da = dh_next
    return da @ W_xh.T, da @ W_hh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def derivative_at_h_prev(dh_next, cache):
    x, h_prev, W_xh, W_hh, h_next = cache
    da = dh_next * (1 - h_prev**2)
    return da @ W_xh.T, da @ W_hh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def dW_hh_transposed(dh_next, cache):
    x, h_prev, W_xh, W_hh, h_next = cache
    da = dh_next * (1 - h_next**2)
    return da @ W_xh.T, da @ W_hh.T, x.T @ da, da.T @ h_prev, da.sum(axis=0)


def dh_prev_untransposed(dh_next, cache):
    x, h_prev, W_xh, W_hh, h_next = cache
    da = dh_next * (1 - h_next**2)
    return da @ W_xh.T, da @ W_hh, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def bias_averaged(dh_next, cache):
    x, h_prev, W_xh, W_hh, h_next = cache
    da = dh_next * (1 - h_next**2)
    return da @ W_xh.T, da @ W_hh.T, x.T @ da, h_prev.T @ da, da.mean(axis=0)


def bias_not_summed(dh_next, cache):
    x, h_prev, W_xh, W_hh, h_next = cache
    da = dh_next * (1 - h_next**2)
    return da @ W_xh.T, da @ W_hh.T, x.T @ da, h_prev.T @ da, da


@pytest.mark.parametrize(
    ("wrong", "first_wrong", "words"),
    [
        (no_tanh_derivative, "dx", "the tanh derivative is missing"),
        (derivative_at_h_prev, "dx", "taken at h_prev"),
        (dW_hh_transposed, "dW_hh", "dW_hh is transposed"),
        (dh_prev_untransposed, "dh_prev", "not through its transpose"),
        (bias_averaged, "db_h", "the mean over the batch"),
    ],
)
def test_step_backward_mistakes_are_named_and_the_second_attempt_gets_the_pointer(wrong, first_wrong, words):
    first, _ = assert_named_then_pointed(check_rnn_step_backward, wrong, words, _solution_lines("rnn_step_backward"))
    assert first.message.startswith(f"✗ rnn_step_backward, case 1 of 3: {first_wrong} has the right shape")


def test_a_bias_gradient_not_summed_over_the_batch_is_told_by_its_shape():
    result = check_rnn_step_backward(bias_not_summed)
    assert "db_h has shape" in result.message and "sum over the batch" in result.message


def test_step_backward_with_the_learners_own_cache():
    def my_forward(x, h_prev, W_xh, W_hh, b_h):
        h = np.tanh(x @ W_xh + h_prev @ W_hh + b_h)
        return h, {"x": x, "h_prev": h_prev, "W_xh": W_xh, "W_hh": W_hh, "h": h}

    def my_backward(dh_next, c):
        dz = dh_next * (1 - c["h"] ** 2)
        return dz @ c["W_xh"].T, dz @ c["W_hh"].T, c["x"].T @ dz, c["h_prev"].T @ dz, dz.sum(axis=0)

    assert check_rnn_step_backward(my_backward, forward_fn=my_forward).passed


# ----- the module's other checkers (BPTT, the loss gradient) ---------------------------------


def test_rnn_backward_reference_passes_and_two_mistakes_are_named():
    assert check_rnn_backward(rnn_backward).passed

    def no_bptt(dh, cache):
        grads = [rnn_step_backward(dh[:, t], cache[t]) for t in range(dh.shape[1])]
        dx = np.stack([g[0] for g in grads], axis=1)
        return (dx, grads[0][1], *(sum(g[k] for g in grads) for k in (2, 3, 4)))

    assert "gradient from the future is missing" in check_rnn_backward(no_bptt).message

    def overwrites_weight_gradients(dh, cache):
        dx, dh0, *_ = rnn_backward(dh, cache)
        dh_t = np.zeros_like(dh[:, 0])
        for t in reversed(range(dh.shape[1])):
            _, dh_t, dW_xh, dW_hh, db_h = rnn_step_backward(dh[:, t] + dh_t, cache[t])
        return dx, dh0, dW_xh, dW_hh, db_h

    message = check_rnn_backward(overwrites_weight_gradients).message
    assert "those of step 0 alone" in message and "Pointer (attempt 2)" in message


def test_softmax_cross_entropy_reference_passes_and_mistakes_are_named_without_code():
    assert check_softmax_cross_entropy(softmax_cross_entropy).passed

    def forgot_minus_one(logits, targets):
        loss, _ = softmax_cross_entropy(logits, targets)
        return loss, softmax(logits) / logits.shape[0]

    def no_division_by_B(logits, targets):
        loss, d = softmax_cross_entropy(logits, targets)
        return loss, d * logits.shape[0]

    first = check_softmax_cross_entropy(forgot_minus_one).message
    assert "dlogits has the right shape" in first and "the target's own term" in first
    second = check_softmax_cross_entropy(no_division_by_B).message
    assert "missing the 1/B" in second and "Pointer (attempt 2)" in second
    for message in (first, second):
        assert "-= 1" not in message and "one_hot(" not in message
