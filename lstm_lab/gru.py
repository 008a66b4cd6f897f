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

Shapes: B = batch, T = time steps, D = input width, H = hidden width, V = vocabulary size.
The character model adds an output layer logits_t = h_t W_y + b_y with W_y (H, V), b_y (V,).

Two implementations of the same sequence computation live here, as for the LSTM:

- the readable one, ``gru_step_forward`` / ``gru_step_backward`` (one line per equation) and
  ``gru_forward`` / ``gru_backward`` looping them over time;
- the fused one, ``gru_forward_fused`` / ``gru_backward_fused``, used by the ``GRU`` model:
  the three blocks r, z, n side by side, the input part of all steps computed at once, one
  (batched) matrix multiply on h per step. The tests check the two agree to 1e-12 in float64.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from lstm_lab.activations import dsigmoid, dtanh, sigmoid, tanh
from lstm_lab.checks import check_id_pair, check_ids, check_model_args, check_positive_int, check_state
from lstm_lab.layers import (
    embedding_backward,
    one_hot,
    output_backward_rows,
    output_loss_rows,
    temporal_affine_backward,
    temporal_affine_forward,
)
from lstm_lab.params import Param
from lstm_lab.workspace import Workspace

#: The GRU's parameters, in the order the lesson introduces them.
GATE_PARAM_NAMES = ("W_r", "b_r", "W_z", "b_z", "W_xn", "b_xn", "W_hn", "b_hn")
#: Every parameter of the ``GRU`` model, in the order of ``GRU.params``.
PARAM_NAMES = (*GATE_PARAM_NAMES, "W_y", "b_y")


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


# ----------------------------------------------------------------------------------------------
# The fast version: the three blocks r, z, n as one matrix
# ----------------------------------------------------------------------------------------------


