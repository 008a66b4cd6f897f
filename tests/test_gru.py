"""The GRU: the readable path checked numerically and against ``torch.nn.GRU``, the fused path
against the readable one, and the ``GRU`` model against ``nn.GRU`` + ``nn.Linear`` and through
every module that takes a model (train, checkpoints, sampling, the recall task, the analyses).

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
from agreement import assert_agrees

from lstm_lab import checkpoint, inside, longrange
from lstm_lab.gradcheck import gradient_check, numerical_gradient_array, relative_error
from lstm_lab.gru import (
    GATE_PARAM_NAMES,
    GRU,
    PARAM_NAMES,
    gru_backward,
    gru_backward_fused,
    gru_forward,
    gru_forward_fused,
    gru_step_backward,
    gru_step_forward,
    split_gates,
    stack_gates,
)
from lstm_lab.layers import one_hot
from lstm_lab.model import GatedModel, Model
from lstm_lab.optim import Adagrad
from lstm_lab.sampling import sample
from lstm_lab.train import train
from lstm_lab.vocab import Vocabulary


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

    assert_agrees(h, t_h.detach().numpy())
    assert_agrees(h[:, -1], t_hT[0].detach().numpy())
    assert_agrees(dx, t_x.grad.numpy())
    assert_agrees(dh0, t_h0.grad[0].numpy())
    g_ih, g_hh = gru.weight_ih_l0.grad.numpy(), gru.weight_hh_l0.grad.numpy()
    g_bih, g_bhh = gru.bias_ih_l0.grad.numpy(), gru.bias_hh_l0.grad.numpy()
    r, z, n = slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H)
    expected = {
        "W_r": np.concatenate([g_ih[r].T, g_hh[r].T]), "b_r": g_bih[r],
        "W_z": np.concatenate([g_ih[z].T, g_hh[z].T]), "b_z": g_bih[z],
        "W_xn": g_ih[n].T, "b_xn": g_bih[n], "W_hn": g_hh[n].T, "b_hn": g_bhh[n],
    }  # fmt: skip
    assert_agrees(g_bhh[:2 * H], g_bih[:2 * H])  # added: same gradient
    for name in GATE_PARAM_NAMES:
        assert_agrees(grads[name], expected[name], err_msg=name)


def model_to_torch(torch, model: GRU):
    """``nn.GRU`` + ``nn.Linear`` in float64 holding the model's weights (one-hot inputs: D = V)."""
    gru = to_torch(torch, model.gate_values(), model.vocab_size, model.hidden_size)
    head = torch.nn.Linear(model.hidden_size, model.vocab_size, dtype=torch.float64)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(model.W_y.value.T))
        head.bias.copy_(torch.from_numpy(model.b_y.value))
    return gru, head


def random_biases(model: GRU, rng: np.random.Generator) -> GRU:
    """Nonzero biases everywhere, so a bias in the wrong block changes the forward pass."""
    for name in ("b_r", "b_z", "b_xn", "b_hn", "b_y"):
        getattr(model, name).value[...] = rng.standard_normal(getattr(model, name).value.shape)
    return model


