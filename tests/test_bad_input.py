"""Bad input a learner will try: one clear error each, and nothing in memory damaged.

One test per kind of mistake (issue 6), each checking that the message names the problem and
the fix, and that a model (and its history) trained before the mistake is left exactly as it
was. Neighbouring checks live with their modules: reading files in test_data.py, too-short
texts in test_train.py, the vocabulary in test_vocab.py.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from lstm_lab import optim
from lstm_lab.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from lstm_lab.data import CorpusError, read_text_file
from lstm_lab.lstm import LSTM
from lstm_lab.optim import SGD, Adagrad, Adam
from lstm_lab.params import Param
from lstm_lab.rnn import RNN
from lstm_lab.sampling import SampleEvery, sample, sample_index, temperature_softmax
from lstm_lab.train import History, TrainingDiverged, evaluate_loss, train
from lstm_lab.vocab import UnknownSymbolError, Vocabulary
from lstm_lab.widgets import playground_train

TEXT = "Gregor woke. The room was quiet, the rain fell on the window. " * 12
VOCAB = Vocabulary.from_text(TEXT)
IDS = VOCAB.encode(TEXT)


@pytest.fixture(params=[RNN, LSTM])
def trained(request):
    """A model after a few steps, its history, and a snapshot of both to compare with."""
    model = request.param(len(VOCAB), 8, seed=0)
    history = train(model, IDS, num_steps=6, batch_size=4, seq_length=10, log_every=2)
    snapshot = ([p.value.copy() for p in model.params], [dict(p.state) for p in model.params],
                list(history.steps), history.train_state)
    return model, history, snapshot


def assert_untouched(model, history, snapshot):
    values, states, steps, train_state = snapshot
    for p, v, st in zip(model.params, values, states, strict=True):
        np.testing.assert_array_equal(p.value, v)
        assert p.state.keys() == st.keys() and all(p.state[k] is st[k] for k in st)
    assert history.steps == steps and history.train_state is train_state


# ------------------------------------------------------------------------------- the text


def test_an_empty_text(trained):
    model, history, snapshot = trained
    with pytest.raises(ValueError, match="needs at least one symbol, but the text .* is empty"):
        Vocabulary.from_text("")
    with pytest.raises(ValueError, match="train_ids is empty: there is no text to learn from.*vocab.encode"):
        train(model, VOCAB.encode(""), num_steps=5, batch_size=4, seq_length=10, history=history)
    assert_untouched(model, history, snapshot)


def test_a_text_shorter_than_one_window(trained):
    model, history, snapshot = trained
    short = VOCAB.encode("Gregor woke.")  # 12 symbols; one window of 4 x 10 needs 44
    with pytest.raises(ValueError, match=r"12 symbols.*batch_size \* \(seq_length \+ 1\) = 44.*smaller seq_length"):
        train(model, short, num_steps=5, batch_size=4, seq_length=10, history=history)
    assert_untouched(model, history, snapshot)


def test_a_file_that_is_not_utf8_names_the_byte_and_the_encoding_argument(tmp_path):
    path = tmp_path / "letter.txt"
    path.write_bytes("He said \u201cGregor!\u201d".encode("cp1252"))  # Windows curly quotes: 0x93, 0x94
    with pytest.raises(CorpusError, match=r"letter.txt is not valid utf-8 text: byte offset 8 holds 0x93") as info:
        read_text_file(path)
    assert "encoding='cp1252'" in str(info.value)
    assert read_text_file(path, encoding="cp1252") == "He said \u201cGregor!\u201d"


def test_a_utf16_file_gets_the_utf16_hint(tmp_path):
    path = tmp_path / "notepad.txt"
    path.write_bytes("Gregor".encode("utf-16"))  # with a byte-order mark, as Notepad saves "Unicode"
    with pytest.raises(CorpusError, match="byte offset 0 holds 0xff.*UTF-16 byte-order mark.*encoding='utf-16'"):
        read_text_file(path)
    assert read_text_file(path, encoding="utf-16") == "Gregor"


# ------------------------------------------------------------------------------- sampling


def test_a_prime_with_characters_outside_the_vocabulary(trained):
    model, history, snapshot = trained
    expected = r"prime 'Gregor Zamsa' cannot be fed.*'Z' \(U\+005A.*trained on"
    with pytest.raises(UnknownSymbolError, match=expected) as info:
        sample(model, VOCAB, "Gregor Zamsa", 20)
    assert (info.value.symbol, info.value.position) == ("Z", 7)
    with pytest.raises(UnknownSymbolError, match="'Z'"):
        SampleEvery(model, VOCAB, every=10, prime="Zimmer")  # fails before training, not during it
    with pytest.raises(ValueError, match="seed must be a whole number >= 0"):
        sample(model, VOCAB, "Gregor", 20, seed=-1)
    assert_untouched(model, history, snapshot)


@pytest.mark.parametrize("temperature", [0, -0.5, float("nan"), float("inf"), "hot", None])
def test_a_temperature_that_is_not_positive(trained, temperature):
    model, history, snapshot = trained
    with pytest.raises(ValueError, match="temperature must be"):
        sample(model, VOCAB, "Gregor", 20, temperature=temperature)
    with pytest.raises(ValueError, match="temperature must be"):
        sample_index(np.zeros(3), temperature=temperature, rng=0)
    with pytest.raises(ValueError, match="temperature must be"):
        temperature_softmax(np.zeros(3), temperature)
    with pytest.raises(ValueError, match="temperature must be"):
        SampleEvery(model, VOCAB, every=10, temperature=temperature)
    assert_untouched(model, history, snapshot)


# ------------------------------------------------------------------------ hyperparameters

NOT_POSITIVE = [0, -3, float("nan"), 2.5, "100", None]


@pytest.mark.parametrize("Model", [RNN, LSTM])
@pytest.mark.parametrize("bad", NOT_POSITIVE)
def test_a_hidden_size_that_is_not_a_positive_whole_number(Model, bad):
    with pytest.raises(ValueError, match=r"hidden_size must be a positive whole number.*Try 100"):
        Model(len(VOCAB), bad)


@pytest.mark.parametrize("setting", ["batch_size", "seq_length"])
@pytest.mark.parametrize("bad", NOT_POSITIVE)
def test_a_batch_size_or_sequence_length_that_is_not_a_positive_whole_number(trained, setting, bad):
    model, history, snapshot = trained
    settings = {"num_steps": 5, "batch_size": 4, "seq_length": 10, setting: bad}
    with pytest.raises(ValueError, match=f"{setting} must be a positive whole number"):
        train(model, IDS, history=history, **settings)
    assert_untouched(model, history, snapshot)


@pytest.mark.parametrize("Optimizer", [SGD, Adagrad, Adam])
@pytest.mark.parametrize("bad", [0, -0.1, float("nan"), float("inf"), "0.1", None])
def test_a_learning_rate_that_is_not_a_positive_number(Optimizer, bad):
    with pytest.raises(ValueError, match=r"learning_rate must be a positive .*Try lr="):
        Optimizer(lr=bad)


def test_a_learning_rate_schedule_that_returns_nonsense_stops_at_once(trained):
    model, history, snapshot = trained
    with pytest.raises(ValueError, match="learning_rate"):
        train(model, IDS, num_steps=5, batch_size=4, seq_length=10, history=history, optimizer=Adagrad(0.1),
              lr_schedule=lambda step: -1.0)
    assert_untouched(model, history, snapshot)


def test_a_vocabulary_of_one_symbol():
    vocab = Vocabulary.from_text("aaaaaaaa")  # a vocabulary may have one symbol...
    assert len(vocab) == 1
    expected = r"vocab_size must be at least 2.*nothing to predict.*at least two (different|distinct) characters"
    for Model in (RNN, LSTM):  # ...but a model has nothing to predict from it
        with pytest.raises(ValueError, match=expected):
            Model(len(vocab), 8)


# ------------------------------------------------- unclear and silent cases made clear (issue 12)


def test_a_learning_rate_far_too_large_stops_with_the_settings_and_the_history(trained):
    """lr=1e6 used to train on at millions of nats per character: now the guard stops it."""
    model, history, _ = trained
    with pytest.raises(TrainingDiverged) as info:
        train(model, IDS, num_steps=200, batch_size=4, seq_length=10, history=history, optimizer=Adagrad(lr=1e6),
              log_every=1)
    message = str(info.value)
    assert re.search(r"stayed above 100 x ln V = \d+ nats per character .* for 20 steps", message), message
    assert "learning rate 1e+06 with clip_value=5" in message and "try lr=100000" in message
    diverged = info.value.history
    far_above = np.array(diverged.train_loss) > 100 * np.log(len(VOCAB))
    # The 6 steps before, step 7 (the loss of step 6's weights), 19 steps far above ln V; the 20th stopped it.
    assert diverged is history and diverged.steps[-1] == 26 and far_above[-19:].all() and not far_above[:-19].any()
    assert all(np.isfinite(p.value).all() for p in model.params)


def test_the_divergence_guard_names_clipping_switched_off():
    model = LSTM(len(VOCAB), 8, seed=0)
    expected = r"rate 100 with clipping off \(clip_value=None\): try lr=10 and clip_value=5.0"
    with pytest.raises(TrainingDiverged, match=expected):
        train(model, IDS, num_steps=200, batch_size=4, seq_length=10, optimizer=SGD(lr=100.0), clip_value=None)


def _scripted_losses(model, high_steps):
    """Make model.loss report a huge loss (1e6 per window) on the given steps, the real one otherwise."""
    real_loss, calls = model.loss, {"n": 0}

    def loss(inputs, targets, state):
        calls["n"] += 1
        value, state = real_loss(inputs, targets, state)
        return (1e6 if calls["n"] in high_steps else value), state

    model.loss = loss


@pytest.mark.parametrize(("high", "diverges"), [(range(3, 22), False), (range(3, 23), True),
                                                 ([*range(3, 13), *range(14, 30)], False)])
def test_the_divergence_guard_waits_for_20_steps_in_a_row(high, diverges):
    """A spike, or a long bad patch that recovers, is not divergence; 20 steps in a row far above ln V is."""
    model = RNN(len(VOCAB), 8, seed=0)
    _scripted_losses(model, set(high))
    run = lambda: train(model, IDS, num_steps=40, batch_size=4, seq_length=10, log_every=1)  # noqa: E731
    if diverges:
        with pytest.raises(TrainingDiverged, match="step 22: the loss has stayed above") as info:
            run()
        assert info.value.history.steps[-1] == 21
    else:
        assert run().steps[-1] == 40


def test_a_large_but_recovering_learning_rate_is_not_called_divergence():
    """Lesson 4's exercise (Adagrad lr=1.0) and the playground's extremes (no clipping) train on."""
    for clip_value in (5.0, None):
        model = LSTM(len(VOCAB), 32, seed=0)
        history = train(model, IDS, num_steps=150, batch_size=4, seq_length=10, optimizer=Adagrad(lr=1.0),
                        clip_value=clip_value)
        assert history.steps[-1] == 150


@pytest.mark.parametrize("Model", [RNN, LSTM])
def test_a_parameter_that_is_nan_before_training_is_named(Model):
    model = Model(len(VOCAB), 8, seed=0)
    name = model.params[1].name
    model.params[1].value[(0,) * model.params[1].value.ndim] = np.nan
    history = History()
    snapshot = ([p.value.copy() for p in model.params], [dict(p.state) for p in model.params], [], None)
    expected = rf"{name} holds 1 of \d+ entries that are nan or inf .* before the first step.*not by its learning rate"
    with pytest.raises(ValueError, match=expected):
        train(model, IDS, num_steps=5, batch_size=4, seq_length=10, history=history)
    assert_untouched(model, history, snapshot)


def test_broken_optimiser_memory_is_named_before_training(trained):
    model, history, snapshot = trained
    memory = model.params[0].state["sum_sq"]
    kept = memory.flat[0]
    memory.flat[0] = np.inf
    with pytest.raises(ValueError, match=rf"{model.params[0].name}'s optimiser memory 'sum_sq' holds 1 of"):
        train(model, IDS, num_steps=5, batch_size=4, seq_length=10, history=history)
    memory.flat[0] = kept
    assert_untouched(model, history, snapshot)  # the same arrays, values and history as before the call


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_refused_with_the_encoding(tmp_path, encoding):
    path = tmp_path / "export.txt"
    path.write_bytes(TEXT.encode(encoding))  # no BOM: e.g. exported by a tool that writes plain UTF-16
    expected = rf"NUL characters.*{encoding.upper()} text saved without a byte-order mark.*encoding='{encoding}'"
    with pytest.raises(CorpusError, match=expected):
        read_text_file(path)
    assert read_text_file(path, encoding=encoding) == TEXT


def test_a_file_of_nul_bytes_is_not_text(tmp_path):
    path = tmp_path / "zeros.txt"
    path.write_bytes(bytes(4096))
    with pytest.raises(CorpusError, match=r"4,096 NUL characters .*probably not a text file.*encoding="):
        read_text_file(path)
    (tmp_path / "mixed.txt").write_bytes(b"Gregor\x00woke")  # one stray NUL in UTF-8 text
    with pytest.raises(CorpusError, match="holds 1 NUL characters"):
        read_text_file(tmp_path / "mixed.txt")


@pytest.mark.parametrize("argument", ["train_ids", "val_ids"])
@pytest.mark.parametrize("bad_id", [len(VOCAB), -1])
def test_ids_outside_the_vocabulary_are_refused_before_the_first_step(trained, argument, bad_id):
    model, history, snapshot = trained
    ids = IDS.copy()
    ids[500] = bad_id  # far beyond the first window: it used to be found only when reached
    kwargs = {"train_ids": IDS, "val_ids": None, argument: ids}
    expected = rf"{argument} contains id {bad_id} at position 500 \(1 ids in all\), outside .* {len(VOCAB)} symbols"
    with pytest.raises(ValueError, match=expected):
        train(model, kwargs.pop("train_ids"), num_steps=5, batch_size=4, seq_length=10, history=history, **kwargs)
    assert_untouched(model, history, snapshot)


def test_a_text_instead_of_its_ids_is_answered_with_vocab_encode(trained):
    model, history, snapshot = trained
    with pytest.raises(ValueError, match=r"train_ids is a str of 744 characters.*train_ids=vocab.encode\(text\)"):
        train(model, TEXT, num_steps=5, batch_size=4, seq_length=10, history=history)
    with pytest.raises(ValueError, match=r"val_ids is a str .*val_ids=vocab.encode\(text\)"):
        train(model, IDS, val_ids=TEXT, num_steps=5, batch_size=4, seq_length=10, history=history)
    with pytest.raises(ValueError, match=r"ids is a str .*vocab.encode\(text\)"):
        evaluate_loss(model, TEXT, batch_size=4, seq_length=10)
    assert_untouched(model, history, snapshot)


def _one_step_done(optimizer):
    """Three parameters after one good step (so the optimiser has memory), and copies of everything."""
    params = [Param(name, np.linspace(-1, 1, 6).reshape(2, 3) * k) for k, name in enumerate(("a", "b", "c"), 1)]
    for p in params:
        p.grad[...] = np.cos(p.value)
    optimizer.step(params)
    return params, [(p.value.copy(), {k: np.copy(v) for k, v in p.state.items()}) for p in params]


@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: Adagrad(0.1), lambda: Adam(0.01)], ids=["sgd", "adagrad",
                                                                                                    "adam"])
def test_an_optimiser_step_that_fails_part_way_changes_nothing(make):
    optimizer = make()
    params, before = _one_step_done(optimizer)
    params[2].grad = np.ones(5)  # the last parameter's update cannot be computed
    with pytest.raises(ValueError):
        optimizer.step(params)
    for p, (value, state) in zip(params, before, strict=True):  # the first two did not move ahead alone
        np.testing.assert_array_equal(p.value, value)
        assert p.state.keys() == state.keys()
        for key in state:
            np.testing.assert_array_equal(p.state[key], state[key])


class _SqrtInterrupted:
    """numpy, as lstm_lab.optim sees it, except that the n-th sqrt raises KeyboardInterrupt (a timer's handler)."""

    def __init__(self, n):
        self.calls, self.n = 0, n

    def __getattr__(self, name):
        return getattr(np, name)

    def sqrt(self, x):
        self.calls += 1
        if self.calls == self.n:
            raise KeyboardInterrupt
        return np.sqrt(x)


def test_an_interrupt_inside_the_optimiser_step_leaves_every_parameter_at_the_same_step(monkeypatch, capsys):
    settings = {"batch_size": 4, "seq_length": 10, "log_every": 1}
    reference = RNN(len(VOCAB), 8, seed=0)
    reference_history = train(reference, IDS, num_steps=4, optimizer=Adagrad(0.1), **settings)
    model = RNN(len(VOCAB), 8, seed=0)
    fake = _SqrtInterrupted(n=5 * 4 + 3)  # 5 parameters: the third one's update in step 5
    monkeypatch.setattr(optim, "np", fake)
    optimizer = Adagrad(0.1)
    history = train(model, IDS, num_steps=10, optimizer=optimizer, **settings)
    monkeypatch.undo()
    assert fake.calls == fake.n and history.interrupted and history.steps[-1] == 4
    assert "Interrupted after step 4" in capsys.readouterr().out
    for p, q in zip(model.params, reference.params, strict=True):  # all five exactly after step 4
        np.testing.assert_array_equal(p.value, q.value, err_msg=p.name)
        np.testing.assert_array_equal(p.state["sum_sq"], q.state["sum_sq"], err_msg=p.name)
    train(model, IDS, num_steps=6, optimizer=optimizer, history=history, **settings)  # and it resumes exactly
    train(reference, IDS, num_steps=6, optimizer=Adagrad(0.1), history=reference_history, **settings)
    for p, q in zip(model.params, reference.params, strict=True):
        np.testing.assert_array_equal(p.value, q.value, err_msg=p.name)


@pytest.mark.parametrize("clip", [float("nan"), float("inf"), -1.0, "5", None])
def test_the_playground_refuses_a_clip_that_is_not_a_number_from_0_up(clip):
    with pytest.raises(ValueError, match=r"clip must be a finite number >= 0 \(0 switches clipping off\).*Try 5.0"):
        playground_train(IDS, IDS, len(VOCAB), hidden_size=8, lr=0.1, seq_length=10, clip=clip, num_steps=5,
                         batch_size=4)


def test_saving_inside_a_file_as_if_it_were_a_folder(trained, tmp_path):
    model, history, snapshot = trained
    (tmp_path / "afile").write_text("my notes")
    for target in ("afile/run.npz", "afile/deeper/run.npz"):
        expected = r"Cannot save .*run.npz: .*afile is a file, not a folder.*checkpoints/"
        with pytest.raises(CheckpointError, match=expected):
            save_checkpoint(tmp_path / target, model, VOCAB, history=history)
    assert (tmp_path / "afile").read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
    assert_untouched(model, history, snapshot)


def test_bytes_as_the_text_of_load_checkpoint(trained, tmp_path):
    model, history, _ = trained
    path = save_checkpoint(tmp_path / "run.npz", model, VOCAB, history=history)
    expected = r"text must be a str.*got bytes. Decode it first: text=data.decode\('utf-8'\)"
    with pytest.raises(ValueError, match=expected):
        load_checkpoint(path, text=TEXT.encode())
    assert load_checkpoint(path, text=TEXT).vocab == VOCAB
