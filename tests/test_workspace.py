"""Scratch arrays reused between calls: faster, and never a different answer."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_lab.layers import embedding_backward, one_hot
from lstm_lab.lstm import LSTM, lstm_backward_fused, lstm_forward_fused
from lstm_lab.workspace import Workspace


def test_same_name_and_shape_gives_the_same_array_and_a_new_shape_a_new_one():
    ws = Workspace()
    a = ws.empty("a", (3, 4), np.float32)
    assert ws.empty("a", (3, 4), np.float32) is a
    assert ws.empty("a", (3, 5), np.float32) is not a
    assert ws.empty("a", (3, 5), np.float64).dtype == np.float64
    z = ws.zeros("z", (2, 2), np.float64)
    z += 1
    assert np.all(ws.zeros("z", (2, 2), np.float64) == 0)
    assert ws.nbytes == 3 * 5 * 8 + 2 * 2 * 8
    assert "2 arrays" in repr(ws)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_passes_with_a_reused_workspace_equal_fresh_ones(dtype):
    rng = np.random.default_rng(3)
    V, H, B, T = 7, 5, 3, 6
    W = rng.standard_normal((V + H, 4 * H)).astype(dtype) * 0.5
    b = rng.standard_normal(4 * H).astype(dtype)
    ws = Workspace()
    for _ in range(3):  # the second and third calls reuse (and overwrite) the arrays
        ids = rng.integers(0, V, (B, T))
        h0, C0 = (rng.standard_normal((B, H)).astype(dtype) for _ in range(2))
        dh = rng.standard_normal((B, T, H)).astype(dtype)
        h_fresh, cache_fresh = lstm_forward_fused(ids, h0, C0, W, b)
        fresh = lstm_backward_fused(dh, cache_fresh)
        h_ws, cache_ws = lstm_forward_fused(ids, h0, C0, W, b, workspace=ws)
        reused = lstm_backward_fused(dh, cache_ws)
        np.testing.assert_array_equal(h_ws, h_fresh)
        for got, expected in zip(reused[1:], fresh[1:], strict=True):
            np.testing.assert_array_equal(got, expected)
    assert ws.nbytes > 0


def test_model_loss_is_the_same_every_call_and_returns_state_it_owns():
    rng = np.random.default_rng(0)
    model = LSTM(9, 6, seed=1)
    inputs, targets = rng.integers(0, 9, (4, 5)), rng.integers(0, 9, (4, 5))
    state = model.initial_state(4)
    loss1, (h1, C1) = model.loss(inputs, targets, state)
    grads1 = [p.grad.copy() for p in model.params]
    h1_kept = h1.copy()
    model.evaluate(inputs[:2], targets[:2], model.initial_state(2))  # another shape, another workspace
    loss2, _ = model.loss(rng.integers(0, 9, (4, 5)), targets, state)  # overwrites the scratch arrays
    np.testing.assert_array_equal(h1, h1_kept)  # the returned state is a copy, untouched
    loss3, _ = model.loss(inputs, targets, state)
    assert loss3 == loss1 and loss2 != loss1
    for p, g in zip(model.params, grads1, strict=True):
        np.testing.assert_array_equal(p.grad, g)


def test_embedding_backward_sums_rows_of_repeated_ids():
    rng = np.random.default_rng(2)
    ids = rng.integers(0, 6, (4, 7))
    ids[0, :3] = 5  # repeats, and id 0..4 may be missing
    dout = rng.standard_normal((4, 7, 3))
    dW = embedding_backward(dout, (ids, (8, 3)))
    expected = one_hot(ids, 8).reshape(-1, 8).T @ dout.reshape(-1, 3)
    np.testing.assert_allclose(dW, expected, rtol=1e-12, atol=1e-14)
    assert np.all(dW[6:] == 0)  # ids never seen get no gradient


def test_stacked_gates_fast_path_is_bit_identical_forward_to_four_sigmoid_calls():
    # The halved-columns trick must not change a single bit of the forward pass.
    from lstm_lab.activations import sigmoid

    rng = np.random.default_rng(4)
    V, H, B = 5, 4, 3
    W = rng.standard_normal((V + H, 4 * H))
    b = rng.standard_normal(4 * H)
    ids = rng.integers(0, V, (B, 1))
    h0, C0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    h, cache = lstm_forward_fused(ids, h0, C0, W, b)
    a = h0 @ W[V:]
    a += (W[:V] + b)[ids[:, 0]]  # the order the fused pass adds in: (x W_x + b) + h W_h
    a_f, a_i, a_C, a_o = np.split(a, 4, axis=1)
    C = sigmoid(a_f) * C0 + sigmoid(a_i) * np.tanh(a_C)
    np.testing.assert_array_equal(cache["C_T"], C)
    np.testing.assert_array_equal(h[:, 0], sigmoid(a_o) * np.tanh(C))



def test_dense_inputs_with_a_reused_workspace_and_dC_T_left_alone():
    rng = np.random.default_rng(5)
    B, T, D, H = 3, 4, 6, 5
    W, b = rng.standard_normal((D + H, 4 * H)), rng.standard_normal(4 * H)
    ws = Workspace()
    for _ in range(2):
        x = rng.standard_normal((B, T, D))
        h0, C0, dC_T = (rng.standard_normal((B, H)) for _ in range(3))
        dh = rng.standard_normal((B, T, H))
        dC_T_before = dC_T.copy()
        fresh = lstm_backward_fused(dh, lstm_forward_fused(x, h0, C0, W, b)[1], dC_T=dC_T)
        reused = lstm_backward_fused(dh, lstm_forward_fused(x, h0, C0, W, b, workspace=ws)[1], dC_T=dC_T)
        np.testing.assert_array_equal(dC_T, dC_T_before)  # the caller's array is not written to
        for got, expected in zip(reused, fresh, strict=True):
            np.testing.assert_array_equal(got, expected)


def test_fused_forward_is_bit_identical_to_four_sigmoid_calls_over_many_steps():
    from lstm_lab.activations import sigmoid

    rng = np.random.default_rng(6)
    V, H, B, T = 7, 4, 3, 9
    W, b = 0.7 * rng.standard_normal((V + H, 4 * H)), rng.standard_normal(4 * H)
    ids = rng.integers(0, V, (B, T))
    h, C = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    h_fused, cache = lstm_forward_fused(ids, h, C, W, b)
    for t in range(T):
        a = h @ W[V:]
        a += (W[:V] + b)[ids[:, t]]  # the order the fused pass adds in
        a_f, a_i, a_C, a_o = np.split(a, 4, axis=1)
        C = sigmoid(a_f) * C + sigmoid(a_i) * np.tanh(a_C)
        h = sigmoid(a_o) * np.tanh(C)
        np.testing.assert_array_equal(h_fused[:, t], h)
    np.testing.assert_array_equal(cache["C_T"], C)


def test_embedding_backward_refuses_a_gradient_of_the_wrong_shape_and_handles_no_ids():
    ids = np.array([[1, 2, 1], [0, 0, 3]])
    with pytest.raises(ValueError, match=r"dout has shape \(3, 2, 4\).*\(2, 3, 4\)"):
        embedding_backward(np.ones((3, 2, 4)), (ids, (5, 4)))
    empty = embedding_backward(np.ones((2, 0, 4)), (np.zeros((2, 0), dtype=int), (5, 4)))
    assert empty.shape == (5, 4) and not empty.any()
