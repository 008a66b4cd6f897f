"""Word-level additions to lstm_lab.vocab (Lesson 9): normalisation, detokenising, unknown words."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_lab.vocab import UnknownSymbolError, Vocabulary, detokenize, replace_rare, tokenize_words


def test_nfd_hangul_is_one_word_but_a_different_string_unless_normalised():
    nfc = "고양이는 웃었다."
    nfd = unicodedata.normalize("NFD", nfc)
    assert len(nfd) > len(nfc)
    assert len(tokenize_words(nfd)) == 3  # conjoining jamo are letters: still one word each
    assert tokenize_words(nfd) != tokenize_words(nfc)
    assert tokenize_words(nfd, normalize="NFC") == tokenize_words(nfc) == ["고양이는", "웃었다", "."]


def test_normalize_must_be_a_normal_form():
    with pytest.raises(ValueError, match="Try 'NFC'"):
        tokenize_words("가", normalize="nfc")


def test_detokenize_attaches_punctuation_and_quotes():
    tokens = tokenize_words('할머니는 말했다. "저 배도 집으로 가는구나." 고양이는 (작은) 꼬리를 흔들었다, 천천히!')
    assert detokenize(tokens) == '할머니는 말했다. "저 배도 집으로 가는구나." 고양이는 (작은) 꼬리를 흔들었다, 천천히!'
    assert detokenize([]) == ""


words = st.sampled_from(["할머니는", "고양이를", "바다", "불을", "켰다", "."])


@given(st.lists(words, max_size=30))
def test_detokenize_then_tokenize_gives_the_tokens_back(tokens):
    assert tokenize_words(detokenize(tokens)) == tokens


def test_replace_rare():
    tokens = ["a", "b", "a", "c", "a", "b"]
    assert replace_rare(tokens, 2) == ["a", "b", "a", "<unk>", "a", "b"]
    assert replace_rare(tokens, 3) == ["a", "<unk>", "a", "<unk>", "a", "<unk>"]
    assert replace_rare(tokens, 1) == tokens
    assert replace_rare(tokens, 2, unknown="?") == ["a", "b", "a", "?", "a", "b"]


def test_replace_rare_bad_input():
    with pytest.raises(ValueError, match="already occurs"):
        replace_rare(["<unk>", "a"], 2)
    with pytest.raises(ValueError, match="min_count"):
        replace_rare(["a"], 0)
    with pytest.raises(ValueError, match="Split it first"):
        replace_rare("a b", 2)


def test_encode_with_unknown():
    vocab = Vocabulary.from_tokens(replace_rare(["바다", "바다", "불을"], 2))
    assert vocab.symbols == ["<unk>", "바다"]
    ids = vocab.encode(["바다", "고양이", "불을"], unknown="<unk>")
    assert ids.tolist() == [1, 0, 0] and ids.dtype == np.int64
    with pytest.raises(UnknownSymbolError):
        vocab.encode(["고양이"])  # without unknown= the old behaviour is unchanged
    with pytest.raises(ValueError, match="is not in this vocabulary"):
        vocab.encode(["바다"], unknown="<oov>")


