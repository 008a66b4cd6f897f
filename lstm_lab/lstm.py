"""The LSTM: a recurrent cell with a separate memory lane, and a character model built on it.

Notation (Colah's "Understanding LSTM Networks" and the classic LSTM paper), written with row
vectors and the batch first, so every line below is one line of code::

    z_t       = [x_t, h_{t-1}]                 (B, D + H): x FIRST, then h
    f_t       = sigmoid(z_t W_f + b_f)         forget gate: how much of C_{t-1} to keep
    i_t       = sigmoid(z_t W_i + b_i)         input gate: how much of C_tilde_t to write
    C_tilde_t = tanh(z_t W_C + b_C)            candidate values to write
    o_t       = sigmoid(z_t W_o + b_o)         output gate: how much of the cell to show
    C_t       = f_t * C_{t-1} + i_t * C_tilde_t
    h_t       = o_t * tanh(C_t)

Shapes: B = batch, T = time steps, D = input width, H = hidden width, V = vocabulary size.
W_f, W_i, W_C, W_o are (D + H, H): because z puts x first, their first D rows read the input
and their last H rows read h_{t-1}. Biases are (H,). The character model adds an output layer
logits_t = h_t W_y + b_y with W_y (H, V), b_y (V,).

Two implementations of the same sequence computation live here:

- the readable one, ``lstm_step_forward`` / ``lstm_step_backward`` (one line per equation) and
  ``lstm_forward`` / ``lstm_backward`` looping them over time;
- the fused one, ``lstm_forward_fused`` / ``lstm_backward_fused``, used by the ``LSTM`` model,
  which stacks the four gate matrices side by side and does one matrix multiply per step.
  The tests check the two agree to 1e-12 in float64.
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

#: Gate parameter names, in the order of the columns of the fused W (f, i, C_tilde, o).
GATE_PARAM_NAMES = ("W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o")
#: Every parameter of the ``LSTM`` model, in the order of ``LSTM.params``.
PARAM_NAMES = (*GATE_PARAM_NAMES, "W_y", "b_y")

State = tuple[np.ndarray, np.ndarray]


# ----------------------------------------------------------------------------------------------
# The readable version: one time step, one line per equation
# ----------------------------------------------------------------------------------------------


class LSTMStepCache(NamedTuple):
    """What ``lstm_step_forward`` keeps for ``lstm_step_backward``: one field per value it needs.

    B = batch, D = input width, H = hidden width. Read it by name: ``cache.f``, ``cache.tanh_C``.
    """

    z: np.ndarray  # (B, D + H) the layers' input [x, h_prev]: x first, then h_prev
    C_prev: np.ndarray  # (B, H) the previous cell state
    f: np.ndarray  # (B, H) forget gate, sigmoid(z W_f + b_f)
    i: np.ndarray  # (B, H) input gate, sigmoid(z W_i + b_i)
    C_tilde: np.ndarray  # (B, H) candidate, tanh(z W_C + b_C)
    o: np.ndarray  # (B, H) output gate, sigmoid(z W_o + b_o)
    tanh_C: np.ndarray  # (B, H) tanh(C_next), the squashed new cell
    p: dict[str, np.ndarray]  # the gate parameters, W_f ... b_o
    D: int  # the width of x: where h_prev starts inside z


class LSTMCache(NamedTuple):
    """What ``lstm_forward`` keeps for ``lstm_backward``."""

    steps: list[LSTMStepCache]  # one per time step, in time order
    C_T: np.ndarray  # (B, H) the final cell state, to carry into the next window


def lstm_step_forward(
    x: np.ndarray, h_prev: np.ndarray, C_prev: np.ndarray, p: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, LSTMStepCache]:
    """One LSTM step.

    Args:
        x: (B, D) input at this step.
        h_prev: (B, H) hidden state from the previous step.
        C_prev: (B, H) cell state from the previous step.
        p: the gate parameters by name: W_f, W_i, W_C, W_o of shape (D + H, H) and
            b_f, b_i, b_C, b_o of shape (H,).

    Returns:
        h_next: (B, H) new hidden state.
        C_next: (B, H) new cell state.
        cache: an ``LSTMStepCache`` (z, C_prev, f, i, C_tilde, o, tanh_C, p, D) for
            ``lstm_step_backward``.
    """
    z = np.concatenate([x, h_prev], axis=1)  # (B, D + H): x first, then h_prev
    f = sigmoid(z @ p["W_f"] + p["b_f"])  # forget gate
    i = sigmoid(z @ p["W_i"] + p["b_i"])  # input gate
    C_tilde = tanh(z @ p["W_C"] + p["b_C"])  # candidate values
    o = sigmoid(z @ p["W_o"] + p["b_o"])  # output gate
    C_next = f * C_prev + i * C_tilde  # keep part of the old cell, write part of the candidate
    tanh_C = tanh(C_next)  # kept: backward needs it twice
    h_next = o * tanh_C  # show a squashed, gated view of the cell
    return h_next, C_next, LSTMStepCache(z, C_prev, f, i, C_tilde, o, tanh_C, p, x.shape[1])


def lstm_step_backward(
    dh_next: np.ndarray, dC_next: np.ndarray, cache: LSTMStepCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Backward pass of one LSTM step: the forward equations in reverse order.

    Args:
        dh_next: (B, H) gradient of the loss with respect to h_next (from the output layer at
            this step plus from the next step).
        dC_next: (B, H) gradient with respect to C_next (from the next step only).
        cache: the ``LSTMStepCache`` from ``lstm_step_forward``.

    Returns:
        dx: (B, D) gradient with respect to x.
        dh_prev: (B, H) gradient with respect to h_prev.
        dC_prev: (B, H) gradient with respect to C_prev.
        grads: gradients of the gate parameters, same names and shapes as ``p``.
    """
    z, C_prev, f, i, C_tilde, o, tanh_C, p, D = cache

    # h_next = o * tanh(C_next)
    do = dh_next * tanh_C
    # C_next reaches the loss two ways: through the next cell (dC_next) and through h_next.
    dC = dC_next + dh_next * o * dtanh(tanh_C)
    # C_next = f * C_prev + i * C_tilde
    df = dC * C_prev
    di = dC * C_tilde
    dC_tilde = dC * i
    # The gradient highway: one elementwise product, no matrix multiply and no squashing
    # derivative. With f near 1 the gradient flows back many steps almost unchanged, which is
    # why an LSTM remembers longer than a vanilla RNN (whose dh_prev goes through W_hh and tanh').
    dC_prev = dC * f

    # Through the gate nonlinearities, to the pre-activations a = z W + b (reverse order again).
    da_o = do * dsigmoid(o)  # o = sigmoid(a_o)
    da_C = dC_tilde * dtanh(C_tilde)  # C_tilde = tanh(a_C)
    da_i = di * dsigmoid(i)  # i = sigmoid(a_i)
    da_f = df * dsigmoid(f)  # f = sigmoid(a_f)

    # a = z W + b for each gate: dW = z^T da, db = sum over the batch of da.
    grads = {
        "W_o": z.T @ da_o, "b_o": da_o.sum(axis=0),
        "W_C": z.T @ da_C, "b_C": da_C.sum(axis=0),
        "W_i": z.T @ da_i, "b_i": da_i.sum(axis=0),
        "W_f": z.T @ da_f, "b_f": da_f.sum(axis=0),
    }  # fmt: skip
    # z feeds all four gates, so its gradient is the sum of four contributions.
    dz = da_f @ p["W_f"].T + da_i @ p["W_i"].T + da_C @ p["W_C"].T + da_o @ p["W_o"].T
    # z = [x, h_prev]: x is the first D columns, h_prev the last H.
    dx, dh_prev = dz[:, :D], dz[:, D:]
    return dx, dh_prev, dC_prev, grads


