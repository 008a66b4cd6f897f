"""Embedding lookup, one-hot vectors and the per-step affine output layer."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_lab.gradcheck import numerical_gradient_array, relative_error
from lstm_lab.layers import (
    embedding_backward,
    embedding_forward,
    one_hot,
    temporal_affine_backward,
    temporal_affine_forward,
)


@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 3, 2)])
def test_one_hot_shape_and_values(shape):
    ids = np.random.default_rng(0).integers(0, 5, size=shape)
    oh = one_hot(ids, 5)
    assert oh.shape == shape + (5,)
    assert oh.dtype == np.float64
    np.testing.assert_array_equal(oh.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(oh.argmax(axis=-1), ids)


def test_one_hot_dtype_and_out_of_range():
    assert one_hot(np.array([1, 0]), 3, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match=r"id 3 is outside the vocabulary of size 3"):
        one_hot(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match=r"id -1"):
        one_hot(np.array([-1]), 3)


def test_embedding_is_the_one_hot_product():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((6, 4))
    ids = rng.integers(0, 6, size=(3, 5))
    out, _ = embedding_forward(ids, W)
    assert out.shape == (3, 5, 4)
    np.testing.assert_allclose(out, one_hot(ids, 6) @ W, rtol=1e-15)


def test_embedding_backward_accumulates_repeated_ids():
    rng = np.random.default_rng(2)
    W = rng.standard_normal((6, 4))
    ids = np.array([[1, 1, 1], [0, 1, 5]])  # id 1 four times, ids 2..4 never
    _, cache = embedding_forward(ids, W)
    dout = rng.standard_normal((2, 3, 4))
    dW = embedding_backward(dout, cache)
    assert dW.shape == W.shape
    np.testing.assert_allclose(dW[1], dout[0].sum(axis=0) + dout[1, 1])
    np.testing.assert_array_equal(dW[2:5], 0.0)
    # Same as the gradient of the one-hot product: one_hot^T @ dout.
    oh = one_hot(ids, 6).reshape(-1, 6)
    np.testing.assert_allclose(dW, oh.T @ dout.reshape(-1, 4), rtol=1e-13)


def test_temporal_affine_forward_and_backward():
    rng = np.random.default_rng(3)
    h = rng.standard_normal((2, 3, 4))
    W = rng.standard_normal((4, 5))
    b = rng.standard_normal(5)
    out, cache = temporal_affine_forward(h, W, b)
    assert out.shape == (2, 3, 5)
    np.testing.assert_allclose(out[1, 2], h[1, 2] @ W + b)

    dout = rng.standard_normal(out.shape)
    dh, dW, db = temporal_affine_backward(dout, cache)
    assert (dh.shape, dW.shape, db.shape) == (h.shape, W.shape, b.shape)

    def f() -> float:
        return float(np.sum(temporal_affine_forward(h, W, b)[0] * dout))

    for analytic, x in ((dh, h), (dW, W), (db, b)):
        assert relative_error(analytic, numerical_gradient_array(f, x)).max() < 1e-8


def test_the_row_output_layer_equals_the_temporal_one_with_its_loss():
    """The fused models' output layer on (T * B, H) rows gives the loss and gradients of the plain one."""
    from lstm_lab.layers import output_backward_rows, output_loss_rows
    from lstm_lab.losses import softmax_cross_entropy
    from lstm_lab.workspace import Workspace

    rng = np.random.default_rng(7)
    B, T, H, V = 3, 4, 5, 6
    h = rng.standard_normal((B, T, H))
    W, b = rng.standard_normal((H, V)), rng.standard_normal(V)
    targets = rng.integers(0, V, size=(B, T))
    logits, cache = temporal_affine_forward(h, W, b)
    loss, dlogits = softmax_cross_entropy(logits, targets)
    dh, dW, db = temporal_affine_backward(dlogits, cache)

    ws = Workspace()
    h_rows = h.transpose(1, 0, 2).reshape(T * B, H)  # time first, as the fused passes keep it
    loss_rows, dlogits_rows = output_loss_rows(h_rows, W, b, targets.T.reshape(-1), B, ws)
    dW_rows, db_rows = np.empty_like(W), np.empty_like(b)
    dh_rows = output_backward_rows(dlogits_rows, h_rows, W, dW_rows, db_rows, ws)
    np.testing.assert_allclose(loss_rows, loss, rtol=1e-12)
    np.testing.assert_allclose(dh_rows.reshape(T, B, H).transpose(1, 0, 2), dh, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dW_rows, dW, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(db_rows, db, rtol=1e-12, atol=1e-15)
