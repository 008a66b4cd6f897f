"""Softmax cross-entropy: the loss of next-symbol prediction."""

from __future__ import annotations

import numpy as np


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Loss and gradient of predicting ``targets`` from unnormalised ``logits``.

    Args:
        logits: (B, T, V) scores, one row of V per example and time step.
        targets: (B, T) integer indices of the correct next symbol.

    Returns:
        loss: the negative log-likelihood summed over the T steps and averaged over
            the B sequences. With uniform predictions it is T ln V.
        dlogits: (B, T, V) gradient of ``loss`` with respect to ``logits``:
            (softmax(logits) - one_hot(targets)) / B.
    """
    B, T, V = logits.shape
    if targets.shape != (B, T):
        raise ValueError(f"targets has shape {targets.shape}, expected {(B, T)} to match logits {logits.shape}")
    # -log softmax(z)_target = log(sum_j e^(z_j - m)) - (z_target - m), with m the row maximum
    # so that every exponent is <= 0 and nothing overflows (see activations.log_softmax).
    shifted = logits - logits.max(axis=-1, keepdims=True)
    probs = np.exp(shifted)
    sum_exp = probs.sum(axis=-1, keepdims=True)
    target = targets[..., None]
    loss = float(np.sum(np.log(sum_exp) - np.take_along_axis(shifted, target, axis=-1))) / B
    # d(-log p_target)/dz = p - 1[target]: the famous `dy[target] -= 1`.
    probs /= sum_exp
    np.put_along_axis(probs, target, np.take_along_axis(probs, target, axis=-1) - 1.0, axis=-1)
    probs /= B
    return loss, probs


def softmax_cross_entropy_rows(
    logits: np.ndarray, targets: np.ndarray, batch_size: int
) -> tuple[float, np.ndarray]:
    """``softmax_cross_entropy`` for rows in any order, computed in place: the training path's.

    The same loss and gradient, for logits already flattened to one row per (example, step)
    in whatever order (the fused LSTM keeps time first), with fewer passes over the array
    and no temporaries of its size: ``logits`` is OVERWRITTEN with the gradient.

    Args:
        logits: (N, V) scores, N = B * T rows; overwritten.
        targets: (N,) integer index of the correct next symbol of each row.
        batch_size: B, the number of sequences the loss is averaged over.

    Returns:
        loss: the negative log-likelihood summed over all rows, divided by B.
        dlogits: ``logits`` itself, now (softmax(logits) - one_hot(targets)) / B.
    """
    N, V = logits.shape
    if targets.shape != (N,):
        raise ValueError(f"targets has shape {targets.shape}, expected {(N,)} to match logits {logits.shape}")
    rows = np.arange(N)
    logits -= logits.max(axis=1, keepdims=True)  # every exponent <= 0: nothing overflows
    target_logit = logits[rows, targets]
    np.exp(logits, out=logits)
    sum_exp = logits.sum(axis=1, keepdims=True)
    loss = float(np.sum(np.log(sum_exp)) - np.sum(target_logit)) / batch_size
    # d(-log p_target)/dz = p - 1[target], over B: one scale per row, then the famous -1.
    logits *= np.reciprocal(sum_exp * batch_size)
    logits[rows, targets] -= 1.0 / batch_size
    return loss, logits