@pytest.mark.parametrize("B, T, V, H", [(3, 7, 11, 5), (2, 25, 61, 100)])
def test_the_model_matches_torch_gru_and_linear_in_float64(B, T, V, H):
    torch = import_torch()
    rng = np.random.default_rng(11)
    model = random_biases(GRU(V, H, seed=rng), rng)
    inputs, targets = rng.integers(0, V, size=(B, T)), rng.integers(0, V, size=(B, T))
    h0 = 0.5 * rng.standard_normal((B, H))
    logits, h_T_forward, _ = model.forward(inputs, h0)
    loss, h_T = model.loss(inputs, targets, h0)

    gru, head = model_to_torch(torch, model)
    x = torch.nn.functional.one_hot(torch.from_numpy(inputs), V).to(torch.float64)
    out, h_n = gru(x, torch.from_numpy(h0)[None])
    t_logits = head(out)
    t_loss = torch.nn.functional.cross_entropy(
        t_logits.reshape(B * T, V), torch.from_numpy(targets).reshape(-1), reduction="sum") / B
    t_loss.backward()

    assert_agrees(logits, t_logits.detach().numpy())
    assert_agrees(loss, t_loss.item())
    assert_agrees(h_T, h_n[0].detach().numpy())
    assert_agrees(h_T_forward, h_T)
    g_ih, g_hh = gru.weight_ih_l0.grad.numpy(), gru.weight_hh_l0.grad.numpy()
    g_bih, g_bhh = gru.bias_ih_l0.grad.numpy(), gru.bias_hh_l0.grad.numpy()
    r, z, n = slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H)
    expected = {
        "W_r": np.concatenate([g_ih[r].T, g_hh[r].T]), "b_r": g_bih[r],
        "W_z": np.concatenate([g_ih[z].T, g_hh[z].T]), "b_z": g_bih[z],
        "W_xn": g_ih[n].T, "b_xn": g_bih[n], "W_hn": g_hh[n].T, "b_hn": g_bhh[n],
        "W_y": head.weight.grad.numpy().T, "b_y": head.bias.grad.numpy(),
    }  # fmt: skip
    for param in model.params:
        assert param.grad.shape == expected[param.name].shape, param.name
        assert_agrees(param.grad, expected[param.name], err_msg=param.name)


def test_original_paper_reset_placement_is_a_different_model():
    """Cho et al.'s n = tanh(x W_xn + (r * h) W_hn + b) differs from PyTorch's (which we follow)."""
    torch = import_torch()
    rng = np.random.default_rng(5)
    D, H = 4, 3
    p = random_params(rng, D, H)
    x, h0 = rng.standard_normal((2, 1, D)), rng.standard_normal((2, H))
    ours, cache = gru_forward(x, h0, p)
    step = cache.steps[0]
    n_paper = np.tanh(x[:, 0] @ p["W_xn"] + p["b_xn"] + (step.r * h0) @ p["W_hn"] + p["b_hn"])
    h_paper = (1 - step.z) * n_paper + step.z * h0
    t_h, _ = to_torch(torch, p, D, H)(torch.from_numpy(x), torch.from_numpy(h0)[None])
    assert_agrees(ours, t_h.detach().numpy())
    assert np.abs(h_paper - ours[:, 0]).max() > 1e-3


# ----- the fused path ----------------------------------------------------------------------------


def test_stack_and_split_gates_round_trip():
    p = random_params(np.random.default_rng(0), 3, 4)
    W, b, b_hn = stack_gates(p)
    assert W.shape == (7, 12) and b.shape == (12,) and b_hn.shape == (4,)
    back = split_gates(W, b, b_hn)
    assert list(back) == list(GATE_PARAM_NAMES)
    for name in GATE_PARAM_NAMES:
        np.testing.assert_array_equal(back[name], p[name])


@pytest.mark.parametrize("inputs", ["dense", "ids"])
def test_fused_equals_readable_forward_and_backward(inputs):
    rng = np.random.default_rng(7)
    B, T, D, H = 3, 9, 6, 5
    p = random_params(rng, D, H)
    h0, dh = rng.standard_normal((B, H)), rng.standard_normal((B, T, H))
    ids = rng.integers(0, D, size=(B, T))
    x_dense = rng.standard_normal((B, T, D)) if inputs == "dense" else one_hot(ids, D)
    x_fused = x_dense if inputs == "dense" else ids
    h, cache = gru_forward(x_dense, h0, p)
    dx, dh0, grads = gru_backward(dh, cache)
    h_f, cache_f = gru_forward_fused(x_fused, h0, *stack_gates(p))
    dx_f, dh0_f, dW, db, db_hn = gru_backward_fused(dh, cache_f)
    np.testing.assert_allclose(h_f, h, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dh0_f, dh0, rtol=0, atol=1e-12)
    if inputs == "dense":
        np.testing.assert_allclose(dx_f, dx, rtol=0, atol=1e-12)
    else:
        assert dx_f is None  # ids have no gradient
    fused = split_gates(dW, db, db_hn)
    for name in GATE_PARAM_NAMES:
        np.testing.assert_allclose(fused[name], grads[name], rtol=0, atol=1e-12, err_msg=name)
    # the gates in the cache are the readable path's r, z, n
    np.testing.assert_allclose(cache_f["gates"][0, 4], cache.steps[4].r, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cache_f["gates"][1, 4], cache.steps[4].z, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cache_f["gates"][2, 4], cache.steps[4].n, rtol=0, atol=1e-12)


