"""Generating text from a trained model, one symbol at a time.

Works with any model that follows the protocol (``initial_state`` and ``step``) and any
vocabulary with ``encode(text) -> ids`` and ``decode(ids) -> text``.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from lstm_lab.checks import check_positive_int, check_seed
from lstm_lab.model import Model
from lstm_lab.vocab import UnknownSymbolError, describe_symbol


class _Vocabulary(Protocol):
    def encode(self, seq: Any) -> np.ndarray: ...

    def decode(self, ids: Any) -> str: ...


def _check_temperature(temperature: object) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real):
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}. Try 1.0.")
    t = float(temperature)
    if not math.isfinite(t) or t <= 0.0:
        raise ValueError(
            f"temperature must be > 0 and finite, got {temperature!r}. Values below 1 make the "
            "text safer, above 1 wilder; for the most likely symbol every time use greedy=True."
        )
    return t


def encode_prime(vocab: _Vocabulary, prime: str | Sequence[str], name: str = "prime") -> np.ndarray:
    """The ids of ``prime``, or an error that says which symbols the model cannot read.

    ``name`` is what the error calls the text (``"prime"``, ``"warm_up"``).

    A model only knows the symbols of the text it was trained on: its input and output
    layers have one row and one column per symbol, so a new one cannot simply be added.
    """
    if not isinstance(prime, (str, list, tuple)) or len(prime) == 0:
        raise ValueError(
            f"{name} must be a non-empty string (or list of tokens), got {prime!r}: the model needs at "
            "least one symbol to start from. Try the first character of your text, e.g. prime='G'."
        )
    try:
        return np.asarray(vocab.encode(prime), dtype=np.int64)
    except UnknownSymbolError as err:
        others = f" (and {err.count - 1} more unknown)" if err.count > 1 else ""
        raise UnknownSymbolError(
            f"The {name} {prime!r} cannot be fed to the model: {describe_symbol(err.symbol)} at position "
            f"{err.position}{others} is not in its vocabulary. The model only knows the symbols of the "
            "text it was trained on; start from a prime made of those, e.g. a few words of that text.",
            err.symbol, err.position, err.count,
        ) from None


def temperature_softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities softmax(logits / temperature) over the last axis, shape unchanged.

    Args:
        logits: (V,) or (B, V) scores.
        temperature: > 0; below 1 sharpens the distribution, above 1 flattens it.
    """
    t = _check_temperature(temperature)
    # Shift first so every exponent is <= 0; a tiny temperature then sends the others
    # to -inf (exp -> 0) instead of overflowing to inf - inf = nan.
    shifted = np.asarray(logits, dtype=np.float64)
    shifted = shifted - shifted.max(axis=-1, keepdims=True)
    with np.errstate(over="ignore"):
        weights = np.exp(shifted / t)
    return weights / weights.sum(axis=-1, keepdims=True)


