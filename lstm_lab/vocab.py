"""Vocabulary: the two-way mapping between symbols (characters or words) and integer ids.

Symbols are sorted, so a given text yields the same ids on every machine and every run
(``set`` iteration order is not guaranteed across runs for strings).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np


class UnknownSymbolError(ValueError):
    """A symbol to encode is not in the vocabulary.

    Attributes:
        symbol: the first unknown symbol.
        position: its index in the input sequence.
        count: how many symbols of the input are unknown in total.
    """

    def __init__(self, message: str, symbol: str, position: int, count: int) -> None:
        super().__init__(message)
        self.symbol = symbol
        self.position = position
        self.count = count


def describe_symbol(symbol: str) -> str:
    """Readable name of a symbol: ``'é' (U+00E9 LATIN SMALL LETTER E WITH ACUTE)`` for a character."""
    if not isinstance(symbol, str) or len(symbol) != 1:
        return repr(symbol)
    name = unicodedata.name(symbol, "")
    return f"{symbol!r} (U+{ord(symbol):04X}{' ' + name if name else ''})"


def _is_word_char(ch: str) -> bool:
    # Letters, digits, underscore (like regex \w) plus combining marks, which belong to the
    # letter before them: the vowel signs of Devanagari, or an accent in decomposed "é".
    return ch.isalnum() or ch == "_" or unicodedata.category(ch).startswith("M")


def tokenize_words(text: str, normalize: str | None = None) -> list[str]:
    """Split ``text`` into words and punctuation marks.

    A run of word characters (letters in any script, digits, ``_``, combining marks) is
    one token; every other non-space character is a token of its own; whitespace,
    newlines included, only separates tokens and is dropped. So paragraph structure is
    lost, and ``"don't"`` becomes ``["don", "'", "t"]``.

    Args:
        text: the text.
        normalize: a Unicode normal form (``"NFC"``, ``"NFD"``, ``"NFKC"``, ``"NFKD"``) applied
            first, or None. The same Hangul word can be stored as precomposed syllables
            (NFC, "할" is one code point) or as conjoining jamo (NFD, "할" is three, as in
            file names on macOS); both tokenize to one word each, but to *different*
            strings, so one word would get two ids. ``normalize="NFC"`` makes them equal.

    >>> tokenize_words("안녕하세요, 세계!")
    ['안녕하세요', ',', '세계', '!']
    """
    if normalize is not None:
        if normalize not in ("NFC", "NFD", "NFKC", "NFKD"):
            raise ValueError(f"normalize must be 'NFC', 'NFD', 'NFKC', 'NFKD' or None, got {normalize!r}. Try 'NFC'.")
        text = unicodedata.normalize(normalize, text)
    tokens: list[str] = []
    word: list[str] = []
    for ch in text:
        if _is_word_char(ch):
            word.append(ch)
            continue
        if word:
            tokens.append("".join(word))
            word = []
        if not ch.isspace():
            tokens.append(ch)
    if word:
        tokens.append("".join(word))
    return tokens


#: Punctuation written without a space before it, and opening marks without one after.
_NO_SPACE_BEFORE = set(".,!?;:)]}%…")
_NO_SPACE_AFTER = set("([{")


def detokenize(tokens: Sequence[str]) -> str:
    """Join word tokens into readable text: the inverse of ``tokenize_words`` up to spacing.

    Words are separated by one space; closing punctuation sticks to the word before it,
    opening brackets to the word after, and straight double quotes alternate between
    opening (stick to the next word) and closing (stick to the previous one).

    >>> detokenize(["할머니는", "말했다", ".", '"', "고마워", "!", '"'])
    '할머니는 말했다. "고마워!"'
    """
    out: list[str] = []
    glue_next = True  # no space before the first token
    quote_open = False
    for tok in tokens:
        if tok == '"':
            if quote_open:
                out.append(tok)
                glue_next = False
            else:
                out.append(tok if glue_next else " " + tok)
                glue_next = True
            quote_open = not quote_open
            continue
        glue = glue_next or tok in _NO_SPACE_BEFORE
        out.append(tok if glue else " " + tok)
        glue_next = tok in _NO_SPACE_AFTER
    return "".join(out)


def replace_rare(tokens: Sequence[str], min_count: int, unknown: str = "<unk>") -> list[str]:
    """``tokens`` with every token seen fewer than ``min_count`` times replaced by ``unknown``.

    A word seen once teaches a model almost nothing, yet costs a row of every input and
    output matrix. Pooling the rare words into one ``unknown`` symbol shrinks the vocabulary
    and gives the model a symbol to use for words it has never seen.

    Args:
        tokens: the training tokens.
        min_count: keep tokens that occur at least this often (1 keeps everything).
        unknown: the stand-in symbol; it must not itself occur in ``tokens``.
    """
    from collections import Counter

    if isinstance(tokens, str):
        raise ValueError("replace_rare expects a list of tokens, got one str. Split it first: tokenize_words(text).")
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise ValueError(f"min_count must be a whole number >= 1, got {min_count!r}. Try 2.")
    counts = Counter(tokens)
    if unknown in counts:
        raise ValueError(
            f"the unknown symbol {unknown!r} already occurs in the text {counts[unknown]} times; choose another, "
            "e.g. unknown='<unk>'."
        )
    return [t if counts[t] >= min_count else unknown for t in tokens]


class Vocabulary:
    """Sorted unique symbols and their ids.

    Attributes:
        symbols: list of V symbols; ``symbols[i]`` is the symbol with id ``i`` (itos).
        index: dict symbol -> id (stoi).
        kind: ``"char"`` (symbols are single characters, decoded by joining with ``""``)
            or ``"word"`` (tokens, decoded by joining with ``" "``).
    """

    def __init__(self, symbols: Iterable[str], kind: str = "char") -> None:
        if kind not in ("char", "word"):
            raise ValueError(f"kind must be 'char' or 'word', got {kind!r}.")
        unique = set(symbols)
        if not unique:
            raise ValueError(
                "A vocabulary needs at least one symbol, but the text (or token list) is empty. "
                "Build it from the text you will train on, e.g. Vocabulary.from_text(text)."
            )
        for s in unique:
            if not isinstance(s, str) or (kind == "char" and len(s) != 1) or (kind == "word" and not s):
                what = "single characters" if kind == "char" else "non-empty strings"
                raise ValueError(f"Symbols of a {kind} vocabulary must be {what}, got {s!r}.")
        self.kind = kind
        self.symbols: list[str] = sorted(unique)
        self.index: dict[str, int] = {s: i for i, s in enumerate(self.symbols)}

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        """Character vocabulary: every distinct character of ``text``."""
        if not isinstance(text, str):
            raise ValueError(
                f"Vocabulary.from_text expects a str, got {type(text).__name__}. "
                "For a list of words use Vocabulary.from_tokens(tokens)."
            )
        return cls(text, kind="char")

    @classmethod
    def from_tokens(cls, tokens: Iterable[str]) -> Vocabulary:
        """Word vocabulary: every distinct token, e.g. of ``tokenize_words(text)``."""
        if isinstance(tokens, str):
            raise ValueError(
                "Vocabulary.from_tokens expects a list of tokens, got one str. "
                "Split it first: Vocabulary.from_tokens(tokenize_words(text))."
            )
        return cls(tokens, kind="word")

    @property
    def size(self) -> int:
        """V, the number of symbols (the width of one-hot vectors and of the output layer)."""
        return len(self.symbols)

    def __len__(self) -> int:
        return len(self.symbols)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self.index

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return self.kind == other.kind and self.symbols == other.symbols

    __hash__ = None  # mutable-looking container with value equality

    def __repr__(self) -> str:
        shown = ", ".join(repr(s) for s in self.symbols[:10])
        more = ", ..." if self.size > 10 else ""
        return f"Vocabulary(kind={self.kind!r}, size={self.size}, symbols=[{shown}{more}])"

    def encode(self, seq: str | Sequence[str], *, unknown: str | None = None) -> np.ndarray:
        """Ids of the symbols of ``seq``: shape (N,), int64.

        ``seq`` is a str for a char vocabulary and a list of tokens for a word vocabulary.
        Raises :class:`UnknownSymbolError` if any symbol is not in the vocabulary, unless
        ``unknown`` names a symbol of the vocabulary (e.g. ``"<unk>"`` from ``replace_rare``):
        then every unknown symbol gets that symbol's id.
        """
        if self.kind == "word" and isinstance(seq, str):
            raise ValueError(
                "This is a word vocabulary: encode a list of tokens, e.g. vocab.encode(tokenize_words(text))."
            )
        if unknown is not None:
            if unknown not in self.index:
                raise ValueError(
                    f"unknown={unknown!r} is not in this vocabulary, so unknown symbols have no id to map to. "
                    "Build the vocabulary from tokens that contain it, e.g. from replace_rare(tokens, 2)."
                )
            fallback = self.index[unknown]
            return np.fromiter((self.index.get(s, fallback) for s in seq), dtype=np.int64, count=len(seq))
        index = self.index
        try:
            return np.fromiter((index[s] for s in seq), dtype=np.int64, count=len(seq))
        except KeyError:
            pass  # slow path below, only to write a helpful message
        unknown = [(i, s) for i, s in enumerate(seq) if s not in index]
        position, symbol = unknown[0]
        distinct = sorted({s for _, s in unknown})
        noun = "character" if self.kind == "char" else "word"
        listed = ", ".join(describe_symbol(s) for s in distinct[:5]) + (", ..." if len(distinct) > 5 else "")
        message = (
            f"Unknown {noun} {describe_symbol(symbol)} at position {position}: it is not one of the "
            f"{self.size} symbols of this vocabulary. {len(unknown)} of the {len(seq)} {noun}s "
            f"{'is' if len(unknown) == 1 else 'are'} unknown ({len(distinct)} distinct: {listed}). "
            f"Fix: build the vocabulary from a text "
            f"that contains {'it' if len(distinct) == 1 else 'them'}, or remove/replace "
            f"{'it' if len(distinct) == 1 else 'them'} before encoding."
        )
        raise UnknownSymbolError(message, symbol=symbol, position=position, count=len(unknown))

    def _check_ids(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        arr = np.asarray(ids)
        if arr.ndim != 1:
            raise ValueError(
                f"decode expects a 1-D sequence of ids, got shape {arr.shape}. "
                "Decode one row at a time, e.g. vocab.decode(ids[0])."
            )
        if arr.size == 0:
            return arr.astype(np.int64)
        if arr.dtype.kind not in "iu":
            raise ValueError(f"Ids must be integers, got an array of dtype {arr.dtype}.")
        bad = np.flatnonzero((arr < 0) | (arr >= self.size))
        if bad.size:
            raise ValueError(
                f"Id {int(arr[bad[0]])} at position {int(bad[0])} is out of range: this vocabulary has "
                f"{self.size} symbols, so ids run from 0 to {self.size - 1}. Were the ids made with "
                "a different vocabulary?"
            )
        return arr

    def decode_tokens(self, ids: Sequence[int] | np.ndarray) -> list[str]:
        """The symbols with these ids: (N,) ints -> list of N symbols."""
        return [self.symbols[i] for i in self._check_ids(ids).tolist()]

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """Text of these ids: (N,) ints -> str (chars joined by ``""``, words by ``" "``)."""
        return ("" if self.kind == "char" else " ").join(self.decode_tokens(ids))
