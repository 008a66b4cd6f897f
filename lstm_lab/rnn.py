"""The vanilla (Elman) recurrent network: one step, a whole sequence, and a model.

The recurrence, with rows as examples (batch first):

    h_t = tanh(x_t @ W_xh + h_prev @ W_hh + b_h)
    logits_t = h_t @ W_y + b_y

Shapes: B = batch, T = time steps, D = input width, H = hidden width, V = vocabulary.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from lstm_lab.activations import dtanh
from lstm_lab.checks import check_ids, check_model_args, check_positive_int, check_state
from lstm_lab.layers import (
    embedding_backward,
    embedding_forward,
    temporal_affine_backward,
    temporal_affine_forward,
)
from lstm_lab.params import Param
from lstm_lab.window_loss import window_loss


class RNNStepCache(NamedTuple):
    """What ``rnn_step_backward`` needs from one forward step (unpacks like the tuple it is)."""

    x: np.ndarray  # (B, D) input, or (B, H) projected input when W_xh is None
    h_prev: np.ndarray  # (B, H)
    W_xh: np.ndarray | None  # (D, H) or None
    W_hh: np.ndarray  # (H, H)
    h_next: np.ndarray  # (B, H) = tanh(z): its derivative is written with it


def rnn_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    W_xh: np.ndarray | None,
    W_hh: np.ndarray,
    b_h: np.ndarray,
) -> tuple[np.ndarray, RNNStepCache]:
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
        cache: RNNStepCache(x, h_prev, W_xh, W_hh, h_next) for ``rnn_step_backward``.
    """
    x_proj = x if W_xh is None else x @ W_xh
    h_next = np.tanh(x_proj + h_prev @ W_hh + b_h)
    return h_next, RNNStepCache(x, h_prev, W_xh, W_hh, h_next)


def rnn_step_backward(
    dh_next: np.ndarray, cache: RNNStepCache
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
) -> tuple[np.ndarray, list[RNNStepCache]]:
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
    dh: np.ndarray, cache: list[RNNStepCache]
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


