"""Checkers for Lesson 9: splitting Korean text into words, and pooling rare words.

The tokeniser's rules (section 1 of the lesson): a run of word characters (letters in any
script, digits, and combining marks, which belong to the letter before them) is one token;
every other character that is not white space is a token of its own; white space, newlines
included, only separates tokens.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lstm_lab.checking import (
    CheckResult,
    Mistake,
    _failed,
    _failures,
    _hidden,
    _where,
    check_function,
    register_solution,
)
from lstm_lab.vocab import replace_rare, tokenize_words

# ----------------------------------------------------------------------------------------------
# The tokeniser
# ----------------------------------------------------------------------------------------------

_WORDS = ["할머니는", "고양이가", "바다를", "등대", "불을", "켰다", "매일", "저녁", "배도", "집으로", "웃으며"]
_NUMBERS = ["3월", "2024년", "10시", "42"]  # digits are word characters, alone or before Hangul
_MARKED = ["cafe\u0301", "nai\u0308ve"]  # café and naïve with the accent as its own code point (NFD)
_AFTER = [".", ",", "!", "?", '."', "?\"", "…", ")"]  # marks written against the word before
_SPACES = [" ", " ", " ", " ", "  ", "\n", "\t"]


def _tokenize_case(rng: np.random.Generator) -> tuple:
    """A text of 8-14 words with attached punctuation, a number, a decomposed syllable word,
    an accented word stored with a combining mark, a newline, a run of two marks, and a word
    at the very end."""
    n = int(rng.integers(8, 15))
    words = [str(rng.choice(_WORDS)) for _ in range(n)]
    number, decomposed, marked = (int(k) for k in rng.choice(n - 1, size=3, replace=False))
    words[number] = str(rng.choice(_NUMBERS))
    words[decomposed] = unicodedata.normalize("NFD", str(rng.choice(_WORDS)))
    words[marked] = str(rng.choice(_MARKED))
    pieces = []
    for k, word in enumerate(words):
        if rng.random() < 0.15:
            word = ('"' if rng.random() < 0.5 else "(") + word
        if k < n - 1 and rng.random() < 0.4:
            word += str(rng.choice(_AFTER))
        pieces.append(word)
    pieces[int(rng.integers(0, n - 1))] += '."'  # a run of two marks
    seps = [str(rng.choice(_SPACES)) for _ in range(n - 1)]
    seps[int(rng.integers(0, n - 1))] = "\n"  # at least one line break
    text = pieces[0] + "".join(sep + piece for sep, piece in zip(seps, pieces[1:], strict=True))
    return (text,)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


def _runs(text: str, is_word: Callable[[str], bool], is_space: Callable[[str], bool],
          group_marks: bool = False, flush_last: bool = True) -> list[str]:
    """A configurable tokeniser: the reference's rules, or one of the classic slips below."""
    tokens: list[str] = []
    run, run_is_word = "", False
    for ch in text:
        word = is_word(ch)
        if run and (word != run_is_word or not (word or group_marks) or is_space(ch)):
            tokens.append(run)
            run = ""
        if is_space(ch):
            continue
        run, run_is_word = run + ch, word
    if run and flush_last:
        tokens.append(run)
    return tokens


def _attached(text: str) -> list[str]:
    return text.split()


def _whitespace_kept(text: str) -> list[str]:
    return _runs(text, _is_word_char, lambda ch: False)


def _only_space_separates(text: str) -> list[str]:
    return _runs(text, _is_word_char, lambda ch: ch == " ")


def _marks_grouped(text: str) -> list[str]:
    return _runs(text, _is_word_char, str.isspace, group_marks=True)


def _combining_split(text: str) -> list[str]:
    return _runs(text, str.isalnum, str.isspace)


def _digits_split(text: str) -> list[str]:
    return _runs(text, lambda ch: ch.isalpha() or unicodedata.category(ch).startswith("M"), str.isspace)


def _last_word_lost(text: str) -> list[str]:
    return _runs(text, _is_word_char, str.isspace, flush_last=False)


