"""The GRU: an LSTM with the cell state folded into the hidden state, and two gates instead of three.

Notation (Cho et al. 2014, with the reset gate where PyTorch's ``nn.GRU`` puts it), row vectors
and the batch first, so every line below is one line of code::

    xh_t  = [x_t, h_{t-1}]                              (B, D + H): x FIRST, then h
    r_t   = sigmoid(xh_t W_r + b_r)                     reset gate: how much of h_{t-1} the candidate sees
    z_t   = sigmoid(xh_t W_z + b_z)                     update gate: how much of h_{t-1} to keep
    n_t   = tanh(x_t W_xn + b_xn + r_t * (h_{t-1} W_hn + b_hn))    the candidate state
    h_t   = (1 - z_t) * n_t + z_t * h_{t-1}

Beside the LSTM: z_t plays the forget gate (keep h_{t-1}) and 1 - z_t the input gate (write
n_t), tied together so they always sum to one; there is no output gate and no separate cell,
so h_t is both the memory and what the next layer reads. The reset gate multiplies
``h_{t-1} W_hn + b_hn`` *after* the matrix product, which is why the candidate has its own
input and hidden weights (W_xn (D, H), W_hn (H, H)) and two biases (b_xn, b_hn), where the
gates use one (D + H, H) matrix on [x, h] like the LSTM's. PyTorch's documentation writes the
same equations; the original paper put r_t before the product (r_t * h_{t-1}) W_hn, a
different model with the same name.

Shapes: B = batch, T = time steps, D = input width, H = hidden width.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lstm_lab.activations import dsigmoid, dtanh, sigmoid, tanh

#: The GRU's parameters, in the order the lesson introduces them.
GATE_PARAM_NAMES = ("W_r", "b_r", "W_z", "b_z", "W_xn", "b_xn", "W_hn", "b_hn")


class GRUStepCache(NamedTuple):
    """What ``gru_step_forward`` keeps for ``gru_step_backward``. Read it by name: ``cache.r``."""

    x: np.ndarray  # (B, D) the input
    h_prev: np.ndarray  # (B, H) the previous state
    xh: np.ndarray  # (B, D + H) [x, h_prev], what the two gates read
    r: np.ndarray  # (B, H) reset gate
    z: np.ndarray  # (B, H) update gate
    hn: np.ndarray  # (B, H) h_prev W_hn + b_hn, before the reset gate scales it
    n: np.ndarray  # (B, H) the candidate state
    p: dict[str, np.ndarray]  # the parameters, W_r ... b_hn


class GRUCache(NamedTuple):
    """What ``gru_forward`` keeps for ``gru_backward``: one step cache per time step."""

    steps: list[GRUStepCache]


def gru_step_forward(
    x: np.ndarray, h_prev: np.ndarray, p: dict[str, np.ndarray]
) -> tuple[np.ndarray, GRUStepCache]:
    """One GRU step.

    Args:
        x: (B, D) input at this step.
        h_prev: (B, H) state from the previous step.
        p: the parameters by name: W_r, W_z (D + H, H); W_xn (D, H); W_hn (H, H); and the
            biases b_r, b_z, b_xn, b_hn (H,).

    Returns:
        h_next: (B, H) the new state.
        cache: a ``GRUStepCache`` for ``gru_step_backward``.
    """
    xh = np.concatenate([x, h_prev], axis=1)  # (B, D + H)
    r = sigmoid(xh @ p["W_r"] + p["b_r"])  # reset gate
    z = sigmoid(xh @ p["W_z"] + p["b_z"])  # update gate
    hn = h_prev @ p["W_hn"] + p["b_hn"]  # the part of the candidate the reset gate scales
    n = tanh(x @ p["W_xn"] + p["b_xn"] + r * hn)  # candidate state
    h_next = (1.0 - z) * n + z * h_prev  # keep z of the old state, write 1 - z of the new
    return h_next, GRUStepCache(x, h_prev, xh, r, z, hn, n, p)


def gru_step_backward(
    dh_next: np.ndarray, cache: GRUStepCache
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Backward pass of one GRU step: the forward equations in reverse order.

    Args:
        dh_next: (B, H) gradient of the loss with respect to h_next (from the output layer at
            this step plus from the next step).
        cache: the ``GRUStepCache`` from ``gru_step_forward``.

    Returns:
        dx: (B, D) gradient with respect to x.
        dh_prev: (B, H) gradient with respect to h_prev.
        grads: the parameter gradients, same names and shapes as ``p``.
    """
    x, h_prev, xh, r, z, hn, n, p = cache
    D = x.shape[1]

    # h_next = (1 - z) * n + z * h_prev
    dn = dh_next * (1.0 - z)
    dz = dh_next * (h_prev - n)
    # The GRU's highway: z * h_prev, an elementwise product like the LSTM's f * C_prev.
    dh_prev = dh_next * z

    # n = tanh(a_n), a_n = x W_xn + b_xn + r * hn
    da_n = dn * dtanh(n)
    dr = da_n * hn
    dhn = da_n * r  # the reset gate scales the gradient into hn as it scaled hn
    # hn = h_prev W_hn + b_hn
    dh_prev += dhn @ p["W_hn"].T

    # The gates' pre-activations a = xh W + b.
    da_r = dr * dsigmoid(r)
    da_z = dz * dsigmoid(z)
    grads = {
        "W_r": xh.T @ da_r, "b_r": da_r.sum(axis=0),
        "W_z": xh.T @ da_z, "b_z": da_z.sum(axis=0),
        "W_xn": x.T @ da_n, "b_xn": da_n.sum(axis=0),
        "W_hn": h_prev.T @ dhn, "b_hn": dhn.sum(axis=0),
    }  # fmt: skip
    # xh = [x, h_prev] feeds both gates; x also feeds the candidate directly.
    dxh = da_r @ p["W_r"].T + da_z @ p["W_z"].T
    dx = dxh[:, :D] + da_n @ p["W_xn"].T
    dh_prev += dxh[:, D:]
    return dx, dh_prev, grads


