"""The benchmark compares like with like: the seed-style LSTM is the same model, and it learns."""

from __future__ import annotations

import numpy as np
import pytest

from bench.__main__ import best_chars_per_second, ours, report, seed_style
from bench.seed_style import SeedStyleLSTM
from lstm_lab.gradcheck import numerical_gradient
from lstm_lab.lstm import LSTM


def twin_of(seed_model: SeedStyleLSTM) -> LSTM:
    """Our LSTM with the seed-style model's weights: z = [h; x] there, [x; h] here, and transposed."""
    V, H = seed_model.V, seed_model.H
    model = LSTM(V, H)
    for g in "fiCo":
        W = seed_model.params[f"W_{g}"][0]  # (H, H + V), columns h first
        getattr(model, f"W_{g}").value[...] = np.concatenate([W[:, H:], W[:, :H]], axis=1).T
        getattr(model, f"b_{g}").value[...] = seed_model.params[f"b_{g}"][0][:, 0]
    model.W_y.value[...] = seed_model.params["W_v"][0].T
    model.b_y.value[...] = seed_model.params["b_v"][0][:, 0]
    return model


def test_seed_style_model_computes_what_lstm_lab_computes():
    V, H, T = 7, 5, 6
    rng = np.random.default_rng(0)
    seed_model = SeedStyleLSTM(V, H, seed=1)
    for _, (value, _, _) in seed_model.params.items():
        value += 0.1 * rng.standard_normal(value.shape)  # nonzero biases too
    inputs, targets = rng.integers(0, V, T), rng.integers(0, V, T)
    h0, C0 = 0.3 * rng.standard_normal((H, 1)), 0.3 * rng.standard_normal((H, 1))
    loss, h_T, C_T = seed_model.forward_backward(inputs.tolist(), targets.tolist(), h0, C0)

    model = twin_of(seed_model)
    our_loss, (our_h, our_C) = model.loss(inputs[None], targets[None], (h0.T, C0.T))
    assert our_loss == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(our_h, h_T.T, rtol=1e-12)
    np.testing.assert_allclose(our_C, C_T.T, rtol=1e-12)
    W_f_grad = seed_model.params["W_f"][1]
    np.testing.assert_allclose(model.W_f.grad, np.concatenate([W_f_grad[:, H:], W_f_grad[:, :H]], axis=1).T,
                               rtol=1e-9, atol=1e-12)


def test_seed_style_gradients_are_right():
    V, H, T = 5, 4, 4
    rng = np.random.default_rng(2)
    model = SeedStyleLSTM(V, H, seed=3)
    inputs, targets = rng.integers(0, V, T).tolist(), rng.integers(0, V, T).tolist()
    h0, C0 = np.zeros((H, 1)), np.zeros((H, 1))
    def loss() -> float:
        return model.forward_backward(inputs, targets, h0, C0)[0]

    for name, (value, grad, _) in model.params.items():
        for index in [(0, 0), (value.shape[0] - 1, value.shape[1] - 1)]:
            numeric = numerical_gradient(loss, value, index)
            loss()  # the gradient at the unperturbed point (each call overwrites grad)
            assert grad[index] == pytest.approx(numeric, rel=1e-6, abs=1e-9), name


def test_seed_style_training_lowers_the_loss_on_a_repeated_string():
    text = [0, 1, 2, 3, 4, 2, 1] * 4
    model = SeedStyleLSTM(5, 16, seed=0)
    h, C = np.zeros((16, 1)), np.zeros((16, 1))
    first = model.train_step(text[:25], text[1:26], h, C)[0]
    for _ in range(60):
        last = model.train_step(text[:25], text[1:26], h, C)[0]
    assert last < 0.5 * first


def test_benchmark_steps_run_and_the_report_has_every_row():
    ids = np.random.default_rng(0).integers(0, 11, 4000)
    calls = {"seed": 0}

    def counted_seed_step() -> None:
        calls["seed"] += 1
        seed_step()

    seed_step = seed_style(ids, 11)
    steps = {"seed": (counted_seed_step, 25), "ours": (ours(ids, 11, 4, np.float32), 100)}
    rates = best_chars_per_second(steps, {"seed": 2, "ours": 3}, repeats=2)
    assert calls["seed"] == 3 + 2 * 2  # warm-up, then two blocks of two
    rows = [
        {"impl": "seed-style per-step LSTM", "B": 1, "dtype": "float64", "cps": rates["seed"]},
        {"impl": "lstm_lab LSTM", "B": 4, "dtype": "float32", "cps": rates["ours"]},
    ]
    for r in rows:
        r["vs_seed"], r["vs_torch"] = r["cps"] / rows[0]["cps"], None
    text = report(rows, 11, quality=None, nb_seconds=None, torch_v=None)
    assert "| lstm_lab LSTM | 4 | float32 |" in text and "n/a" in text and "PyTorch: not installed" in text
    assert all(r["cps"] > 0 for r in rows)


def test_peak_memory_is_this_process_s_and_grows_with_an_allocation():
    from bench.quality import peak_rss_bytes

    before = peak_rss_bytes()
    block = np.ones(50_000_000 // 8)  # 50 MB, touched
    after = peak_rss_bytes()
    assert 10e6 < before < 4e9
    assert after - before > 30e6 and block.sum() > 0
