"""Generating text from a trained model, one symbol at a time.

Works with any model that follows the protocol (``initial_state`` and ``step``) and any
vocabulary with ``encode(text) -> ids`` and ``decode(ids) -> text``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from lstm_lab.checks import check_positive_int
from lstm_lab.vocab import UnknownSymbolError, describe_symbol


def _positive_int(name: str, value: object, typical: str) -> int:
    """check_positive_int, suggesting a value that suits this setting."""
    try:
        return check_positive_int(name, value)
    except ValueError as err:
        raise ValueError(f"{str(err).split(' Try ')[0]} Try {typical}.") from None


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


def encode_prime(vocab: _Vocabulary, prime: str | Sequence[str]) -> np.ndarray:
    """The ids of ``prime``, or an error that says which symbols the model cannot read.

    A model only knows the symbols of the text it was trained on: its input and output
    layers have one row and one column per symbol, so a new one cannot simply be added.
    """
    if not isinstance(prime, (str, list, tuple)) or len(prime) == 0:
        raise ValueError(
            f"prime must be a non-empty string (or list of tokens), got {prime!r}: the model needs at "
            "least one symbol to start from. Try the first character of your text, e.g. prime='G'."
        )
    try:
        return np.asarray(vocab.encode(prime), dtype=np.int64)
    except UnknownSymbolError as err:
        others = f" (and {err.count - 1} more unknown)" if err.count > 1 else ""
        raise UnknownSymbolError(
            f"The prime {prime!r} cannot be fed to the model: {describe_symbol(err.symbol)} at position "
            f"{err.position}{others} is not in its vocabulary. The model only knows the symbols of the "
            "text it was trained on; start from a prime made of those, e.g. a few words of that text.",
            err.symbol, err.position, err.count,
        ) from None


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0 (it picks the random draws), got {seed!r}. Try seed=0.")
    return int(seed)


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


def sample(
    model: Any,
    vocab: _Vocabulary,
    prime: str | Sequence[str],
    length: int,
    *,
    temperature: float = 1.0,
    seed: int = 0,
    rng: np.random.Generator | None = None,
    greedy: bool = False,
) -> str:
    """Continue ``prime`` with ``length`` generated symbols.

    The prime is fed through ``model.step`` one symbol at a time, from
    ``model.initial_state(1)``, to warm up the hidden state; then each new symbol is drawn
    from the model's prediction and fed back in.

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
        greedy: always take the most likely symbol.

    Returns:
        Only the generated continuation (``length`` symbols), without the prime.
    """
    prime_ids = encode_prime(vocab, prime)
    length = _positive_int("length", length, "200")
    if not greedy:
        _check_temperature(temperature)
    if rng is None:
        rng = np.random.default_rng(_check_seed(seed))

    state = model.initial_state(1)
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
        self, model: Any, vocab: _Vocabulary, every: int, *, prime: str = "Gregor", length: int = 120,
        temperature: float = 0.8, seed: int = 0,
    ) -> None:
        from lstm_lab.checks import check_positive_int

        self.model, self.vocab, self.prime = model, vocab, prime
        self.every = check_positive_int("every", every)
        self.length = check_positive_int("length", length)
        self.temperature = _check_temperature(temperature)
        self.seed = _check_seed(seed)
        encode_prime(vocab, prime)  # an unknown character fails now, not in the middle of training

    def __call__(self, history: Any) -> None:
        step = history.steps[-1]
        if step % self.every == 0:
            text = sample(self.model, self.vocab, self.prime, self.length,
                          temperature=self.temperature, seed=self.seed)
            print(f"--- step {step:,} ---\n{self.prime}{text}")
