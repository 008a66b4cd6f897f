"""Lesson 9's exercises: the tokeniser and pooling rare words, on the learner's path.

For each exercise: the untouched stub is told it is not written yet; the package's reference and
the notebook's own solution pass, also on the hidden cases; realistic wrong answers are each named;
a second failure adds the conceptual pointer; and no message contains a line of the solution.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import numpy as np
import pytest
from exercise_cells import (
    answer_source,
    assert_gives_nothing_away,
    assert_named_then_pointed,
    assert_passes_also_on_hidden_cases,
    define,
    solution_lines,
)

from lstm_lab.exercises import check_replace_rare, check_tokenize_words, lesson09
from lstm_lab.vocab import replace_rare, tokenize_words

LESSON = "09_korean_words.ipynb"


def _notebook_function(name: str):
    """The teacher's solution from the lesson's answer cell, defined as the lesson defines it."""
    namespace = {"np": np, "Counter": Counter, "unicodedata": unicodedata}
    return define(answer_source(LESSON, name), name, namespace)


def _solution_lines(name: str) -> list[str]:
    """The non-trivial code lines of the answer cell's solution region (at least two)."""
    return solution_lines(answer_source(LESSON, name), at_least=2)


def _assert_no_solution_line(name: str, message: str) -> None:
    assert_gives_nothing_away(message, _solution_lines(name))


# ----- the tokeniser -------------------------------------------------------------------------


def _stub_tokenize(text):
    raise NotImplementedError()


def test_tokenize_stub_is_not_written_yet_and_gets_nothing_else():
    result = check_tokenize_words(_stub_tokenize)
    assert not result.passed and "not written yet" in result.message
    assert "known mistake" not in result.message and "Pointer" not in result.message
    assert "Pointer" not in check_tokenize_words(_stub_tokenize).message  # a stub is never an attempt
    _assert_no_solution_line("tokenize_words", result.message)


def test_tokenize_returning_none_is_the_stub():
    result = check_tokenize_words(lambda text: None)
    assert not result.passed and "still the stub" in result.message and "known mistake" not in result.message


@pytest.mark.parametrize("source", ["package", "notebook"])
def test_tokenize_reference_and_notebook_solution_pass(source):
    fn = tokenize_words if source == "package" else _notebook_function("tokenize_words")
    result = assert_passes_also_on_hidden_cases(check_tokenize_words, fn)
    assert result.message == "✓ tokenize_words matches the reference on 4 random texts", result.message


def test_the_cases_hold_every_feature_the_rules_name():
    rng = np.random.default_rng(0)
    for _ in range(8):
        (text,) = lesson09._tokenize_case(rng)
        tokens = tokenize_words(text)
        assert "\n" in text and '."' in text and any(ch.isdigit() for ch in text)
        assert any(unicodedata.category(ch).startswith("M") for ch in text)
        assert tokens[-1][0].isalnum()  # the text ends inside a word
        # the classic slips all differ from the reference on every case
        for mistake in lesson09.TOKENIZE_MISTAKES:
            assert mistake.outputs(text) != tokens, mistake.what


def _split_learner(text):
    return text.split()


def _regex_learner(text):
    return re.findall(r"\w+|[^\w\s]", text)  # \w knows no combining marks


def _loop_without_final_word(text):
    tokens, word = [], ""
    for ch in text:
        if ch.isalnum() or unicodedata.category(ch).startswith("M"):
            word += ch
        else:
            if word:
                tokens.append(word)
            word = ""
            if not ch.isspace():
                tokens.append(ch)
    return tokens


def _loop_keeping_newlines(text):
    tokens, word = [], ""
    for ch in text + " ":
        if ch.isalnum() or unicodedata.category(ch).startswith("M"):
            word += ch
            continue
        if word:
            tokens.append(word)
        word = ""
        if ch != " ":
            tokens.append(ch)
    return tokens


def _loop_with_isalpha(text):
    tokens, word = [], ""
    for ch in text + " ":
        if ch.isalpha() or unicodedata.category(ch).startswith("M"):
            word += ch
            continue
        if word:
            tokens.append(word)
        word = ""
        if not ch.isspace():
            tokens.append(ch)
    return tokens


