"""Bad input a learner will try: one clear error each, and nothing in memory damaged.

One test per kind of mistake (issue 6), each checking that the message names the problem and
the fix, and that a model (and its history) trained before the mistake is left exactly as it
was. Neighbouring checks live with their modules: reading files in test_data.py, too-short
texts in test_train.py, the vocabulary in test_vocab.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from lstm_lab.data import CorpusError, read_text_file
from lstm_lab.lstm import LSTM
from lstm_lab.optim import SGD, Adagrad, Adam
from lstm_lab.rnn import RNN
from lstm_lab.sampling import SampleEvery, sample, sample_index, temperature_softmax
from lstm_lab.train import train
from lstm_lab.vocab import UnknownSymbolError, Vocabulary

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
