"""The layers around a recurrent cell: symbols in (embedding), scores out (affine).

Each layer is a ``*_forward`` returning ``(out, cache)`` and a ``*_backward(dout, cache)``
beside it, as in CS231n's layers.py. Shapes: B = batch, T = time steps, V = vocabulary
size, D = input width, H = hidden width.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_lab.losses import softmax_cross_entropy_rows
from lstm_lab.workspace import Workspace


def one_hot(ids: np.ndarray, vocab_size: int, dtype: Any = np.float64) -> np.ndarray:
    """Turn integer ids of any shape S into one-hot vectors of shape S + (V,).

    Args:
        ids: integer array of any shape S, every entry in [0, vocab_size).
        vocab_size: V, the length of each one-hot vector.
        dtype: dtype of the result.

    Returns:
        (*S, V) array with a single 1 at position ``ids[...]`` of each vector.
    """
    ids = np.asarray(ids)
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        bad = ids[(ids < 0) | (ids >= vocab_size)].flat[0]
        raise ValueError(
            f"id {bad} is outside the vocabulary of size {vocab_size}; ids must lie in 0..{vocab_size - 1}."
        )
    out = np.zeros(ids.shape + (vocab_size,), dtype=dtype)
    # put_along_axis writes the 1 at index ids[...] of the last axis of every vector.
    np.put_along_axis(out, ids[..., None].astype(np.intp), 1, axis=-1)
    return out


def embedding_forward(ids: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, tuple]]:
    """Look up one row of W per id.

    This is exactly ``one_hot(ids, V) @ W`` without building the (B, T, V) one-hot
    matrix: multiplying a one-hot row by W selects the row of W at the hot position.

    Args:
        ids: (B, T) integer ids in [0, V).
        W: (V, D) one row per symbol.

    Returns:
        out: (B, T, D) with ``out[b, t] = W[ids[b, t]]``.
        cache: what the backward pass needs (the ids and W's shape).
    """
    out = W[ids]
    return out, (ids, W.shape)


def embedding_backward(dout: np.ndarray, cache: tuple[np.ndarray, tuple]) -> np.ndarray:
    """Gradient of the lookup with respect to W.

    Args:
        dout: (*S, D) upstream gradient, one row per looked-up id: (B, T, D) for ids (B, T).
        cache: from ``embedding_forward``: the ids, of any shape S, and W's shape (V, D).

    Returns:
        dW: (V, D). Row v receives the sum of ``dout`` over every position where id v
        was looked up.
    """
    ids, W_shape = cache
    if dout.shape != ids.shape + (W_shape[-1],):
        raise ValueError(
            f"dout has shape {dout.shape}, but the lookup of ids {ids.shape} in W {tuple(W_shape)} "
            f"made outputs of shape {ids.shape + (W_shape[-1],)}: pass the gradient of those outputs."
        )
    ids = ids.reshape(-1)
    rows = dout.reshape(ids.size, W_shape[-1])  # one row of dout per looked-up id
    dW = np.zeros(W_shape, dtype=dout.dtype)
    if ids.size == 0:
        return dW
    # Plain `dW[ids] += rows` would keep only one row per repeated id, and np.add.at, which
    # accumulates them, is slow. Instead: sort the rows by id, then sum each id's run of
    # consecutive rows. The loop runs once per distinct id (at most V times, about 60 for
    # characters); np.add.reduceat does the same without a loop but is several times slower.
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    sorted_rows = rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])  # where each id's run begins
    ends = np.r_[starts[1:], ids.size]
    for start, end in zip(starts, ends, strict=True):
        sorted_rows[start:end].sum(axis=0, out=dW[sorted_ids[start]])
    return dW


def temporal_affine_forward(
    h: np.ndarray, W: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """The same affine map applied at every time step: out = h @ W + b.

    Args:
        h: (B, T, H) hidden states.
        W: (H, V) weights.
        b: (V,) bias.

    Returns:
        out: (B, T, V) scores.
        cache: (h, W) for the backward pass.
    """
    out = h @ W + b
    return out, (h, W)


def temporal_affine_backward(
    dout: np.ndarray, cache: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of ``temporal_affine_forward``.

    Args:
        dout: (B, T, V) upstream gradient.
        cache: from ``temporal_affine_forward``.

    Returns:
        dh: (B, T, H), dW: (H, V), db: (V,). W and b are shared by every example and
        every time step, so their gradients sum over both.
    """
    h, W = cache
    H = h.shape[-1]
    V = dout.shape[-1]
    dh = dout @ W.T
    dW = h.reshape(-1, H).T @ dout.reshape(-1, V)
    db = dout.reshape(-1, V).sum(axis=0)
    return dh, dW, db


def output_loss_rows(
    h_rows: np.ndarray, W_y: np.ndarray, b_y: np.ndarray, targets: np.ndarray, batch_size: int, ws: Workspace
) -> tuple[float, np.ndarray]:
    """The output layer and the loss on every hidden state at once: the fused models' fast path.

    Args:
        h_rows: (N, H) hidden states, one row per (time step, example), N = T * B. A fused pass
            keeps time first, so its states are already these rows (no copy).
        W_y: (H, V), b_y: (V,) the output layer.
        targets: (N,) the id after each row's input, in the same row order.
        batch_size: B: the loss is summed over time and averaged over the batch.
        ws: scratch space; the logits and dlogits live in it until its next use.

    Returns:
        loss: a float; dlogits: (N, V) its gradient with respect to the logits.
    """
    logits = ws.empty("logits", (h_rows.shape[0], W_y.shape[1]), h_rows.dtype)
    np.matmul(h_rows, W_y, out=logits)
    logits += b_y
    return softmax_cross_entropy_rows(logits, targets, batch_size)


def output_backward_rows(
    dlogits: np.ndarray, h_rows: np.ndarray, W_y: np.ndarray, dW_y: np.ndarray, db_y: np.ndarray, ws: Workspace
) -> np.ndarray:
    """Backward pass of ``output_loss_rows``'s affine map, written into the given gradients.

    Args:
        dlogits: (N, V) from ``output_loss_rows``. h_rows: (N, H), W_y: (H, V) as given to it.
        dW_y: (H, V) and db_y: (V,): OVERWRITTEN with the output layer's gradients (summed over
            all N rows: the layer is shared by every step and example).
        ws: scratch space for the result.

    Returns:
        dh: (N, H) the gradient with respect to each hidden state, in ``ws``.
    """
    dh = ws.empty("dh_out", h_rows.shape, h_rows.dtype)
    np.matmul(dlogits, W_y.T, out=dh)
    np.matmul(h_rows.T, dlogits, out=dW_y)
    np.sum(dlogits, axis=0, out=db_y)
    return dh
