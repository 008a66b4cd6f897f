"""The loss of a model on one window, from its ``forward`` and ``backward``.

Every model's ``loss`` and ``evaluate`` are the same three moves: check the ids, run the
forward pass, score it with softmax cross-entropy (and, for ``loss``, backpropagate).
A model whose ``forward``/``backward`` follow ``lstm_lab.model.Model`` gets both from
``window_loss``; the LSTM writes its own, fused with its output layer for speed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_lab.checks import check_id_pair
from lstm_lab.losses import softmax_cross_entropy
from lstm_lab.model import Model


def window_loss(
    model: Model, inputs: np.ndarray, targets: np.ndarray, state: Any, *, backward: bool
) -> tuple[float, Any]:
    """Loss of ``model`` on one window, and the state to carry into the next.

    Args:
        inputs: (B, T) ids. targets: (B, T) the id after each input. state: the model's state.
        backward: also backpropagate, OVERWRITING every Param.grad (``loss``); False leaves
            the grads alone (``evaluate``).

    Returns:
        the loss summed over T and averaged over B, and the final state.
    """
    x, y = check_id_pair(inputs, targets, model.vocab_size)
    logits, final_state, cache = model.forward(x, state)
    loss, dlogits = softmax_cross_entropy(logits, y)
    if backward:
        model.backward(dlogits, cache)
    return loss, final_state
