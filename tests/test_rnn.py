"""The vanilla RNN: step and sequence functions, the model, and that it learns."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_lab.gradcheck import gradient_check, numerical_gradient_array, relative_error
from lstm_lab.layers import one_hot
from lstm_lab.optim import Adagrad, clip_by_value
from lstm_lab.rnn import RNN, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from lstm_lab.vocab import Vocabulary

# Our own short text (a few sentences in the spirit of the seeds' Kafka), for training tests.
PARAGRAPH = (
    "The lamp on the desk was still burning when the clerk woke up. He looked at the clock, "
    "then at the window, and saw that the rain had not stopped. His sister knocked on the door "
    "and asked whether he was ill. He said that he was only tired and would come out soon. "
    "The train had already left the station, and the next one would not come for an hour. "
    "His father read the newspaper at the table, and his mother made coffee in the kitchen. "
    "Nobody spoke about the letter that had arrived the day before. "
)


def step_inputs(rng, B=3, D=4, H=5):
    return (
        rng.standard_normal((B, D)),
        rng.standard_normal((B, H)),
        rng.standard_normal((D, H)) * 0.5,
        rng.standard_normal((H, H)) * 0.5,
        rng.standard_normal(H) * 0.5,
    )


# ----- step and sequence functions ----------------------------------------------------------


def test_step_forward_formula_and_shapes():
    x, h_prev, W_xh, W_hh, b_h = step_inputs(np.random.default_rng(0))
    h_next, _ = rnn_step_forward(x, h_prev, W_xh, W_hh, b_h)
    assert h_next.shape == (3, 5)
    np.testing.assert_allclose(h_next, np.tanh(x @ W_xh + h_prev @ W_hh + b_h))


def test_step_backward_matches_numerical_gradient():
    rng = np.random.default_rng(1)
    inputs = step_inputs(rng)
    dh_next = rng.standard_normal((3, 5))
    _, cache = rnn_step_forward(*inputs)
    grads = rnn_step_backward(dh_next, cache)
    for analytic, x in zip(grads, inputs, strict=True):
        assert analytic.shape == x.shape
        numeric = numerical_gradient_array(lambda: float(np.sum(rnn_step_forward(*inputs)[0] * dh_next)), x)
        assert relative_error(analytic, numeric).max() < 1e-7


def test_step_with_projected_input_equals_one_hot_product():
    rng = np.random.default_rng(2)
    ids = np.array([0, 3, 3])
    W_xh = rng.standard_normal((4, 5))
    _, h_prev, _, W_hh, b_h = step_inputs(rng)
    h_ids, cache = rnn_step_forward(W_xh[ids], h_prev, None, W_hh, b_h)
    h_oh, _ = rnn_step_forward(one_hot(ids, 4), h_prev, W_xh, W_hh, b_h)
    np.testing.assert_allclose(h_ids, h_oh, rtol=1e-14)
    dx, _, dW_xh, _, _ = rnn_step_backward(np.ones_like(h_ids), cache)
    assert dW_xh is None and dx.shape == (3, 5)


def seq_inputs(rng, B=2, T=4, D=3, H=5):
    return (
        rng.standard_normal((B, T, D)),
        rng.standard_normal((B, H)),
        rng.standard_normal((D, H)) * 0.5,
        rng.standard_normal((H, H)) * 0.5,
        rng.standard_normal(H) * 0.5,
    )


def test_rnn_forward_is_a_loop_of_steps():
    x, h0, W_xh, W_hh, b_h = seq_inputs(np.random.default_rng(3))
    h, cache = rnn_forward(x, h0, W_xh, W_hh, b_h)
    assert h.shape == (2, 4, 5) and len(cache) == 4
    h_prev = h0
    for t in range(4):
        h_prev, _ = rnn_step_forward(x[:, t], h_prev, W_xh, W_hh, b_h)
        np.testing.assert_array_equal(h[:, t], h_prev)


def test_rnn_backward_matches_numerical_gradient_for_every_input():
    rng = np.random.default_rng(4)
    inputs = seq_inputs(rng)
    dh = rng.standard_normal((2, 4, 5))  # gradient from the output layer at every step
    _, cache = rnn_forward(*inputs)
    grads = rnn_backward(dh, cache)  # dx, dh0, dW_xh, dW_hh, db_h

    def f() -> float:
        return float(np.sum(rnn_forward(*inputs)[0] * dh))

    for name, analytic, x in zip(["dx", "dh0", "dW_xh", "dW_hh", "db_h"], grads, inputs, strict=True):
        assert analytic.shape == x.shape, name
        assert relative_error(analytic, numerical_gradient_array(f, x)).max() < 1e-7, name


# ----- the model -------------------------------------------------------------------------------


def window(rng, V, B, T):
    return rng.integers(0, V, size=(B, T)), rng.integers(0, V, size=(B, T))


def test_params_order_shapes_and_init():
    m = RNN(7, 4, seed=3)
    assert [p.name for p in m.params] == ["W_xh", "W_hh", "b_h", "W_y", "b_y"]
    assert [p.shape for p in m.params] == [(7, 4), (4, 4), (4,), (4, 7), (7,)]
    assert m.params[0] is m.W_xh and m.params[4] is m.b_y
    np.testing.assert_array_equal(m.b_h.value, 0.0)
    assert 0.005 < m.W_hh.value.std() < 0.02  # weight_scale 0.01
    np.testing.assert_array_equal(RNN(7, 4, seed=3).W_xh.value, m.W_xh.value)
    assert not np.array_equal(RNN(7, 4, seed=4).W_xh.value, m.W_xh.value)


@pytest.mark.parametrize("weight_scale", [0.01, 0.5])
def test_full_gradient_check_small_model(weight_scale):
    # Every entry of every parameter; float64, V=5, H=4, B=2, T=4.
    m = RNN(5, 4, seed=0, weight_scale=weight_scale)
    rng = np.random.default_rng(5)
    x, y = window(rng, 5, 2, 4)
    h0 = rng.standard_normal((2, 4)) * 0.5  # a nonzero start state exercises dh0 paths too
    m.loss(x, y, h0)
    report = gradient_check(lambda: m.loss(x, y, h0)[0], m.params, tolerance=1e-6)
    assert [r.checked for r in report.rows] == [20, 16, 4, 20, 5]
    report.assert_passed()


def test_random_subset_gradient_check_at_seed_size():
    # min-char-rnn's sizes: V=63, H=100, T=25, B=1; 25 random entries per parameter.
    # weight_scale=0.1 (a partly trained net's scale) keeps the gradients well above the
    # float64 rounding noise of a loss of ~100 (eps * 100 / h ~ 2e-9 absolute); with
    # that, correct gradients show relative errors of ~1e-7, so 1e-5 has a wide margin.
    m = RNN(63, 100, seed=1, weight_scale=0.1)
    x, y = window(np.random.default_rng(6), 63, 1, 25)
    h0 = m.initial_state(1)
    m.loss(x, y, h0)
    report = gradient_check(lambda: m.loss(x, y, h0)[0], m.params, num_checks=25, rng=0, tolerance=1e-5)
    report.assert_passed()


def test_default_init_at_seed_size_differs_only_by_rounding_noise():
    # At weight_scale=0.01 some gradients are ~1e-5, so a relative 1e-6 is below what
    # float64 can resolve; the absolute differences still sit at the rounding noise.
    m = RNN(63, 100, seed=2)
    x, y = window(np.random.default_rng(7), 63, 1, 25)
    h0 = m.initial_state(1)
    m.loss(x, y, h0)
    report = gradient_check(lambda: m.loss(x, y, h0)[0], m.params, num_checks=15, rng=1)
    for row in report.rows:
        assert abs(row.analytic - row.numeric) <= 2 * report.rounding_noise, str(report)


def test_initial_loss_is_T_ln_V():
    V, B, T = 11, 3, 6
    x, y = window(np.random.default_rng(8), V, B, T)
    tiny = RNN(V, 8, weight_scale=1e-8)
    assert tiny.evaluate(x, y, tiny.initial_state(B))[0] == pytest.approx(T * math.log(V), abs=1e-6)
    default = RNN(V, 8)
    assert default.evaluate(x, y, default.initial_state(B))[0] == pytest.approx(T * math.log(V), rel=0.01)


def test_loss_overwrites_gradients_and_evaluate_leaves_them():
    m = RNN(6, 5, seed=1)
    x, y = window(np.random.default_rng(9), 6, 2, 5)
    h0 = m.initial_state(2)
    loss1, _ = m.loss(x, y, h0)
    grads1 = [p.grad.copy() for p in m.params]
    loss2, _ = m.loss(x, y, h0)  # again: same gradients, not twice them
    assert loss1 == loss2
    for p, g in zip(m.params, grads1, strict=True):
        np.testing.assert_array_equal(p.grad, g)
    x2, y2 = window(np.random.default_rng(10), 6, 2, 5)
    loss3, _ = m.evaluate(x2, y2, h0)
    for p, g in zip(m.params, grads1, strict=True):
        np.testing.assert_array_equal(p.grad, g)
    assert m.evaluate(x, y, h0)[0] == loss1 and loss3 != loss1


def test_state_carried_across_windows_equals_one_long_window():
    m = RNN(6, 5, seed=2, weight_scale=0.3)
    x, y = window(np.random.default_rng(11), 6, 2, 10)
    h0 = m.initial_state(2)
    logits_all, s_all, _ = m.forward(x, h0)
    logits_a, s_a, _ = m.forward(x[:, :4], h0)
    logits_b, s_b, _ = m.forward(x[:, 4:], s_a)
    np.testing.assert_allclose(np.concatenate([logits_a, logits_b], axis=1), logits_all, rtol=1e-13)
    np.testing.assert_allclose(s_b, s_all, rtol=1e-13)
    # The loss sums over time, so the two windows' losses add up to the long window's.
    loss_a, state = m.loss(x[:, :4], y[:, :4], h0)
    loss_b, state = m.loss(x[:, 4:], y[:, 4:], state)
    assert loss_a + loss_b == pytest.approx(m.loss(x, y, h0)[0], rel=1e-12)


def test_returned_state_is_a_copy():
    m = RNN(6, 5, seed=2)
    x, y = window(np.random.default_rng(12), 6, 2, 3)
    h0 = m.initial_state(2)
    logits, state, (_, rnn_cache, out_cache) = m.forward(x, h0)
    assert not np.shares_memory(state, out_cache[0])  # not a view of the hidden states
    _, state2 = m.loss(x, y, h0)
    state2[...] = 99.0  # scribbling on it changes nothing inside the model
    assert np.all(np.abs(m.loss(x, y, h0)[1]) < 1)
    np.testing.assert_array_equal(h0, 0.0)  # the input state is never modified


def test_step_equals_forward_one_symbol_at_a_time():
    m = RNN(6, 5, seed=3, weight_scale=0.3)
    x, _ = window(np.random.default_rng(13), 6, 2, 4)
    logits, _, _ = m.forward(x, m.initial_state(2))
    state = m.initial_state(2)
    for t in range(4):
        step_logits, state = m.step(x[:, t], state)
        assert step_logits.shape == (2, 6)
        np.testing.assert_allclose(step_logits, logits[:, t], rtol=1e-13)


def test_float32_model_keeps_its_dtype():
    m = RNN(6, 5, dtype=np.float32)
    x, y = window(np.random.default_rng(14), 6, 2, 3)
    loss, state = m.loss(x, y, m.initial_state(2))
    assert np.isfinite(loss)
    assert state.dtype == np.float32
    assert all(p.value.dtype == np.float32 and p.grad.dtype == np.float32 for p in m.params)
    assert m.step(x[:, 0], state)[0].dtype == np.float32


# ----- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -1, 2.5, float("nan"), True, "10"])
def test_bad_hidden_size(bad):
    with pytest.raises(ValueError, match="hidden_size"):
        RNN(5, bad)


def test_vocab_of_one_symbol_is_an_error():
    with pytest.raises(ValueError, match="nothing to predict"):
        RNN(1, 4)
    with pytest.raises(ValueError, match="vocab_size"):
        RNN(0, 4)


def test_bad_weight_scale_and_dtype():
    with pytest.raises(ValueError, match="weight_scale"):
        RNN(5, 4, weight_scale=float("nan"))
    with pytest.raises(ValueError, match="dtype"):
        RNN(5, 4, dtype=np.int64)


def test_bad_inputs_get_clear_errors_and_change_nothing():
    m = RNN(5, 4)
    before = [p.value.copy() for p in m.params]
    grads_before = [p.grad.copy() for p in m.params]
    h0 = m.initial_state(2)
    ok = np.zeros((2, 3), dtype=int)
    with pytest.raises(ValueError, match=r"id 7.*5 symbols"):
        m.loss(np.array([[0, 7, 1], [0, 0, 0]]), ok, h0)
    with pytest.raises(ValueError, match=r"id -1"):
        m.loss(ok, np.array([[0, -1, 1], [0, 0, 0]]), h0)
    with pytest.raises(ValueError, match="integer ids"):
        m.loss(ok.astype(float), ok, h0)
    with pytest.raises(ValueError, match="same shape"):
        m.loss(ok, ok[:, :2], h0)
    with pytest.raises(ValueError, match=r"batch_size, seq_length"):
        m.loss(ok[0], ok[0], h0)
    with pytest.raises(ValueError, match=r"model.initial_state\(2\)"):
        m.loss(ok, ok, m.initial_state(3))
    with pytest.raises(ValueError, match=r"model.initial_state\(1\)"):
        m.step(np.array([1]), h0)
    with pytest.raises(ValueError, match="batch_size"):
        m.initial_state(0)
    for p, v, g in zip(m.params, before, grads_before, strict=True):
        np.testing.assert_array_equal(p.value, v)
        np.testing.assert_array_equal(p.grad, g)


# ----- learning ------------------------------------------------------------------------------------


def test_overfits_a_short_string():
    text = "hello world, hello kafka"
    vocab = Vocabulary.from_text(text)
    ids = vocab.encode(text)
    x, y = ids[None, :-1], ids[None, 1:]
    m = RNN(vocab.size, 32, seed=0)
    opt = Adagrad(lr=0.1)
    for _ in range(300):
        loss, _ = m.loss(x, y, m.initial_state(1))
        clip_by_value(m.params, 5.0)
        opt.step(m.params)
    per_char = m.evaluate(x, y, m.initial_state(1))[0] / x.shape[1]
    assert per_char < 0.05  # measured ~0.004; ln V = 2.3 at the start


def test_tiny_training_run_learns_the_text():
    text = PARAGRAPH * 6  # ~3000 characters
    vocab = Vocabulary.from_text(text)
    ids = vocab.encode(text)
    counts = np.bincount(ids, minlength=vocab.size) / ids.size
    unigram_entropy = -float(np.sum(counts * np.log(counts)))  # ~2.9 nats: letter frequencies only
    B, T = 4, 25
    n = (ids.size - 1) // B
    xs, ys = ids[: B * n].reshape(B, n), ids[1 : B * n + 1].reshape(B, n)
    m = RNN(vocab.size, 64, seed=0)
    opt = Adagrad(lr=0.1)
    for _epoch in range(14):  # ~400 updates
        state = m.initial_state(B)
        for s in range(0, n - T + 1, T):
            _, state = m.loss(xs[:, s : s + T], ys[:, s : s + T], state)
            clip_by_value(m.params, 5.0)
            opt.step(m.params)
    per_char = m.evaluate(xs, ys, m.initial_state(B))[0] / n
    # Measured ~0.8. Beating half the unigram entropy needs context, i.e. working BPTT;
    # ln V (~3.4) is where an untrained model starts.
    assert per_char < 0.5 * unigram_entropy < math.log(vocab.size)
