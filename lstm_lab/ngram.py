"""Count-based n-gram models: the baselines a character model has to beat.

An n-gram model predicts the next symbol from the n - 1 symbols before it, by counting
in the training text how often each symbol followed that context. With add-alpha
smoothing every symbol gets alpha extra pseudo-counts, so nothing has probability 0:

    p(c | context) = (count(context, c) + alpha) / (count(context) + alpha V)

A context never seen in training gives the uniform 1 / V. n = 1 is the unigram model
(character frequencies, no context).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from lstm_lab.checks import check_positive_int

#: add-alpha values tried by ``best_alpha``: from almost none to one pseudo-count each.
ALPHAS: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def _check_ids(name: str, ids: object, vocab_size: int, n: int) -> np.ndarray:
    arr = np.asarray(ids)
    if isinstance(ids, str) or arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"{name} must be a 1-D array of integer ids, got {type(ids).__name__} with shape {arr.shape} "
            f"and dtype {arr.dtype}. Encode text first: {name}=vocab.encode(text)."
        )
    if arr.size < n:
        raise ValueError(
            f"{name} has {arr.size} ids, fewer than n = {n}: an {n}-gram needs {n - 1} symbols of context "
            "and one to predict. Use a longer text or a smaller n."
        )
    if arr.min() < 0 or arr.max() >= vocab_size:
        bad = int(arr[(arr < 0) | (arr >= vocab_size)][0])
        raise ValueError(f"{name} contains the id {bad}, outside 0..{vocab_size - 1} for vocab_size = {vocab_size}. "
                         "Encode both texts with the same vocabulary.")
    return arr.astype(np.int64)


def _check_alpha(alpha: object) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not math.isfinite(alpha) or alpha <= 0:
        raise ValueError(
            f"alpha must be a finite number > 0 (the pseudo-count every symbol gets), got {alpha!r}: with 0 an "
            "unseen pair has probability 0 and the loss is infinite. Try alpha=0.1, or best_alpha(...)."
        )
    return float(alpha)


def _keys(ids: np.ndarray, n: int, vocab_size: int) -> np.ndarray:
    """(N - n + 1,) one integer per window ids[t : t + n], in base vocab_size."""
    keys = np.zeros(ids.size - n + 1, dtype=np.int64)
    for j in range(n):
        keys = keys * vocab_size + ids[j : ids.size - n + 1 + j]
    return keys


def _count(keys: np.ndarray, table: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """How often each key occurs in a sorted (unique keys, counts) table; 0 when absent."""
    unique, counts = table
    pos = np.minimum(np.searchsorted(unique, keys), unique.size - 1)
    return np.where(unique[pos] == keys, counts[pos], 0)


@dataclass(frozen=True)
class NGram:
    """Counts of every n-gram of a training text, and the smoothed probabilities from them.

    Build it with ``NGram.fit(train_ids, n, vocab_size)``. ``alpha`` is applied when
    probabilities are asked for, so one fit serves every smoothing value.
    """

    n: int
    vocab_size: int
    grams: tuple[np.ndarray, np.ndarray]  # sorted keys of (context, next) and their counts
    contexts: tuple[np.ndarray, np.ndarray]  # sorted keys of the contexts and their counts

    @classmethod
    def fit(cls, train_ids: Sequence[int] | np.ndarray, n: int, vocab_size: int) -> NGram:
        """Count the n-grams of ``train_ids`` (N,), ids in 0..vocab_size - 1."""
        n = check_positive_int("n", n)
        vocab_size = check_positive_int("vocab_size", vocab_size)
        if vocab_size ** n >= 2**62:
            raise ValueError(f"n = {n} with vocab_size = {vocab_size} has too many possible n-grams to index "
                             f"({vocab_size}^{n}). Use a smaller n.")
        ids = _check_ids("train_ids", train_ids, vocab_size, n)
        grams = _keys(ids, n, vocab_size)
        # A context is counted only where a next symbol follows it, so count(context) is the
        # sum of count(context, c) over c and the probabilities sum to 1.
        contexts = grams // vocab_size
        return cls(n, vocab_size, np.unique(grams, return_counts=True), np.unique(contexts, return_counts=True))

    def log_prob(self, ids: Sequence[int] | np.ndarray, alpha: float = 0.1) -> np.ndarray:
        """ln p(ids[t] | ids[t - n + 1 : t]) for t = n - 1 .. N - 1: shape (N - n + 1,).

        The first n - 1 symbols have no full context and are not predicted.
        """
        alpha = _check_alpha(alpha)
        keys = _keys(_check_ids("ids", ids, self.vocab_size, self.n), self.n, self.vocab_size)
        pair = _count(keys, self.grams)
        context = _count(keys // self.vocab_size, self.contexts)
        return np.log(pair + alpha) - np.log(context + alpha * self.vocab_size)

    def loss(self, ids: Sequence[int] | np.ndarray, alpha: float = 0.1) -> float:
        """Mean negative log-likelihood of ``ids`` (N,) in nats per predicted symbol."""
        return float(-self.log_prob(ids, alpha).mean())

    def next_distribution(self, context: Sequence[int] | np.ndarray, alpha: float = 0.1) -> np.ndarray:
        """p(c | the last n - 1 ids of ``context``) for every c: shape (vocab_size,)."""
        alpha = _check_alpha(alpha)
        ctx = np.zeros(0, dtype=np.int64)
        if self.n > 1:
            ctx = _check_ids("context", context, self.vocab_size, self.n - 1)[-(self.n - 1):]
        key = 0
        for i in ctx:
            key = key * self.vocab_size + int(i)
        keys = key * self.vocab_size + np.arange(self.vocab_size, dtype=np.int64)
        counts = _count(keys, self.grams)
        return (counts + alpha) / (counts.sum() + alpha * self.vocab_size)


def best_alpha(model: NGram, val_ids: Sequence[int] | np.ndarray,
               alphas: Iterable[float] = ALPHAS) -> tuple[float, float]:
    """(alpha, loss): the smoothing in ``alphas`` with the lowest loss on ``val_ids``."""
    losses = [(model.loss(val_ids, a), a) for a in alphas]
    if not losses:
        raise ValueError("alphas is empty: give at least one smoothing value to try, e.g. alphas=(0.01, 0.1, 1.0).")
    loss, alpha = min(losses)
    return alpha, loss


def ngram_baselines(train_ids: Sequence[int] | np.ndarray, val_ids: Sequence[int] | np.ndarray, vocab_size: int,
                    orders: Iterable[int] = range(1, 6),
                    alphas: Iterable[float] = ALPHAS) -> list[tuple[int, float, float]]:
    """For each n in ``orders``: (n, alpha, validation loss in nats/symbol), alpha chosen on val_ids.

    Counts come from ``train_ids`` (N,) only; ``val_ids`` (M,) chooses alpha and is scored,
    from its n-th symbol on. The same validation text picks the one smoothing number and
    reports the loss, which flatters the baseline a little: a fair handicap for the
    models it is compared with.
    """
    alphas = tuple(alphas)
    rows = []
    for n in orders:
        alpha, loss = best_alpha(NGram.fit(train_ids, n, vocab_size), val_ids, alphas)
        rows.append((int(n), alpha, loss))
    return rows
