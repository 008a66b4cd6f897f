"""Lesson 4's exercises: the Adagrad update, the training loop and the sampling loop (and clipping).

For each exercise: the notebook's stub is told it is not written yet; the reference and the
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
from lstm_lab.batching import make_streams, windows
from lstm_lab.exercises import check_adagrad_update, check_clip_by_value, check_sample, check_train_steps
from lstm_lab.exercises.lesson04 import _reference_sample, reference_train_steps
from lstm_lab.optim import Adagrad, clip_by_value
from lstm_lab.rnn import RNN
from lstm_lab.train import train

LESSON = "04_rnn_training.ipynb"
EXERCISES = {"adagrad_update": check_adagrad_update, "train_steps": check_train_steps, "sample": check_sample}
NAMESPACE = {"np": np, "softmax": softmax, "make_streams": make_streams, "windows": windows,
             "clip_by_value": clip_by_value}


def _notebook_solution(name: str) -> Callable:
    return define(answer_source(LESSON, name), name, NAMESPACE)


def _stub(name: str) -> Callable:
    """The answer cell as nbgrader releases it: the solution region replaced by a stub."""
    return define(student_stub(answer_source(LESSON, name)), name, NAMESPACE)


def _solution_lines(name: str) -> list[str]:
    return solution_lines(answer_source(LESSON, name), min_length=10)


def _assert_reveals_nothing(message: str, name: str) -> None:
    assert_gives_nothing_away(message, _solution_lines(name))


def _named_with_pointer_on_retry(checker: Callable, wrong: Callable, words: str, name: str) -> None:
    assert_named_then_pointed(checker, wrong, words, _solution_lines(name))


# ----- every exercise -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXERCISES)
def test_the_stub_is_not_written_yet_and_gets_nothing_else(name):
    message = EXERCISES[name](_stub(name)).message
    assert "not written yet" in message and "Pointer" not in message and "known mistake" not in message
    _assert_reveals_nothing(message, name)


def _adagrad_reference(w, g, m, lr, eps=1e-8):
    m = m + g * g
    return w - lr * g / np.sqrt(m + eps), m


@pytest.mark.parametrize(("name", "reference"), [("adagrad_update", _adagrad_reference),
                                                  ("train_steps", reference_train_steps),
                                                  ("sample", _reference_sample)])
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
    assert not any("show.source(Adagrad" in source for source in sources)
    assert "**Time:** about 50 minutes" in sources[0]
    # after the sampling exercise the lesson uses the package's sample again
    start = ids.index("sample_answer") + 3
    after = "".join(s for c, s in zip(cells[start:], sources[start:], strict=True) if c["cell_type"] == "code")
    assert "from lstm_lab.sampling import sample" in after


# ----- Adagrad --------------------------------------------------------------------------------


def adagrad_without_root(w, g, m, lr, eps=1e-8):
    m = m + g * g
    return w - lr * g / (m + eps), m


def adagrad_memory_replaced(w, g, m, lr, eps=1e-8):
    m = g * g
    return w - lr * g / np.sqrt(m + eps), m


def adagrad_old_memory(w, g, m, lr, eps=1e-8):
    w_new = w - lr * g / np.sqrt(m + eps)
    return w_new, m + g * g


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (adagrad_without_root, "not by its square root"),
        (adagrad_memory_replaced, "only the latest squared gradient"),
        (adagrad_old_memory, "before this step's gradient joined it"),
        (lambda w, g, m, lr, eps=1e-8: (w - lr * g, m + g * g), "plain gradient descent"),
    ],
)
def test_adagrad_mistakes_are_named(wrong, words):
    _named_with_pointer_on_retry(check_adagrad_update, wrong, words, "adagrad_update")


def test_the_adagrad_stub_returning_its_inputs_is_told_it_changed_nothing():
    result = check_adagrad_update(lambda w, g, m, lr, eps=1e-8: (w, m))
    assert not result.passed and "unchanged" in result.message
    _assert_reveals_nothing(result.message, "adagrad_update")


# ----- the training loop ----------------------------------------------------------------------


def test_the_reference_loop_is_the_package_train_loop():
    ids = np.random.default_rng(0).integers(0, 7, size=130)  # 4 streams of 32: 3 windows of 10 per pass
    a, b = RNN(7, 5, seed=1, weight_scale=0.5), RNN(7, 5, seed=1, weight_scale=0.5)
    losses = reference_train_steps(a, ids, 10, 4, 10, Adagrad(lr=0.1), 0.05)
    history = train(b, ids, num_steps=10, batch_size=4, seq_length=10, optimizer=Adagrad(lr=0.1),
                    clip_value=0.05, log_every=1)
    np.testing.assert_allclose(np.array(losses) / 10, history.train_loss, rtol=1e-12, atol=0)
    for p, q in zip(a.params, b.params, strict=True):
        np.testing.assert_array_equal(p.value, q.value)


def loop_state_not_carried(model, ids, num_steps, batch_size, seq_length, optimizer, clip_value):
    streams = make_streams(ids, batch_size)
    losses = []
    while len(losses) < num_steps:
        for inputs, targets in windows(streams, seq_length):
            loss, _ = model.loss(inputs, targets, model.initial_state(batch_size))
            clip_by_value(model.params, clip_value)
            optimizer.step(model.params)
            losses.append(loss)
            if len(losses) == num_steps:
                break
    return losses


def loop_state_never_reset(model, ids, num_steps, batch_size, seq_length, optimizer, clip_value):
    streams = make_streams(ids, batch_size)
    losses, state = [], model.initial_state(batch_size)
    while len(losses) < num_steps:
        for inputs, targets in windows(streams, seq_length):
            loss, state = model.loss(inputs, targets, state)
            clip_by_value(model.params, clip_value)
            optimizer.step(model.params)
            losses.append(loss)
            if len(losses) == num_steps:
                break
    return losses


def loop_without_clipping(model, ids, num_steps, batch_size, seq_length, optimizer, clip_value):
    streams = make_streams(ids, batch_size)
    losses = []
    while len(losses) < num_steps:
        state = model.initial_state(batch_size)
        for inputs, targets in windows(streams, seq_length):
            loss, state = model.loss(inputs, targets, state)
            optimizer.step(model.params)
            losses.append(loss)
            if len(losses) == num_steps:
                break
    return losses


def loop_updating_before_backward(model, ids, num_steps, batch_size, seq_length, optimizer, clip_value):
    streams = make_streams(ids, batch_size)
    losses = []
    while len(losses) < num_steps:
        state = model.initial_state(batch_size)
        for inputs, targets in windows(streams, seq_length):
            optimizer.step(model.params)
            loss, state = model.loss(inputs, targets, state)
            clip_by_value(model.params, clip_value)
            losses.append(loss)
            if len(losses) == num_steps:
                break
    return losses


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (loop_state_not_carried, "the state is not carried"),
        (loop_state_never_reset, "not reset when a new pass begins"),
        (loop_without_clipping, "unclipped gradients"),
        (loop_updating_before_backward, "the previous window's gradients"),
    ],
)
def test_training_loop_mistakes_are_named(wrong, words):
    _named_with_pointer_on_retry(check_train_steps, wrong, words, "train_steps")


# ----- the sampling loop ----------------------------------------------------------------------


def sample_argmax(model, vocab, prime, length, temperature, rng):
    state = model.initial_state(1)
    for i in vocab.encode(prime):
        scores, state = model.step(np.array([i]), state)
    drawn = []
    for _ in range(length):
        i = int(np.argmax(scores[0]))
        drawn.append(i)
        scores, state = model.step(np.array([i]), state)
    return vocab.decode(drawn)


def sample_feeding_the_prime_again(model, vocab, prime, length, temperature, rng):
    state = model.initial_state(1)
    ids = vocab.encode(prime)
    for i in ids:
        scores, state = model.step(np.array([i]), state)
    drawn = []
    for _ in range(length):
        p = softmax(scores[0] / temperature)
        drawn.append(rng.choice(len(p), p=p))
        scores, state = model.step(ids[-1:], state)
    return vocab.decode(drawn)


def sample_without_carrying_h(model, vocab, prime, length, temperature, rng):
    state = model.initial_state(1)
    for i in vocab.encode(prime):
        scores, state = model.step(np.array([i]), state)
    drawn = []
    for _ in range(length):
        p = softmax(scores[0] / temperature)
        i = rng.choice(len(p), p=p)
        drawn.append(i)
        scores, _ = model.step(np.array([i]), state)
    return vocab.decode(drawn)


def sample_times_temperature(model, vocab, prime, length, temperature, rng):
    state = model.initial_state(1)
    for i in vocab.encode(prime):
        scores, state = model.step(np.array([i]), state)
    drawn = []
    for _ in range(length):
        p = softmax(scores[0] * temperature)
        i = rng.choice(len(p), p=p)
        drawn.append(i)
        scores, state = model.step(np.array([i]), state)
    return vocab.decode(drawn)


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (sample_argmax, "the argmax"),
        (sample_feeding_the_prime_again, "not fed the character it just drew"),
        (sample_without_carrying_h, "not carried"),
        (sample_times_temperature, "multiplied by the temperature"),
    ],
)
def test_sampling_mistakes_are_named(wrong, words):
    _named_with_pointer_on_retry(check_sample, wrong, words, "sample")


def test_a_sample_returned_as_ids_is_told_what_kind_of_result_is_expected():
    def as_ids(model, vocab, prime, length, temperature, rng):
        return list(range(length))

    message = check_sample(as_ids).message
    assert "not the expected kind of result" in message and "a str" in message


# ----- clipping (the module's other checker) ------------------------------------------------


def test_clip_by_value_reference_passes_and_mistakes_are_named_without_code():
    assert check_clip_by_value(clip_by_value).passed

    def clip_copy(params, limit):
        for p in params:
            g = np.clip(p.grad, -limit, limit)  # noqa: F841 - a new local array, the classic mistake

    def clip_weights(params, limit):
        for p in params:
            np.clip(p.value, -limit, limit, out=p.value)

    first = check_clip_by_value(clip_copy).message
    assert "W_xh.grad" in first and "in place" in first  # the engine's message for a change that never lands
    assert "the weights p.value were clipped" in check_clip_by_value(clip_weights).message
    second = check_clip_by_value(clip_weights).message  # a function that changed nothing was no attempt
    assert "Pointer (attempt 2)" in second
    for message in (first, second):
        assert "np.clip(" not in message and "out=" not in message