class RNN:
    """A character-level vanilla RNN following the model protocol (``lstm_lab.model.Model``).

    Args:
        vocab_size: V, number of distinct symbols (at least 2).
        hidden_size: H, width of the hidden state.
        seed: int >= 0 or ``np.random.Generator``, which draws the initial weights.
        weight_scale: weights start as standard normal times this (min-char-rnn's 0.01);
            biases start at zero.
        dtype: np.float64 (default) or np.float32, for every parameter and state.

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
        seed: int | np.random.Generator = 0,
        weight_scale: float | None = 0.01,
        dtype: Any = np.float64,
    ) -> None:
        V, H, rng, self.dtype = check_model_args(vocab_size, hidden_size, seed=seed, dtype=dtype,
                                                 weight_scale=weight_scale)
        self.vocab_size = V
        self.hidden_size = H

        scale = 0.01 if weight_scale is None else float(weight_scale)

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

    def config(self) -> dict[str, Any]:
        """What a checkpoint stores to build this model again (the weights are stored apart)."""
        return {"vocab_size": self.vocab_size, "hidden_size": self.hidden_size, "dtype": self.dtype.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RNN:
        return cls(**config)

    # ----- validation -------------------------------------------------------------
    def _check_state(self, state: object, batch_size: int) -> np.ndarray:
        return check_state(state, ("h",), batch_size, self.hidden_size, self.dtype)

    # ----- the protocol -----------------------------------------------------------
    def initial_state(self, batch_size: int) -> np.ndarray:
        """Zero hidden state, (B, H)."""
        B = check_positive_int("batch_size", batch_size)
        return np.zeros((B, self.hidden_size), dtype=self.dtype)

    def hidden_forward(self, inputs: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, tuple]:
        """The recurrence alone: (B, T) ids and h0 (B, H) -> h (B, T, H) and a cache."""
        ids = check_ids(inputs, "inputs", 2, self.vocab_size)
        h0 = self._check_state(state, ids.shape[0])
        x_proj, emb_cache = embedding_forward(ids, self.W_xh.value)  # = one_hot(ids) @ W_xh
        h, rnn_cache = rnn_forward(x_proj, h0, None, self.W_hh.value, self.b_h.value)
        return h, (emb_cache, rnn_cache)

    def hidden_backward(self, dh: np.ndarray, cache: tuple) -> None:
        """Backpropagate (B, T, H) ``dh``; OVERWRITES the grads of W_xh, W_hh and b_h."""
        emb_cache, rnn_cache = cache
        dx_proj, _dh0, _, dW_hh, db_h = rnn_backward(dh, rnn_cache)
        self.W_xh.grad[...] = embedding_backward(dx_proj, emb_cache)
        self.W_hh.grad[...] = dW_hh
        self.b_h.grad[...] = db_h

    def forward(self, inputs: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple]:
        """Scores for every position.

        Args:
            inputs: (B, T) ids.
            state: (B, H) hidden state before the first symbol.

        Returns:
            logits: (B, T, V), final state: (B, H) (a copy), cache for ``backward``.
        """
        h, (emb_cache, rnn_cache) = self.hidden_forward(inputs, state)
        logits, out_cache = temporal_affine_forward(h, self.W_y.value, self.b_y.value)
        # h[:, -1] is a view into h, which the cache keeps: hand back a copy.
        return logits, h[:, -1].copy(), (emb_cache, rnn_cache, out_cache)

    def backward(self, dlogits: np.ndarray, cache: tuple) -> None:
        """Backpropagate (B, T, V) ``dlogits`` and OVERWRITE every Param.grad."""
        emb_cache, rnn_cache, out_cache = cache
        dh, dW_y, db_y = temporal_affine_backward(dlogits, out_cache)
        self.W_y.grad[...] = dW_y
        self.b_y.grad[...] = db_y
        self.hidden_backward(dh, (emb_cache, rnn_cache))

    def loss(self, inputs: np.ndarray, targets: np.ndarray, state: np.ndarray) -> tuple[float, np.ndarray]:
        """Forward and backward on one window.

        Args:
            inputs: (B, T) ids, targets: (B, T) the next id after each input,
            state: (B, H) hidden state to start from.

        Returns:
            loss (summed over T, averaged over B) and the final state (B, H), a copy to
            carry into the next window. Every Param.grad is overwritten.
        """
        return window_loss(self, inputs, targets, state, backward=True)

    def evaluate(self, inputs: np.ndarray, targets: np.ndarray, state: np.ndarray) -> tuple[float, np.ndarray]:
        """Like ``loss`` but forward only: gradients are left untouched."""
        return window_loss(self, inputs, targets, state, backward=False)

    def step(self, ids: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Advance one symbol: ids (B,) -> logits (B, V) and the next state (B, H)."""
        ids = check_ids(ids, "ids", 1, self.vocab_size)
        h_prev = self._check_state(state, ids.shape[0])
        h_next, _ = rnn_step_forward(self.W_xh.value[ids], h_prev, None, self.W_hh.value, self.b_h.value)
        return h_next @ self.W_y.value + self.b_y.value, h_next

    # ----- for the analyses (lstm_lab.inside) ---------------------------------------
    def unroll(self, inputs: np.ndarray) -> tuple[np.ndarray, list[RNNStepCache]]:
        """h (B, T, H) from the zero state, and ``rnn_forward``'s cache: one RNNStepCache per step."""
        ids = check_ids(inputs, "inputs", 2, self.vocab_size)
        h, (_, steps) = self.hidden_forward(ids, self.initial_state(ids.shape[0]))
        return h, steps

    def state_gradients(self, dh_last: np.ndarray, steps: list[RNNStepCache]) -> dict[str, np.ndarray]:
        """dL/dh_{T-1-k} for k = 0..T-1, (T, B, H), from (B, H) ``dh_last``; no grad is touched."""
        dh = np.empty((len(steps), *np.shape(dh_last)), dtype=np.asarray(dh_last).dtype)
        dh_t = dh_last
        for k, step_cache in enumerate(reversed(steps)):
            dh[k] = dh_t
            _, dh_t, _, _, _ = rnn_step_backward(dh_t, step_cache)  # through tanh and W_hh: one step back
        return {"h": dh}