def stack_gates(p: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Put the three blocks side by side: W = [W_r | W_z | W_n] with W_n = [W_xn; W_hn].

    The gates read [x, h] through one matrix each; the candidate reads x through W_xn and h
    through W_hn, so stacking W_xn on top of W_hn gives it the same (D + H, H) shape and
    [x, h] W_n = x W_xn + h W_hn. What the reset gate needs apart is h W_hn + b_hn, so b_hn
    stays apart too (the layout of PyTorch's ``nn.GRU``, transposed).

    Args:
        p: the parameters as in ``gru_step_forward``.

    Returns:
        W: (D + H, 3H), columns k*H to (k+1)*H for block k in r, z, n order.
        b: (3H,) = [b_r | b_z | b_xn]. b_hn: (H,).
    """
    W_n = np.concatenate([p["W_xn"], p["W_hn"]], axis=0)
    W = np.concatenate([p["W_r"], p["W_z"], W_n], axis=1)
    b = np.concatenate([p["b_r"], p["b_z"], p["b_xn"]])
    return W, b, p["b_hn"]


def split_gates(W: np.ndarray, b: np.ndarray, b_hn: np.ndarray) -> dict[str, np.ndarray]:
    """Inverse of ``stack_gates``: W (D + H, 3H), b (3H,), b_hn (H,) -> the eight named arrays (views)."""
    H = b_hn.shape[0]
    D = W.shape[0] - H
    W_r, W_z, W_n = np.split(W, 3, axis=1)
    b_r, b_z, b_xn = np.split(b, 3)
    return {"W_r": W_r, "b_r": b_r, "W_z": W_z, "b_z": b_z, "W_xn": W_n[:D], "b_xn": b_xn,
            "W_hn": W_n[D:], "b_hn": b_hn}


def gru_forward_fused(
    x: np.ndarray,
    h0: np.ndarray,
    W: np.ndarray,
    b: np.ndarray,
    b_hn: np.ndarray,
    workspace: Workspace | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """``gru_forward`` with the three blocks stacked: the same computation, fewer, bigger operations.

    With W = [W_r | W_z | W_n] (see ``stack_gates``) and [x, h] W = x W_x + h W_h (W_x the first
    D rows, W_h the last H), every step's input part x_t W_x + b is computed for all T steps at
    once before the loop (for ids, a row lookup). Inside the loop there is ONE matrix multiply,
    h_prev W_h, for the three blocks (numpy's batched matmul), whose third block plus b_hn is
    the hn that the reset gate scales. As in ``lstm_forward_fused``: the r and z columns are
    halved once, so one tanh call finishes both sigmoids, sigmoid(a) = (1 + tanh(a / 2)) / 2;
    each block has its own contiguous (T, B, H) array; time comes first; every array is written
    with ``out=``, into ``workspace`` if given.

    Args:
        x: (B, T, D) float inputs, or (B, T) integer ids in [0, D) standing for one-hot inputs.
        h0: (B, H) initial state.
        W: (D + H, 3H), b: (3H,), b_hn: (H,), stacked as ``stack_gates`` returns them.
        workspace: where to keep the arrays between calls (None: fresh arrays). The returned
            h and cache are then views into it, valid until its next use.

    Returns:
        h: (B, T, H) the state at every step (a view of the time-first ``cache["hs"]``).
        cache: dict for ``gru_backward_fused``; ``"gates"`` (3, T, B, H) holds r, z, n of every
            step, ``"hn"`` (T, B, H) the h_prev W_hn + b_hn of every step.
    """
    ws = workspace if workspace is not None else Workspace()
    B, H = h0.shape
    D = W.shape[0] - H
    T = x.shape[1]
    is_ids = np.issubdtype(x.dtype, np.integer)
    dtype = np.result_type(W, b, h0, *(() if is_ids else (x,)))
    # W and b as one (D + H, H) block per gate, r and z halved for the tanh form of sigmoid.
    W3, b3 = ws.empty("W3", (3, D + H, H), dtype), ws.empty("b3", (3, H), dtype)
    for k in range(3):
        scale = 0.5 if k < 2 else 1.0
        np.multiply(W[:, k * H:(k + 1) * H], scale, out=W3[k])
        np.multiply(b[k * H:(k + 1) * H], scale, out=b3[k])
    W_h3 = W3[:, D:]  # (3, H, H)
    hs = ws.empty("hs", (T + 1, B, H), dtype)  # hs[0] = h0; hs[t + 1] = h after step t
    gates = ws.empty("gates", (3, T, B, H), dtype)  # r, z, n; first the input parts
    hn = ws.empty("hn", (T, B, H), dtype)
    hW, tmp = ws.empty("hW", (3, B, H), dtype), ws.empty("tmp", (B, H), dtype)
    if is_ids:
        # one_hot(ids) @ W_x + b is row ids of (W_x + b): one lookup for all T steps.
        table = ws.empty("xW_table", (3, D, H), dtype)
        np.add(W3[:, :D], b3[:, None, :], out=table)
        np.take(table, x.T, axis=1, out=gates)
    else:
        x_tm = x.transpose(1, 0, 2)
        for k in range(3):
            np.matmul(x_tm, W3[k, :D], out=gates[k])  # one matmul for all steps
        gates += b3[:, None, None, :]
    hs[0] = h0
    r_all, z_all, n_all = gates
    for t in range(T):
        np.matmul(hs[t], W_h3, out=hW)  # the step's one (batched) matrix multiply
        rz = gates[:2, t]
        rz += hW[:2]  # the gates' pre-activations, halved
        np.tanh(rz, out=rz)
        rz += 1.0
        rz *= 0.5  # r and z: sigmoid = (1 + tanh(a/2)) / 2
        np.add(hW[2], b_hn, out=hn[t])  # hn = h_prev W_hn + b_hn
        np.multiply(r_all[t], hn[t], out=tmp)
        n_all[t] += tmp
        np.tanh(n_all[t], out=n_all[t])  # n = tanh(x W_xn + b_xn + r * hn)
        np.subtract(hs[t], n_all[t], out=tmp)  # h = (1 - z) n + z h_prev = n + z (h_prev - n)
        tmp *= z_all[t]
        np.add(n_all[t], tmp, out=hs[t + 1])
    h = hs[1:].transpose(1, 0, 2)  # batch first, as a view
    cache = {"x": x, "is_ids": is_ids, "W": W, "hs": hs, "gates": gates, "hn": hn, "ws": ws}
    return h, cache


def gru_backward_fused(
    dh: np.ndarray, cache: dict[str, Any]
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of ``gru_forward_fused``; the same gradients as ``gru_backward``.

    With dh_t the whole gradient reaching h_t (from the loss at t and from step t + 1),
    ``gru_step_backward`` reads

        da_n = dh_t (1 - z)(1 - n^2)         da_z = dh_t (h_prev - n) z (1 - z)
        da_r = da_n hn r (1 - r)             dhn  = da_n r
        dh_prev = dh_t z + [da_r | da_z | dhn] W_h^T

    The factors after ``dh_t`` and ``da_n`` depend on the forward pass alone, so they are
    computed for all T steps before the loop; the loop does four elementwise products and
    one batched matrix multiply per step. The weight gradients are then two big multiplies
    over all B * T rows: x^T [da_r | da_z | da_n] for W_x and h_prev^T [da_r | da_z | dhn] for W_h.

    Args:
        dh: (B, T, H) gradient with respect to every state. A (B, T, H) view of a time-first
            (T, B, H) array (as ``gru_forward_fused`` returns h) is read in place.
        cache: from ``gru_forward_fused`` (its workspace is used here too).

    Returns:
        dx: (B, T, D) gradient with respect to x, or None when x was ids.
        dh0: (B, H).
        dW: (D + H, 3H), db: (3H,), db_hn: (H,): stacked like W, b and b_hn; ``split_gates``
            names them. With a workspace, dW is a view into it, valid until its next use.
    """
    x, W, hs, gates, hn, ws = (cache[k] for k in ("x", "W", "hs", "gates", "hn", "ws"))
    _, T, B, H = gates.shape
    D = W.shape[0] - H
    dtype = gates.dtype
    W_hT3 = ws.empty("W_hT3", (3, H, H), dtype)  # each block of W_h, transposed
    for k in range(3):
        np.copyto(W_hT3[k], W[D:, k * H:(k + 1) * H].T)
    r, z, n = gates

    # G_n = (1 - z)(1 - n^2), G_z = (h_prev - n) z (1 - z), G_r = hn r (1 - r).
    G = ws.empty("G", (3, T, B, H), dtype)
    G_n, G_z, G_r = G
    np.multiply(n, n, out=G_n)
    np.subtract(1.0, G_n, out=G_n)
    np.subtract(1.0, z, out=G_z)
    G_n *= G_z
    G_z *= z
    np.subtract(hs[:T], n, out=G_r)  # hs[t] is h_prev of step t; G_r as scratch
    G_z *= G_r
    np.subtract(1.0, r, out=G_r)
    G_r *= r
    G_r *= hn

    dh_tm = dh.transpose(1, 0, 2)  # time first, like the cache
    if not dh_tm.flags.c_contiguous:
        dh_tm = ws.empty("dh_tm", (T, B, H), dtype)
        np.copyto(dh_tm, dh.transpose(1, 0, 2))
    da = ws.empty("da", (4, T, B, H), dtype)  # da_r, da_z, dhn (what W_h sees), da_n
    dh_t, dh_3 = ws.empty("dh_t", (B, H), dtype), ws.empty("dh_3", (3, B, H), dtype)
    dh_next = np.zeros((B, H), dtype=dtype)  # nothing flows back from beyond the last step
    for t in reversed(range(T)):
        np.add(dh_tm[t], dh_next, out=dh_t)
        np.multiply(dh_t, G_n[t], out=da[3, t])  # da_n
        np.multiply(dh_t, G_z[t], out=da[1, t])  # da_z
        np.multiply(da[3, t], G_r[t], out=da[0, t])  # da_r
        np.multiply(da[3, t], r[t], out=da[2, t])  # dhn
        np.matmul(da[:3, t], W_hT3, out=dh_3)  # the step's matrix multiply, block by block ...
        np.sum(dh_3, axis=0, out=dh_next)  # ... summed,
        dh_t *= z[t]
        dh_next += dh_t  # plus the highway z * h_prev
    # Every step used the same W and b: sum over steps and examples, as (T * B, 3H) matrices.
    da_h = ws.empty("da_h", (T * B, 3 * H), dtype)  # [da_r | da_z | dhn], for W_h
    for k in range(3):
        np.copyto(da_h[:, k * H:(k + 1) * H], da[k].reshape(T * B, H))
    da_x = ws.empty("da_x", (T * B, 3 * H), dtype)  # [da_r | da_z | da_n], for W_x and b
    np.copyto(da_x[:, :2 * H], da_h[:, :2 * H])
    np.copyto(da_x[:, 2 * H:], da[3].reshape(T * B, H))
    dW = ws.empty("dW", (D + H, 3 * H), dtype)
    np.matmul(hs[:T].reshape(T * B, H).T, da_h, out=dW[D:])
    if cache["is_ids"]:
        # one_hot(ids)^T da, as for dense x, is the gradient of a row lookup: sum da's rows by id.
        dW[:D] = embedding_backward(da_x.reshape(T, B, 3 * H), (x.T, (D, 3 * H)))
        dx = None
    else:
        np.matmul(x.transpose(1, 0, 2).reshape(T * B, D).T, da_x, out=dW[:D])
        dx = np.ascontiguousarray((da_x @ W[:D].T).reshape(T, B, D).transpose(1, 0, 2))
    db = da_x.sum(axis=0)
    db_hn = da[2].reshape(T * B, H).sum(axis=0)
    return dx, dh_next, dW, db, db_hn


# ----------------------------------------------------------------------------------------------
# The character model
# ----------------------------------------------------------------------------------------------


class GRU:
    """A character-level GRU language model: ids in, next-id scores out.

    Each input id is a one-hot vector x_t of length V (so D = V); logits_t = h_t W_y + b_y.
    The state carried between windows is h, (B, H): the GRU has no separate cell.

    Parameters, as attributes and in ``params`` in this order:
    W_r, b_r, W_z, b_z (gates: W (V + H, H), b (H,)), W_xn (V, H), b_xn (H,), W_hn (H, H),
    b_hn (H,) (the candidate), W_y (H, V), b_y (V,).
    After ``loss`` each ``Param.grad`` holds d loss / d param, e.g. ``model.W_z.grad``.

    Args:
        vocab_size: V, at least 2 (with one symbol there is nothing to predict).
        hidden_size: H, a positive int.
        seed: int or ``np.random.Generator`` for the initial weights.
        init: how to draw the initial weights. Every weight ~ N(0, s^2) with s = weight_scale
            if given, else 1 / sqrt(fan-in): 1/sqrt(V + H) for the gates and the candidate (each
            unit reads all of [x, h]) and 1/sqrt(H) for W_y. Then the biases:

            - ``"update_bias"`` (default): zero except b_z = 1, so the update gate starts
              mostly keeping the old state (sigmoid(1) = 0.73), the GRU's counterpart of the
              LSTM's forget bias: by default the state remembers and gradients flow back.
            - ``"zero_bias"``: every bias zero (z starts at 0.5).

        weight_scale: overrides the standard deviation s above (a positive float).
        dtype: np.float64 (default) or np.float32, for parameters, states and gradients.
    """

    INITS = ("update_bias", "zero_bias")

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        *,
        seed: int | np.random.Generator = 0,
        init: str = "update_bias",
        weight_scale: float | None = None,
        dtype: Any = np.float64,
    ) -> None:
        V, H, rng, self.dtype = check_model_args(vocab_size, hidden_size, seed=seed, dtype=dtype,
                                                 weight_scale=weight_scale)
        if init not in self.INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {', '.join(repr(n) for n in self.INITS)}.")
        self.vocab_size, self.hidden_size, self.init = V, H, init
        s_gate = 1.0 / np.sqrt(V + H) if weight_scale is None else weight_scale
        s_y = 1.0 / np.sqrt(H) if weight_scale is None else weight_scale
        shapes = {"W_r": (V + H, H), "W_z": (V + H, H), "W_xn": (V, H), "W_hn": (H, H)}
        values = {}
        for name in GATE_PARAM_NAMES:  # drawn in this order, so a seed fixes every weight
            values[name] = s_gate * rng.standard_normal(shapes[name]) if name in shapes else np.zeros(H)
        if init == "update_bias":
            values["b_z"][:] = 1.0
        values["W_y"] = s_y * rng.standard_normal((H, V))
        values["b_y"] = np.zeros(V)
        # Draw in float64, then cast: a float32 model starts from the same (rounded) weights.
        self.params = [Param(name, values[name].astype(self.dtype)) for name in PARAM_NAMES]
        for param in self.params:
            setattr(self, param.name, param)
        # Scratch arrays kept between calls: one set for loss, one for evaluate.
        self._train_workspace, self._eval_workspace = Workspace(), Workspace()

    def __repr__(self) -> str:
        return (
            f"GRU(vocab_size={self.vocab_size}, hidden_size={self.hidden_size}, init={self.init!r}, "
            f"dtype={self.dtype.name})"
        )

    def config(self) -> dict[str, Any]:
        """What a checkpoint stores to build this model again (the weights are stored apart)."""
        return {"vocab_size": self.vocab_size, "hidden_size": self.hidden_size, "dtype": self.dtype.name,
                "init": self.init}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> GRU:
        return cls(**config)

    # -- the model protocol ---------------------------------------------------------------------

    def initial_state(self, batch_size: int) -> np.ndarray:
        """Zero state h, (batch_size, H)."""
        batch_size = check_positive_int("batch_size", batch_size)
        return np.zeros((batch_size, self.hidden_size), dtype=self.dtype)

    def loss(self, inputs: np.ndarray, targets: np.ndarray, state: np.ndarray) -> tuple[float, np.ndarray]:
        """Forward and backward pass on one window of ids.

        Args:
            inputs: (B, T) ids. targets: (B, T) ids, the next symbol after each input.
            state: h0 (B, H): ``initial_state(B)`` or the state a previous call returned.

        Returns:
            loss: negative log-likelihood summed over T and averaged over B.
            state: h_T (B, H), a copy to carry into the next window.
        OVERWRITES the ``grad`` of every parameter with d loss / d param (uses the fused path).
        """
        inputs, targets = check_id_pair(inputs, targets, self.vocab_size)
        h0 = self._check_state(state, inputs.shape[0])
        ws = self._train_workspace
        _, gru_cache = gru_forward_fused(inputs, h0, *stack_gates(self.gate_values()), ws)
        h_rows, dlogits, loss = self._output_loss(gru_cache, targets, ws)
        # The output layer's backward pass, written straight into the grads; dh time first.
        T, B, H = gru_cache["hn"].shape
        dh = output_backward_rows(dlogits, h_rows, self.W_y.value, self.W_y.grad, self.b_y.grad, ws).reshape(T, B, H)
        self._write_gate_grads(gru_backward_fused(dh.transpose(1, 0, 2), gru_cache))
        return loss, gru_cache["hs"][T].copy()

    def evaluate(self, inputs: np.ndarray, targets: np.ndarray, state: np.ndarray) -> tuple[float, np.ndarray]:
        """Like ``loss`` but forward only: no gradients computed, every ``grad`` left alone."""
        inputs, targets = check_id_pair(inputs, targets, self.vocab_size)
        h0 = self._check_state(state, inputs.shape[0])
        ws = self._eval_workspace
        _, gru_cache = gru_forward_fused(inputs, h0, *stack_gates(self.gate_values()), ws)
        _, _, loss = self._output_loss(gru_cache, targets, ws)
        return loss, gru_cache["hs"][-1].copy()

    def _output_loss(self, gru_cache: dict[str, Any], targets: np.ndarray, ws: Workspace) -> tuple:
        """logits = h W_y + b_y and the loss, on the time-first (T * B, H) states: one multiply, no copy.

        Returns (h_rows, dlogits, loss); dlogits (T * B, V) is in ``ws``.
        """
        T, B, H = gru_cache["hn"].shape
        h_rows = gru_cache["hs"][1:].reshape(T * B, H)
        loss, dlogits = output_loss_rows(h_rows, self.W_y.value, self.b_y.value, targets.T.reshape(-1), B, ws)
        return h_rows, dlogits, loss

    def step(self, ids: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One step of generation: ids (B,) and h (B, H) -> logits (B, V) and the next state."""
        ids = check_ids(ids, "ids", 1, self.vocab_size)
        h_prev = self._check_state(state, ids.shape[0])
        x = one_hot(ids, self.vocab_size, dtype=self.dtype)
        h, _ = gru_step_forward(x, h_prev, self.gate_values())
        return h @ self.W_y.value + self.b_y.value, h

    def hidden_forward(self, inputs: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        """The recurrence alone, on the fused path: (B, T) ids and h0 -> h (B, T, H) and a cache.

        Fresh arrays (no workspace), so the cache stays valid until ``hidden_backward``.
        """
        ids = check_ids(inputs, "inputs", 2, self.vocab_size)
        h0 = self._check_state(state, ids.shape[0])
        return gru_forward_fused(ids, h0, *stack_gates(self.gate_values()))

    def hidden_backward(self, dh: np.ndarray, cache: dict[str, Any]) -> None:
        """Backpropagate (B, T, H) ``dh``; OVERWRITES the grads of the eight gate parameters."""
        self._write_gate_grads(gru_backward_fused(dh, cache))

    def forward(self, inputs: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple]:
        """Scores for every position: (B, T) ids and h0 -> logits (B, T, V), h_T (a copy), cache."""
        h, hidden_cache = self.hidden_forward(inputs, state)
        logits, out_cache = temporal_affine_forward(h, self.W_y.value, self.b_y.value)
        return logits, h[:, -1].copy(), (hidden_cache, out_cache)

    def backward(self, dlogits: np.ndarray, cache: tuple) -> None:
        """Backpropagate (B, T, V) ``dlogits`` and OVERWRITE every Param.grad."""
        hidden_cache, out_cache = cache
        dh, dW_y, db_y = temporal_affine_backward(dlogits, out_cache)
        self.W_y.grad[...] = dW_y
        self.b_y.grad[...] = db_y
        self.hidden_backward(dh, hidden_cache)

    def unroll(self, inputs: np.ndarray) -> tuple[np.ndarray, list[GRUStepCache]]:
        """The readable path from the zero state: h (B, T, H) and ``gru_forward``'s per-step caches."""
        ids = check_ids(inputs, "inputs", 2, self.vocab_size)
        x = one_hot(ids, self.vocab_size, dtype=self.dtype)
        h, cache = gru_forward(x, self.initial_state(ids.shape[0]), self.gate_values())
        return h, cache.steps

    def state_gradients(self, dh_last: np.ndarray, steps: list[GRUStepCache]) -> dict[str, np.ndarray]:
        """dL/dh_{T-1-k} for k = 0..T-1, (T, B, H), from (B, H) ``dh_last``; no grad is touched."""
        dh = np.empty((len(steps), *np.shape(dh_last)), dtype=np.asarray(dh_last).dtype)
        dh_t = dh_last
        for k, step_cache in enumerate(reversed(steps)):
            dh[k] = dh_t
            _, dh_t, _ = gru_step_backward(dh_t, step_cache)  # one step back: the highway z plus W_hn, W_r, W_z
        return {"h": dh}

    # -- helpers --------------------------------------------------------------------------------

    def gate_values(self) -> dict[str, np.ndarray]:
        """The gate and candidate parameters' values by name (W_r, b_r, ..., b_hn): not copies."""
        return {name: getattr(self, name).value for name in GATE_PARAM_NAMES}

    def _write_gate_grads(self, fused_grads: tuple) -> None:
        _, _, dW, db, db_hn = fused_grads
        for name, g in split_gates(dW, db, db_hn).items():
            getattr(self, name).grad[...] = g

    def _check_state(self, state: Any, batch_size: int) -> np.ndarray:
        return check_state(state, ("h",), batch_size, self.hidden_size, self.dtype)
