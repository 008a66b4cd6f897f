"""Softmax cross-entropy: the loss of next-symbol prediction."""

from __future__ import annotations

import numpy as np

from lstm_lab.activations import log_softmax


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
    logp = log_softmax(logits)
    b_idx, t_idx = np.indices((B, T))
    loss = -float(np.sum(logp[b_idx, t_idx, targets])) / B
    # d(-log p_target)/dz = p - 1[target]: the famous `dy[target] -= 1`.
    dlogits = np.exp(logp)
    dlogits[b_idx, t_idx, targets] -= 1.0
    return loss, dlogits / B
