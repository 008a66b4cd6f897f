"""The model protocol (lstm_lab.model): both models follow it, and a third one needs no other change.

``LeakyRNN`` below is a model the package has never heard of. It is written against the
protocol only, and goes through checkpoints, training, sampling, the recall task and the
gradient analysis without a line changed in those modules: the extension point a new cell
(a GRU) uses.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lstm_lab import checkpoint, inside, longrange
from lstm_lab.activations import dtanh
from lstm_lab.checks import check_ids, check_model_args, check_positive_int, check_state
from lstm_lab.gradcheck import gradient_check
from lstm_lab.gru import GRU
from lstm_lab.layers import embedding_backward, embedding_forward, temporal_affine_backward, temporal_affine_forward
from lstm_lab.losses import softmax_cross_entropy
from lstm_lab.lstm import LSTM, lstm_backward, lstm_forward, lstm_step_backward
from lstm_lab.model import GatedModel, Model, check_model, missing_methods
from lstm_lab.params import Param
from lstm_lab.rnn import RNN, RNNStepCache, rnn_backward, rnn_step_backward, rnn_step_forward
from lstm_lab.sampling import sample
from lstm_lab.train import History, train
from lstm_lab.vocab import Vocabulary
from lstm_lab.window_loss import window_loss

PACKAGE = Path(__file__).resolve().parents[1] / "lstm_lab"
MODELS = [RNN, LSTM, GRU]


# ----------------------------------------------------------------------------------------------
# A third model, written against the protocol only
# ----------------------------------------------------------------------------------------------


class LeakyRNN:
    """h_t = (1 - a) h_{t-1} + a tanh(W_xh[x_t] + h_{t-1} W_hh + b_h), logits_t = h_t W_y + b_y."""

    def __init__(self, vocab_size: int, hidden_size: int, *, leak: float = 0.5, seed: int = 0,
                 dtype: Any = np.float64) -> None:
        V, H, rng, self.dtype = check_model_args(vocab_size, hidden_size, seed=seed, dtype=dtype, weight_scale=None)
        self.vocab_size, self.hidden_size, self.leak = V, H, float(leak)

        def weights(*shape: int) -> np.ndarray:
            return (0.3 * rng.standard_normal(shape)).astype(self.dtype)

        self.W_xh, self.W_hh, self.b_h = Param("W_xh", weights(V, H)), Param("W_hh", weights(H, H)), Param(
            "b_h", np.zeros(H, self.dtype))
        self.W_y, self.b_y = Param("W_y", weights(H, V)), Param("b_y", np.zeros(V, self.dtype))
        self.params = [self.W_xh, self.W_hh, self.b_h, self.W_y, self.b_y]

    def config(self) -> dict[str, Any]:
        return {"vocab_size": self.vocab_size, "hidden_size": self.hidden_size, "leak": self.leak,
                "dtype": self.dtype.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LeakyRNN:
        return cls(**config)

    def initial_state(self, batch_size: int) -> np.ndarray:
        return np.zeros((check_positive_int("batch_size", batch_size), self.hidden_size), self.dtype)

    # one step: the cache is (h_prev, tanh of the pre-activation)
    def _step(self, x_proj: np.ndarray, h_prev: np.ndarray) -> tuple[np.ndarray, tuple]:
        s = np.tanh(x_proj + h_prev @ self.W_hh.value + self.b_h.value)
        return (1 - self.leak) * h_prev + self.leak * s, (h_prev, s)

    def _step_backward(self, dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        h_prev, s = cache
        dz = dh * self.leak * dtanh(s)
        return dz, (1 - self.leak) * dh + dz @ self.W_hh.value.T, h_prev.T @ dz  # dx_proj, dh_prev, dW_hh

    def hidden_forward(self, inputs: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, tuple]:
        ids = check_ids(inputs, "inputs", 2, self.vocab_size)
        h_prev = check_state(state, ("h",), ids.shape[0], self.hidden_size, self.dtype)
        x_proj, emb_cache = embedding_forward(ids, self.W_xh.value)
        h = np.empty((*ids.shape, self.hidden_size), self.dtype)
        steps = []
        for t in range(ids.shape[1]):
            h_prev, step_cache = self._step(x_proj[:, t], h_prev)
            h[:, t] = h_prev
            steps.append(step_cache)
        return h, (emb_cache, steps)

    def hidden_backward(self, dh: np.ndarray, cache: tuple) -> None:
        emb_cache, steps = cache
        dx_proj = np.empty_like(dh)
        dh_next = np.zeros_like(dh[:, 0])
        self.W_hh.grad[...] = 0.0
        for t in reversed(range(dh.shape[1])):
            dx_proj[:, t], dh_next, dW_hh = self._step_backward(dh[:, t] + dh_next, steps[t])
            self.W_hh.grad += dW_hh
        self.b_h.grad[...] = dx_proj.sum(axis=(0, 1))  # b_h sits where x_proj does
        self.W_xh.grad[...] = embedding_backward(dx_proj, emb_cache)

    def forward(self, inputs: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple]:
        h, hidden_cache = self.hidden_forward(inputs, state)
        logits, out_cache = temporal_affine_forward(h, self.W_y.value, self.b_y.value)
        return logits, h[:, -1].copy(), (hidden_cache, out_cache)

    def backward(self, dlogits: np.ndarray, cache: tuple) -> None:
        hidden_cache, out_cache = cache
        dh, dW_y, db_y = temporal_affine_backward(dlogits, out_cache)
        self.W_y.grad[...], self.b_y.grad[...] = dW_y, db_y
        self.hidden_backward(dh, hidden_cache)

    def loss(self, inputs: np.ndarray, targets: np.ndarray, state: np.ndarray) -> tuple[float, np.ndarray]:
        return window_loss(self, inputs, targets, state, backward=True)

    def evaluate(self, inputs: np.ndarray, targets: np.ndarray, state: np.ndarray) -> tuple[float, np.ndarray]:
        return window_loss(self, inputs, targets, state, backward=False)

    def step(self, ids: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids = check_ids(ids, "ids", 1, self.vocab_size)
        h_prev = check_state(state, ("h",), ids.shape[0], self.hidden_size, self.dtype)
        h, _ = self._step(self.W_xh.value[ids], h_prev)
        return h @ self.W_y.value + self.b_y.value, h

    def unroll(self, inputs: np.ndarray) -> tuple[np.ndarray, list]:
        h, (_, steps) = self.hidden_forward(inputs, self.initial_state(np.shape(inputs)[0]))
        return h, steps

    def state_gradients(self, dh_last: np.ndarray, steps: list) -> dict[str, np.ndarray]:
        out, dh = [], dh_last
        for step_cache in reversed(steps):
            out.append(dh)
            _, dh, _ = self._step_backward(dh, step_cache)
        return {"h": np.stack(out)}


@pytest.fixture
def leaky_registered(monkeypatch):
    """LeakyRNN in the checkpoint registry: the one line a new model adds to checkpoint.MODELS."""
    monkeypatch.setitem(checkpoint.MODELS, "LeakyRNN", f"{__name__}:LeakyRNN")


def _window(rng: np.random.Generator, V: int, B: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    ids = rng.integers(0, V, size=(B, T + 1))
    return ids[:, :-1], ids[:, 1:]


# ----------------------------------------------------------------------------------------------
# Both models follow the protocol, with the same conventions
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("Model_", [RNN, LSTM, LeakyRNN])
def test_every_model_satisfies_the_protocol(Model_):
    model = Model_(5, 4)
    assert isinstance(model, Model)
    assert missing_methods(model) == []
    check_model(model)  # does not raise


def test_only_the_gated_cell_offers_gate_values():
    assert isinstance(LSTM(5, 4), GatedModel)
    assert not isinstance(RNN(5, 4), GatedModel)
    values = LSTM(5, 4).gate_values()
    assert sorted(values) == sorted(["W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o"])


def test_a_non_model_is_refused_with_what_it_lacks():
    with pytest.raises(TypeError, match=r"lacks .*hidden_forward.*lstm_lab.model.Model"):
        check_model(object())


@pytest.mark.parametrize("name", ["forward", "backward", "loss", "evaluate", "step", "initial_state",
                                  "hidden_forward", "hidden_backward", "unroll", "state_gradients"])
@pytest.mark.parametrize("Model_", MODELS)
def test_methods_take_the_protocols_arguments(Model_, name):
    expected = list(inspect.signature(getattr(Model, name)).parameters)
    assert list(inspect.signature(getattr(Model_, name)).parameters) == expected


@pytest.mark.parametrize(("Model_", "extra"), [(RNN, {}), (LSTM, {"init": "seed"})])
def test_config_builds_the_same_model_again(Model_, extra):
    model = Model_(7, 3, dtype=np.float32, **extra)
    again = Model_.from_config(model.config())
    assert again.config() == model.config()
    assert [(p.name, p.value.shape, p.value.dtype) for p in again.params] == [
        (p.name, p.value.shape, p.value.dtype) for p in model.params]


@pytest.mark.parametrize("Model_", MODELS)
def test_both_models_name_the_output_layer_W_y_b_y(Model_):
    model = Model_(6, 4)
    assert model.W_y.value.shape == (4, 6) and model.b_y.value.shape == (6,)
    assert [p.name for p in model.params][-2:] == ["W_y", "b_y"]


def test_rnn_step_cache_is_a_named_tuple_in_the_old_order():
    rng = np.random.default_rng(0)
    x, h_prev = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    W_xh, W_hh, b_h = rng.standard_normal((3, 4)), rng.standard_normal((4, 4)), rng.standard_normal(4)
    h_next, cache = rnn_step_forward(x, h_prev, W_xh, W_hh, b_h)
    assert isinstance(cache, RNNStepCache)
    assert RNNStepCache._fields == ("x", "h_prev", "W_xh", "W_hh", "h_next")
    x_, h_prev_, W_xh_, W_hh_, h_next_ = cache  # unpacks as the plain tuple did
    assert x_ is x and h_prev_ is h_prev and W_xh_ is W_xh and W_hh_ is W_hh and h_next_ is h_next
    assert cache.h_next is h_next


def test_lstm_forward_backward_agree_with_its_fused_loss():
    model = LSTM(6, 5, seed=3)
    x, y = _window(np.random.default_rng(1), 6, 3, 7)
    state = model.initial_state(3)
    loss, (h_T, C_T) = model.loss(x, y, state)
    fused = [p.grad.copy() for p in model.params]
    logits, (h_T2, C_T2), cache = model.forward(x, state)
    loss2, dlogits = softmax_cross_entropy(logits, y)
    model.backward(dlogits, cache)
    assert loss2 == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(h_T2, h_T, rtol=1e-12)
    np.testing.assert_allclose(C_T2, C_T, rtol=1e-12)
    for p, g in zip(model.params, fused, strict=True):
        np.testing.assert_allclose(p.grad, g, rtol=1e-9, atol=1e-12, err_msg=p.name)


@pytest.mark.parametrize("Model_", MODELS)
def test_forward_backward_pass_a_gradient_check(Model_):
    model = Model_(5, 4, seed=2)
    x, y = _window(np.random.default_rng(4), 5, 2, 4)
    state = model.initial_state(2)

    def loss_fn() -> float:
        logits, _, cache = model.forward(x, state)
        loss, dlogits = softmax_cross_entropy(logits, y)
        model.backward(dlogits, cache)
        return loss

    loss_fn()  # fills every grad
    gradient_check(loss_fn, model.params, rng=np.random.default_rng(0)).assert_passed()


def test_rnn_state_gradients_lead_to_rnn_backwards_dh0():
    model = RNN(6, 5, seed=1, weight_scale=0.5)
    x, _ = _window(np.random.default_rng(2), 6, 3, 6)
    h, steps = model.unroll(x)
    dh_last = np.random.default_rng(3).standard_normal((3, 5))
    grads = model.state_gradients(dh_last, steps)
    assert set(grads) == {"h"} and grads["h"].shape == (6, 3, 5)
    np.testing.assert_array_equal(grads["h"][0], dh_last)
    dh = np.zeros_like(h)
    dh[:, -1] = dh_last
    _, dh0, _, _, _ = rnn_backward(dh, steps)
    _, dh_before_first, _, _, _ = rnn_step_backward(grads["h"][-1], steps[0])  # one more step back
    np.testing.assert_allclose(dh_before_first, dh0, rtol=1e-12, atol=1e-15)


def test_lstm_state_gradients_lead_to_lstm_backwards_dh0_and_dC0():
    model = LSTM(6, 5, seed=1)
    x, _ = _window(np.random.default_rng(2), 6, 3, 6)
    h, steps = model.unroll(x)
    dh_last = np.random.default_rng(3).standard_normal((3, 5))
    grads = model.state_gradients(dh_last, steps)
    assert set(grads) == {"h", "C"} and grads["C"].shape == (6, 3, 5)
    assert not grads["C"][0].any()  # nothing reaches the last cell from a later step
    assert grads["C"][1:].any()
    h0, C0 = model.initial_state(3)
    h_check, cache = lstm_forward(np.eye(6)[x], h0, C0, model.gate_values())
    np.testing.assert_allclose(h, h_check, rtol=1e-12)
    dh = np.zeros_like(h)
    dh[:, -1] = dh_last
    _, dh0, dC0, _ = lstm_backward(dh, cache)
    _, dh_first, dC_first, _ = lstm_step_backward(grads["h"][-1], grads["C"][-1], steps[0])
    np.testing.assert_allclose(dh_first, dh0, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dC_first, dC0, rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------------------------
# The same argument checks in both models
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"vocab_size": 1}, "vocab_size must be at least 2, got 1: with a single symbol there is nothing to predict"),
        ({"hidden_size": 2.5}, r"hidden_size must be a positive whole number.*Try 100"),
        ({"seed": -1}, r"seed must be a whole number >= 0 or a np.random.Generator.*Try seed=0"),
        ({"seed": 1.5}, r"seed must be a whole number >= 0"),
        ({"dtype": np.float16}, r"dtype must be np.float64 or np.float32"),
        ({"dtype": "banana"}, r"dtype must be np.float64 or np.float32"),
        ({"weight_scale": 0}, r"weight_scale must be a positive finite number.*Try 0.01"),
    ],
)
@pytest.mark.parametrize("Model_", MODELS)
def test_both_models_refuse_the_same_bad_arguments_with_the_same_message(Model_, kwargs, match):
    args = {"vocab_size": 5, "hidden_size": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        Model_(args.pop("vocab_size"), args.pop("hidden_size"), **args)


@pytest.mark.parametrize("Model_", MODELS)
def test_both_models_accept_a_generator_as_seed(Model_):
    a = Model_(5, 4, seed=np.random.default_rng(7))
    b = Model_(5, 4, seed=7)
    for p, q in zip(a.params, b.params, strict=True):
        np.testing.assert_array_equal(p.value, q.value)


def test_a_state_of_the_other_models_shape_is_refused_by_both():
    rnn, lstm = RNN(5, 4), LSTM(5, 4)
    x = np.zeros((1, 3), dtype=int)
    with pytest.raises(ValueError, match=r"state must be one array h.*initial_state\(1\)"):
        rnn.loss(x, x, lstm.initial_state(1))
    with pytest.raises(ValueError, match=r"state must be an \(h, C\) tuple.*initial_state\(1\)"):
        lstm.loss(x, x, rnn.initial_state(1))
    with pytest.raises(ValueError, match=r"state h has dtype int64, expected floats"):
        rnn.step(np.array([0]), np.zeros((1, 4), dtype=np.int64))


# ----------------------------------------------------------------------------------------------
# The extension point: a model the package does not know, through every module
# ----------------------------------------------------------------------------------------------


def test_the_third_model_is_correct():
    model = LeakyRNN(5, 4, seed=1)
    x, y = _window(np.random.default_rng(0), 5, 2, 5)
    state = model.initial_state(2)
    model.loss(x, y, state)  # fills every grad
    gradient_check(lambda: model.loss(x, y, state)[0], model.params, rng=np.random.default_rng(1)).assert_passed()


def test_the_third_model_goes_through_a_checkpoint(tmp_path, leaky_registered):
    text = "abcabcabdabcabd " * 20
    vocab = Vocabulary.from_text(text)
    model = LeakyRNN(len(vocab), 6, leak=0.3, seed=2)
    ids = vocab.encode(text)
    history = train(model, ids, num_steps=4, batch_size=2, seq_length=5, log_every=1)
    path = checkpoint.save_checkpoint(tmp_path / "leaky.npz", model, vocab, history=history)
    loaded = checkpoint.load_checkpoint(path)
    assert type(loaded.model) is LeakyRNN and loaded.model.leak == 0.3
    for p, q in zip(model.params, loaded.model.params, strict=True):
        np.testing.assert_array_equal(p.value, q.value)
        assert set(p.state) == set(q.state)  # the optimiser's memory came back too
    # and it resumes exactly: 4 + 3 steps in two calls == 7 in one
    train(loaded.model, ids, num_steps=3, batch_size=2, seq_length=5, history=loaded.history)
    straight = LeakyRNN(len(vocab), 6, leak=0.3, seed=2)
    train(straight, ids, num_steps=7, batch_size=2, seq_length=5)
    for p, q in zip(straight.params, loaded.model.params, strict=True):
        np.testing.assert_array_equal(p.value, q.value)


def test_the_registry_names_the_package_models():
    assert checkpoint.model_class("RNN") is RNN and checkpoint.model_class("LSTM") is LSTM
    for kind in checkpoint.MODELS:
        assert isinstance(checkpoint.model_class(kind)(5, 4), Model)


def test_an_unregistered_model_is_refused_by_name(tmp_path):
    vocab = Vocabulary.from_text("abab")
    with pytest.raises(checkpoint.CheckpointError, match="Cannot save a LeakyRNN"):
        checkpoint.save_checkpoint(tmp_path / "x.npz", LeakyRNN(len(vocab), 3), vocab)


def test_the_third_model_trains_and_samples():
    text = "hello world, hello kafka. " * 30
    vocab = Vocabulary.from_text(text)
    model = LeakyRNN(len(vocab), 16, seed=0)
    history = train(model, vocab.encode(text), num_steps=60, batch_size=4, seq_length=10, log_every=10)
    assert history.train_loss[-1] < history.train_loss[0]
    assert isinstance(history, History)
    out = sample(model, vocab, prime="hel", length=20, seed=0)
    assert isinstance(out, str) and len(out) >= 20


def test_the_third_model_runs_the_recall_task():
    model = LeakyRNN(longrange.VOCAB_SIZE, 8, seed=0)
    ids, answers = longrange.make_recall_batch(np.random.default_rng(0), [1, 2, 1], 4)
    loss = longrange.last_step_loss(model, ids, answers)
    assert np.isfinite(loss) and model.W_xh.grad.any() and model.W_y.grad.any()
    losses = longrange.train_recall(model, num_steps=5, max_distance=2, batch_size=8)
    assert len(losses) == 5 and all(np.isfinite(losses))
    acc = longrange.recall_accuracy(model, [1, 2], length=3, n=20)
    assert set(acc) == {1, 2} and all(0.0 <= a <= 1.0 for a in acc.values())
    logits = longrange.answer_logits(model, ids)
    h, _ = model.hidden_forward(ids, model.initial_state(3))
    np.testing.assert_allclose(logits, h[:, -1] @ model.W_y.value + model.b_y.value)


def test_the_third_model_gets_its_gradient_norms_measured():
    model = LeakyRNN(5, 4, seed=0)
    rng = np.random.default_rng(0)
    inputs, targets = rng.integers(0, 5, size=(3, 6)), rng.integers(0, 5, size=3)
    norms = inside.gradient_norms(model, inputs, targets)
    assert set(norms) == {"h"} and norms["h"].shape == (6,)
    # k = 0 is the gradient the output layer sends to the last hidden state
    h, _ = model.unroll(inputs)
    logits = h[:, -1] @ model.W_y.value + model.b_y.value
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(3), targets] -= 1.0
    assert norms["h"][0] == pytest.approx(np.linalg.norm(p @ model.W_y.value.T, axis=1).mean(), rel=1e-12)


# ----------------------------------------------------------------------------------------------
# The import graph
# ----------------------------------------------------------------------------------------------


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_the_protocol_module_imports_nothing_from_the_package():
    imported = set()
    for node in ast.walk(_tree(PACKAGE / "model.py")):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    assert imported, "the AST walk found no imports at all"
    assert not [name for name in imported if name.startswith(("lstm_lab", "."))], imported


def _isinstance_on_model_classes(tree: ast.Module) -> list[int]:
    """Lines of ``isinstance(x, RNN)``, ``isinstance(x, (LSTM, ...))`` and ``isinstance(x, lstm.LSTM)``."""
    def names(node: ast.expr) -> list[str]:
        if isinstance(node, ast.Tuple):
            return [n for elt in node.elts for n in names(elt)]
        if isinstance(node, ast.BinOp):  # RNN | LSTM
            return names(node.left) + names(node.right)
        if isinstance(node, ast.Name):
            return [node.id]
        if isinstance(node, ast.Attribute):
            return [node.attr]
        return []

    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance"
            and len(node.args) == 2 and {"RNN", "LSTM"} & set(names(node.args[1]))]


def test_the_isinstance_finder_finds_what_it_looks_for():
    found = _isinstance_on_model_classes(ast.parse(
        "isinstance(m, LSTM)\nisinstance(m, (int, RNN))\nisinstance(m, lstm.LSTM)\nisinstance(m, RNN | LSTM)\n"
        "isinstance(m, Model)\n"))
    assert found == [1, 2, 3, 4]


def test_no_module_outside_the_models_asks_which_model_it_has():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20
    offenders = {
        str(path.relative_to(PACKAGE)): lines
        for path in files
        if path.name not in ("rnn.py", "lstm.py") and (lines := _isinstance_on_model_classes(_tree(path)))
    }
    assert offenders == {}
