"""The gradient checker itself: numerical slopes, relative error, the report."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lstm_lab.gradcheck import (
    DEFAULT_TOLERANCE,
    gradient_check,
    numerical_gradient,
    numerical_gradient_array,
    relative_error,
)
from lstm_lab.params import Param
from lstm_lab.rnn import RNN


def test_numerical_gradient_of_a_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])

    def f() -> float:
        return float(np.sum(x**3))

    assert numerical_gradient(f, x, (1, 0)) == pytest.approx(3 * 0.5**2, rel=1e-8)
    np.testing.assert_allclose(numerical_gradient_array(f, x), 3 * x**2, rtol=1e-8)
    np.testing.assert_array_equal(x, [[1.0, -2.0], [0.5, 3.0]])  # restored exactly


def test_numerical_gradient_restores_the_entry_when_f_raises():
    x = np.array([1.0, 2.0])

    def f() -> float:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x, 1)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numerical_gradient_rejects_integer_arrays_and_bad_h():
    with pytest.raises(ValueError, match="float array"):
        numerical_gradient(lambda: 0.0, np.array([1, 2]), 0)
    with pytest.raises(ValueError, match="h must be a positive"):
        numerical_gradient(lambda: 0.0, np.array([1.0]), 0, h=0)


def test_relative_error():
    np.testing.assert_allclose(relative_error([1.0, -2.0], [1.0, -2.0]), [0.0, 0.0])
    assert relative_error(1.0, 3.0) == pytest.approx(0.5)
    assert relative_error(1e3, 1.001e3) == pytest.approx(0.001 / 2.001)
    # Both exactly zero: 0, not 0/0 = nan.
    assert relative_error(0.0, 0.0) == 0.0
    # Both tiny: the floor keeps the error small instead of ~1.
    assert relative_error(1e-12, -1e-12) == pytest.approx(2e-4)


def small_model():
    m = RNN(4, 3, seed=0, weight_scale=0.5)
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 4, size=(2, 3)), rng.integers(0, 4, size=(2, 3))
    h0 = m.initial_state(2)
    m.loss(x, y, h0)
    return m, (lambda: m.loss(x, y, h0)[0])


def test_passing_report_format():
    m, f = small_model()
    report = gradient_check(f, m.params)
    assert report.passed and report.tolerance == DEFAULT_TOLERANCE == 1e-6
    text = str(report)
    lines = text.splitlines()
    assert lines[0].split() == "param shape checked max rel err worst index analytic numeric".split()
    assert [line.split()[0] for line in lines[2:7]] == ["W_xh", "W_hh", "b_h", "W_y", "b_y"]
    assert re.fullmatch(r"PASS: max relative error \S+ < tolerance 1e-06", lines[-1])
    assert report.worst.max_rel_error == max(r.max_rel_error for r in report.rows)
    report.assert_passed()  # no exception


def test_a_wrong_gradient_fails_with_a_precise_verdict():
    m, f = small_model()
    m.W_hh.grad[1, 2] += 0.1  # a planted bug in one entry
    report = gradient_check(f, m.params)
    assert not report.passed
    verdict = str(report).splitlines()[-1]
    assert re.fullmatch(
        r"FAIL: W_hh max relative error \S+ >= 1e-06 \(analytic \S+ vs numeric \S+ at index \(1, 2\)\)", verdict
    )
    assert report.worst.name == "W_hh" and report.worst.worst_index == (1, 2)
    with pytest.raises(AssertionError, match=r"FAIL: W_hh"):
        report.assert_passed()


def test_check_restores_values_and_analytic_gradients():
    m, f = small_model()
    values = [p.value.copy() for p in m.params]
    m.b_y.grad[0] = 123.0  # loss_fn overwrites grads on every call; this must survive
    grads = [p.grad.copy() for p in m.params]
    gradient_check(f, m.params)
    for p, v, g in zip(m.params, values, grads, strict=True):
        np.testing.assert_array_equal(p.value, v)
        np.testing.assert_array_equal(p.grad, g)


def test_random_subset_is_seeded():
    m, f = small_model()
    a = gradient_check(f, m.params, num_checks=3, rng=7)
    b = gradient_check(f, m.params, num_checks=3, rng=np.random.default_rng(7))
    assert [r.checked for r in a.rows] == [3, 3, 3, 3, 3]
    assert str(a) == str(b)


def test_float32_params_are_refused():
    m = RNN(4, 3, dtype=np.float32)
    with pytest.raises(ValueError, match=r"dtype=np.float64 for gradient checking"):
        gradient_check(lambda: 0.0, m.params)


def test_bad_arguments():
    m, f = small_model()
    with pytest.raises(ValueError, match=r"\[0\]"):
        gradient_check(lambda: m.loss(np.zeros((1, 1), int), np.zeros((1, 1), int), m.initial_state(1)), m.params)
    with pytest.raises(ValueError, match="params is empty"):
        gradient_check(f, [])
    with pytest.raises(ValueError, match="num_checks"):
        gradient_check(f, m.params, num_checks=0)
    with pytest.raises(ValueError, match="tolerance"):
        gradient_check(f, m.params, tolerance=-1)


def test_rounding_noise_note():
    # A loss of ~1e3 with a gradient of 1e-6: float64 cannot resolve it to a relative 1e-6.
    p = Param("w", np.array([0.3]))
    p.grad[...] = 1e-6
    report = gradient_check(lambda: 1e3 + 1e-6 * float(p.value[0]), [p], tiny=1e-8)
    assert not report.passed  # numeric 1.00044e-06: off by a relative 2e-4
    assert "within float64 rounding noise" in str(report)
    assert report.rounding_noise == pytest.approx(np.finfo(float).eps * (1e3 + 3e-7) / 1e-5)


def test_default_floor_accepts_noise_but_catches_a_real_error_on_a_tiny_gradient():
    p = Param("w", np.array([0.3]))
    p.grad[...] = 1e-6
    right = gradient_check(lambda: 1e3 + 1e-6 * float(p.value[0]), [p])
    assert right.passed and right.tiny == pytest.approx(10 * right.rounding_noise / right.tolerance)
    p.grad[...] = 1e-6
    wrong = gradient_check(lambda: 1e3 + 3e-6 * float(p.value[0]), [p])  # analytic off by 2e-6
    assert not wrong.passed


def _slightly_wrong_gradient(error: float):
    """f = sum(w^3), with an analytic gradient off by a relative ``error`` (a near-miss backward pass)."""
    w = Param("w", np.array([[0.7, -1.3, 2.1], [0.4, 1.9, -0.8]]))
    w.grad[...] = 3 * w.value**2 * (1 + 2 * error)  # |a - n| / (|a| + |n|) ~ error
    return (lambda: float(np.sum(w.value**3))), [w]


@pytest.mark.parametrize("error", [1e-4, 3e-3])
def test_the_tolerance_argument_decides_the_verdict(error):
    loss_fn, params = _slightly_wrong_gradient(error)
    loose = gradient_check(loss_fn, params, tolerance=10 * error)
    strict = gradient_check(loss_fn, params, tolerance=error / 10)
    assert loose.tolerance == 10 * error and strict.tolerance == error / 10
    assert loose.passed and not strict.passed
    assert loose.rows[0].max_rel_error == pytest.approx(error / (1 + error), rel=1e-6)
    assert f"< tolerance {10 * error:g}" in loose.verdict() and f">= {error / 10:g}" in strict.verdict()
    with pytest.raises(AssertionError, match="FAIL"):
        strict.assert_passed()
    loose.assert_passed()
