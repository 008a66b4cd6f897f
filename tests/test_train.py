"""The training loop: it learns, logs consistently, resumes, stops politely, and refuses NaN."""

from __future__ import annotations

import signal

import numpy as np
import pytest

from lstm_lab.lstm import LSTM
from lstm_lab.optim import SGD
from lstm_lab.rnn import RNN
from lstm_lab.train import History, TrainingDiverged, evaluate_loss, train
from lstm_lab.vocab import Vocabulary

TEXT = "the cat sat on the mat and the dog sat on the log. " * 40


@pytest.fixture
def data():
    vocab = Vocabulary.from_text(TEXT)
    ids = vocab.encode(TEXT)
    return vocab, ids[:1600], ids[1600:]


@pytest.mark.parametrize("Model", [RNN, LSTM])
def test_training_lowers_validation_loss_and_logs_consistently(data, Model):
    vocab, train_ids, val_ids = data
    model = Model(len(vocab), 32, seed=0)
    before = evaluate_loss(model, val_ids, batch_size=4, seq_length=10)
    history = train(model, train_ids, val_ids=val_ids, num_steps=200, batch_size=4, seq_length=10,
                    eval_every=50, log_every=10)
    assert history.steps == list(range(10, 201, 10))
    assert history.chars[-1] == 200 * 4 * 10
    assert history.val_steps == [50, 100, 150, 200]
    assert np.all(np.diff(history.seconds) >= 0)
    assert history.val_loss[-1] < 0.5 * before  # a repetitive text is easy to learn
    assert not history.interrupted and not history.stopped_early


def test_resuming_continues_the_history(data):
    vocab, train_ids, _ = data
    model = RNN(len(vocab), 16, seed=1)
    history = train(model, train_ids, num_steps=30, batch_size=4, seq_length=10)
    history = train(model, train_ids, num_steps=30, batch_size=4, seq_length=10, history=history)
    assert history.steps == list(range(10, 61, 10))
    assert history.chars == [s * 40 for s in history.steps]
    assert np.all(np.diff(history.seconds) >= 0)


def test_a_nan_loss_stops_training_and_keeps_the_last_finite_parameters(data):
    vocab, train_ids, _ = data
    model = RNN(len(vocab), 16, seed=0)
    real_loss, calls = model.loss, {"n": 0}

    def loss_that_breaks(inputs, targets, state):
        calls["n"] += 1
        loss, state = real_loss(inputs, targets, state)
        return (float("nan") if calls["n"] == 5 else loss), state

    model.loss = loss_that_breaks
    snapshot = {}

    def remember(history):
        snapshot.update({p.name: p.value.copy() for p in model.params})

    with pytest.raises(TrainingDiverged, match="learning rate"):
        train(model, train_ids, num_steps=20, batch_size=4, seq_length=10, log_every=1, callbacks=[remember])
    assert calls["n"] == 5
    for p in model.params:  # exactly the parameters after step 4, the last good one
        np.testing.assert_array_equal(p.value, snapshot[p.name])


def test_an_interrupt_stops_after_the_current_step(data, capsys):
    vocab, train_ids, _ = data
    model = RNN(len(vocab), 16, seed=0)

    def interrupt_at_step_3(history):
        if history.steps[-1] == 3:
            signal.raise_signal(signal.SIGINT)  # to this thread: os.kill may wake another one first

    before = signal.getsignal(signal.SIGINT)  # Python's default_int_handler (SIG_IGN in a background job)
    history = train(model, train_ids, num_steps=50, batch_size=4, seq_length=10, log_every=1,
                    callbacks=[interrupt_at_step_3])
    assert history.interrupted and history.steps[-1] == 3
    assert "Interrupted after step 3" in capsys.readouterr().out
    assert signal.getsignal(signal.SIGINT) is before  # handler restored