def sample_index(
    logits: np.ndarray,
    *,
    temperature: float = 1.0,
    rng: np.random.Generator | int | None = None,
    greedy: bool = False,
) -> Any:
    """Draw a symbol id from softmax(logits / temperature).

    Args:
        logits: (V,) scores for one position, or (B, V) for a batch.
        temperature: > 0. Dividing the logits by it sharpens (< 1) or flattens (> 1)
            the distribution; as it goes to 0 the draw becomes the argmax.
        rng: a ``np.random.Generator`` (or an int seed). Needed unless ``greedy``.
        greedy: take the argmax instead of drawing (the temperature -> 0 limit).

    Returns:
        an int for (V,) logits, an int64 array (B,) for (B, V) logits.
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim not in (1, 2) or z.shape[-1] == 0:
        raise ValueError(f"logits must have shape (V,) or (B, V), got {z.shape}.")
    if not np.all(np.isfinite(z)):
        raise ValueError(
            "logits contain nan or inf, so there is no distribution to sample from. The model has "
            "probably diverged during training: try a smaller learning rate or gradient clipping."
        )
    if greedy:
        ids = np.argmax(z, axis=-1)
    else:
        t = _check_temperature(temperature)
        if rng is None:
            raise ValueError("sample_index needs a random generator: pass rng=np.random.default_rng(seed).")
        if not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng(rng)
        weights = temperature_softmax(z, t)
        cdf = np.cumsum(weights, axis=-1)
        u = rng.random(z.shape[:-1] + (1,)) * cdf[..., -1:]
        # The id is the first position whose cumulative weight exceeds u; since u < total,
        # one always does, and a zero-weight symbol can never be chosen.
        ids = np.sum(cdf <= u, axis=-1)
    if z.ndim == 1:
        return int(ids)
    return ids.astype(np.int64)


#: How many symbols ``sample`` lets the model write (and throws away) before the prime.
WARM_UP = 300


def warm_state(
    model: Model, vocab: _Vocabulary, warm_up: int | str | Sequence[str], rng: np.random.Generator
) -> Any:
    """A state like the ones training sees: reached after reading text, not the zero state.

    Training starts each of its B streams from the zero state once per pass over the text
    and then carries the state on, so almost every prediction it learns from is made from
    a state that has read a long stretch before it. A sample started from the zero state
    asks the model for something it has hardly ever practised (Lesson 4 measures it).

    Args:
        model: any model following the protocol.
        vocab: encodes a passage given as ``warm_up``.
        warm_up: a passage of real text (str, or a list of tokens) to read first; or a
            number of symbols the model writes itself from the zero state, drawn at
            temperature 1 (its own distribution, the nearest thing to its training text
            when no text is at hand); 0 keeps the zero state.
        rng: draws the self-written symbols.

    Returns:
        the state after the warm-up, for a batch of 1.
    """
    state = model.initial_state(1)
    if isinstance(warm_up, (str, list, tuple)):
        for i in encode_prime(vocab, warm_up, "warm_up") if len(warm_up) else ():
            _, state = model.step(np.array([i]), state)
        return state
    if isinstance(warm_up, bool) or not isinstance(warm_up, numbers.Integral) or warm_up < 0:
        raise ValueError(
            f"warm_up must be a passage of text, or a whole number >= 0 of symbols the model writes "
            f"first, got {warm_up!r}. Try warm_up={WARM_UP} (the default), a few hundred characters of "
            "the training text, or warm_up=0 to start from the zero state."
        )
    if warm_up == 0:
        return state
    # Any symbol starts the chain; the draws after a few dozen steps no longer depend on it.
    logits, state = model.step(np.zeros(1, dtype=np.int64), state)
    for _ in range(int(warm_up) - 1):
        i = sample_index(logits[0], temperature=1.0, rng=rng)
        logits, state = model.step(np.array([i]), state)
    return state


def next_distribution(
    model: Model,
    vocab: _Vocabulary,
    prime: str | Sequence[str],
    *,
    temperature: float = 1.0,
    warm_up: int | str | Sequence[str] = WARM_UP,
    seed: int = 0,
) -> np.ndarray:
    """The model's probabilities (V,) for the symbol after ``prime``, from a warmed state.

    The distribution ``sample`` draws its first symbol from, given the same ``warm_up``
    and ``seed``: the state is warmed (``warm_state``), the prime is read, and the last
    logits go through ``temperature_softmax``.
    """
    prime_ids = encode_prime(vocab, prime)
    t = _check_temperature(temperature)
    state = warm_state(model, vocab, warm_up, np.random.default_rng(check_seed(seed)))
    for i in prime_ids:
        logits, state = model.step(np.array([i]), state)
    return temperature_softmax(logits[0], t)


def sample(
    model: Model,
    vocab: _Vocabulary,
    prime: str | Sequence[str],
    length: int,
    *,
    temperature: float = 1.0,
    seed: int = 0,
    rng: np.random.Generator | None = None,
    greedy: bool = False,
    warm_up: int | str | Sequence[str] = WARM_UP,
) -> str:
    """Continue ``prime`` with ``length`` generated symbols.

    First the state is warmed (see ``warm_state``): by default the model writes
    ``WARM_UP`` = 300 symbols of its own, which are thrown away, so that the prime is
    read from the kind of state training saw rather than from the zero state, which it
    almost never saw. Then the prime is fed through ``model.step`` one symbol at a
    time, and each new symbol is drawn from the model's prediction and fed back in.

    Args:
        model: any model following the protocol (RNN, LSTM).
        vocab: encodes the prime and decodes the result; a character of the prime that
            is not in it raises ``UnknownSymbolError`` naming it.
        prime: at least one symbol to start from: a str for a character vocabulary, a
            list of tokens for a word vocabulary (e.g. ``tokenize_words("He woke")``).
        length: how many new symbols to generate.
        temperature: see ``sample_index``.
        seed: seeds the generator when ``rng`` is not given; same seed, same text.
        rng: a generator to use instead of ``seed``.
        greedy: always take the most likely symbol (the warm-up still draws its own
            symbols, so the seed matters).
        warm_up: symbols the model writes before the prime (default 300); or a passage
            of real text to read before the prime; ``warm_up=0`` starts the prime from
            the zero state, as in earlier versions of this function.

    Returns:
        Only the generated continuation (``length`` symbols), without the prime.
    """
    prime_ids = encode_prime(vocab, prime)
    length = check_positive_int("length", length, "200")
    if not greedy:
        _check_temperature(temperature)
    if rng is None:
        rng = np.random.default_rng(check_seed(seed))

    state = warm_state(model, vocab, warm_up, rng)
    logits = None
    for i in prime_ids:
        logits, state = model.step(np.array([i]), state)
    out = np.empty(length, dtype=np.int64)
    for k in range(length):
        out[k] = sample_index(logits[0], temperature=temperature, rng=rng, greedy=greedy)
        if k + 1 < length:  # the last symbol needs no prediction after it
            logits, state = model.step(out[k : k + 1], state)
    return vocab.decode(out)


class SampleEvery:
    """A training callback that prints a sample every ``every`` steps.

    Pass it to ``train(..., callbacks=[SampleEvery(model, vocab, 1000)])`` to watch the
    text improve while the model learns. The step is checked against the history's
    latest entry, so ``every`` should be a multiple of the training loop's ``log_every``.

    Args:
        model, vocab: what to sample from, and how to decode it.
        every: print after every this many optimiser steps.
        prime: the text to start from; it is printed in front of the continuation.
        length: characters to generate.
        temperature, seed: as for ``sample``; the same seed at every print, so the
            samples differ only because the model changed.
    """

    def __init__(
        self, model: Model, vocab: _Vocabulary, every: int, *, prime: str = "Gregor", length: int = 120,
        temperature: float = 0.8, seed: int = 0,
    ) -> None:
        self.model, self.vocab, self.prime = model, vocab, prime
        self.every = check_positive_int("every", every)
        self.length = check_positive_int("length", length)
        self.temperature = _check_temperature(temperature)
        self.seed = check_seed(seed)
        encode_prime(vocab, prime)  # an unknown character fails now, not in the middle of training

    def __call__(self, history: Any) -> None:
        step = history.steps[-1]
        if step % self.every == 0:
            text = sample(self.model, self.vocab, self.prime, self.length,
                          temperature=self.temperature, seed=self.seed)
            print(f"--- step {step:,} (temperature {self.temperature:g}) ---\n{self.prime}{text}")


def words_of(text: str) -> list[str]:
    """The words of ``text``: its runs of letters, lower-cased ("Gregor's" -> gregor, s)."""
    return re.findall(r"[^\W\d_]+", text.lower())


def known_word_fraction(generated: str, book: str) -> float:
    """The fraction of the words of ``generated`` that are also words of ``book``.

    A crude but honest measure of a sample: made-up words ("fatter", yes; "roomsing",
    no) lower it. It counts words, not whether they make sense together.
    """
    words = words_of(generated)
    if not words:
        raise ValueError("the generated text has no words (no letters) to look up; generate a longer sample.")
    known = set(words_of(book))
    return sum(w in known for w in words) / len(words)
