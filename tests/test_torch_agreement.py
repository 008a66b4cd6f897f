"""Our LSTM agrees with PyTorch's: outputs, loss and every gradient, in float64.

PyTorch is optional for learners: without it this module is skipped with the reason.
CI installs the CPU build (`.ci/run`) and sets LSTM_LAB_REQUIRE_TORCH=1, so there a
missing torch is a failure, never a silent skip.

How our parameters map onto ``torch.nn.LSTM`` (one layer, batch_first) + ``nn.Linear``.
Our gates act on z = [x, h_prev] from the right, z @ W_gate + b_gate, with W_gate of
shape (V + H, H); PyTorch computes x @ W_ih.T + b_ih + h @ W_hh.T + b_hh with the four
gates stacked in the order i, f, g, o:

    PyTorch block   our gate               W_ih block         W_hh block         b_ih
    i (input)       i                      W_i[:V].T          W_i[V:].T          b_i
    f (forget)      f                      W_f[:V].T          W_f[V:].T          b_f
    g (cell)        C_tilde (candidate)    W_C[:V].T          W_C[V:].T          b_C
    o (output)      o                      W_o[:V].T          W_o[V:].T          b_o

b_hh is zero (we have one bias per gate). The output layer: Linear.weight = W_y.T,
Linear.bias = b_y. Inputs are one-hot rows of the ids, as in our model.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from lstm_lab.lstm import LSTM

if os.environ.get("LSTM_LAB_REQUIRE_TORCH"):
    import torch  # CI: a missing torch must fail loudly
else:
    torch = pytest.importorskip(
        "torch", reason="PyTorch is optional: `pip install torch==2.13.0` (CPU) runs this check; CI installs it"
    )

TORCH_GATE_ORDER = ("i", "f", "C", "o")  # PyTorch's i, f, g, o in our names


def build_torch_twin(model: LSTM) -> tuple:
    V, H = model.vocab_size, model.hidden_size
    lstm = torch.nn.LSTM(input_size=V, hidden_size=H, batch_first=True).double()
    linear = torch.nn.Linear(H, V).double()
    with torch.no_grad():
        W = {g: getattr(model, f"W_{g}").value for g in TORCH_GATE_ORDER}
        b = {g: getattr(model, f"b_{g}").value for g in TORCH_GATE_ORDER}
        lstm.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([W[g][:V].T for g in TORCH_GATE_ORDER])))
        lstm.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([W[g][V:].T for g in TORCH_GATE_ORDER])))
        lstm.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([b[g] for g in TORCH_GATE_ORDER])))
        lstm.bias_hh_l0.zero_()
        linear.weight.copy_(torch.from_numpy(model.W_y.value.T))
        linear.bias.copy_(torch.from_numpy(model.b_y.value))
    return lstm, linear


def torch_grads_in_our_layout(model: LSTM, lstm, linear) -> dict[str, np.ndarray]:
    V, H = model.vocab_size, model.hidden_size
    g_ih = lstm.weight_ih_l0.grad.numpy()
    g_hh = lstm.weight_hh_l0.grad.numpy()
    g_b = lstm.bias_ih_l0.grad.numpy()
    grads = {}
    for k, gate in enumerate(TORCH_GATE_ORDER):
        rows = slice(k * H, (k + 1) * H)
        grads[f"W_{gate}"] = np.concatenate([g_ih[rows].T, g_hh[rows].T])
        grads[f"b_{gate}"] = g_b[rows]
    grads["W_y"] = linear.weight.grad.numpy().T
    grads["b_y"] = linear.bias.grad.numpy()
    assert g_b.shape == (4 * H,) and grads["W_f"].shape == (V + H, H)
    return grads


@pytest.mark.parametrize("init", ["forget_bias", "seed"])
@pytest.mark.parametrize(("V", "H", "B", "T"), [(11, 5, 3, 7), (61, 100, 2, 25)])
def test_lstm_matches_torch(init, V, H, B, T):
    rng = np.random.default_rng(7)
    model = LSTM(vocab_size=V, hidden_size=H, seed=3, init=init)
    inputs = rng.integers(0, V, size=(B, T))
    targets = rng.integers(0, V, size=(B, T))
    h0, C0 = rng.normal(scale=0.5, size=(B, H)), rng.normal(scale=0.5, size=(B, H))

    loss, (h_T, C_T) = model.loss(inputs, targets, (h0, C0))
    first_logits, _ = model.step(inputs[:, 0], (h0, C0))

    lstm, linear = build_torch_twin(model)
    x = torch.nn.functional.one_hot(torch.from_numpy(inputs), V).double()
    out, (th_T, tC_T) = lstm(x, (torch.from_numpy(h0)[None], torch.from_numpy(C0)[None]))
    t_logits = linear(out)
    t_loss = torch.nn.functional.cross_entropy(
        t_logits.reshape(B * T, V), torch.from_numpy(targets).reshape(-1), reduction="sum"
    ) / B  # our convention: summed over time, averaged over the batch
    t_loss.backward()

    tight = {"rtol": 1e-9, "atol": 1e-12}
    np.testing.assert_allclose(loss, t_loss.item(), **tight)
    np.testing.assert_allclose(first_logits, t_logits[:, 0].detach().numpy(), **tight)
    np.testing.assert_allclose(h_T, th_T[0].detach().numpy(), **tight)
    np.testing.assert_allclose(C_T, tC_T[0].detach().numpy(), **tight)
    theirs = torch_grads_in_our_layout(model, lstm, linear)
    for p in model.params:
        np.testing.assert_allclose(p.grad, theirs[p.name], err_msg=p.name, **tight)


def test_every_logit_matches_torch_when_stepping():
    """Stepping one symbol at a time (as sampling does) gives PyTorch's logits at every step."""
    rng = np.random.default_rng(1)
    V, H, B, T = 9, 6, 2, 5
    model = LSTM(vocab_size=V, hidden_size=H, seed=0)
    inputs = rng.integers(0, V, size=(B, T))
    state = model.initial_state(B)
    ours = []
    for t in range(T):
        logits, state = model.step(inputs[:, t], state)
        ours.append(logits)
    lstm, linear = build_torch_twin(model)
    with torch.no_grad():
        out, _ = lstm(torch.nn.functional.one_hot(torch.from_numpy(inputs), V).double())
        theirs = linear(out).numpy()
    np.testing.assert_allclose(np.stack(ours, axis=1), theirs, rtol=1e-9, atol=1e-12)
