"""The GRU's readable path: gradients checked numerically, and the same numbers as ``torch.nn.GRU``.

PyTorch's GRU keeps its weights as rows [r; z; n] of ``weight_ih_l0`` (3H, D) and
``weight_hh_l0`` (3H, H) with two biases, and applies the reset gate to ``h W_hn^T + b_hn``
after the product, as ``lstm_lab.gru`` does. Our gates use one matrix on [x, h], so
W_r = [W_ir^T; W_hr^T] and b_r = b_ir + b_hr (the two biases are added, so they get the same
gradient); the candidate keeps its own W_xn = W_in^T, W_hn = W_hn^T, b_xn = b_in, b_hn = b_hn.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from lstm_lab.gradcheck import numerical_gradient_array, relative_error
from lstm_lab.gru import GATE_PARAM_NAMES, gru_backward, gru_forward, gru_step_backward, gru_step_forward

RTOL, ATOL = 1e-9, 1e-12


def random_params(rng: np.random.Generator, D: int, H: int) -> dict[str, np.ndarray]:
    shapes = {"W_r": (D + H, H), "W_z": (D + H, H), "W_xn": (D, H), "W_hn": (H, H)}
    p = {}
    for name in GATE_PARAM_NAMES:
        shape = shapes.get(name, (H,))
        p[name] = rng.standard_normal(shape) * (0.5 if name.startswith("W") else 1.0)
    return p


def test_step_shapes_and_the_update_gate_interpolates():
    rng = np.random.default_rng(0)
    B, D, H = 3, 4, 5
    p = random_params(rng, D, H)
    x, h_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H))
    h_next, cache = gru_step_forward(x, h_prev, p)
    assert h_next.shape == (B, H) and cache.r.shape == cache.z.shape == cache.n.shape == (B, H)
    # h_next lies between the candidate and the old state, entry by entry.
    low, high = np.minimum(cache.n, h_prev), np.maximum(cache.n, h_prev)
    assert np.all(low - 1e-12 <= h_next) and np.all(h_next <= high + 1e-12)
    # A saturated update gate (z = 1) copies the old state.
    p["b_z"][:] = 50.0
    np.testing.assert_allclose(gru_step_forward(x, h_prev, p)[0], h_prev, atol=1e-12)


def _sequence_loss(x, h0, p, weights):
    h, _ = gru_forward(x, h0, p)
    return float(np.sum(h * weights))


@pytest.mark.parametrize("B, T, D, H", [(2, 1, 3, 4), (3, 5, 2, 3)])
def test_sequence_gradients_match_centred_differences(B, T, D, H):
    rng = np.random.default_rng(B * 100 + T)
    p = random_params(rng, D, H)
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((B, H))
    weights = rng.standard_normal((B, T, H))  # loss = sum(h * weights), so dL/dh = weights
    h, cache = gru_forward(x, h0, p)
    dx, dh0, grads = gru_backward(weights, cache)

    def loss():
        return _sequence_loss(x, h0, p, weights)

    for name in GATE_PARAM_NAMES:
        err = relative_error(grads[name], numerical_gradient_array(loss, p[name])).max()
        assert err < 1e-6, f"{name}: relative error {err:.2e}"
    assert relative_error(dx, numerical_gradient_array(loss, x)).max() < 1e-6
    assert relative_error(dh0, numerical_gradient_array(loss, h0)).max() < 1e-6


def test_step_backward_is_the_sequence_of_one():
    rng = np.random.default_rng(3)
    p = random_params(rng, 3, 4)
    x, h_prev, dh = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    _, step_cache = gru_step_forward(x, h_prev, p)
    dx, dh_prev, grads = gru_step_backward(dh, step_cache)
    _, cache = gru_forward(x[:, None], h_prev, p)
    dx_seq, dh0, grads_seq = gru_backward(dh[:, None], cache)
    np.testing.assert_allclose(dx_seq[:, 0], dx)
    np.testing.assert_allclose(dh0, dh_prev)
    for name in GATE_PARAM_NAMES:
        np.testing.assert_allclose(grads_seq[name], grads[name])


# ----- against PyTorch ------------------------------------------------------------------------


def import_torch():
    """torch, or a skip with the reason; CI sets LSTM_LAB_REQUIRE_TORCH, and there it must import."""
    if os.environ.get("LSTM_LAB_REQUIRE_TORCH"):
        import torch

        return torch
    return pytest.importorskip("torch", reason="PyTorch is optional: pip install torch==2.13.0 (CPU); CI installs it")


def to_torch(torch, p: dict[str, np.ndarray], D: int, H: int):
    """A float64 ``nn.GRU`` holding our parameters (see the module docstring for the layout)."""
    gru = torch.nn.GRU(input_size=D, hidden_size=H, batch_first=True, dtype=torch.float64)
    W_ih = np.concatenate([p["W_r"][:D].T, p["W_z"][:D].T, p["W_xn"].T])  # (3H, D)
    W_hh = np.concatenate([p["W_r"][D:].T, p["W_z"][D:].T, p["W_hn"].T])  # (3H, H)
    b_ih = np.concatenate([p["b_r"], p["b_z"], p["b_xn"]])
    b_hh = np.concatenate([np.zeros(H), np.zeros(H), p["b_hn"]])  # the gates' bias lives in b_ih
    with torch.no_grad():
        for tensor, value in ((gru.weight_ih_l0, W_ih), (gru.weight_hh_l0, W_hh),
                              (gru.bias_ih_l0, b_ih), (gru.bias_hh_l0, b_hh)):
            tensor.copy_(torch.from_numpy(value))
    return gru


@pytest.mark.parametrize("B, T, D, H", [(3, 7, 11, 5), (2, 25, 61, 100)])
def test_gru_matches_torch_in_float64(B, T, D, H):
    torch = import_torch()
    rng = np.random.default_rng(2026)
    p = random_params(rng, D, H)
    x, h0 = rng.standard_normal((B, T, D)), 0.5 * rng.standard_normal((B, H))
    dh = rng.standard_normal((B, T, H))
    h, cache = gru_forward(x, h0, p)
    dx, dh0, grads = gru_backward(dh, cache)

    gru = to_torch(torch, p, D, H)
    t_x = torch.from_numpy(x).requires_grad_()
    t_h0 = torch.from_numpy(h0)[None].requires_grad_()
    t_h, t_hT = gru(t_x, t_h0)
    (t_h * torch.from_numpy(dh)).sum().backward()  # so dL/dh = dh, as fed to gru_backward

    np.testing.assert_allclose(h, t_h.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(h[:, -1], t_hT[0].detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, t_x.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dh0, t_h0.grad[0].numpy(), rtol=RTOL, atol=ATOL)
    g_ih, g_hh = gru.weight_ih_l0.grad.numpy(), gru.weight_hh_l0.grad.numpy()
    g_bih, g_bhh = gru.bias_ih_l0.grad.numpy(), gru.bias_hh_l0.grad.numpy()
    r, z, n = slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H)
    expected = {
        "W_r": np.concatenate([g_ih[r].T, g_hh[r].T]), "b_r": g_bih[r],
        "W_z": np.concatenate([g_ih[z].T, g_hh[z].T]), "b_z": g_bih[z],
        "W_xn": g_ih[n].T, "b_xn": g_bih[n], "W_hn": g_hh[n].T, "b_hn": g_bhh[n],
    }  # fmt: skip
    np.testing.assert_allclose(g_bhh[:2 * H], g_bih[:2 * H], rtol=RTOL, atol=ATOL)  # added: same gradient
    for name in GATE_PARAM_NAMES:
        np.testing.assert_allclose(grads[name], expected[name], rtol=RTOL, atol=ATOL, err_msg=name)