def test_early_stopping_after_patience_evaluations_without_improvement(data, monkeypatch):
    vocab, train_ids, val_ids = data
    model = RNN(len(vocab), 16, seed=0)
    scripted = iter([3.0, 2.0, 2.5, 2.4, 2.6, 1.0, 0.5])  # best at the 2nd, then three worse
    monkeypatch.setattr("lstm_lab.train.evaluate_loss", lambda *args, **kwargs: next(scripted))
    history = train(model, train_ids, val_ids=val_ids, num_steps=400, batch_size=4, seq_length=10,
                    eval_every=5, patience=3)
    assert history.stopped_early
    assert history.val_loss == [3.0, 2.0, 2.5, 2.4, 2.6]
    assert history.steps[-1] == 25


@pytest.mark.parametrize(("name", "value"), [("num_steps", 0), ("batch_size", -1), ("seq_length", 2.5),
                                             ("clip_value", float("nan")), ("patience", 0)])
def test_nonsense_settings_are_refused_by_name(data, name, value):
    vocab, train_ids, _ = data
    model = RNN(len(vocab), 8, seed=0)
    settings = {"num_steps": 5, "batch_size": 4, "seq_length": 10, name: value}
    before = [p.value.copy() for p in model.params]
    with pytest.raises(ValueError, match=name):
        train(model, train_ids, **settings)
    assert all(np.array_equal(a, p.value) for a, p in zip(before, model.params, strict=True))


def test_history_best_val_loss_of_an_empty_history_is_inf():
    assert History().best_val_loss == float("inf")


def test_resuming_keeps_the_position_in_the_streams(data):
    vocab, train_ids, _ = data
    one_go = LSTM(len(vocab), 8, seed=0)
    train(one_go, train_ids, num_steps=50, batch_size=4, seq_length=10)  # 39 windows a pass: wraps once
    model = LSTM(len(vocab), 8, seed=0)
    history = train(model, train_ids, num_steps=38, batch_size=4, seq_length=10)
    assert history.train_state.window == 38 and history.train_state.batch_size == 4
    train(model, train_ids, num_steps=12, batch_size=4, seq_length=10, history=history)
    for p, q in zip(model.params, one_go.params, strict=True):
        np.testing.assert_array_equal(p.value, q.value)


def test_resuming_with_other_settings_warns_and_starts_the_streams_over(data):
    vocab, train_ids, _ = data
    model = RNN(len(vocab), 8, seed=0)
    history = train(model, train_ids, num_steps=5, batch_size=4, seq_length=10)
    with pytest.warns(UserWarning, match="batch_size=4, seq_length=10.*start over.*pass batch_size=4"):
        train(model, train_ids, num_steps=5, batch_size=8, seq_length=10, history=history)
    with pytest.warns(UserWarning, match="other training ids"):
        train(model, train_ids[::-1].copy(), num_steps=5, batch_size=8, seq_length=10, history=history)
    assert history.steps[-1] == 15


def test_a_keyboard_interrupt_inside_a_step_keeps_the_last_complete_step(data, capsys):
    """Raised by code in the middle of step 8 (before any update): steps 1-7 are kept, and logged."""
    vocab, train_ids, _ = data
    reference = RNN(len(vocab), 8, seed=0)
    train(reference, train_ids, num_steps=7, batch_size=4, seq_length=10)
    model = RNN(len(vocab), 8, seed=0)
    real_loss, calls = model.loss, {"n": 0}

    def loss_interrupted_at_call_8(inputs, targets, state):
        calls["n"] += 1
        if calls["n"] == 8:
            raise KeyboardInterrupt
        return real_loss(inputs, targets, state)

    model.loss = loss_interrupted_at_call_8
    ends = []

    class Plot:  # stands in for LivePlot: is the final picture drawn from the consistent history?
        def __call__(self, history):
            pass

        def on_train_end(self, history):
            ends.append(history.steps[-1])

    history = train(model, train_ids, num_steps=20, batch_size=4, seq_length=10, log_every=5, callbacks=[Plot()])
    assert history.interrupted and history.steps == [5, 7] and ends == [7]
    assert "Interrupted after step 7" in capsys.readouterr().out
    for p, q in zip(model.params, reference.params, strict=True):
        np.testing.assert_array_equal(p.value, q.value)