def _punctuation_dropped(text: str) -> list[str]:
    return [t for t in tokenize_words(text) if _is_word_char(t[0])]


def _normalised_first(text: str) -> list[str]:
    return tokenize_words(unicodedata.normalize("NFC", text))


TOKENIZE_MISTAKES = [
    Mistake("punctuation marks are still attached to the words beside them, as with str.split().", _attached),
    Mistake("white space came out as tokens: spaces, tabs and newlines only separate words.", _whitespace_kept),
    Mistake("newlines or tabs came out as tokens: only the space character was treated as white space.",
            _only_space_separates),
    Mistake("a run of punctuation marks (such as . followed by \") came out as one token.", _marks_grouped),
    Mistake("a combining mark (the accent of a decomposed é, a code point of its own) was cut off from the "
            "letter before it.", _combining_split),
    Mistake("digits were not treated as word characters, so a number such as 2024년 was cut into pieces.",
            _digits_split),
    Mistake("the last word of the text is missing: a word still being collected when the text ends was "
            "never added.", _last_word_lost),
    Mistake("the punctuation marks are gone: each mark is a token of its own, not something to remove.",
            _punctuation_dropped),
    Mistake("the text was normalised (NFC) before it was split. That is a separate step, which the lesson "
            "takes next: this tokeniser keeps every character as it was stored.", _normalised_first),
]


def _shown(text: str, limit: int = 160) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


def _token_difference(got: Sequence[str], expected: Sequence[str]) -> str:
    """Where two token lists first part: the count, then the first token that differs."""
    common = min(len(got), len(expected))
    first = next((k for k in range(common) if got[k] != expected[k]), common)
    msg = f"you returned {len(got)} tokens, expected {len(expected)}; " if len(got) != len(expected) else ""
    if first == 1:
        agree = f" (the first, {expected[0]!r}, agrees)"
    else:
        agree = f" (the first {first} agree, the last being {expected[first - 1]!r})" if first else ""
    if first >= len(got):
        return msg + f"your tokens stop before token {first}, expected {expected[first]!r}{agree}."
    if first >= len(expected):
        return msg + f"your token {first}, {got[first]!r}, comes after the expected last token{agree}."
    return msg + f"token {first} is {got[first]!r}, expected {expected[first]!r}{agree}."


def check_tokenize_words(fn: Callable[[str], Any], n_cases: int = 4, seed: int = 0) -> CheckResult:
    """Check ``fn(text) -> list of str`` against ``lstm_lab.vocab.tokenize_words`` (Lesson 9).

    Each case is a short Korean text with punctuation, numbers, a decomposed word, an accent
    stored as a combining mark and line breaks. A difference is reported as the first token
    that differs; a recognised slip (``TOKENIZE_MISTAKES``) is named.
    """
    name = "tokenize_words"
    pointer = ("go through the text one character at a time and ask which of three kinds it is: part of a "
               "word (a letter, a digit or a combining mark), white space, or anything else; each kind "
               "ends the word being collected in its own way.")
    hidden = _hidden.get()
    label = "case"
    if hidden is not None:
        seed, n_cases, label = seed + hidden[0], max(n_cases, hidden[1]), "hidden case"
    rng = np.random.default_rng(seed)
    for case in range(1, n_cases + 1):
        (text,) = _tokenize_case(rng)
        expected = tokenize_words(text)
        try:
            got = fn(text)
        except NotImplementedError:
            return CheckResult(False, f"✗ {name} is not written yet (it raises NotImplementedError): replace that "
                                      "line with your code, run its cell, then run this check again.")
        except Exception as err:
            return _failed(name, f"✗ {name} raised {type(err).__name__}: {err}{_where(err)} on {label} {case} "
                                 f"of {n_cases}, the text {_shown(text)}.", pointer)
        where = f"✗ {name}, {label} {case} of {n_cases}, on the text {_shown(text)}: "
        if got is None:
            return CheckResult(False, where + "got None, expected a list of tokens: did you forget the return "
                               "statement?\n(The function is still the stub: write it, then check again.)")
        if not isinstance(got, (list, tuple)) or not all(isinstance(t, str) for t in got):
            kind = type(got).__name__ if not isinstance(got, (list, tuple)) else "list with items that are not str"
            return _failed(name, where + f"got a {kind}, expected a list of str, one per token.", pointer)
        got = list(got)
        if got == expected:
            continue
        msg = where + _token_difference(got, expected)
        if any(g != e and unicodedata.normalize("NFC", g) == unicodedata.normalize("NFC", e)
               for g, e in zip(got, expected, strict=False)):
            msg += (" (Some of your tokens look like the expected ones but are stored as other code points:"
                    " one composed, the other decomposed.)")
        if "" in got:
            msg += " Some of your tokens are empty strings."
        for mistake in TOKENIZE_MISTAKES:
            if mistake.outputs(text) == got:
                msg += f"\nThis is a known mistake: {mistake.what}"
                break
        return _failed(name, msg, pointer)
    _failures.pop(name, None)
    kind = "hidden random texts" if hidden is not None else "random texts"
    return CheckResult(True, f"✓ {name} matches the reference on {n_cases} {kind}")


