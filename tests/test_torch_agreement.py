"""Our numpy LSTM agrees with PyTorch's ``nn.LSTM`` + ``nn.Linear`` to 1e-9 in float64.

PyTorch is an independent implementation, so equal logits, loss, final state and gradients
mean our equations and our backward pass are the standard LSTM, not just self-consistent.

Both compute the same four gates; only the bookkeeping differs:

=================  ===================  ============================================
gate               ours (f, i, C, o)    PyTorch (i, f, g, o): rows of W_ih, W_hh, b
=================  ===================  ============================================
input gate         W_i, b_i  (block 1)  rows 0H:1H
forget gate        W_f, b_f  (block 0)  rows 1H:2H
candidate C_tilde  W_C, b_C  (block 2)  rows 2H:3H  ("g")
output gate        W_o, b_o  (block 3)  rows 3H:4H
=================  ===================  ============================================

PyTorch uses column vectors, a = x W_ih^T + b_ih + h W_hh^T + b_hh, where ours is
a = [x, h] W + b with x FIRST in z. So for each gate W_ih block = W_gate[:V].T (V = D, the
one-hot width), W_hh block = W_gate[V:].T, b_ih block = b_gate and b_hh = 0 (PyTorch has two
biases where we have one; both get the same gradient). The output layer: Linear.weight = W_y.T
and Linear.bias = b_y. The loss is ours: cross-entropy summed over T, averaged over B.

PyTorch is optional for learners: without it this module is skipped with the reason. CI
installs the CPU build and sets LSTM_LAB_REQUIRE_TORCH=1, so there a missing torch fails.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from agreement import assert_agrees

from lstm_lab.lstm import LSTM, lstm_forward_fused, stack_gates

if os.environ.get("LSTM_LAB_REQUIRE_TORCH"):
    import torch  # CI (.ci/run) sets this: there a missing torch must fail, never skip
else:
    torch = pytest.importorskip(
        "torch", reason="PyTorch is optional: pip install torch==2.13.0 (CPU) to run the agreement test; CI installs it"
    )

#: Our gate letters in PyTorch's block order (i, f, g, o).
TORCH_ORDER = ("i", "f", "C", "o")

# (B, T, V, H): a small case, and the size the notebooks train at.
SIZES = [(3, 7, 11, 5), (2, 25, 61, 100)]
# The two inits, plus random nonzero biases everywhere (the inits leave most biases zero, so a
# bias put in the wrong gate block would otherwise go unnoticed in the forward pass).
VARIANTS = ["forget_bias", "seed", "random_biases"]


def make_model(V: int, H: int, variant: str, rng: np.random.Generator) -> LSTM:
    model = LSTM(V, H, seed=rng, init="forget_bias" if variant == "random_biases" else variant)
    if variant == "random_biases":
        for name in ("b_f", "b_i", "b_C", "b_o", "b_y"):
            getattr(model, name).value[...] = rng.standard_normal(getattr(model, name).value.shape)
    return model


def to_torch(model: LSTM) -> tuple[torch.nn.LSTM, torch.nn.Linear]:
    """PyTorch modules in float64 holding exactly the model's weights (see the module docstring)."""
    V, H = model.vocab_size, model.hidden_size
    lstm = torch.nn.LSTM(input_size=V, hidden_size=H, batch_first=True, dtype=torch.float64)
    head = torch.nn.Linear(H, V, dtype=torch.float64)
    W = {g: getattr(model, f"W_{g}").value for g in TORCH_ORDER}
    b = {g: getattr(model, f"b_{g}").value for g in TORCH_ORDER}
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([W[g][:V].T for g in TORCH_ORDER])))  # (4H, V)
        lstm.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([W[g][V:].T for g in TORCH_ORDER])))  # (4H, H)
        lstm.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([b[g] for g in TORCH_ORDER])))  # (4H,)
        lstm.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(model.W_y.value.T))  # (V, H)
        head.bias.copy_(torch.from_numpy(model.b_y.value))  # (V,)
    return lstm, head


def torch_grads_in_our_layout(lstm: torch.nn.LSTM, head: torch.nn.Linear, V: int, H: int) -> dict[str, np.ndarray]:
    """PyTorch's parameter gradients mapped back to our names and shapes."""
    g_ih = lstm.weight_ih_l0.grad.numpy()
    g_hh = lstm.weight_hh_l0.grad.numpy()
    g_b_ih = lstm.bias_ih_l0.grad.numpy()
    g_b_hh = lstm.bias_hh_l0.grad.numpy()
    # b_ih and b_hh are added together, so they get the same gradient: the one our single bias gets.
    assert_agrees(g_b_hh, g_b_ih)
    grads = {}
    for k, g in enumerate(TORCH_ORDER):
        rows = slice(k * H, (k + 1) * H)
        grads[f"W_{g}"] = np.concatenate([g_ih[rows].T, g_hh[rows].T], axis=0)  # (V + H, H), x rows first
        grads[f"b_{g}"] = g_b_ih[rows]
    grads["W_y"] = head.weight.grad.numpy().T  # (H, V)
    grads["b_y"] = head.bias.grad.numpy()
    return grads


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("B, T, V, H", SIZES)
def test_lstm_matches_torch(B: int, T: int, V: int, H: int, variant: str) -> None:
    rng = np.random.default_rng(2024)
    model = make_model(V, H, variant, rng)
    inputs = rng.integers(0, V, size=(B, T))
    targets = rng.integers(0, V, size=(B, T))
    h0 = 0.5 * rng.standard_normal((B, H))
    C0 = rng.standard_normal((B, H))

    # Ours: logits from the fused forward (the path ``loss`` uses) and from the step-by-step
    # readable path; the loss, final state and gradients from ``loss``.
    h, cache = lstm_forward_fused(inputs, h0, C0, *stack_gates(model.gate_values()))
    logits = h @ model.W_y.value + model.b_y.value  # (B, T, V)
    state = (h0, C0)
    step_logits = []
    for t in range(T):
        out, state = model.step(inputs[:, t], state)
        step_logits.append(out)
    assert_agrees(np.stack(step_logits, axis=1), logits)
    loss, (h_T, C_T) = model.loss(inputs, targets, (h0, C0))

    # PyTorch, on one-hot inputs.
    lstm, head = to_torch(model)
    x = torch.nn.functional.one_hot(torch.from_numpy(inputs), V).to(torch.float64)  # (B, T, V)
    out, (h_n, c_n) = lstm(x, (torch.from_numpy(h0)[None], torch.from_numpy(C0)[None]))  # state (1, B, H)
    t_logits = head(out)
    nll = torch.nn.functional.cross_entropy(
        t_logits.reshape(B * T, V), torch.from_numpy(targets).reshape(-1), reduction="sum"
    )
    t_loss = nll / B  # our convention: summed over time, averaged over the batch
    t_loss.backward()

    assert_agrees(logits, t_logits.detach().numpy())
    assert_agrees(loss, t_loss.item())
    assert_agrees(h_T, h_n[0].detach().numpy())
    assert_agrees(C_T, c_n[0].detach().numpy())
    t_grads = torch_grads_in_our_layout(lstm, head, V, H)
    for param in model.params:
        assert param.grad.shape == t_grads[param.name].shape, param.name
        assert_agrees(param.grad, t_grads[param.name], err_msg=param.name)
