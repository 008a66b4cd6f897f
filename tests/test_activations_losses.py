"""The existing activations and softmax cross-entropy: stable, and with correct derivatives."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from lstm_lab.activations import dsigmoid, dtanh, log_softmax, sigmoid, softmax, tanh
from lstm_lab.gradcheck import numerical_gradient_array, relative_error
from lstm_lab.losses import softmax_cross_entropy

EXTREME = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]])


@pytest.fixture
def strict_numpy():
    """Any overflow/invalid/divide warning or floating-point error fails the test."""
    # Underflow to 0 (exp(-2e4)) is expected and harmless; overflow and nan are not.
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("fn", [sigmoid, tanh, softmax, log_softmax])
def test_extreme_inputs_are_finite_without_warnings(strict_numpy, fn):
    out = fn(EXTREME)
    assert out.shape == EXTREME.shape
    assert np.all(np.isfinite(out))


def test_sigmoid_limits_and_midpoint(strict_numpy):
    s = sigmoid(EXTREME)
    assert s[0, 0] == 0.0 and s[0, -1] == 1.0
    assert sigmoid(np.array(0.0)) == 0.5


def test_softmax_rows_sum_to_one_and_match_log_softmax(strict_numpy):
    z = np.random.default_rng(0).standard_normal((3, 4, 7)) * 5
    p = softmax(z)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.log(p), log_softmax(z), atol=1e-12)
    np.testing.assert_allclose(softmax(EXTREME).sum(), 1.0)


def test_derivatives_match_numerical():
    z = np.linspace(-3, 3, 13)
    for f, df in ((sigmoid, dsigmoid), (tanh, dtanh)):
        # Elementwise functions: d sum(f(z)) / dz_i = f'(z_i).
        numeric = numerical_gradient_array(lambda: float(np.sum(f(z))), z)  # noqa: B023
        np.testing.assert_allclose(df(f(z)), numeric, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(("B", "T", "V"), [(1, 1, 2), (2, 25, 63), (3, 4, 5)])
def test_loss_at_uniform_predictions_is_T_ln_V(B, T, V):
    targets = np.random.default_rng(1).integers(0, V, size=(B, T))
    loss, dlogits = softmax_cross_entropy(np.zeros((B, T, V)), targets)
    assert loss == pytest.approx(T * math.log(V), rel=1e-12)
    assert dlogits.shape == (B, T, V)


def test_dlogits_matches_numerical_gradient():
    rng = np.random.default_rng(2)
    logits = rng.standard_normal((2, 3, 5)) * 2
    targets = rng.integers(0, 5, size=(2, 3))
    _, dlogits = softmax_cross_entropy(logits, targets)
    numeric = numerical_gradient_array(lambda: softmax_cross_entropy(logits, targets)[0], logits)
    assert relative_error(dlogits, numeric).max() < 1e-6


def test_loss_on_extreme_logits_is_finite_and_exact(strict_numpy):
    logits = np.array([[[1e4, -1e4, 0.0]]])
    loss_right, d_right = softmax_cross_entropy(logits, np.array([[0]]))
    loss_wrong, d_wrong = softmax_cross_entropy(logits, np.array([[1]]))
    assert loss_right == pytest.approx(0.0, abs=1e-12)
    assert loss_wrong == pytest.approx(2e4)  # -log softmax = 1e4 - (-1e4)
    assert np.all(np.isfinite(d_right)) and np.all(np.isfinite(d_wrong))


def test_targets_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="targets has shape"):
        softmax_cross_entropy(np.zeros((2, 3, 4)), np.zeros((3, 2), dtype=int))


@pytest.mark.parametrize("fn", [sigmoid, tanh, softmax, log_softmax])
def test_extreme_float32_inputs_stay_finite_and_float32(strict_numpy, fn):
    out = fn(EXTREME.astype(np.float32))
    assert out.dtype == np.float32 and np.all(np.isfinite(out))


def test_extreme_logits_give_exact_probabilities(strict_numpy):
    p = softmax(np.array([[1e4, -1e4, 1e4]]))
    np.testing.assert_array_equal(p, [[0.5, 0.0, 0.5]])
    np.testing.assert_allclose(log_softmax(np.array([[1e4, -1e4]])), [[0.0, -2e4]])
    np.testing.assert_array_equal(sigmoid(np.array([-1e4, 1e4])), [0.0, 1.0])


def test_loss_on_extreme_float32_logits(strict_numpy):
    logits = np.array([[[1e4, -1e4, 0.0]]], dtype=np.float32)
    loss, dlogits = softmax_cross_entropy(logits, np.array([[1]]))
    assert loss == pytest.approx(2e4) and dlogits.dtype == np.float32 and np.all(np.isfinite(dlogits))


def test_softmax_cross_entropy_is_minus_log_softmax_at_the_targets():
    from lstm_lab.activations import log_softmax, softmax
    from lstm_lab.losses import softmax_cross_entropy

    rng = np.random.default_rng(11)
    logits = 5 * rng.standard_normal((4, 6, 9))
    logits[0, 0, 3] = 1e4  # extreme, as in training gone wrong
    targets = rng.integers(0, 9, (4, 6))
    loss, dlogits = softmax_cross_entropy(logits, targets)
    picked = np.take_along_axis(log_softmax(logits), targets[..., None], axis=-1)
    assert loss == pytest.approx(-picked.sum() / 4, rel=1e-12)
    expected = softmax(logits)
    np.put_along_axis(expected, targets[..., None], np.take_along_axis(expected, targets[..., None], -1) - 1, -1)
    np.testing.assert_allclose(dlogits, expected / 4, rtol=1e-12, atol=1e-15)