def gru_forward(x: np.ndarray, h0: np.ndarray, p: dict[str, np.ndarray]) -> tuple[np.ndarray, GRUCache]:
    """Run ``gru_step_forward`` over a whole sequence.

    Args:
        x: (B, T, D) inputs.
        h0: (B, H) initial state.
        p: parameters as in ``gru_step_forward``.

    Returns:
        h: (B, T, H) the state at every step (h[:, -1] is the final state).
        cache: a ``GRUCache`` for ``gru_backward``.
    """
    B, T, _ = x.shape
    h = np.empty((B, T, h0.shape[1]), dtype=np.result_type(x, h0, p["W_r"]))
    h_prev = h0
    steps = []
    for t in range(T):
        h_prev, step_cache = gru_step_forward(x[:, t], h_prev, p)
        h[:, t] = h_prev
        steps.append(step_cache)
    return h, GRUCache(steps)


def gru_backward(dh: np.ndarray, cache: GRUCache) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Backpropagation through time for ``gru_forward``.

    Args:
        dh: (B, T, H) gradient of the loss with respect to every state (usually from the
            output layer).
        cache: the ``GRUCache`` from ``gru_forward``.

    Returns:
        dx: (B, T, D), dh0: (B, H), and grads: the parameter gradients by name, summed over
        all steps (the same weights are used at every step).
    """
    steps = cache.steps
    B, T, H = dh.shape
    dx = np.empty((B, T, steps[0].x.shape[1]), dtype=dh.dtype)
    dh_next = np.zeros((B, H), dtype=dh.dtype)  # nothing flows back from beyond the last step
    grads = {name: np.zeros_like(steps[0].p[name]) for name in GATE_PARAM_NAMES}
    for t in reversed(range(T)):
        # h_t feeds both the loss at step t and step t + 1: add the two gradients.
        dx[:, t], dh_next, step_grads = gru_step_backward(dh[:, t] + dh_next, steps[t])
        for name, g in step_grads.items():
            grads[name] += g
    return dx, dh_next, grads
