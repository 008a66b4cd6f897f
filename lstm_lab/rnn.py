"""The vanilla (Elman) recurrent network: one step, a whole sequence, and a model.

The recurrence, with rows as examples (batch first):

    h_t = tanh(x_t @ W_xh + h_prev @ W_hh + b_h)
    logits_t = h_t @ W_y + b_y

Shapes: B = batch, T = time steps, D = input width, H = hidden width, V = vocabulary.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_lab.activations import dtanh
from lstm_lab.checks import check_id_pair, check_ids, check_positive_float, check_positive_int
from lstm_lab.layers import (
    embedding_backward,
    embedding_forward,
    temporal_affine_backward,
    temporal_affine_forward,
)
from lstm_lab.losses import softmax_cross_entropy
from lstm_lab.params import Param

StepCache = tuple[np.ndarray, np.ndarray, "np.ndarray | None", np.ndarray, np.ndarray]


def _positive_float(name: str, value: object, typical: str) -> float:
    """check_positive_float, suggesting a value that suits this setting."""
    try:
        return check_positive_float(name, value)
    except ValueError as err:
        raise ValueError(f"{str(err).split(' Try ')[0]} Try {typical}.") from None


def rnn_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    W_xh: np.ndarray | None,
    W_hh: np.ndarray,
    b_h: np.ndarray,
) -> tuple[np.ndarray, StepCache]:
    """One time step: h_next = tanh(x @ W_xh + h_prev @ W_hh + b_h).

    Args:
        x: (B, D) inputs at this step.
        h_prev: (B, H) hidden state from the previous step.
        W_xh: (D, H) input-to-hidden weights, or None when ``x`` already holds the
            projection ``x @ W_xh`` (then x is (B, H)). The RNN model uses this: looking
            up rows of W_xh by id is the same as multiplying one-hot inputs by W_xh.
        W_hh: (H, H) hidden-to-hidden weights.
        b_h: (H,) bias.

    Returns:
        h_next: (B, H) the new hidden state.
        cache: (x, h_prev, W_xh, W_hh, h_next) for ``rnn_step_backward``.
    """
    x_proj = x if W_xh is None else x @ W_xh
    h_next = np.tanh(x_proj + h_prev @ W_hh + b_h)
    return h_next, (x, h_prev, W_xh, W_hh, h_next)


def rnn_step_backward(
    dh_next: np.ndarray, cache: StepCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """Backward pass of one step.

    Args:
        dh_next: (B, H) gradient of the loss with respect to h_next.
        cache: from ``rnn_step_forward``.

    Returns:
        dx: (B, D) (or (B, H) if W_xh was None), dh_prev: (B, H), dW_xh: (D, H) (None
        if W_xh was None), dW_hh: (H, H), db_h: (H,).
    """
    x, h_prev, W_xh, W_hh, h_next = cache
    # Through the tanh first: d tanh(z)/dz = 1 - tanh(z)^2, written with the output h_next.
    dz = dh_next * dtanh(h_next)
    dh_prev = dz @ W_hh.T
    dW_hh = h_prev.T @ dz
    db_h = dz.sum(axis=0)  # b_h is shared by every row of the batch
    if W_xh is None:
        return dz, dh_prev, None, dW_hh, db_h
    return dz @ W_xh.T, dh_prev, x.T @ dz, dW_hh, db_h


def rnn_forward(
    x: np.ndarray,
    h0: np.ndarray,
    W_xh: np.ndarray | None,
    W_hh: np.ndarray,
    b_h: np.ndarray,
) -> tuple[np.ndarray, list[StepCache]]:
    """Run ``rnn_step_forward`` over a whole sequence.

    Args:
        x: (B, T, D) inputs (or (B, T, H) projected inputs when W_xh is None).
        h0: (B, H) initial hidden state.
        W_xh: (D, H) or None, W_hh: (H, H), b_h: (H,) as in ``rnn_step_forward``.

    Returns:
        h: (B, T, H) hidden state after every step; h[:, -1] is the final state.
        cache: one step cache per time step.
    """
    B, T = x.shape[:2]
    H = h0.shape[1]
    h = np.empty((B, T, H), dtype=np.result_type(x, h0, W_hh))
    caches = []
    h_prev = h0
    for t in range(T):
        h_prev, step_cache = rnn_step_forward(x[:, t], h_prev, W_xh, W_hh, b_h)
        h[:, t] = h_prev
        caches.append(step_cache)
    return h, caches


def rnn_backward(
    dh: np.ndarray, cache: list[StepCache]
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """Backpropagation through time.

    Args:
        dh: (B, T, H) gradient arriving at each h_t from the output layer only. The
            gradient through the recurrence (from h_{t+1}) is added here, step by step.
        cache: from ``rnn_forward``.

    Returns:
        dx: (B, T, D), dh0: (B, H), dW_xh: (D, H) (None if W_xh was None),
        dW_hh: (H, H), db_h: (H,). Weights are shared over time, so their gradients
        are sums over the steps.
    """
    B, T, H = dh.shape
    x0, _, W_xh, W_hh, _ = cache[0]
    D = x0.shape[1]
    dx = np.empty((B, T, D), dtype=dh.dtype)
    dW_xh = None if W_xh is None else np.zeros_like(W_xh, dtype=dh.dtype)
    dW_hh = np.zeros_like(W_hh, dtype=dh.dtype)
    db_h = np.zeros(H, dtype=dh.dtype)
    dh_recurrent = np.zeros((B, H), dtype=dh.dtype)  # nothing flows back from beyond the last step
    for t in reversed(range(T)):
        dx_t, dh_recurrent, dW_xh_t, dW_hh_t, db_h_t = rnn_step_backward(dh[:, t] + dh_recurrent, cache[t])
        dx[:, t] = dx_t
        if dW_xh is not None:
            dW_xh += dW_xh_t
        dW_hh += dW_hh_t
        db_h += db_h_t
    return dx, dh_recurrent, dW_xh, dW_hh, db_h


def _check_vocab_size(vocab_size: object) -> int:
    vocab_size = check_positive_int("vocab_size", vocab_size)
    if vocab_size < 2:
        raise ValueError(
            "vocab_size must be at least 2: with a vocabulary of one symbol the next symbol is "
            "always that one, so there is nothing to predict. Use a text with at least two "
            "different characters."
        )
    return vocab_size


def _check_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise ValueError(f"dtype must be a numpy float type such as np.float64, got {dtype!r}.") from err
    if not np.issubdtype(dt, np.floating):
        raise ValueError(f"dtype must be a float type such as np.float64 or np.float32, got {dt}.")
    return dt


class RNN:
    """A character-level vanilla RNN following the model protocol.

    Args:
        vocab_size: V, number of distinct symbols (at least 2).
        hidden_size: H, width of the hidden state.
        seed: seed for ``np.random.default_rng``, which draws the initial weights.
        weight_scale: weights start as standard normal times this (min-char-rnn's 0.01);
            biases start at zero.
        dtype: float type of every parameter and state.

    Parameters, in the order of ``params`` and also attributes:
        W_xh (V, H), W_hh (H, H), b_h (H,), W_y (H, V), b_y (V,).

    The input is a (B, T) array of ids. Feeding id v is the same as feeding a one-hot
    vector x with x @ W_xh = W_xh[v], so the model looks rows up (``embedding_forward``)
    instead of multiplying by a one-hot matrix. State is the hidden state h, (B, H).
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        *,
        seed: int = 0,
        weight_scale: float = 0.01,
        dtype: Any = np.float64,
    ) -> None:
        V = _check_vocab_size(vocab_size)
        H = check_positive_int("hidden_size", hidden_size)
        scale = _positive_float("weight_scale", weight_scale, "0.01")
        self.dtype = _check_dtype(dtype)
        self.vocab_size = V
        self.hidden_size = H
        rng = np.random.default_rng(seed)

        def weights(shape: tuple[int, ...]) -> np.ndarray:
            return (rng.standard_normal(shape) * scale).astype(self.dtype)

        self.W_xh = Param("W_xh", weights((V, H)))
        self.W_hh = Param("W_hh", weights((H, H)))
        self.b_h = Param("b_h", np.zeros(H, dtype=self.dtype))
        self.W_y = Param("W_y", weights((H, V)))
        self.b_y = Param("b_y", np.zeros(V, dtype=self.dtype))
        self.params: list[Param] = [self.W_xh, self.W_hh, self.b_h, self.W_y, self.b_y]

    def __repr__(self) -> str:
        return f"RNN(vocab_size={self.vocab_size}, hidden_size={self.hidden_size}, dtype={self.dtype})"

    # ----- validation -------------------------------------------------------------
    def _check_ids(self, ids: object, name: str, ndim: int) -> np.ndarray:
        return check_ids(ids, name, ndim, self.vocab_size)

    def _check_state(self, state: object, batch_size: int) -> np.ndarray:
        expected = (batch_size, self.hidden_size)
        h = np.asarray(state)
        if h.shape != expected:
            raise ValueError(
                f"state has shape {h.shape}, expected {expected} (batch_size, hidden_size). "
                f"Start with state = model.initial_state({batch_size}) and pass on the state "
                "that the previous call returned."
            )
        return h.astype(self.dtype, copy=False)

    def _check_pair(self, inputs: object, targets: object) -> tuple[np.ndarray, np.ndarray]:
        return check_id_pair(inputs, targets, self.vocab_size)

    # ----- the protocol -----------------------------------------------------------
    def initial_state(self, batch_size: int) -> np.ndarray:
        """Zero hidden state, (B, H)."""
        B = check_positive_int("batch_size", batch_size)
        return np.zeros((B, self.hidden_size), dtype=self.dtype)

    def forward(self, inputs: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple]:
        """Scores for every position.

        Args:
            inputs: (B, T) ids.
            state: (B, H) hidden state before the first symbol.

        Returns:
            logits: (B, T, V), final state: (B, H) (a copy), cache for ``backward``.
        """
        ids = self._check_ids(inputs, "inputs", 2)
        h0 = self._check_state(state, ids.shape[0])
        x_proj, emb_cache = embedding_forward(ids, self.W_xh.value)  # = one_hot(ids) @ W_xh
        h, rnn_cache = rnn_forward(x_proj, h0, None, self.W_hh.value, self.b_h.value)
        logits, out_cache = temporal_affine_forward(h, self.W_y.value, self.b_y.value)
        # h[:, -1] is a view into h, which the cache keeps: hand back a copy.
        return logits, h[:, -1].copy(), (emb_cache, rnn_cache, out_cache)

    def backward(self, dlogits: np.ndarray, cache: tuple) -> None:
        """Backpropagate (B, T, V) ``dlogits`` and OVERWRITE every Param.grad."""
        emb_cache, rnn_cache, out_cache = cache
        dh, dW_y, db_y = temporal_affine_backward(dlogits, out_cache)
        dx_proj, _dh0, _, dW_hh, db_h = rnn_backward(dh, rnn_cache)
        dW_xh = embedding_backward(dx_proj, emb_cache)
        for param, grad in zip(self.params, (dW_xh, dW_hh, db_h, dW_y, db_y), strict=True):
            param.grad[...] = grad

    def loss(self, inputs: np.ndarray, targets: np.ndarray, state: np.ndarray) -> tuple[float, np.ndarray]:
        """Forward and backward on one window.

        Args:
            inputs: (B, T) ids, targets: (B, T) the next id after each input,
            state: (B, H) hidden state to start from.

        Returns:
            loss (summed over T, averaged over B) and the final state (B, H), a copy to
            carry into the next window. Every Param.grad is overwritten.
        """
        x, y = self._check_pair(inputs, targets)
        logits, final_state, cache = self.forward(x, state)
        loss, dlogits = softmax_cross_entropy(logits, y)
        self.backward(dlogits, cache)
        return loss, final_state

    def evaluate(self, inputs: np.ndarray, targets: np.ndarray, state: np.ndarray) -> tuple[float, np.ndarray]:
        """Like ``loss`` but forward only: gradients are left untouched."""
        x, y = self._check_pair(inputs, targets)
        logits, final_state, _ = self.forward(x, state)
        loss, _ = softmax_cross_entropy(logits, y)
        return loss, final_state

    def step(self, ids: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Advance one symbol: ids (B,) -> logits (B, V) and the next state (B, H)."""
        ids = self._check_ids(ids, "ids", 1)
        h_prev = self._check_state(state, ids.shape[0])
        h_next, _ = rnn_step_forward(self.W_xh.value[ids], h_prev, None, self.W_hh.value, self.b_h.value)
        return h_next @ self.W_y.value + self.b_y.value, h_next
