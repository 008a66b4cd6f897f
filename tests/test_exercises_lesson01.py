"""Lesson 1's exercises (make_streams, windows): the learner's path through each checker."""

from __future__ import annotations

from collections.abc import Iterator

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

from lstm_lab.batching import make_streams, windows
from lstm_lab.checking import hidden_cases, show_solution
from lstm_lab.exercises import check_make_streams
from lstm_lab.exercises.lesson01 import check_windows

LESSON = "01_data.ipynb"


def test_lesson_1s_exercises_follow_the_convention_and_show_no_answer_early():
    assert_exercise_cells_follow_the_convention(LESSON, ["make_streams", "windows"])
    assert_no_show_source_before(LESSON, ["make_streams", "windows"])


def _notebook_function(name: str, source: str | None = None):
    """The lesson's answer cell for ``name``, run with the names the lesson has defined before it."""
    return define(source or answer_source(LESSON, name), name, {"np": np, "Iterator": Iterator})


# ----- make_streams ---------------------------------------------------------------------------


def _streams(mistake: str | None = None):
    """make_streams as a learner writes it, with one classic mistake or none."""

    def streams(ids, batch_size):
        L = len(ids) // batch_size
        if mistake == "interleaved":
            return ids[: batch_size * L].reshape(L, batch_size).T
        if mistake == "drops the start":
            return ids[len(ids) - batch_size * L :].reshape(batch_size, L)
        return np.array([ids[b * L : b * L + L] for b in range(batch_size)])

    return streams


def test_the_streams_reference_and_the_lessons_own_solution_pass():
    assert check_make_streams(make_streams).passed
    mine = _notebook_function("make_streams")
    result = assert_passes_also_on_hidden_cases(check_make_streams, mine, "5 hidden random cases")
    assert result.message == "✓ make_streams matches the reference on 3 random cases"
    assert check_make_streams(_streams()).passed


def test_the_student_editions_streams_stub_is_not_written_yet():
    stub = _notebook_function("make_streams", student_stub(answer_source(LESSON, "make_streams")))
    result = check_make_streams(stub)
    assert not result.passed and "make_streams is not written yet" in result.message, result.message
    assert_gives_nothing_away(result.message, solution_lines(answer_source(LESSON, "make_streams"), min_length=1))
    returns_none = check_make_streams(lambda ids, batch_size: None)
    assert "still the stub" in returns_none.message and "known mistake" not in returns_none.message


@pytest.mark.parametrize(
    ("mistake", "named"),
    [("interleaved", "row b holds every B-th symbol"), ("drops the start", "dropped from the start of the text")],
)
def test_classic_streams_mistakes_are_named_then_pointed_at(mistake, named):
    lines = solution_lines(answer_source(LESSON, "make_streams"), min_length=1)
    lines += ["reshape(batch_size, L)", "// batch_size"]
    assert_named_then_pointed(check_make_streams, _streams(mistake), named, lines,
                              pointer="Pointer (attempt 2): picture the book as B equal pieces")


# ----- windows --------------------------------------------------------------------------------


def _windows(mistake: str | None = None):
    """windows as a learner writes it (a generator), with one classic mistake or none."""

    def learner_windows(streams, seq_length):
        T, L = seq_length, streams.shape[1]
        count = {"one too many": L // T, "one too few": L // T - 1, "sliding": L - T}.get(mistake, (L - 1) // T)
        for k in range(count):
            start = k if mistake in ("overlapping", "sliding") else k * T
            shift = 0 if mistake == "targets are inputs" else 1
            yield streams[:, start : start + T], streams[:, start + shift : start + shift + T]

    return learner_windows


def test_the_windows_reference_and_the_lessons_own_solution_pass():
    assert check_windows(windows).passed
    mine = _notebook_function("windows")
    result = assert_passes_also_on_hidden_cases(check_windows, mine, "5 hidden random cases")
    assert result.message == "✓ windows matches the reference on 3 random cases"
    assert check_windows(_windows()).passed
    as_a_list = check_windows(lambda streams, seq_length: list(windows(streams, seq_length)))
    assert as_a_list.passed, as_a_list.message


def test_the_student_editions_windows_stub_is_not_written_yet():
    stub = _notebook_function("windows", student_stub(answer_source(LESSON, "windows")))
    result = check_windows(stub)
    assert not result.passed and "windows is not written yet" in result.message, result.message
    assert_gives_nothing_away(result.message, solution_lines(answer_source(LESSON, "windows"), min_length=1))


def test_a_generator_that_raises_while_iterating_is_not_written_yet_too():
    def half_written(streams, seq_length):
        yield streams[:, :seq_length], streams[:, 1 : seq_length + 1]
        raise NotImplementedError()

    assert "not written yet" in check_windows(half_written).message


@pytest.mark.parametrize(
    ("mistake", "first_difference", "named"),
    [
        ("targets are inputs", "targets (all windows stacked: K, B, T) has the right", "the targets are the inputs"),
        ("one too many", "the number of windows is", "one window too many"),
        ("one too few", "the number of windows is", "one window too few"),
        ("overlapping", "inputs (all windows stacked: K, B, T) has the right shape", "the windows overlap"),
        ("sliding", "the number of windows is", "the windows slide one step at a time"),
    ],
)
def test_classic_windows_mistakes_are_named_then_pointed_at(mistake, first_difference, named):
    lines = solution_lines(answer_source(LESSON, "windows"), min_length=1) + ["(L - 1) // T", "k * T"]
    first, _ = assert_named_then_pointed(check_windows, _windows(mistake), named, lines,
                                         pointer="Pointer (attempt 2): write out, for T = 3")
    assert first_difference in first.message, first.message


def test_the_visible_cases_tell_every_count_mistake():
    """Each visible case set has an L that T divides and one it does not, so both off-by-ones fail."""
    for mistake in ("one too many", "one too few"):
        assert not check_windows(_windows(mistake)).passed
        with hidden_cases():
            assert not check_windows(_windows(mistake)).passed


def test_windows_that_are_not_pairs_or_have_the_wrong_shape_are_explained():
    singles = check_windows(lambda streams, seq_length: (w[0] for w in windows(streams, seq_length)))
    assert "window 0 is a ndarray, not a pair (inputs, targets)" in singles.message, singles.message

    def time_first(streams, seq_length):
        for inputs, targets in windows(streams, seq_length):
            yield inputs.T, targets.T

    transposed = check_windows(time_first)
    assert "known mistake: each window is (T, B), time first" in transposed.message, transposed.message

    def short_last_window(streams, seq_length):
        T = seq_length
        for k in range(streams.shape[1] // T):  # one too many: the last targets are cut short
            yield streams[:, k * T : (k + 1) * T], streams[:, k * T + 1 : (k + 1) * T + 1]

    short = check_windows(short_last_window)
    assert "the number of windows is" in short.message and "one window too many" in short.message, short.message


def test_the_reveal_shows_the_packages_loop():
    code = show_solution("windows").data
    assert "def windows" in code and "for k in range(K)" in code and "yield inputs, targets" in code
    assert "def make_streams" in show_solution("make_streams").data
