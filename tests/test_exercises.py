"""The automatic exercise checks: right answers pass, classic mistakes are named."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_lab.activations import softmax
from lstm_lab.exercises import (
    CheckResult,
    check_clip_by_value,
    check_rnn_backward,
    check_rnn_forward,
    check_rnn_step_backward,
    check_rnn_step_forward,
    check_softmax_cross_entropy,
    compare,
)
from lstm_lab.losses import softmax_cross_entropy
from lstm_lab.optim import clip_by_value
from lstm_lab.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

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
        (check_rnn_step_backward, rnn_step_backward, "rnn_step_backward"),
        (check_rnn_forward, rnn_forward, "rnn_forward"),
        (check_rnn_backward, rnn_backward, "rnn_backward"),
        (check_softmax_cross_entropy, softmax_cross_entropy, "softmax_cross_entropy"),
        (check_clip_by_value, clip_by_value, "clip_by_value"),
    ],
)
def test_reference_implementations_pass(checker, reference, name):
    result = checker(reference)
    assert result.passed, result.message
    assert result.message == f"✓ {name} matches the reference on 3 random cases"


def test_learner_written_step_forward_passes():
    def my_step(x, h_prev, W_xh, W_hh, b_h):
        h_next = np.tanh(x.dot(W_xh) + h_prev.dot(W_hh) + b_h)
        return h_next, {"anything": "goes in my cache"}

    assert check_rnn_step_forward(my_step).passed


def test_step_forward_without_tanh_fails_with_a_hint():
    result = check_rnn_step_forward(lambda x, h, Wx, Wh, b: (x @ Wx + h @ Wh + b, None))
    assert not result.passed
    assert "h_next has the right shape" in result.message
    assert "This is a known mistake: h_next looks like" in result.message and "np.tanh" in result.message


def test_step_backward_without_tanh_derivative_names_the_output():
    def no_dtanh(dh_next, cache):
        x, h_prev, W_xh, W_hh, _ = cache
        dz = dh_next  # forgot * (1 - h_next**2)
        return dz @ W_xh.T, dz @ W_hh.T, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)

    result = check_rnn_step_backward(no_dtanh)
    assert not result.passed
    assert result.message.startswith("✗ rnn_step_backward, case 1 of 3: dx has the right shape")
    assert "forgotten the tanh derivative" in result.message


def test_step_backward_with_the_learners_own_cache():
    def my_forward(x, h_prev, W_xh, W_hh, b_h):
        h = np.tanh(x @ W_xh + h_prev @ W_hh + b_h)
        return h, {"x": x, "h_prev": h_prev, "W_xh": W_xh, "W_hh": W_hh, "h": h}

    def my_backward(dh_next, c):
        dz = dh_next * (1 - c["h"] ** 2)
        return dz @ c["W_xh"].T, dz @ c["W_hh"].T, c["x"].T @ dz, c["h_prev"].T @ dz, dz.sum(axis=0)

    assert check_rnn_step_backward(my_backward, forward_fn=my_forward).passed


def test_backward_without_the_recurrent_gradient_is_recognised():
    def no_bptt(dh, cache):
        grads = [rnn_step_backward(dh[:, t], cache[t]) for t in range(dh.shape[1])]
        dx = np.stack([g[0] for g in grads], axis=1)
        return (dx, grads[0][1], *(sum(g[k] for g in grads) for k in (2, 3, 4)))

    result = check_rnn_backward(no_bptt)
    assert not result.passed and "gradient from the future is missing" in result.message


def test_softmax_cross_entropy_classic_mistakes():
    def forgot_minus_one(logits, targets):
        loss, _ = softmax_cross_entropy(logits, targets)
        return loss, softmax(logits) / logits.shape[0]

    result = check_softmax_cross_entropy(forgot_minus_one)
    assert "dlogits has the right shape" in result.message and "dy[target] -= 1" in result.message

    def no_division_by_B(logits, targets):
        loss, d = softmax_cross_entropy(logits, targets)
        return loss, d * logits.shape[0]

    assert "missing the 1/B" in check_softmax_cross_entropy(no_division_by_B).message


def test_clip_not_in_place_is_explained():
    def clip_copy(params, limit):
        for p in params:
            g = np.clip(p.grad, -limit, limit)  # noqa: F841 - a new local array, the classic mistake

    result = check_clip_by_value(clip_copy)
    assert not result.passed and "W_xh.grad" in result.message and "in place" in result.message


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


def test_make_streams_checker_accepts_reference_and_names_interleaving():
    from lstm_lab.batching import make_streams
    from lstm_lab.exercises import check_make_streams

    assert check_make_streams(make_streams).passed
    assert not check_make_streams(lambda ids, b: None).passed

    def interleaved(ids, b):
        L = len(ids) // b
        return ids[: b * L].reshape(L, b).T

    result = check_make_streams(interleaved)
    assert not result.passed and "contiguous" in result.message


def test_adagrad_checker_accepts_correct_update_and_flags_sgd():
    from lstm_lab.exercises import check_adagrad_update

    def correct(w, g, m, lr, eps=1e-8):
        m = m + g * g
        return w - lr * g / np.sqrt(m + eps), m

    assert check_adagrad_update(correct).passed
    sgd = check_adagrad_update(lambda w, g, m, lr, eps=1e-8: (w - lr * g, m + g * g))
    assert not sgd.passed and "plain gradient descent" in sgd.message
    unfinished = check_adagrad_update(lambda w, g, m, lr, eps=1e-8: (w, m))
    assert not unfinished.passed


def test_temperature_softmax_checker():
    from lstm_lab.exercises import check_temperature_softmax
    from lstm_lab.sampling import temperature_softmax

    assert check_temperature_softmax(temperature_softmax).passed
    times = check_temperature_softmax(lambda z, t: softmax(z * t))
    assert not times.passed and "multiplied" in times.message
    assert not check_temperature_softmax(lambda z, t: None).passed


# ----- Lesson 5: the LSTM step --------------------------------------------------------------


def _my_lstm_step(mistake=None):
    from lstm_lab.activations import sigmoid

    def step(x, h_prev, C_prev, p):
        z = np.concatenate([x, h_prev], axis=1)
        f = sigmoid(z @ p["W_f"] + p["b_f"])
        i = sigmoid(z @ p["W_i"] + p["b_i"])
        C_tilde = np.tanh(z @ p["W_C"] + p["b_C"])
        o = sigmoid(z @ p["W_o"] + p["b_o"])
        C_next = f * (C_tilde if mistake == "forget_candidate" else C_prev) + i * C_tilde
        if mistake == "no_output_gate":
            return np.tanh(C_next), C_next, {}
        if mistake == "no_tanh_of_C":
            return o * C_next, C_next, {}
        return o * np.tanh(C_next), C_next, {"my": "cache"}

    return step


def test_lstm_step_forward_checker_accepts_reference_and_learner_code():
    from lstm_lab.exercises import check_lstm_step_forward
    from lstm_lab.lstm import lstm_step_forward

    result = check_lstm_step_forward(lstm_step_forward)
    assert result.passed and result.message == "✓ lstm_step_forward matches the reference on 3 random cases"
    assert check_lstm_step_forward(_my_lstm_step()).passed


@pytest.mark.parametrize(
    ("mistake", "words"),
    [
        ("no_output_gate", "without the output gate"),
        ("no_tanh_of_C", "squash the cell first"),
        ("forget_candidate", "the forget gate multiplies the candidate"),
    ],
)
def test_lstm_step_forward_mistakes_are_named(mistake, words):
    from lstm_lab.exercises import check_lstm_step_forward

    result = check_lstm_step_forward(_my_lstm_step(mistake))
    assert not result.passed and "\nThis is a known mistake: " in result.message, result.message
    assert words in result.message, result.message


def test_lstm_step_forward_unfinished_scaffold_is_a_friendly_failure():
    from lstm_lab.exercises import check_lstm_step_forward

    result = check_lstm_step_forward(lambda x, h_prev, C_prev, p: None)
    assert not result.passed and result.message.startswith("✗ lstm_step_forward")
    assert "return" in result.message


# ----- Lesson 6: check_lstm_step_backward --------------------------------------------------------


def _my_lstm_step_backward(mistake=None):
    """A learner-style LSTM backward step written from the equations, optionally with one mistake."""

    def step(dh_next, dC_next, cache):
        z, C_prev, p, D = cache["z"], cache["C_prev"], cache["p"], cache["D"]
        f, i, C_tilde, o, tanh_C = cache["f"], cache["i"], cache["C_tilde"], cache["o"], cache["tanh_C"]
        C_next = f * C_prev + i * C_tilde
        dtanh = 1 - C_next**2 if mistake == "dtanh_of_C" else 1 - tanh_C**2
        dC = dh_next * o * dtanh + (0 if mistake == "no_dC_next" else dC_next)
        da = {"f": dC * C_prev * f * (1 - f), "i": dC * C_tilde * i * (1 - i),
              "C": dC * i * (1 - C_tilde**2), "o": dh_next * tanh_C * o * (1 - o)}
        grads = {}
        for g, d in da.items():
            grads["W_" + g] = z.T @ d
            grads["b_" + g] = d.sum(axis=0)
        dz = sum(d @ p["W_" + g].T for g, d in da.items())
        H = dh_next.shape[1]
        dh_prev = dz[:, :H] if mistake == "wrong_end" else dz[:, -H:]
        return dz[:, :D], dh_prev, dC * f, grads

    return step


def test_lstm_step_backward_checker_accepts_reference_and_learner_code():
    from lstm_lab.exercises import check_lstm_step_backward
    from lstm_lab.lstm import lstm_step_backward

    result = check_lstm_step_backward(lstm_step_backward)
    assert result.passed and result.message == "✓ lstm_step_backward matches the reference on 3 random cases"
    assert check_lstm_step_backward(_my_lstm_step_backward()).passed


@pytest.mark.parametrize(
    ("mistake", "first_wrong", "words"),
    [
        ("wrong_end", "dh_prev", "dh_prev = dz[:, D:], not dz[:, :H]"),
        ("dtanh_of_C", "dx", "(1 - tanh_C**2), not (1 - C**2)"),
        ("no_dC_next", "dx", "dC_next, the gradient arriving from the next step's cell, is missing"),
    ],
)
def test_lstm_step_backward_mistakes_are_named(mistake, first_wrong, words):
    from lstm_lab.exercises import check_lstm_step_backward

    result = check_lstm_step_backward(_my_lstm_step_backward(mistake))
    assert not result.passed, result.message
    assert f": {first_wrong} has the right shape" in result.message, result.message
    assert "\nThis is a known mistake: " in result.message and words in result.message, result.message


def test_lstm_step_backward_unfinished_scaffold_is_a_friendly_failure():
    from lstm_lab.exercises import check_lstm_step_backward

    result = check_lstm_step_backward(lambda dh_next, dC_next, cache: None)
    assert not result.passed and result.message.startswith("✗ lstm_step_backward")
    assert "did you forget the return statement?" in result.message


def test_lstm_step_backward_grads_must_be_a_dict_by_name():
    from lstm_lab.exercises import check_lstm_step_backward
    from lstm_lab.lstm import lstm_step_backward

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


def test_lstm_step_backward_with_the_learners_own_forward():
    from lstm_lab.exercises import check_lstm_step_backward
    from lstm_lab.lstm import lstm_step_backward, lstm_step_forward

    def my_forward(x, h_prev, C_prev, p):
        h_next, C_next, cache = lstm_step_forward(x, h_prev, C_prev, p)
        return h_next, C_next, ("mine", cache)

    def my_backward(dh_next, dC_next, cache):
        assert cache[0] == "mine"
        return lstm_step_backward(dh_next, dC_next, cache[1])

    assert check_lstm_step_backward(my_backward, forward_fn=my_forward).passed
    assert not check_lstm_step_backward(my_backward).passed  # lstm_lab's cache is not the learner's tuple


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


def test_the_adagrad_stub_is_told_it_changed_nothing_without_the_recipe():
    from lstm_lab.exercises import check_adagrad_update

    result = check_adagrad_update(lambda w, g, m, lr, eps=1e-8: (w, m))
    assert not result.passed and "unchanged" in result.message, result.message
    assert "np.sqrt" not in result.message and "m + g * g" not in result.message, result.message


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