def test_fused_with_a_workspace_is_the_same_and_reuses_its_arrays():
    from lstm_lab.workspace import Workspace

    rng = np.random.default_rng(8)
    p = random_params(rng, 5, 4)
    ids, h0, dh = rng.integers(0, 5, size=(2, 6)), rng.standard_normal((2, 4)), rng.standard_normal((2, 6, 4))
    ws = Workspace()
    _, fresh = gru_forward_fused(ids, h0, *stack_gates(p))
    fresh_dW = gru_backward_fused(dh, fresh)[2].copy()
    _, c1 = gru_forward_fused(ids, h0, *stack_gates(p), ws)
    gates = c1["gates"]
    gru_backward_fused(dh, c1)
    _, c2 = gru_forward_fused(ids, h0, *stack_gates(p), ws)
    assert c2["gates"] is gates
    np.testing.assert_array_equal(gru_backward_fused(dh, c2)[2], fresh_dW)


def test_fused_float32_keeps_the_dtype_and_agrees_with_float64():
    rng = np.random.default_rng(9)
    p = random_params(rng, 7, 6)
    ids, h0 = rng.integers(0, 7, size=(4, 10)), 0.5 * rng.standard_normal((4, 6))
    h64, _ = gru_forward_fused(ids, h0, *stack_gates(p))
    p32 = {k: v.astype(np.float32) for k, v in p.items()}
    h32, cache = gru_forward_fused(ids, h0.astype(np.float32), *stack_gates(p32))
    assert h32.dtype == np.float32 and cache["gates"].dtype == np.float32
    np.testing.assert_allclose(h32, h64, atol=1e-5)


# ----- the model ----------------------------------------------------------------------------------


def test_the_model_follows_the_protocols():
    model = GRU(5, 4)
    assert isinstance(model, Model) and isinstance(model, GatedModel)
    assert [p.name for p in model.params] == list(PARAM_NAMES)
    shapes = {p.name: p.value.shape for p in model.params}
    assert shapes == {"W_r": (9, 4), "b_r": (4,), "W_z": (9, 4), "b_z": (4,), "W_xn": (5, 4), "b_xn": (4,),
                      "W_hn": (4, 4), "b_hn": (4,), "W_y": (4, 5), "b_y": (5,)}
    assert model.W_z is model.params[2] and set(model.gate_values()) == set(GATE_PARAM_NAMES)
    assert model.gate_values()["W_r"] is model.W_r.value  # the arrays, not copies
    np.testing.assert_array_equal(model.b_z.value, 1.0)  # update_bias: the state starts mostly kept
    assert not GRU(5, 4, init="zero_bias").b_z.value.any()


def test_config_builds_the_same_model_again():
    model = GRU(6, 3, seed=4, init="zero_bias", dtype=np.float32)
    again = GRU.from_config(model.config())  # the shapes and dtype; a checkpoint then sets the weights
    assert again.config() == model.config() and again.dtype == np.float32
    assert [p.value.shape for p in again.params] == [p.value.shape for p in model.params]
    for p, q in zip(model.params, GRU(6, 3, seed=4, init="zero_bias", dtype=np.float32).params, strict=True):
        np.testing.assert_array_equal(p.value, q.value)  # same seed, same weights
    assert not np.array_equal(GRU(6, 3, seed=5).W_r.value, GRU(6, 3, seed=4).W_r.value)