register_solution("tokenize_words", tokenize_words)

# ----------------------------------------------------------------------------------------------
# Pooling rare words
# ----------------------------------------------------------------------------------------------

_RARE_WORDS = ["바다", "고양이", "할머니는", "불을", "켰다", ".", ",", "등대", "배", "아침"]


def _rare_case(rng: np.random.Generator) -> tuple:
    n = int(rng.integers(12, 25))
    weights = np.linspace(1.0, 0.1, len(_RARE_WORDS))
    tokens = [_RARE_WORDS[i] for i in rng.choice(len(_RARE_WORDS), size=n, p=weights / weights.sum())]
    return tokens, int(rng.integers(2, 4))


def _as_ids(tokens: Any) -> Any:
    """Tokens -> ids over a shared table, so compare() can say where they differ."""
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        return tokens if tokens is None else np.asarray(tokens, dtype=object)
    table = {w: i for i, w in enumerate([*_RARE_WORDS, "<unk>"])}
    return np.array([table.get(t, -1) for t in tokens])  # -1: a token that was not in the input


def _rare_at_most(tokens: list[str], min_count: int) -> list[str]:
    counts = Counter(tokens)
    return [t if counts[t] > min_count else "<unk>" for t in tokens]


def _rare_dropped(tokens: list[str], min_count: int) -> list[str]:
    counts = Counter(tokens)
    return [t for t in tokens if counts[t] >= min_count]


def _rare_counted_while_reading(tokens: list[str], min_count: int) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for t in tokens:
        seen[t] += 1
        out.append(t if seen[t] >= min_count else "<unk>")
    return out


def check_replace_rare(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(tokens, min_count) -> tokens`` against ``lstm_lab.vocab.replace_rare`` (Lesson 9).

    Rare tokens (fewer than ``min_count`` occurrences) become ``"<unk>"``; the length is kept.
    """
    return check_function(
        "replace_rare",
        fn,
        replace_rare,
        _rare_case,
        output_names=["the tokens (shown as ids in the check's word list: 10 is '<unk>', -1 a word not in the input)"],
        select=_as_ids,
        n_cases=4,
        mistakes=[
            Mistake("words seen exactly min_count times became '<unk>' too, but a word that occurs min_count "
                    "times is not rare.", _rare_at_most),
            Mistake("rare words were removed rather than replaced, so the text got shorter and the model "
                    "would never see where an unknown word stands.", _rare_dropped),
            Mistake("each word was counted while reading, so its first occurrences became '<unk>' before its "
                    "later ones had been counted.", _rare_counted_while_reading),
        ],
        pointer="whether a word is rare depends on its count over the WHOLE list, so every count must be "
        "known before the first token is decided; and the result keeps one token per input token.",
    )


register_solution("replace_rare", replace_rare)
