"""The automatic exercise checks: right answers pass, classic mistakes are named."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_lab.exercises import (
    CheckResult,
    check_clip_by_value,
    check_rnn_forward,
    check_rnn_step_forward,
    compare,
)
from lstm_lab.rnn import rnn_forward, rnn_step_forward

# ----- compare ---------------------------------------------------------------------------------


def test_compare_equal_outputs_pass():
    a = np.arange(6.0).reshape(2, 3)
    assert compare(a, a.copy()).passed
    assert compare((a, 1.5), (a + 1e-12, 1.5), names=["h", "loss"]).passed


def test_compare_explains_each_kind_of_difference():
    a = np.arange(6.0).reshape(2, 3)
    r = compare((a,), (a, a), names=["h", "cache"])
    assert not r.passed and "expected 2 outputs (h, cache), got 1" in r.message
    r = compare(a, (a, a), names=["h", "c"])
    assert "got a single ndarray" in r.message
    r = compare((a, a.T), (a, a), names=["dx", "dW"])
    assert r.message.startswith("✗ dW has shape (3, 2), expected (2, 3)") and "transposed" in r.message
    r = compare(np.ones((4, 3)), np.ones(3), names=["db"])
    assert "sum over the batch" in r.message
    r = compare(a.astype(int), a)
    assert "dtype int64" in r.message
    r = compare((None,), (a,), names=["dh0"])
    assert "dh0 is None" in r.message
    b = a.copy()
    b[1, 2] += 0.5
    r = compare(b, a, names=["h_next"])
    assert "h_next has the right shape (2, 3) but wrong values" in r.message
    assert "1 of 6 entries differ" in r.message and "index (1, 2): got 5.5, expected 5" in r.message
    r = compare(3.0, 2.0, names=["loss"])
    assert r.message == "✗ loss is 3, expected 2 (difference 1)."


def test_check_result_behaves():
    ok, bad = CheckResult(True, "✓ fine"), CheckResult(False, "✗ not fine")
    assert bool(ok) and not bool(bad)
    assert str(ok) == repr(ok) == "✓ fine"
    ok.assert_ok()
    with pytest.raises(AssertionError, match="not fine"):
        bad.assert_ok()


# ----- the checkers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("checker", "reference", "name"),
    [
        (check_rnn_step_forward, rnn_step_forward, "rnn_step_forward"),
        (check_rnn_forward, rnn_forward, "rnn_forward"),
    ],
)
def test_reference_implementations_pass(checker, reference, name):
    result = checker(reference)
    assert result.passed, result.message
    assert result.message == f"✓ {name} matches the reference on 3 random cases"


def test_an_exception_in_the_learners_code_is_a_failed_check():
    def broken(x, h_prev, W_xh, W_hh, b_h):
        return np.tanh(x @ W_xh + h_prev @ W_hh + bh), None  # noqa: F821 - a typo: bh

    result = check_rnn_step_forward(broken)
    assert not result.passed
    assert result.message.startswith("✗ rnn_step_forward raised NameError: name 'bh' is not defined")
    assert "h_prev @ W_hh + bh" in result.message  # the offending line of the learner's code

    def bad_shapes(x, h_prev, W_xh, W_hh, b_h):
        return np.tanh(x.reshape(-1, x.size + 1)), None

    assert "raised ValueError" in check_rnn_step_forward(bad_shapes).message


# ----- Lesson 1 and 4 checkers -----------------------------------------------------------


def test_an_untouched_stub_is_told_what_is_missing_but_not_the_recipe():
    # A stub that returns None is what every stored exercise output shows: no solution there.
    result = check_rnn_step_forward(lambda x, h_prev, W_xh, W_hh, b_h: None)
    assert not result.passed
    assert "None" in result.message
    assert "Hint:" not in result.message and "np.tanh" not in result.message, result.message


def test_an_in_place_stub_gets_no_pointer_but_a_second_wrong_attempt_does():
    def does_nothing(params, limit):
        return None

    def clips_only_to_one_side_and_scales(params, limit):
        for p in params:
            p.grad *= 0.5

    stub = check_clip_by_value(does_nothing)
    assert not stub.passed and "Pointer" not in stub.message, stub.message
    first = check_clip_by_value(clips_only_to_one_side_and_scales)
    assert not first.passed and "Pointer" not in first.message, first.message
    second = check_clip_by_value(clips_only_to_one_side_and_scales)
    assert not second.passed and "Pointer (attempt" in second.message, second.message


def test_a_stub_that_returns_a_tuple_of_nones_gets_no_recipe():
    def stub(x, h_prev, W_xh, W_hh, b_h):
        h_next = None  # the notebook's stub: the learner replaces this line
        return h_next, None

    result = check_rnn_step_forward(stub)
    assert not result.passed and "Hint:" not in result.message and "np.tanh" not in result.message, result.message


# ----- the engine: attempts, hidden cases, stubs, spoilers ------------------------------------


def test_not_implemented_stub_is_told_it_is_not_written_and_nothing_else():
    def stub(x, h0, W_xh, W_hh, b_h):
        raise NotImplementedError()

    result = check_rnn_forward(stub)
    assert not result.passed and "not written yet" in result.message
    assert "Pointer" not in check_rnn_forward(stub).message  # a stub never counts as an attempt


def test_assert_ok_raises_check_failed_showing_only_the_message():
    from lstm_lab.checking import CheckFailed

    result = check_rnn_forward(lambda *args: None)
    with pytest.raises(CheckFailed) as info:
        result.assert_ok()
    assert info.value.result is result
    assert info.value._render_traceback_() == result.message.splitlines()
    assert check_rnn_forward(rnn_forward).assert_ok().passed


def test_hidden_cases_use_other_seeds_and_more_cases():
    from lstm_lab.checking import hidden_cases

    seen: list[tuple] = []

    def spy(x, h0, W_xh, W_hh, b_h):
        seen.append(x.shape)
        return rnn_forward(x, h0, W_xh, W_hh, b_h)

    visible = check_rnn_forward(spy)
    n_visible, visible_shapes = len(seen), list(seen)
    seen.clear()
    with hidden_cases():
        hidden = check_rnn_forward(spy)
    assert visible.passed and hidden.passed and "hidden" in hidden.message
    assert len(seen) > n_visible and seen[:n_visible] != visible_shapes


def test_a_pass_resets_the_attempt_count():
    wrong = lambda *args: (np.zeros(1), None)  # noqa: E731
    check_rnn_step_forward(wrong)
    assert "Pointer" in check_rnn_step_forward(wrong).message
    assert check_rnn_step_forward(rnn_step_forward).passed
    assert "Pointer" not in check_rnn_step_forward(wrong).message


def test_show_solution_warns_and_shows_the_package_source():
    from lstm_lab.checking import show_solution

    code = show_solution("rnn_forward")
    assert "def rnn_forward" in code.data
    with pytest.raises(KeyError, match="the exercises are"):
        show_solution("no_such_exercise")


def test_a_mistake_is_named_only_if_it_matches_on_every_case():
    from lstm_lab.checking import Mistake, check_function, random_array

    def case(rng):
        return (random_array(rng, (3,)),)

    def doubled(x):
        return 2 * x

    def tripled(x):
        return 3 * x

    calls = []

    def tripled_once(x):  # agrees with the mistake on the first case only: an accident, not the mistake
        calls.append(1)
        return 3 * x if len(calls) == 1 else 5 * x

    mistakes = [Mistake("times three instead of two", tripled)]
    named = check_function("double", tripled, doubled, case, mistakes=mistakes)
    assert not named.passed and "known mistake: times three" in named.message, named.message
    accidental = check_function("double", tripled_once, doubled, case, mistakes=mistakes)
    assert not accidental.passed and "known mistake" not in accidental.message, accidental.message