def test_loss_passes_a_gradient_check_and_evaluate_leaves_grads_alone():
    rng = np.random.default_rng(3)
    model = random_biases(GRU(6, 5, seed=1), rng)
    x, y = rng.integers(0, 6, size=(2, 7)), rng.integers(0, 6, size=(2, 7))
    h0 = 0.3 * rng.standard_normal((2, 5))
    loss, _ = model.loss(x, y, h0)
    gradient_check(lambda: model.evaluate(x, y, h0)[0], model.params, rng=np.random.default_rng(2)).assert_passed()
    before = [p.grad.copy() for p in model.params]
    assert model.evaluate(x, y, h0)[0] == pytest.approx(loss, rel=1e-12)
    for p, g in zip(model.params, before, strict=True):
        np.testing.assert_array_equal(p.grad, g)


def test_forward_backward_equal_the_fused_loss():
    rng = np.random.default_rng(4)
    model = GRU(7, 6, seed=2)
    x, y = rng.integers(0, 7, size=(3, 8)), rng.integers(0, 7, size=(3, 8))
    model.loss(x, y, model.initial_state(3))
    fused = [p.grad.copy() for p in model.params]
    logits, _, cache = model.forward(x, model.initial_state(3))
    from lstm_lab.losses import softmax_cross_entropy

    _, dlogits = softmax_cross_entropy(logits, y)
    model.backward(dlogits, cache)
    for p, g in zip(model.params, fused, strict=True):
        np.testing.assert_allclose(p.grad, g, rtol=1e-12, atol=1e-14, err_msg=p.name)


def test_state_carried_across_windows_and_step_by_step_equal_one_long_forward():
    rng = np.random.default_rng(6)
    model = GRU(5, 4, seed=3)
    x = rng.integers(0, 5, size=(2, 12))
    logits, h_T, _ = model.forward(x, model.initial_state(2))
    _, h_mid, _ = model.forward(x[:, :5], model.initial_state(2))
    logits_rest, h_T2, _ = model.forward(x[:, 5:], h_mid)
    np.testing.assert_allclose(logits_rest, logits[:, 5:], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_T2, h_T, rtol=1e-12, atol=1e-14)
    state = model.initial_state(2)
    for t in range(12):
        out, state = model.step(x[:, t], state)
        np.testing.assert_allclose(out, logits[:, t], rtol=1e-12, atol=1e-14)