def lstm_forward(
    x: np.ndarray, h0: np.ndarray, C0: np.ndarray, p: dict[str, np.ndarray]
) -> tuple[np.ndarray, LSTMCache]:
    """Run ``lstm_step_forward`` over a whole sequence.

    Args:
        x: (B, T, D) inputs.
        h0: (B, H) initial hidden state.
        C0: (B, H) initial cell state.
        p: gate parameters as in ``lstm_step_forward``.

    Returns:
        h: (B, T, H) hidden states at every step (h[:, -1] is the final hidden state).
        cache: an ``LSTMCache``: the per-step caches (``cache.steps``) and the final cell
            state C_T (B, H) (``cache.C_T``), to carry into the next window.
    """
    B, T, _ = x.shape
    H = h0.shape[1]
    h = np.empty((B, T, H), dtype=np.result_type(x, h0, C0, p["W_f"]))
    h_prev, C_prev = h0, C0
    steps = []
    for t in range(T):
        h_prev, C_prev, step_cache = lstm_step_forward(x[:, t], h_prev, C_prev, p)
        h[:, t] = h_prev
        steps.append(step_cache)
    return h, LSTMCache(steps, C_prev)


def lstm_backward(
    dh: np.ndarray, cache: LSTMCache, dC_T: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Backpropagation through time for ``lstm_forward``.

    Args:
        dh: (B, T, H) gradient of the loss with respect to every hidden state (usually from
            the output layer).
        cache: the ``LSTMCache`` from ``lstm_forward``.
        dC_T: (B, H) gradient with respect to the final cell state, if the loss depends on it
            directly; None means zero.

    Returns:
        dx: (B, T, D), dh0: (B, H), dC0: (B, H), and grads: the gate parameter gradients by
        name, summed over all steps (the same weights are used at every step).
    """
    steps = cache.steps
    B, T, H = dh.shape
    D = steps[0].D
    dx = np.empty((B, T, D), dtype=dh.dtype)
    dh_next = np.zeros((B, H), dtype=dh.dtype)  # nothing flows back from beyond the last step
    dC_next = np.zeros((B, H), dtype=dh.dtype) if dC_T is None else dC_T
    grads = {name: np.zeros_like(steps[0].p[name]) for name in GATE_PARAM_NAMES}
    for t in reversed(range(T)):
        # h_t feeds both the loss at step t and step t + 1: add the two gradients.
        dx[:, t], dh_next, dC_next, step_grads = lstm_step_backward(dh[:, t] + dh_next, dC_next, steps[t])
        for name, g in step_grads.items():
            grads[name] += g
    return dx, dh_next, dC_next, grads


# ----------------------------------------------------------------------------------------------
# The fast version: the four gates as one matrix
# ----------------------------------------------------------------------------------------------


def stack_gates(p: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Put the four gate matrices side by side: W = [W_f | W_i | W_C | W_o].

    Args:
        p: gate parameters as in ``lstm_step_forward``.

    Returns:
        W: (D + H, 4H), b: (4H,). Columns k*H to (k+1)*H belong to gate k in f, i, C, o order,
        so z W + b holds the four pre-activations side by side.
    """
    W = np.concatenate([p["W_f"], p["W_i"], p["W_C"], p["W_o"]], axis=1)
    b = np.concatenate([p["b_f"], p["b_i"], p["b_C"], p["b_o"]])
    return W, b


def split_gates(W: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Inverse of ``stack_gates``: W (D + H, 4H), b (4H,) -> the eight named gate arrays (views)."""
    W_f, W_i, W_C, W_o = np.split(W, 4, axis=1)
    b_f, b_i, b_C, b_o = np.split(b, 4)
    return {"W_f": W_f, "b_f": b_f, "W_i": W_i, "b_i": b_i, "W_C": W_C, "b_C": b_C, "W_o": W_o, "b_o": b_o}


#: The order of the gate blocks inside the fused pass's own arrays (``gates`` in the cache,
#: one (T, B, H) block per gate): the sigmoid gates o, f, i side by side, so one call finishes
#: all three, and f, i, C_tilde side by side, the three whose gradient is dC times something.
#: (W, b, dW and db keep the f, i, C_tilde, o order of ``stack_gates``.)
FUSED_ORDER = ("o", "f", "i", "C")
_COLUMN_BLOCK = {"f": 0, "i": 1, "C": 2, "o": 3}  # where each gate sits in W = [W_f | W_i | W_C | W_o]


def _gate_blocks(W: np.ndarray, H: int) -> list[np.ndarray]:
    """The (rows, H) column blocks of a stacked (rows, 4H) array, in ``FUSED_ORDER``."""
    return [W[..., _COLUMN_BLOCK[g] * H : (_COLUMN_BLOCK[g] + 1) * H] for g in FUSED_ORDER]


def lstm_forward_fused(
    x: np.ndarray,
    h0: np.ndarray,
    C0: np.ndarray,
    W: np.ndarray,
    b: np.ndarray,
    workspace: Workspace | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """``lstm_forward`` with the four gates stacked: the same computation, fewer, bigger operations.

    z W_f, z W_i, z W_C and z W_o are the four column blocks of z W with W = [W_f | W_i | W_C | W_o]
    (see ``stack_gates``), so one matrix multiply gives all four pre-activations. And since
    z = [x, h_prev], z W = x W_x + h_prev W_h where W_x is the first D rows of W and W_h the
    last H. The input part x W_x does not depend on the previous step, so it is computed for all
    T steps at once before the loop; inside the loop there is ONE matrix multiply, h_prev W_h
    (numpy's batched matmul: one call, the four gates' blocks).

    When x is integer ids the input is their one-hot vectors (D = V), and one_hot(ids) W_x is
    just the rows W_x[ids]: a lookup, no multiply at all.

    More tricks, none of which changes the mathematics:

    - sigmoid(a) = (1 + tanh(a / 2)) / 2 (see ``activations.sigmoid``). The f, i and o columns
      of W and b are halved once, before the loop, so ONE tanh call per step squashes all four
      gates. (Halving is exact in floating point.)
    - Inside, each gate has its own contiguous (B, H) block per step, in ``FUSED_ORDER``
      (o, f, i, C_tilde): numpy is several times faster on whole blocks than on column
      slices of a (B, 4H) array, and the three sigmoid gates side by side are finished,
      (1 + t) / 2, by two operations.
    - Time comes first, (T, B, ...), so each step reads and writes whole contiguous blocks;
      ``h`` is returned as a (B, T, H) view of them, not a copy.
    - Every array the loop fills is allocated before it and written with ``out=``; with a
      ``workspace`` they are even kept from call to call (see ``lstm_lab.workspace``).

    Args:
        x: (B, T, D) float inputs, or (B, T) integer ids in [0, D) standing for one-hot inputs.
        h0: (B, H) initial hidden state.
        C0: (B, H) initial cell state.
        W: (D + H, 4H) stacked gate weights; b: (4H,) stacked biases.
        workspace: where to keep the arrays between calls (None: fresh arrays). The returned
            h and cache are then views into it, valid until its next use.

    Returns:
        h: (B, T, H) hidden states at every step (a view of the time-first ``cache["hs"]``).
        cache: dict for ``lstm_backward_fused``; the final cell state C_T (B, H) is under
            ``"C_T"``; ``"gates"`` (4, T, B, H) holds o, f, i, C_tilde of every step.
    """
    ws = workspace if workspace is not None else Workspace()
    B, H = h0.shape
    D = W.shape[0] - H
    T = x.shape[1]
    is_ids = np.issubdtype(x.dtype, np.integer)
    dtype = np.result_type(W, b, h0, C0, *(() if is_ids else (x,)))
    # W and b as one (D + H, H) block per gate in FUSED_ORDER, the sigmoid gates' halved.
    W4, b4 = ws.empty("W4", (4, D + H, H), dtype), ws.empty("b4", (4, H), dtype)
    for k, (gate, W_k, b_k) in enumerate(zip(FUSED_ORDER, _gate_blocks(W, H), _gate_blocks(b, H), strict=True)):
        scale = 1.0 if gate == "C" else 0.5
        np.multiply(W_k, scale, out=W4[k])
        np.multiply(b_k, scale, out=b4[k])
    W_h4 = W4[:, D:]  # (4, H, H)
    # Internally time comes first, (T, B, ...), so each step reads and writes one contiguous block.
    hs = ws.empty("hs", (T + 1, B, H), dtype)  # hs[0] = h0; hs[t + 1] = h after step t
    Cs = ws.empty("Cs", (T + 1, B, H), dtype)  # the same for the cell state
    gates = ws.empty("gates", (4, T, B, H), dtype)  # o, f, i, C_tilde (FUSED_ORDER)
    tanh_C = ws.empty("tanh_C", (T, B, H), dtype)
    hW, iC = ws.empty("hW", (4, B, H), dtype), ws.empty("iC", (B, H), dtype)
    # The input part of every step first, straight into gates: x_t W_x + b.
    if is_ids:
        # one_hot(ids) @ W_x + b is row ids of (W_x + b): one lookup for all T steps.
        table = ws.empty("xW_table", (4, D, H), dtype)
        np.add(W4[:, :D], b4[:, None, :], out=table)
        np.take(table, x.T, axis=1, out=gates)
    else:
        x_tm = x.transpose(1, 0, 2)
        for k in range(4):
            np.matmul(x_tm, W4[k, :D], out=gates[k])  # one matmul for all steps
        gates += b4[:, None, None, :]
    hs[0], Cs[0] = h0, C0
    o_all, f_all, i_all, C_tilde_all = gates
    for t in range(T):
        g = gates[:, t]  # (4, B, H)
        np.matmul(hs[t], W_h4, out=hW)  # the step's one (batched) matrix multiply ...
        g += hW  # ... plus the input part: the pre-activations (o, f, i halved)
        np.tanh(g, out=g)  # all four blocks at once
        s = g[:3]  # o, f and i: sigmoid = (1 + tanh(a/2)) / 2
        s += 1.0
        s *= 0.5
        np.multiply(f_all[t], Cs[t], out=Cs[t + 1])  # C_t = f * C_{t-1} + i * C_tilde
        np.multiply(i_all[t], C_tilde_all[t], out=iC)
        Cs[t + 1] += iC
        np.tanh(Cs[t + 1], out=tanh_C[t])
        np.multiply(o_all[t], tanh_C[t], out=hs[t + 1])  # h_t = o * tanh(C_t)
    h = hs[1:].transpose(1, 0, 2)  # batch first, as a view
    cache = {"x": x, "is_ids": is_ids, "W": W, "hs": hs, "Cs": Cs, "gates": gates, "tanh_C": tanh_C, "ws": ws}
    cache["C_T"] = Cs[T]
    return h, cache


def lstm_backward_fused(
    dh: np.ndarray, cache: dict[str, Any], dC_T: np.ndarray | None = None, *, initial_state_grads: bool = True
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None, np.ndarray, np.ndarray]:
    """Backward pass of ``lstm_forward_fused``; the same gradients as ``lstm_backward``.

    Write dC for the whole gradient reaching C_t (from the next cell and through h_t). Then
    ``lstm_step_backward`` reads, gate by gate,

        dC   = dC_next + dh_t * o (1 - tanh(C_t)^2)
        da_f = dC * C_{t-1} f (1 - f)          da_i = dC * C_tilde i (1 - i)
        da_C = dC * i (1 - C_tilde^2)          da_o = dh_t * tanh(C_t) o (1 - o)

    Every factor after ``dC *`` and ``dh_t *`` depends on the forward pass alone, so they are
    computed for all T steps at once before the loop (G and K below). The loop then does only
    what must be sequential: a few elementwise products (da_f, da_i and da_C as ONE product,
    dC times the three blocks of G side by side) and one batched matrix multiply per step,
    dh_prev = da W_h^T (the four gates' products, then their sum). The pre-activation gradients
    da of every step are stored, and the weight gradients are one big matrix multiply over all
    B * T rows instead of T small ones.

    Args:
        dh: (B, T, H) gradient with respect to every hidden state. A (B, T, H) view of a
            time-first (T, B, H) array (as ``lstm_forward_fused`` returns h) is read in place.
        cache: from ``lstm_forward_fused`` (its workspace is used here too).
        dC_T: (B, H) gradient with respect to the final cell state; None means zero.
        initial_state_grads: False skips dh0 and dC0 (returned as None), and with them the
            first step's (t = 0) matrix multiply: training on windows (truncated backpropagation
            through time) never uses the gradient with respect to the window's initial state.

    Returns:
        dx: (B, T, D) gradient with respect to x, or None when x was ids (they have no gradient).
        dh0: (B, H), dC0: (B, H); None if not ``initial_state_grads``.
        dW: (D + H, 4H), db: (4H,): stacked like W and b; ``split_gates`` names them. With
            a workspace, dW is a view into it, valid until its next use.
    """
    x, W, hs, Cs, gates, tanh_C, ws = (cache[k] for k in ("x", "W", "hs", "Cs", "gates", "tanh_C", "ws"))
    T, B, H = tanh_C.shape
    D = W.shape[0] - H
    dtype = gates.dtype
    W_hT4 = ws.empty("W_hT4", (4, H, H), dtype)  # each gate's block of W_h, transposed
    for k, W_k in enumerate(_gate_blocks(W[D:], H)):
        np.copyto(W_hT4[k], W_k.T)
    o, f, i, C_tilde = gates  # (T, B, H) each, FUSED_ORDER

    # G = [tanh(C_t) o(1-o) | C_{t-1} f(1-f) | C_tilde i(1-i) | i (1-C_tilde^2)], K = o (1-tanh(C_t)^2),
    # in FUSED_ORDER like gates and da.
    G = ws.empty("G", (4, T, B, H), dtype)
    np.subtract(1.0, gates[:3], out=G[:3])
    G[:3] *= gates[:3]  # s (1 - s) for o, f and i
    G[0] *= tanh_C
    G[1] *= Cs[:T]  # Cs[t] is C_{t-1}
    G[2] *= C_tilde
    np.multiply(C_tilde, C_tilde, out=G[3])
    np.subtract(1.0, G[3], out=G[3])
    G[3] *= i
    K = ws.empty("K", (T, B, H), dtype)
    np.multiply(tanh_C, tanh_C, out=K)
    np.subtract(1.0, K, out=K)
    K *= o

    dh_tm = dh.transpose(1, 0, 2)  # time first, like the cache
    if not dh_tm.flags.c_contiguous:
        dh_tm = ws.empty("dh_tm", (T, B, H), dtype)
        np.copyto(dh_tm, dh.transpose(1, 0, 2))
    da = ws.empty("da", (4, T, B, H), dtype)  # gradients of the pre-activations a = z W + b
    dh_t, dC = ws.empty("dh_t", (B, H), dtype), ws.empty("dC", (B, H), dtype)
    dh_4 = ws.empty("dh_4", (4, B, H), dtype)  # each gate's part of dh_prev
    dh_next = np.zeros((B, H), dtype=dtype)  # nothing flows back from beyond the last step
    dC_next = np.zeros((B, H), dtype=dtype) if dC_T is None else np.array(dC_T, dtype=dtype)
    for t in reversed(range(T)):
        np.add(dh_tm[t], dh_next, out=dh_t)  # from the loss at step t and from step t + 1
        np.multiply(dh_t, K[t], out=dC)
        dC += dC_next
        np.multiply(dC, G[1:, t], out=da[1:, t])  # da_f, da_i, da_C
        np.multiply(dh_t, G[0, t], out=da[0, t])  # da_o
        if t == 0 and not initial_state_grads:
            break  # what flows back from here reaches only h0 and C0
        np.multiply(dC, f[t], out=dC_next)  # the gradient highway, as in lstm_step_backward
        np.matmul(da[:, t], W_hT4, out=dh_4)  # the step's matrix multiply, gate by gate ...
        np.sum(dh_4, axis=0, out=dh_next)  # ... summed: dh_prev = da W_h^T
    # Every step used the same W and b: sum over steps and examples. First da as one
    # (T * B, 4H) matrix in W's gate order (one copy): a multiply by it runs several times
    # faster than four by its (T * B, H) blocks.
    da_rows = ws.empty("da_rows", (T * B, 4 * H), dtype)
    for da_k, block in zip(da, _gate_blocks(da_rows, H), strict=True):
        np.copyto(block, da_k.reshape(T * B, H))
    dW = ws.empty("dW", (D + H, 4 * H), dtype)
    np.matmul(hs[:T].reshape(T * B, H).T, da_rows, out=dW[D:])
    if cache["is_ids"]:
        # one_hot(ids)^T da, as for dense x, is the gradient of a row lookup: sum da's rows by id.
        dW[:D] = embedding_backward(da_rows.reshape(T, B, 4 * H), (x.T, (D, 4 * H)))
        dx = None
    else:
        np.matmul(x.transpose(1, 0, 2).reshape(T * B, D).T, da_rows, out=dW[:D])
        dx = np.ascontiguousarray((da_rows @ W[:D].T).reshape(T, B, D).transpose(1, 0, 2))
    db = da_rows.sum(axis=0)
    if not initial_state_grads:
        return dx, None, None, dW, db
    return dx, dh_next, dC_next, dW, db


# ----------------------------------------------------------------------------------------------
# The character model
# ----------------------------------------------------------------------------------------------


class LSTM:
    """A character-level LSTM language model: ids in, next-id scores out.

    Each input id is a one-hot vector x_t of length V (so D = V, and the first V rows of each
    gate matrix are, in effect, the characters' embeddings); logits_t = h_t W_y + b_y.
    The state carried between windows is the tuple (h, C), each (B, H).

    Parameters, as attributes and in ``params`` in this order:
    W_f, b_f, W_i, b_i, W_C, b_C, W_o, b_o (gates: W (V + H, H), b (H,)), W_y (H, V), b_y (V,).
    After ``loss`` each ``Param.grad`` holds d loss / d param, e.g. ``model.W_f.grad``.

    Args:
        vocab_size: V, at least 2 (with one symbol there is nothing to predict).
        hidden_size: H, a positive int.
        seed: int or ``np.random.Generator`` for the initial weights.
        init: how to draw the initial weights:

            - ``"forget_bias"`` (default): every weight ~ N(0, s^2) with s = weight_scale if
              given, else 1 / sqrt(fan-in): 1/sqrt(V + H) for the gate matrices (a gate unit
              reads all V + H entries of z) and 1/sqrt(H) for W_y. Biases are zero except
              b_f = 1: the forget gate starts mostly open (sigmoid(1) = 0.73), so by default
              the cell remembers and gradients flow back along the cell (recommended by
              Gers et al. 2000 and Jozefowicz et al. 2015).
            - ``"seed"``: as in the notebook this project started from: the sigmoid gates'
              weights W_f, W_i, W_o ~ N(0.5, s^2) (mean 0.5, not 0!), W_C and W_y ~ N(0, s^2),
              with s = weight_scale or 0.1, and all biases zero. Because of the shared mean,
              every unit of a gate sees the same large term 0.5 * sum(h_prev), so with H = 100
              the gate units tend to open or shut together. It trains, but more slowly.

        weight_scale: overrides the standard deviation s above (a positive float).
        dtype: np.float64 (default) or np.float32, for parameters, states and gradients.
    """

    INITS = ("forget_bias", "seed")

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        *,
        seed: int | np.random.Generator = 0,
        init: str = "forget_bias",
        weight_scale: float | None = None,
        dtype: Any = np.float64,
    ) -> None:
        V, H, rng, self.dtype = check_model_args(vocab_size, hidden_size, seed=seed, dtype=dtype,
                                                 weight_scale=weight_scale)
        if init not in self.INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {', '.join(repr(n) for n in self.INITS)}.")
        self.vocab_size, self.hidden_size, self.init = V, H, init
        values = self._initial_values(rng, init, weight_scale, V, H)
        # Draw in float64, then cast: a float32 model starts from the same (rounded) weights.
        self.params = [Param(name, values[name].astype(self.dtype)) for name in PARAM_NAMES]
        for param in self.params:
            setattr(self, param.name, param)
        # Scratch arrays kept between calls (see lstm_lab.workspace): one set for loss, one
        # for evaluate, so validating in the middle of training does not reallocate.
        self._train_workspace, self._eval_workspace = Workspace(), Workspace()

    @staticmethod
    def _initial_values(
        rng: np.random.Generator, init: str, weight_scale: float | None, V: int, H: int
    ) -> dict[str, np.ndarray]:
        Z = V + H  # width of z = [x, h_prev]
        if init == "seed":
            s = 0.1 if weight_scale is None else weight_scale
            gate_mean = {"f": 0.5, "i": 0.5, "C": 0.0, "o": 0.5}
            gate_b = dict.fromkeys(gate_mean, 0.0)
            s_gate = s_y = s
        else:  # "forget_bias"
            s_gate = 1.0 / np.sqrt(Z) if weight_scale is None else weight_scale
            s_y = 1.0 / np.sqrt(H) if weight_scale is None else weight_scale
            gate_mean = dict.fromkeys("fiCo", 0.0)
            gate_b = {"f": 1.0, "i": 0.0, "C": 0.0, "o": 0.0}
        values = {}
        for g in "fiCo":
            values[f"W_{g}"] = gate_mean[g] + s_gate * rng.standard_normal((Z, H))
            values[f"b_{g}"] = np.full(H, gate_b[g])
        values["W_y"] = s_y * rng.standard_normal((H, V))
        values["b_y"] = np.zeros(V)
        return values

    def __repr__(self) -> str:
        return (
            f"LSTM(vocab_size={self.vocab_size}, hidden_size={self.hidden_size}, init={self.init!r}, "
            f"dtype={self.dtype.name})"
        )

    def config(self) -> dict[str, Any]:
        """What a checkpoint stores to build this model again (the weights are stored apart)."""
        return {"vocab_size": self.vocab_size, "hidden_size": self.hidden_size, "dtype": self.dtype.name,
                "init": self.init}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LSTM:
        return cls(**config)

    # -- the model protocol ---------------------------------------------------------------------

    def initial_state(self, batch_size: int) -> State:
        """Zero state (h, C), each (batch_size, H)."""
        batch_size = check_positive_int("batch_size", batch_size)
        H = self.hidden_size
        return np.zeros((batch_size, H), dtype=self.dtype), np.zeros((batch_size, H), dtype=self.dtype)

    def loss(self, inputs: np.ndarray, targets: np.ndarray, state: State) -> tuple[float, State]:
        """Forward and backward pass on one window of ids.

        Args:
            inputs: (B, T) ids. targets: (B, T) ids, the next symbol after each input.
            state: (h0, C0), each (B, H): ``initial_state(B)`` or the state a previous call returned.

        Returns:
            loss: negative log-likelihood summed over T and averaged over B.
            state: (h_T, C_T) copies, to carry into the next window.
        OVERWRITES the ``grad`` of every parameter with d loss / d param (uses the fused path).
        """
        inputs, targets = check_id_pair(inputs, targets, self.vocab_size)
        h0, C0 = self._check_state(state, inputs.shape[0])
        ws = self._train_workspace
        W, b = stack_gates(self.gate_values())
        _, lstm_cache = lstm_forward_fused(inputs, h0, C0, W, b, ws)
        h_rows, dlogits, loss = self._output_loss(lstm_cache, targets, ws)
        # The output layer's backward pass, written straight into the grads; dh time first.
        T, B, H = lstm_cache["tanh_C"].shape
        dh = output_backward_rows(dlogits, h_rows, self.W_y.value, self.W_y.grad, self.b_y.grad, ws).reshape(T, B, H)
        _, _, _, dW, db = lstm_backward_fused(dh.transpose(1, 0, 2), lstm_cache, initial_state_grads=False)
        for name, g in split_gates(dW, db).items():
            getattr(self, name).grad[...] = g
        return loss, (lstm_cache["hs"][T].copy(), lstm_cache["C_T"].copy())

    def evaluate(self, inputs: np.ndarray, targets: np.ndarray, state: State) -> tuple[float, State]:
        """Like ``loss`` but forward only: no gradients computed, every ``grad`` left alone."""
        inputs, targets = check_id_pair(inputs, targets, self.vocab_size)
        h0, C0 = self._check_state(state, inputs.shape[0])
        ws = self._eval_workspace
        _, lstm_cache = lstm_forward_fused(inputs, h0, C0, *stack_gates(self.gate_values()), ws)
        _, _, loss = self._output_loss(lstm_cache, targets, ws)
        return loss, (lstm_cache["hs"][-1].copy(), lstm_cache["C_T"].copy())

    def _output_loss(self, lstm_cache: dict[str, Any], targets: np.ndarray, ws: Workspace) -> tuple:
        """logits = h W_y + b_y and the loss, on all B * T hidden states as one (T * B, H) matrix.

        The fused pass keeps time first, so its (T + 1, B, H) ``hs`` minus h0 IS that matrix:
        one multiply, no copy. Returns (h_rows, dlogits, loss); dlogits (T * B, V) is in ``ws``.
        """
        T, B, H = lstm_cache["tanh_C"].shape
        h_rows = lstm_cache["hs"][1:].reshape(T * B, H)
        loss, dlogits = output_loss_rows(h_rows, self.W_y.value, self.b_y.value, targets.T.reshape(-1), B, ws)
        return h_rows, dlogits, loss

    def step(self, ids: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        """One step of generation: ids (B,) and state (h, C) -> logits (B, V) and the next state."""
        ids = check_ids(ids, "ids", 1, self.vocab_size)
        h_prev, C_prev = self._check_state(state, ids.shape[0])
        x = one_hot(ids, self.vocab_size, dtype=self.dtype)
        h, C, _ = lstm_step_forward(x, h_prev, C_prev, self.gate_values())
        logits = h @ self.W_y.value + self.b_y.value
        return logits, (h, C)

    def hidden_forward(self, inputs: np.ndarray, state: State) -> tuple[np.ndarray, dict[str, Any]]:
        """The recurrence alone, on the fused path: (B, T) ids and (h0, C0) -> h (B, T, H) and a cache.

        The final cell state is ``cache["C_T"]``. Fresh arrays (no workspace), so the cache
        stays valid however many other calls come before ``hidden_backward``.
        """
        ids = check_ids(inputs, "inputs", 2, self.vocab_size)
        h0, C0 = self._check_state(state, ids.shape[0])
        return lstm_forward_fused(ids, h0, C0, *stack_gates(self.gate_values()))

    def hidden_backward(self, dh: np.ndarray, cache: dict[str, Any]) -> None:
        """Backpropagate (B, T, H) ``dh``; OVERWRITES the grads of the eight gate parameters."""
        # nothing asks for the gradient of the initial state, so its multiply is skipped
        _, _, _, dW, db = lstm_backward_fused(dh, cache, initial_state_grads=False)
        for name, g in split_gates(dW, db).items():
            getattr(self, name).grad[...] = g

    def forward(self, inputs: np.ndarray, state: State) -> tuple[np.ndarray, State, tuple]:
        """Scores for every position: (B, T) ids and (h0, C0) -> logits (B, T, V), (h_T, C_T), cache.

        The same numbers as ``loss``'s forward pass, written layer by layer (``loss`` fuses the
        output layer into the recurrence's arrays to save copies).
        """
        h, hidden_cache = self.hidden_forward(inputs, state)
        logits, out_cache = temporal_affine_forward(h, self.W_y.value, self.b_y.value)
        return logits, (h[:, -1].copy(), hidden_cache["C_T"].copy()), (hidden_cache, out_cache)

    def backward(self, dlogits: np.ndarray, cache: tuple) -> None:
        """Backpropagate (B, T, V) ``dlogits`` and OVERWRITE every Param.grad."""
        hidden_cache, out_cache = cache
        dh, dW_y, db_y = temporal_affine_backward(dlogits, out_cache)
        self.W_y.grad[...] = dW_y
        self.b_y.grad[...] = db_y
        self.hidden_backward(dh, hidden_cache)

    def unroll(self, inputs: np.ndarray) -> tuple[np.ndarray, list[LSTMStepCache]]:
        """The readable path from the zero state: h (B, T, H) and ``lstm_forward``'s per-step caches."""
        ids = check_ids(inputs, "inputs", 2, self.vocab_size)
        h0, C0 = self.initial_state(ids.shape[0])
        h, cache = lstm_forward(one_hot(ids, self.vocab_size, dtype=self.dtype), h0, C0, self.gate_values())
        return h, cache.steps

    def state_gradients(self, dh_last: np.ndarray, steps: list[LSTMStepCache]) -> dict[str, np.ndarray]:
        """From (B, H) ``dh_last`` on the last hidden state, step by step back: no grad is touched.

        Returns:
            ``"h"``: (T, B, H), [k] = dL/dh_{T-1-k}; ``"C"``: (T, B, H), [k] = the gradient
            arriving at C_{T-1-k} ALONG THE CELL from step T - k (Lesson 6's dC_next), so [0] = 0.
        """
        dtype = np.asarray(dh_last).dtype
        dh, dC = np.empty((2, len(steps), *np.shape(dh_last)), dtype=dtype)
        dh_t, dC_t = dh_last, np.zeros_like(dh_last)  # nothing reaches the last cell from beyond it
        for k, step_cache in enumerate(reversed(steps)):
            dh[k], dC[k] = dh_t, dC_t
            _, dh_t, dC_t, _ = lstm_step_backward(dh_t, dC_t, step_cache)  # now for the step before
        return {"h": dh, "C": dC}

    # -- helpers --------------------------------------------------------------------------------

    def gate_values(self) -> dict[str, np.ndarray]:
        """The gate parameters' values by name (W_f, b_f, ..., b_o): the arrays themselves, not copies."""
        return {name: getattr(self, name).value for name in GATE_PARAM_NAMES}

    def _check_state(self, state: Any, batch_size: int) -> State:
        return check_state(state, ("h", "C"), batch_size, self.hidden_size, self.dtype)


def gate_activations(model: LSTM, ids: np.ndarray) -> dict[str, np.ndarray]:
    """Record what every gate does while the model reads ``ids``, for plotting.

    Args:
        model: an ``LSTM``.
        ids: (T,) integer ids, read as a batch of one from the zero state.

    Returns:
        dict of (T, H) arrays: the gates ``"f"``, ``"i"``, ``"C_tilde"``, ``"o"``; their
        pre-activations ``"a_f"``, ``"a_i"``, ``"a_C"``, ``"a_o"`` (z W + b, before the sigmoid
        or tanh: what saturates); and the states ``"C"`` and ``"h"`` after each step.
    """
    ids = check_ids(ids, "ids", 1, model.vocab_size)
    h, C = model.initial_state(1)
    p = model.gate_values()
    names = ("f", "i", "C_tilde", "o", "a_f", "a_i", "a_C", "a_o", "C", "h")
    record: dict[str, list[np.ndarray]] = {k: [] for k in names}
    for x in one_hot(ids, model.vocab_size, dtype=model.dtype):
        h, C, cache = lstm_step_forward(x[None, :], h, C, p)
        for k, v in (("f", cache.f), ("i", cache.i), ("C_tilde", cache.C_tilde), ("o", cache.o)):
            record[k].append(v[0])
        for g in "fiCo":
            record[f"a_{g}"].append((cache.z @ p[f"W_{g}"] + p[f"b_{g}"])[0])
        record["C"].append(C[0])
        record["h"].append(h[0])
    return {k: np.stack(v) for k, v in record.items()}
