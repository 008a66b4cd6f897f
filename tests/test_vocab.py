"""Vocabulary and word tokenisation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_lab.vocab import UnknownSymbolError, Vocabulary, tokenize_words


@given(st.data())
def test_char_round_trip(data):
    alphabet = data.draw(st.text(min_size=1, max_size=30), label="alphabet")
    vocab = Vocabulary.from_text(alphabet)
    text = data.draw(st.text(alphabet=sorted(set(alphabet)), max_size=200), label="text")
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert vocab.decode(ids) == text


word = st.text(st.characters(categories=["L", "N", "P", "S"]), min_size=1, max_size=8)


@given(st.lists(word, min_size=1, max_size=20), st.data())
def test_word_round_trip(tokens, data):
    vocab = Vocabulary.from_tokens(tokens)
    seq = data.draw(st.lists(st.sampled_from(tokens), max_size=50))
    ids = vocab.encode(seq)
    assert vocab.decode_tokens(ids) == seq
    assert vocab.decode(ids) == " ".join(seq)


@given(st.text(min_size=1))
def test_indices_are_sorted_and_independent_of_order(text):
    vocab = Vocabulary.from_text(text)
    assert vocab.symbols == sorted(set(text))
    assert vocab == Vocabulary.from_text(text[::-1])
    assert all(vocab.index[s] == i for i, s in enumerate(vocab.symbols))
    assert len(vocab) == vocab.size == len(set(text))


def test_basic_api():
    vocab = Vocabulary.from_text("hello\n")
    assert vocab.symbols == ["\n", "e", "h", "l", "o"]
    assert vocab.index == {"\n": 0, "e": 1, "h": 2, "l": 3, "o": 4}
    assert vocab.encode("hole").tolist() == [2, 4, 3, 1]
    assert vocab.decode_tokens([2, 1]) == ["h", "e"]
    assert "h" in vocab and "z" not in vocab
    assert vocab.kind == "char"
    assert repr(vocab) == "Vocabulary(kind='char', size=5, symbols=['\\n', 'e', 'h', 'l', 'o'])"
    assert vocab.encode("").shape == (0,)
    assert vocab.decode([]) == ""


def test_repr_is_short_for_big_vocabularies():
    r = repr(Vocabulary.from_text("abcdefghijklmnopqrstuvwxyz"))
    assert "size=26" in r and "..." in r and "'z'" not in r


def test_unknown_character_message():
    vocab = Vocabulary.from_text("abc ")
    with pytest.raises(UnknownSymbolError) as info:
        vocab.encode("a cafe \u00e9t\u00e9")
    err = info.value
    message = str(err)
    assert isinstance(err, ValueError)
    assert "'f'" in message and "U+0066" in message
    assert "position 4" in message
    assert err.symbol == "f" and err.position == 4 and err.count == 5
    assert "5 of the 10" in message
    assert "U+00E9" in message  # other unknowns are listed too
    assert "build the vocabulary from a text that contains" in message
    assert "remove/replace" in message


def test_unknown_word_message():
    vocab = Vocabulary.from_tokens(["the", "cat"])
    with pytest.raises(UnknownSymbolError, match=r"Unknown word 'dog' at position 1"):
        vocab.encode(["the", "dog"])


def test_word_vocab_refuses_a_plain_string():
    vocab = Vocabulary.from_tokens(["the", "cat"])
    with pytest.raises(ValueError, match="tokenize_words"):
        vocab.encode("the cat")
    with pytest.raises(ValueError, match="tokenize_words"):
        Vocabulary.from_tokens("the cat")


@pytest.mark.parametrize("build", [lambda: Vocabulary.from_text(""), lambda: Vocabulary.from_tokens([])])
def test_empty_vocabulary(build):
    with pytest.raises(ValueError, match="at least one symbol"):
        build()


def test_one_symbol_vocabulary_and_out_of_range_ids():
    vocab = Vocabulary.from_text("aaaa")
    assert vocab.size == 1
    assert vocab.decode([0, 0]) == "aa"
    with pytest.raises(ValueError, match=r"Id 1 at position 2 is out of range.*0 to 0"):
        vocab.decode([0, 0, 1])
    with pytest.raises(ValueError, match="Id -1"):
        vocab.decode(np.array([-1]))  # numpy would otherwise wrap around silently
    with pytest.raises(ValueError, match="1-D"):
        vocab.decode(np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match="integers"):
        vocab.decode([0.0])


def test_tokenize_words():
    assert tokenize_words("안녕하세요, 세계!") == ["안녕하세요", ",", "세계", "!"]
    assert tokenize_words("One morning,\nwhen Gregor's") == ["One", "morning", ",", "when", "Gregor", "'", "s"]
    assert tokenize_words("...") == [".", ".", "."]
    assert tokenize_words(" \n\t ") == []
    # Combining marks stay inside their word (decomposed accent; Devanagari vowel signs).
    assert tokenize_words("cafe\u0301 noir") == ["cafe\u0301", "noir"]
    assert tokenize_words("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]


def test_word_vocab_from_text():
    tokens = tokenize_words("the cat sat on the mat.")
    vocab = Vocabulary.from_tokens(tokens)
    assert vocab.kind == "word"
    assert vocab.symbols == [".", "cat", "mat", "on", "sat", "the"]
    assert vocab.decode(vocab.encode(tokens)) == "the cat sat on the mat ."