def test_state_gradients_lead_to_gru_backwards_dh0():
    rng = np.random.default_rng(10)
    model = GRU(5, 4, seed=0)
    ids = rng.integers(0, 5, size=(3, 6))
    h, steps = model.unroll(ids)
    dh_last = rng.standard_normal((3, 4))
    grads = model.state_gradients(dh_last, steps)
    assert set(grads) == {"h"} and grads["h"].shape == (6, 3, 4)
    dh = np.zeros_like(h)
    dh[:, -1] = dh_last
    _, dh0, _ = gru_backward(dh, gru_forward(one_hot(ids, 5), model.initial_state(3), model.gate_values())[1])
    # one more step back from grads["h"][-1] (at h_0 of the window) is dh0, the gradient at the zero state
    _, dh_before, _ = gru_step_backward(grads["h"][-1], steps[0])
    np.testing.assert_allclose(dh_before, dh0, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(grads["h"][0], dh_last)


def test_float32_model_end_to_end():
    rng = np.random.default_rng(12)
    m32, m64 = GRU(8, 6, seed=1, dtype=np.float32), GRU(8, 6, seed=1)
    x, y = rng.integers(0, 8, size=(2, 5)), rng.integers(0, 8, size=(2, 5))
    l32, h32 = m32.loss(x, y, m32.initial_state(2))
    l64, _ = m64.loss(x, y, m64.initial_state(2))
    assert h32.dtype == np.float32 and all(p.grad.dtype == np.float32 for p in m32.params)
    assert l32 == pytest.approx(l64, rel=1e-5)


@pytest.mark.parametrize("kwargs, match", [
    ({"vocab_size": 1}, "vocab_size"), ({"hidden_size": 0}, "hidden_size"), ({"init": "forget_bias"}, "unknown init"),
    ({"weight_scale": -1.0}, "weight_scale"), ({"dtype": np.int32}, "dtype"), ({"seed": -1}, "seed"),
])
def test_bad_arguments_get_the_shared_messages(kwargs, match):
    args = {"vocab_size": 5, "hidden_size": 4, **kwargs}
    V, H = args.pop("vocab_size"), args.pop("hidden_size")
    with pytest.raises(ValueError, match=match):
        GRU(V, H, **args)


def test_an_lstm_state_is_refused_with_the_fix():
    model = GRU(5, 4)
    x = np.zeros((1, 3), dtype=int)
    with pytest.raises(ValueError, match=r"state must be one array h.*initial_state\(1\)"):
        model.loss(x, x, (np.zeros((1, 4)), np.zeros((1, 4))))
    with pytest.raises(ValueError, match=r"state h has shape \(2, 4\), expected \(1, 4\)"):
        model.step(np.array([0]), np.zeros((2, 4)))


# ----- through every module that takes a model, none of them changed ------------------------------


TEXT = "the cat sat on the mat. the dog sat on the log. " * 12


def test_the_gru_learns_a_short_text_with_train():
    vocab = Vocabulary.from_text(TEXT)
    model = GRU(len(vocab), 32, seed=0)
    history = train(model, vocab.encode(TEXT), num_steps=150, batch_size=4, seq_length=16,
                    optimizer=Adagrad(lr=0.1), log_every=50)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    text = sample(model, vocab, prime="the ", length=40, seed=0)
    assert len(text) >= 40 and set(text) <= set(TEXT)
    assert "sat on the" in text  # a word pattern the text repeats, learned


def test_the_gru_goes_through_a_checkpoint_and_resumes_exactly(tmp_path):
    vocab = Vocabulary.from_text(TEXT)
    ids = vocab.encode(TEXT)
    model = GRU(len(vocab), 8, seed=2, dtype=np.float32)
    history = train(model, ids, num_steps=4, batch_size=2, seq_length=5, log_every=1)
    path = checkpoint.save_checkpoint(tmp_path / "gru.npz", model, vocab, history=history)
    loaded = checkpoint.load_checkpoint(path)
    assert type(loaded.model) is GRU and loaded.model.config() == model.config()
    train(loaded.model, ids, num_steps=3, batch_size=2, seq_length=5, history=loaded.history)
    straight = GRU(len(vocab), 8, seed=2, dtype=np.float32)
    train(straight, ids, num_steps=7, batch_size=2, seq_length=5)
    for p, q in zip(straight.params, loaded.model.params, strict=True):
        np.testing.assert_array_equal(p.value, q.value)
    assert checkpoint.model_class("GRU") is GRU


def test_the_gru_runs_the_recall_task_and_the_gradient_analysis():
    model = GRU(longrange.VOCAB_SIZE, 8, seed=0)
    ids, answers = longrange.make_recall_batch(np.random.default_rng(0), [1, 2, 1], 4)
    loss = longrange.last_step_loss(model, ids, answers)
    assert np.isfinite(loss) and model.W_hn.grad.any() and model.W_y.grad.any()
    losses = longrange.train_recall(model, num_steps=5, max_distance=2, batch_size=8)
    assert len(losses) == 5 and all(np.isfinite(losses))
    acc = longrange.recall_accuracy(model, [1, 2], length=3, n=20)
    assert set(acc) == {1, 2} and all(0.0 <= a <= 1.0 for a in acc.values())
    inputs, targets = np.random.default_rng(1).integers(0, 5, size=(3, 6)), np.array([0, 1, 2])
    norms = inside.gradient_norms(GRU(5, 4, seed=0), inputs, targets)
    assert set(norms) == {"h"} and norms["h"].shape == (6,) and np.all(norms["h"] > 0)