def test_a_real_overflow_stops_with_one_message_and_finite_parameters(data):
    """float32 with a huge learning rate and no clipping: the loss overflows to inf.

    Under pytest, numpy RuntimeWarnings from lstm_lab are errors (pyproject.toml), so this
    also checks that the divergence surfaces as TrainingDiverged, not as a warning.
    """
    vocab, train_ids, _ = data
    model = RNN(len(vocab), 16, seed=0, dtype=np.float32)
    with pytest.raises(TrainingDiverged, match="learning rate too large, or clipping switched off") as info:
        train(model, train_ids, num_steps=50, batch_size=4, seq_length=10, optimizer=SGD(lr=1e36),
              clip_value=None, log_every=1)
    assert all(np.isfinite(p.value).all() for p in model.params)
    history = info.value.history
    assert history.steps == list(range(1, len(history.steps) + 1))  # every good step, logged
    assert history.train_state.window == len(history.steps)


def test_patience_carries_over_a_resumed_run(data, monkeypatch):
    vocab, train_ids, val_ids = data
    model = RNN(len(vocab), 8, seed=0)
    scripted = iter([2.0, 2.5, 2.6, 2.7])
    monkeypatch.setattr("lstm_lab.train.evaluate_loss", lambda *args, **kwargs: next(scripted))
    history = train(model, train_ids, val_ids=val_ids, num_steps=15, batch_size=4, seq_length=10,
                    eval_every=5, patience=3)
    assert not history.stopped_early  # 2 evaluations without improvement so far
    history = train(model, train_ids, val_ids=val_ids, num_steps=100, batch_size=4, seq_length=10,
                    eval_every=5, patience=3, history=history)
    assert history.stopped_early and history.steps[-1] == 20


@pytest.mark.parametrize("n", [1, 8, 43])
def test_a_text_shorter_than_one_window_is_refused_before_training(data, n):
    vocab, train_ids, _ = data
    model = RNN(len(vocab), 8, seed=0)
    before = [p.value.copy() for p in model.params]
    with pytest.raises(ValueError, match="Use a longer text, a smaller batch_size or a smaller seq_length"):
        train(model, train_ids[:n], num_steps=5, batch_size=4, seq_length=10)
    with pytest.raises(ValueError, match=r"val_ids has 43 symbols.*seq_length \+ 1\) = 44"):
        train(model, train_ids, val_ids=train_ids[:43], num_steps=5, batch_size=4, seq_length=10)
    assert all(np.array_equal(a, p.value) for a, p in zip(before, model.params, strict=True))


# ------------------------------------------------------- what train does inside a step (issue 12)


def test_clip_value_bounds_every_gradient_entry_before_the_step(data):
    """With SGD(lr=1) one step moves each weight by exactly its (clipped) gradient."""
    vocab, train_ids, _ = data
    limit = 1e-3
    for Model in (RNN, LSTM):
        model = Model(len(vocab), 16, seed=0)
        before = [p.value.copy() for p in model.params]
        train(model, train_ids, num_steps=1, batch_size=4, seq_length=10, optimizer=SGD(lr=1.0), clip_value=limit)
        moves = np.concatenate([np.abs(p.value - b).ravel() for p, b in zip(model.params, before, strict=True)])
        assert moves.max() <= limit * (1 + 1e-9)  # never more than the limit...
        assert np.sum(moves >= limit * (1 - 1e-9)) > 10  # ...and many entries were cut to it


def test_clip_norm_bounds_the_whole_step(data):
    vocab, train_ids, _ = data
    model = LSTM(len(vocab), 16, seed=0)
    before = [p.value.copy() for p in model.params]
    train(model, train_ids, num_steps=1, batch_size=4, seq_length=10, optimizer=SGD(lr=1.0), clip_value=None,
          clip_norm=0.01)
    norm = np.sqrt(sum(np.sum((p.value - b) ** 2) for p, b in zip(model.params, before, strict=True)))
    assert norm == pytest.approx(0.01, rel=1e-6)


