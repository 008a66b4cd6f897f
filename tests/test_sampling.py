"""Drawing symbols and generating text."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lstm_lab.activations import softmax
from lstm_lab.rnn import RNN
from lstm_lab.sampling import sample, sample_index
from lstm_lab.vocab import UnknownSymbolError, Vocabulary

TEXT = "hello world, hello kafka"


@pytest.fixture
def vocab():
    return Vocabulary.from_text(TEXT)


@pytest.fixture
def model(vocab):
    return RNN(vocab.size, 16, seed=0, weight_scale=0.5)  # big weights: a peaked, varied distribution


def test_sample_index_follows_the_softmax():
    logits = np.array([2.0, 0.0, 1.0, -1.0])
    draws = sample_index(np.tile(logits, (20000, 1)), rng=np.random.default_rng(0))
    assert draws.shape == (20000,) and draws.dtype == np.int64
    freq = np.bincount(draws, minlength=4) / draws.size
    np.testing.assert_allclose(freq, softmax(logits), atol=0.015)
    # temperature 2 flattens: softmax(logits / 2)
    draws = sample_index(np.tile(logits, (20000, 1)), temperature=2.0, rng=np.random.default_rng(1))
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / draws.size, softmax(logits / 2), atol=0.015)


def test_single_row_gives_an_int_and_zero_probability_is_never_drawn():
    rng = np.random.default_rng(2)
    i = sample_index(np.array([0.0, 1.0]), rng=rng)
    assert isinstance(i, int)
    draws = sample_index(np.tile([0.0, -1e4, 0.0], (5000, 1)), rng=rng)  # exp(-1e4) = 0
    assert not np.any(draws == 1)


def test_tiny_temperature_gives_the_argmax_and_greedy_is_the_argmax():
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((50, 7))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and without an overflow warning
        for t in (1e-6, 1e-310):  # 1e-310: the division overflows to -inf, harmlessly
            np.testing.assert_array_equal(sample_index(logits, temperature=t, rng=rng), logits.argmax(axis=1))
    np.testing.assert_array_equal(sample_index(logits, greedy=True), logits.argmax(axis=1))
    assert sample_index(logits[0], greedy=True) == int(logits[0].argmax())


@pytest.mark.parametrize("t", [0, -1.0, float("nan"), float("inf"), True, "1"])
def test_bad_temperature(t):
    with pytest.raises(ValueError, match="temperature must be"):
        sample_index(np.zeros(3), temperature=t, rng=0)


def test_sample_index_errors():
    with pytest.raises(ValueError, match="greedy=True"):
        sample_index(np.zeros(3), temperature=0.0, rng=0)
    with pytest.raises(ValueError, match="random generator"):
        sample_index(np.zeros(3))
    with pytest.raises(ValueError, match="diverged"):
        sample_index(np.array([0.0, np.nan]), rng=0)
    with pytest.raises(ValueError, match=r"shape \(V,\) or \(B, V\)"):
        sample_index(np.zeros((2, 2, 2)), rng=0)


def test_sample_is_deterministic_for_a_seed(model, vocab):
    a = sample(model, vocab, "he", 40, seed=1)
    assert len(a) == 40 and set(a) <= set(TEXT)
    assert sample(model, vocab, "he", 40, seed=1) == a
    assert sample(model, vocab, "he", 40, rng=np.random.default_rng(1)) == a
    assert sample(model, vocab, "he", 40, seed=2) != a


def test_greedy_sample_follows_the_argmax(model, vocab):
    from lstm_lab.sampling import warm_state

    out = sample(model, vocab, "hel", 15, greedy=True, seed=4)
    state = warm_state(model, vocab, 300, np.random.default_rng(4))  # the default warm-up
    for i in vocab.encode("hel"):
        logits, state = model.step(np.array([i]), state)
    expected = []
    for _ in range(15):
        nxt = int(logits[0].argmax())
        expected.append(nxt)
        logits, state = model.step(np.array([nxt]), state)
    assert out == vocab.decode(np.array(expected))


def test_sample_errors(model, vocab):
    with pytest.raises(UnknownSymbolError, match="'Z'"):
        sample(model, vocab, "hellZ", 10)
    with pytest.raises(ValueError, match="at least one symbol"):
        sample(model, vocab, "", 10)
    with pytest.raises(ValueError, match="length"):
        sample(model, vocab, "h", 0)
    with pytest.raises(ValueError, match="length"):
        sample(model, vocab, "h", 2.5)
    with pytest.raises(ValueError, match="greedy=True"):
        sample(model, vocab, "h", 5, temperature=0)


def test_word_vocabulary_takes_a_list_of_tokens():
    words = Vocabulary.from_tokens(["the", "clerk", "woke", "up", "."])
    m = RNN(words.size, 8, seed=1, weight_scale=0.5)
    out = sample(m, words, ["the", "clerk"], 6, seed=0)
    assert len(out.split(" ")) == 6 and set(out.split(" ")) <= set(words.symbols)


def test_temperature_softmax_is_softmax_of_scaled_logits_and_stays_finite():
    from lstm_lab.sampling import temperature_softmax

    z = np.array([[2.0, 1.0, -1.0], [0.0, 0.0, 5.0]])
    for tau in (0.3, 1.0, 2.5):
        np.testing.assert_allclose(temperature_softmax(z, tau), softmax(z / tau), rtol=1e-12)
    sharp = temperature_softmax(np.array([1.0, 3.0, 2.0]), 1e-6)
    assert np.all(np.isfinite(sharp)) and sharp.argmax() == 1 and sharp[1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="temperature"):
        temperature_softmax(z, 0.0)


def test_sample_every_prints_at_its_steps_only(capsys):
    from lstm_lab.sampling import SampleEvery
    from lstm_lab.train import History
    from lstm_lab.vocab import Vocabulary

    vocab = Vocabulary.from_text("hello world")
    model = RNN(len(vocab), 8, seed=0)
    printer = SampleEvery(model, vocab, 20, prime="he", length=10)
    history = History()
    for step in (10, 20, 30, 40):
        history.steps.append(step)
        printer(history)
    out = capsys.readouterr().out
    assert "--- step 20 (temperature 0.8) ---" in out and "--- step 40 (temperature 0.8) ---" in out
    assert "step 10 " not in out
    assert out.count("\nhe") == 2
    with pytest.raises(ValueError, match="not in the vocabulary|unknown|U\\+"):
        SampleEvery(model, vocab, 20, prime="xyz")


def _feed(model, vocab, text, state):
    logits = None
    for i in vocab.encode(text):
        logits, state = model.step(np.array([i]), state)
    return logits, state


def test_warm_up_zero_is_the_zero_state_and_a_passage_is_read_before_the_prime(model, vocab):
    from lstm_lab.sampling import next_distribution

    logits, _ = _feed(model, vocab, "hel", model.initial_state(1))
    np.testing.assert_allclose(next_distribution(model, vocab, "hel", warm_up=0), softmax(logits[0]), rtol=1e-12)
    logits, _ = _feed(model, vocab, "world, hel", model.initial_state(1))
    np.testing.assert_allclose(next_distribution(model, vocab, "hel", warm_up="world, "), softmax(logits[0]),
                               rtol=1e-12)
    # greedy from the zero state: the old behaviour, kept by warm_up=0
    state, expected = _feed(model, vocab, "hel", model.initial_state(1)), []
    logits, state = state
    for _ in range(5):
        expected.append(int(logits[0].argmax()))
        logits, state = model.step(np.array(expected[-1:]), state)
    assert sample(model, vocab, "hel", 5, greedy=True, warm_up=0) == vocab.decode(np.array(expected))


def test_default_warm_up_lets_the_model_write_300_symbols_first(model, vocab):
    from lstm_lab.sampling import WARM_UP, next_distribution, warm_state

    assert WARM_UP == 300
    calls = []

    class Counting:
        def initial_state(self, B):
            return model.initial_state(B)

        def step(self, ids, state):
            calls.append(int(ids[0]))
            return model.step(ids, state)

    sample(Counting(), vocab, "he", 4, seed=5)
    assert len(calls) == 300 + 2 + 3  # warm-up, prime, then each drawn symbol but the last
    assert calls[300:302] == list(vocab.encode("he"))
    # the warmed state is not the zero state, and the first draw comes from next_distribution
    warmed = warm_state(model, vocab, 300, np.random.default_rng(5))
    assert np.abs(warmed).max() > 0
    p_warm = next_distribution(model, vocab, "he", seed=5)
    assert p_warm.shape == (vocab.size,) and p_warm.sum() == pytest.approx(1.0)
    assert not np.allclose(p_warm, next_distribution(model, vocab, "he", warm_up=0))
    # sampling is still deterministic for a seed, and the warm-up depends on it
    assert sample(model, vocab, "he", 30, seed=5) == sample(model, vocab, "he", 30, seed=5)


@pytest.mark.parametrize("bad", [-1, 2.5, True, None])
def test_bad_warm_up(model, vocab, bad):
    with pytest.raises(ValueError, match="warm_up must be"):
        sample(model, vocab, "he", 5, warm_up=bad)


def test_warm_up_passage_with_an_unknown_symbol_is_named(model, vocab):
    with pytest.raises(UnknownSymbolError, match="warm_up.*'Z'"):
        sample(model, vocab, "he", 5, warm_up="hello Zurich ")


def test_known_word_fraction():
    from lstm_lab.sampling import known_word_fraction, words_of

    assert words_of("Gregor's door, 2 doors!") == ["gregor", "s", "door", "doors"]
    book = "Gregor Samsa woke. His door was locked."
    assert known_word_fraction("the door was gregor's", book) == pytest.approx(3 / 5)  # the, s unknown
    assert known_word_fraction("His DOOR", book) == 1.0
    with pytest.raises(ValueError, match="no words"):
        known_word_fraction(" ,.!", book)
