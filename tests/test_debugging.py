"""The debugging tools of Lesson 8: each must find the bug it is meant for, and pass correct code."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_lab.activations import sigmoid
from lstm_lab.debugging import (
    bigram_accuracy,
    compare_step_with_reference,
    fix,
    min_accuracy_for_loss,
    most_frequent_word_accuracy,
    next_word_accuracy,
    step_gradient_check,
    trace_shapes,
)
from lstm_lab.params import Param

# ----- a correct column-layout LSTM step, and the tools run on it --------------------------------


class ColumnLSTM:
    """A correct LSTM step in column vectors (the layout compare_step_with_reference expects)."""

    def __init__(self, V: int = 5, H: int = 3, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.V, self.H = V, H
        self.params = {}
        for g in "fiCo":
            self.params[f"W_{g}"] = Param(f"W_{g}", rng.normal(0.0, 0.1, (H, V + H)))
            self.params[f"b_{g}"] = Param(f"b_{g}", np.zeros((H, 1)))

    def step_forward(self, x, h_prev, C_prev):
        p = {n: q.value for n, q in self.params.items()}
        z = np.vstack([x, h_prev])
        f = sigmoid(p["W_f"] @ z + p["b_f"])
        i = sigmoid(p["W_i"] @ z + p["b_i"])
        C_tilde = np.tanh(p["W_C"] @ z + p["b_C"])
        o = sigmoid(p["W_o"] @ z + p["b_o"])
        C = f * C_prev + i * C_tilde
        return o * np.tanh(C), C, (z, C_prev, f, i, C_tilde, o, C)

    def step_backward(self, dh, dC_next, cache):
        z, C_prev, f, i, C_tilde, o, C = cache
        do = dh * np.tanh(C)
        dC = dC_next + dh * o * (1 - np.tanh(C) ** 2)
        da = {"f": dC * C_prev * f * (1 - f), "i": dC * C_tilde * i * (1 - i),
              "C": dC * i * (1 - C_tilde ** 2), "o": do * o * (1 - o)}
        grads, dz = {}, 0.0
        for g, da_g in da.items():
            grads[f"W_{g}"] = da_g @ z.T
            grads[f"b_{g}"] = da_g
            dz = dz + self.params[f"W_{g}"].value.T @ da_g
        dh_prev = dz[self.V:]
        return dh_prev, dC * f, grads


def test_correct_step_agrees_with_the_reference():
    report = compare_step_with_reference(ColumnLSTM(), tolerance=1e-10)
    assert report.passed and report.failed == []
    assert "AGREE" in str(report) and len(report.rows) == 12
    report.assert_agrees()


def test_wrong_end_slice_is_a_shape_difference():
    Broken = fix(ColumnLSTM, "step_backward", "dz[self.V:]", "dz[self.H:]", show=False)
    report = compare_step_with_reference(Broken())
    assert report.failed == ["dh_prev"]
    assert "shape (5, 1)!" in str(report)
    with pytest.raises(AssertionError, match="DIFFER: dh_prev"):
        report.assert_agrees()


def test_tanh_derivative_of_C_is_found_in_everything_after_dC():
    Broken = fix(ColumnLSTM, "step_backward", "(1 - np.tanh(C) ** 2)", "(1 - C ** 2)", show=False)
    report = compare_step_with_reference(Broken())
    assert report.failed == ["dh_prev", "dC_prev", "dW_f", "db_f", "dW_i", "db_i", "dW_C", "db_C"]


def test_forward_bug_shows_in_C():
    Broken = fix(ColumnLSTM, "step_forward", "f * C_prev", "f * C_tilde", show=False)
    assert "C" in compare_step_with_reference(Broken()).failed


def test_compare_does_not_change_the_model():
    model = ColumnLSTM()
    before = {n: p.value.copy() for n, p in model.params.items()}
    compare_step_with_reference(model)
    assert all(np.array_equal(before[n], p.value) for n, p in model.params.items())


def test_compare_needs_the_gate_params():
    class NoParams:
        params: dict = {}

    with pytest.raises(ValueError, match="W_f, b_f"):
        compare_step_with_reference(NoParams())


# ----- step_gradient_check: the same diagnosis without a reference ------------------------------


def test_correct_step_passes_the_step_gradient_check():
    report = step_gradient_check(ColumnLSTM())
    assert report.passed and report.failed == [] and len(report.rows) == 10
    assert [r[0] for r in report.rows[:2]] == ["dh_prev", "dC_prev"]
    assert "PASS" in str(report) and "< 1e-05" in str(report)
    report.assert_passed()


def test_step_check_finds_the_tanh_derivative_where_the_reference_does():
    Broken = fix(ColumnLSTM, "step_backward", "(1 - np.tanh(C) ** 2)", "(1 - C ** 2)", show=False)
    report = step_gradient_check(Broken(V=6, H=5))
    assert report.failed == ["dh_prev", "dC_prev", "dW_f", "db_f", "dW_i", "db_i", "dW_C", "db_C"]
    assert report.failed == compare_step_with_reference(Broken(V=6, H=5)).failed
    with pytest.raises(AssertionError, match="FAIL: dh_prev"):
        report.assert_passed()


def test_step_check_catches_a_dropped_dC_next():
    # dC_next is fed G2, not zero, so a backward pass that ignores it cannot pass.
    Broken = fix(ColumnLSTM, "step_backward", "dC = dC_next + dh", "dC = dh", show=False)
    assert "dC_prev" in step_gradient_check(Broken()).failed


def test_step_check_reports_a_wrong_shape_and_checks_the_rest():
    Broken = fix(ColumnLSTM, "step_backward", "dz[self.V:]", "dz[self.H:]", show=False)
    report = step_gradient_check(Broken())
    assert report.failed == ["dh_prev"] and "shape (5, 1)!" in str(report)


def test_step_check_catches_an_error_in_one_gate_only():
    Broken = fix(ColumnLSTM, "step_backward", '"o": do * o * (1 - o)', '"o": do * (1 - o)', show=False)
    assert step_gradient_check(Broken()).failed == ["dh_prev", "dW_o", "db_o"]


def test_step_check_does_not_change_the_model_and_needs_params():
    model = ColumnLSTM()
    before = {n: p.value.copy() for n, p in model.params.items()}
    step_gradient_check(model)
    assert all(np.array_equal(before[n], p.value) for n, p in model.params.items())

    class NoParams:
        params: dict = {}

    with pytest.raises(ValueError, match="W_f of shape"):
        step_gradient_check(NoParams())
    with pytest.raises(ValueError, match="num_checks"):
        step_gradient_check(model, num_checks=0)


# ----- trace_shapes ---------------------------------------------------------------------------


def _loop(n):
    total = np.zeros((2, 1))
    for k in range(n):
        step = np.ones((2, 1)) * k
        total = total + step
    wide = np.vstack([total, total])
    return wide


def test_trace_records_each_line_once_per_shape():
    trace = trace_shapes(_loop, 50)
    names = [list(e.shapes) for e in trace.events]
    # 50 loop iterations, but every line made the same shapes each time: listed once each.
    assert names == [["total"], ["step"], ["total"], ["wide"]]
    assert trace.shape_of("wide") == (4, 1) and trace.shape_of("nothing") is None
    assert trace.error is None and trace.result.shape == (4, 1)
    assert "wide = np.vstack([total, total])" in str(trace)


def _grows(n):
    x = np.zeros((1, 1))
    for k in range(1, n):
        x = np.zeros((k + 1, 1))
    return x


def test_trace_lists_a_loop_line_again_when_its_shape_changes():
    trace = trace_shapes(_grows, 4)
    assert [e.shapes["x"] for e in trace.events] == [(1, 1), (2, 1), (3, 1), (4, 1)]


def _crash():
    a = np.ones((25, 1))
    b = np.ones((44, 1))
    return a + b


def test_trace_records_the_error_and_its_line():
    trace = trace_shapes(_crash)
    assert isinstance(trace.error, ValueError)
    assert trace.error_line[1] == "return a + b"
    assert trace.shape_of("b") == (44, 1)
    assert "raised ValueError at line" in str(trace) and "(25,1) (44,1)" in str(trace)


def test_trace_does_not_count_arguments_as_made_and_traces_methods():
    model = ColumnLSTM()
    h, C, cache = model.step_forward(np.ones((5, 1)), np.zeros((3, 1)), np.zeros((3, 1)))
    trace = trace_shapes(model.step_backward, np.ones((3, 1)), np.zeros((3, 1)), cache)
    assert all("dh" not in e.shapes for e in trace.events)
    assert trace.shape_of("dz") == (8, 1) and trace.shape_of("dh_prev") == (3, 1)


def test_trace_restores_the_previous_tracer():
    import sys

    before = sys.gettrace()
    trace_shapes(_crash)
    assert sys.gettrace() is before


def test_trace_rejects_what_it_cannot_trace():
    with pytest.raises(ValueError, match="not the result of calling it"):
        trace_shapes(np.ones((2, 2)))


# ----- fix ------------------------------------------------------------------------------------


def test_fix_changes_only_the_subclass_and_prints_a_diff(capsys):
    Fixed = fix(ColumnLSTM, "step_backward", "dz[self.V:]", "dz[-self.H:]")
    out = capsys.readouterr().out
    assert "-    dh_prev = dz[self.V:]" in out and "+    dh_prev = dz[-self.H:]" in out
    assert issubclass(Fixed, ColumnLSTM) and Fixed.step_backward is not ColumnLSTM.step_backward
    assert "dz[self.V:]" in inspect.getsource(ColumnLSTM.step_backward)  # the original is untouched
    assert "dz[-self.H:]" in inspect.getsource(Fixed.step_backward)  # and the fix can be read back
    assert compare_step_with_reference(ColumnLSTM()).passed
    assert compare_step_with_reference(Fixed()).passed


def test_fixes_chain_and_keep_module_globals():
    Once = fix(ColumnLSTM, "step_backward", "dz[self.V:]", "dz[self.H:]", show=False)
    Twice = fix(Once, "step_backward", "dz[self.H:]", "dz[self.V:]", name="Twice", show=False)
    assert Twice.__name__ == "Twice"
    assert not compare_step_with_reference(Once()).passed
    assert compare_step_with_reference(Twice()).passed  # np and sigmoid resolved from this module


def test_fix_refuses_ambiguous_or_missing_text():
    with pytest.raises(ValueError, match="does not occur"):
        fix(ColumnLSTM, "step_backward", "no such text", "x", show=False)
    with pytest.raises(ValueError, match="occurs 3 times"):
        fix(ColumnLSTM, "step_forward", "sigmoid(", "np.tanh(", show=False)
    with pytest.raises(ValueError, match="has no method 'backward'"):
        fix(ColumnLSTM, "backward", "a", "b", show=False)
    with pytest.raises(ValueError, match="expects a class"):
        fix(ColumnLSTM(), "step_forward", "a", "b", show=False)


# ----- accuracy ---------------------------------------------------------------------------------


def test_next_word_accuracy():
    logits = np.array([[0.0, 2.0, 1.0], [3.0, 0.0, 0.0], [0.0, 0.0, 5.0], [1.0, 0.0, 0.0]])
    assert next_word_accuracy(logits, np.array([1, 0, 2, 2])) == 0.75
    with pytest.raises(ValueError, match=r"\(T, V\)"):
        next_word_accuracy(logits, np.array([1, 0]))


def test_count_baselines_by_hand():
    train = "a b a c a b d".split()
    # the most frequent word is a; after a comes b (twice) rather than c; after d nothing: fall back to a
    assert most_frequent_word_accuracy(train, "b a c a".split()) == 2 / 3
    assert bigram_accuracy(train, "a b a c".split()) == 2 / 3      # a->b right, b->a right, a->c wrong
    assert bigram_accuracy(train, "d a x a".split()) == 2 / 3      # d->a (fallback), x->a (unknown: fallback)
    assert bigram_accuracy("x y x z".split(), "x z".split()) == 0.0  # tie y/z: the one seen first, y


def test_count_baselines_refuse_unusable_input():
    with pytest.raises(ValueError, match="a list of tokens, got a str"):
        bigram_accuracy("a b c", ["a", "b"])
    with pytest.raises(ValueError, match="test_tokens has 1 tokens"):
        most_frequent_word_accuracy(["a"], ["a"])
    with pytest.raises(ValueError, match="train_tokens has 0 tokens"):
        bigram_accuracy([], ["a", "b"])


def test_min_accuracy_for_loss_values():
    assert min_accuracy_for_loss(0.0) == 1.0
    assert math.isclose(min_accuracy_for_loss(0.05), 1 - 0.05 / math.log(2))
    assert min_accuracy_for_loss(5.0) == 0.0
    for bad in (-0.1, float("nan"), "0.1", True):
        with pytest.raises(ValueError):
            min_accuracy_for_loss(bad)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.floats(min_value=0.1, max_value=8.0))
def test_the_accuracy_bound_holds_for_any_predictions(seed, sharpness):
    rng = np.random.default_rng(seed)
    T, V = 30, 7
    logits = rng.normal(0.0, sharpness, (T, V))
    targets = np.where(rng.random(T) < 0.7, np.argmax(logits, axis=1), rng.integers(0, V, T))
    log_p = logits - logits.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    loss = float(-log_p[np.arange(T), targets].mean())
    assert next_word_accuracy(logits, targets) >= min_accuracy_for_loss(loss) - 1e-12


def test_fix_refuses_a_method_with_bare_super():
    class Base:
        def value(self):
            return 1

    class Child(Base):
        def value(self):
            return super().value() + 1

    with pytest.raises(ValueError, match=r"super\(Child, self\)"):
        fix(Child, "value", "+ 1", "+ 2", show=False)

    class GrandChild(Child):  # inherits value: the advice names the class that defines it
        pass

    with pytest.raises(ValueError, match=r"super\(Child, self\)"):
        fix(GrandChild, "value", "+ 1", "+ 2", show=False)