@pytest.mark.parametrize(
    ("learner", "named"),
    [
        (_split_learner, "still attached to the words"),
        (_regex_learner, "combining mark"),
        (_loop_without_final_word, "last word of the text is missing"),
        (_loop_keeping_newlines, "only the space character was treated as white space"),
        (_loop_with_isalpha, "digits were not treated as word characters"),
    ],
)
def test_tokenize_realistic_wrong_answers_are_named(learner, named):
    result = check_tokenize_words(learner)
    assert not result.passed
    assert "This is a known mistake" in result.message and named in result.message, result.message
    assert "token" in result.message and "expected" in result.message  # what differs, first
    _assert_no_solution_line("tokenize_words", result.message)


@pytest.mark.parametrize("mistake", lesson09.TOKENIZE_MISTAKES, ids=lambda m: m.outputs.__name__)
def test_every_tokenize_mistake_is_named_and_the_second_attempt_gets_the_pointer(mistake):
    assert_named_then_pointed(check_tokenize_words, mistake.outputs, mistake.what, _solution_lines("tokenize_words"))


def test_tokenize_says_which_token_differs():
    def forgets_question_marks(text):
        return [t for t in tokenize_words(text) if t != "?"] if "?" in text else tokenize_words(text) + ["?"]

    result = check_tokenize_words(forgets_question_marks)
    assert not result.passed and "token " in result.message and "on the text '" in result.message
    assert "known mistake" not in result.message


def test_tokenize_that_crashes_or_returns_a_string_is_a_failed_check():
    crashed = check_tokenize_words(lambda text: text[10**6])
    assert not crashed.passed and "raised IndexError" in crashed.message
    joined = check_tokenize_words(lambda text: " ".join(tokenize_words(text)))
    assert not joined.passed and "expected a list of str" in joined.message


# ----- pooling rare words ------------------------------------------------------------------------


def _stub_replace_rare(tokens, min_count):
    raise NotImplementedError()


def test_replace_rare_stub_is_not_written_yet():
    result = check_replace_rare(_stub_replace_rare)
    assert not result.passed and "not written yet" in result.message and "Pointer" not in result.message
    _assert_no_solution_line("replace_rare", result.message)
    none = check_replace_rare(lambda tokens, min_count: None)
    assert not none.passed and "still the stub" in none.message


@pytest.mark.parametrize("source", ["package", "notebook"])
def test_replace_rare_reference_and_notebook_solution_pass(source):
    fn = replace_rare if source == "package" else _notebook_function("replace_rare")
    assert_passes_also_on_hidden_cases(check_replace_rare, fn)


def _drops_rare(tokens, min_count):
    counts = Counter(tokens)
    return [t for t in tokens if counts[t] >= min_count]


def _strictly_more(tokens, min_count):
    counts = Counter(tokens)
    return [t if counts[t] > min_count else "<unk>" for t in tokens]


def _counts_as_it_reads(tokens, min_count):
    counts: Counter[str] = Counter()
    out = []
    for t in tokens:
        counts[t] += 1
        out.append(t if counts[t] >= min_count else "<unk>")
    return out


@pytest.mark.parametrize(
    ("learner", "named"),
    [
        (_drops_rare, "removed rather than replaced"),
        (_strictly_more, "seen exactly min_count times"),
        (_counts_as_it_reads, "counted while reading"),
    ],
)
def test_replace_rare_wrong_answers_are_named_then_pointed(learner, named):
    first, second = assert_named_then_pointed(check_replace_rare, learner, named, _solution_lines("replace_rare"))
    assert "WHOLE list" in second.message
    for message in (first.message, second.message):
        assert ">= min_count" not in message and "Counter(" not in message


def test_normalising_inside_the_tokeniser_is_named_and_the_look_alike_tokens_explained():
    result = check_tokenize_words(lambda text: tokenize_words(unicodedata.normalize("NFC", text)))
    assert not result.passed and "normalised (NFC) before it was split" in result.message, result.message
    assert "one composed, the other decomposed" in result.message