class _Recorder:
    """Wraps a model's loss to record the state each window starts from, the one it ends with, and the window."""

    def __init__(self, model):
        self.model, self.real_loss = model, model.loss
        self.passed, self.returned, self.inputs = [], [], []
        model.loss = self

    def __call__(self, inputs, targets, state):
        self.passed.append(_copies(state))
        self.inputs.append(np.array(inputs))
        loss, next_state = self.real_loss(inputs, targets, state)
        self.returned.append(_copies(next_state))
        return loss, next_state


def _copies(state):
    """A model state (an RNN's h, or an LSTM's (h, C)) as a list of copied arrays."""
    return [np.array(s, copy=True) for s in (state if isinstance(state, tuple) else (state,))]


@pytest.mark.parametrize("Model", [RNN, LSTM])
def test_the_state_is_carried_from_window_to_window_and_reset_when_the_streams_start_over(data, Model):
    vocab, train_ids, _ = data
    B, T = 4, 10
    model = Model(len(vocab), 8, seed=0)
    recorder = _Recorder(model)
    streams = train_ids[: B * (len(train_ids) // B)].reshape(B, -1)
    per_pass = (streams.shape[1] - 1) // T  # 39 windows
    train(model, train_ids, num_steps=2 * per_pass + 3, batch_size=B, seq_length=T)
    for step, (passed, inputs) in enumerate(zip(recorder.passed, recorder.inputs, strict=True)):
        k = step % per_pass
        np.testing.assert_array_equal(inputs, streams[:, k * T : (k + 1) * T], err_msg=f"window of step {step + 1}")
        if k == 0:  # a new pass over the streams: every row starts from the zero state
            for s in passed:
                assert s.shape[0] == B and not s.any(), f"step {step + 1} did not start from the zero state"
        else:  # the state each row ended the previous window with
            for s, r in zip(passed, recorder.returned[step - 1], strict=True):
                np.testing.assert_array_equal(s, r, err_msg=f"step {step + 1} did not get the carried state")
    assert any(s.any() for s in recorder.returned[0])  # the carried state is not trivially zero


def _reference_loss(model, ids, B, T):
    """Mean -log p(next char) over every character evaluate_loss must predict, one step at a time."""
    L = len(ids) // B
    streams = ids[: B * L].reshape(B, L)
    K = (L - 1) // T
    state = model.initial_state(B)
    nll = []
    for t in range(K * T):
        logits, state = model.step(streams[:, t], state)
        logits = logits - logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        nll.extend(-log_p[np.arange(B), streams[:, t + 1]])
    return float(np.mean(nll)), len(nll)


@pytest.mark.parametrize("Model", [RNN, LSTM])
@pytest.mark.parametrize(("B", "T"), [(3, 7), (5, 4), (1, 13)])
def test_evaluate_loss_is_the_mean_over_every_predicted_character(data, Model, B, T):
    vocab, train_ids, val_ids = data
    model = Model(len(vocab), 12, seed=3)
    train(model, train_ids, num_steps=20, batch_size=4, seq_length=10)  # a model whose losses vary by window
    expected, count = _reference_loss(model, val_ids, B, T)
    assert count == B * ((len(val_ids) // B - 1) // T) * T
    assert evaluate_loss(model, val_ids, batch_size=B, seq_length=T) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("Model", [RNN, LSTM])
def test_the_logged_training_loss_is_per_character_and_averaged_since_the_last_entry(data, Model):
    vocab, train_ids, _ = data
    B, T = 4, 10
    model = Model(len(vocab), 8, seed=0)
    recorder = _Recorder(model)
    losses = []
    real = recorder.real_loss

    def remember(inputs, targets, state):
        loss, state = real(inputs, targets, state)
        losses.append(loss)  # summed over the T steps of the window, averaged over the B streams
        return loss, state

    recorder.real_loss = remember
    history = train(model, train_ids, num_steps=12, batch_size=B, seq_length=T, log_every=4)
    assert history.steps == [4, 8, 12]
    expected = [np.mean(losses[k : k + 4]) / T for k in (0, 4, 8)]
    np.testing.assert_allclose(history.train_loss, expected, rtol=1e-12)
    assert history.train_loss[0] == pytest.approx(np.log(len(vocab)), rel=0.2)  # untrained: about ln V per char
