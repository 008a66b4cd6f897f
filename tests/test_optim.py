"""Optimisers and gradient clipping."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_lab.optim import SGD, Adagrad, Adam, clip_by_global_norm, clip_by_value, global_norm
from lstm_lab.params import Param


def param(value, grad, dtype=np.float64):
    p = Param("w", np.array(value, dtype=dtype))
    p.grad[...] = grad
    return p


def test_sgd_step_in_place():
    p = param([1.0, 2.0], [0.5, -1.0])
    array = p.value
    SGD(lr=0.1).step([p])
    assert p.value is array
    np.testing.assert_allclose(p.value, [0.95, 2.1])


def test_adagrad_matches_a_hand_computed_two_step_update():
    p = param([1.0, -1.0], [0.5, 2.0])
    opt = Adagrad(lr=0.1, eps=1e-8)
    opt.step([p])
    # sum_sq = g^2 = [0.25, 4]; value -= 0.1 * g / sqrt(sum_sq + eps) ~ 0.1 * sign(g)
    expected = np.array([1.0 - 0.1 * 0.5 / math.sqrt(0.25 + 1e-8), -1.0 - 0.1 * 2.0 / math.sqrt(4.0 + 1e-8)])
    np.testing.assert_allclose(p.value, expected, rtol=1e-15)
    p.grad[...] = [-1.0, 2.0]
    opt.step([p])
    # sum_sq = [0.25 + 1, 4 + 4]
    expected += [0.1 * 1.0 / math.sqrt(1.25 + 1e-8), -0.1 * 2.0 / math.sqrt(8.0 + 1e-8)]
    np.testing.assert_allclose(p.value, expected, rtol=1e-15)
    np.testing.assert_allclose(p.state["sum_sq"], [1.25, 8.0])


def test_adam_first_step_moves_each_entry_by_lr_times_sign():
    g = np.array([1e-3, -5.0, 200.0, -0.02])
    p = param(np.zeros(4), g)
    Adam(lr=0.01).step([p])
    # Bias correction: m_hat = g, v_hat = g^2, so the step is lr * g / |g| whatever |g| is.
    np.testing.assert_allclose(p.value, -0.01 * np.sign(g), rtol=1e-4)
    assert p.state["t"] == 1
    Adam(lr=0.01).step([p])  # (the count lives with the parameter, not the optimiser)
    assert p.state["t"] == 2
    np.testing.assert_allclose(p.value, -0.02 * np.sign(g), rtol=1e-4)


@pytest.mark.parametrize("opt", [SGD(0.1), Adagrad(), Adam()])
def test_optimisers_keep_float32(opt):
    p = param([1.0, 2.0], [0.3, -0.2], dtype=np.float32)
    array = p.value
    opt.step([p])
    opt.step([p])
    assert p.value is array and p.value.dtype == np.float32
    assert all(v.dtype == np.float32 for v in p.state.values() if isinstance(v, np.ndarray))


@pytest.mark.parametrize("cls", [SGD, Adagrad, Adam])
@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), True, "0.1"])
def test_bad_learning_rate(cls, lr):
    with pytest.raises(ValueError, match="learning_rate must be a positive"):
        cls(lr=lr)


@pytest.mark.parametrize("kw", [{"beta1": 1.0}, {"beta2": -0.1}, {"beta1": float("nan")}, {"eps": 0}])
def test_bad_adam_settings(kw):
    with pytest.raises(ValueError, match=next(iter(kw))):
        Adam(**kw)


def grads(rng, scale=10.0):
    params = [Param("a", np.zeros((3, 4))), Param("b", np.zeros(5))]
    for p in params:
        p.grad[...] = rng.standard_normal(p.shape) * scale
    return params


def test_clip_by_value_bounds_in_place():
    params = grads(np.random.default_rng(0))
    before = [p.grad.copy() for p in params]
    arrays = [p.grad for p in params]
    clip_by_value(params, limit=5.0)
    for p, g, arr in zip(params, before, arrays, strict=True):
        assert p.grad is arr
        assert np.all(np.abs(p.grad) <= 5.0)
        np.testing.assert_array_equal(p.grad, np.clip(g, -5, 5))
    with pytest.raises(ValueError, match="limit"):
        clip_by_value(params, limit=0)


def test_clip_by_global_norm():
    params = grads(np.random.default_rng(1))
    before = [p.grad.copy() for p in params]
    norm = math.sqrt(sum(float(np.sum(g * g)) for g in before))
    assert global_norm(params) == pytest.approx(norm, rel=1e-12)
    returned = clip_by_global_norm(params, max_norm=1.0)
    assert returned == pytest.approx(norm, rel=1e-12)  # the norm BEFORE clipping
    assert global_norm(params) <= 1.0 + 1e-12
    for p, g in zip(params, before, strict=True):  # same direction, shorter
        np.testing.assert_allclose(p.grad, g / norm, rtol=1e-12)


def test_clip_by_global_norm_leaves_small_gradients_alone():
    params = grads(np.random.default_rng(2), scale=0.01)
    before = [p.grad.copy() for p in params]
    clip_by_global_norm(params, max_norm=5.0)
    for p, g in zip(params, before, strict=True):
        np.testing.assert_array_equal(p.grad, g)
    with pytest.raises(ValueError, match="max_norm"):
        clip_by_global_norm(params, max_norm=float("nan"))
