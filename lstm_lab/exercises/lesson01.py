"""Checkers for Lesson 1: cutting the text into batch streams, and the streams into windows."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from lstm_lab.batching import make_streams, windows
from lstm_lab.checking import CheckResult, Mistake, check_function, register_solution


def _streams_case(rng: np.random.Generator) -> tuple:
    """(ids (N,), batch_size): N in 40..119 ids below 60, batch_size in 2..6."""
    return rng.integers(0, 60, size=int(rng.integers(40, 120))), int(rng.integers(2, 7))


# Classic wrong answers, each with make_streams' signature.
def _interleaved(ids: np.ndarray, batch_size: int) -> np.ndarray:
    L = len(ids) // batch_size
    return ids[: batch_size * L].reshape(L, batch_size).T


def _dropped_from_the_start(ids: np.ndarray, batch_size: int) -> np.ndarray:
    L = len(ids) // batch_size
    return ids[len(ids) - batch_size * L :].reshape(batch_size, L)


def check_make_streams(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(ids (N,), batch_size) -> streams (B, L)``, L = N // B, row b the b-th piece of ids."""
    return check_function(
        "make_streams",
        fn,
        make_streams,
        _streams_case,
        output_names=["streams"],
        mistakes=[
            Mistake(
                "row b holds every B-th symbol (b, b+B, b+2B, ...): the text is dealt out like cards, so "
                "neighbouring symbols land in different rows and no row reads as a piece of the book.",
                _interleaved,
            ),
            Mistake(
                "the symbols that do not fit were dropped from the start of the text; the streams should "
                "begin with the book's first symbol and lose only its last few.",
                _dropped_from_the_start,
            ),
        ],
        pointer="picture the book as B equal pieces laid one under the other: how long is each piece, "
        "where does piece b start, and in which order does numpy fill a reshaped array?",
    )


def _windows_cases() -> Callable[[np.random.Generator], tuple]:
    """Cases (streams (B, L), seq_length T), B in 1..4, T in 2..5, where L % T is 0, 1, T - 1, 0, ... in turn.

    When T divides L, the window after the last full one has T inputs but only T - 1 targets; when
    it does not, there may be room for one more: together the cases tell the right number of
    windows, (L - 1) // T, from one too many or one too few.
    """
    turn = itertools.count()

    def case(rng: np.random.Generator) -> tuple:
        B, T = int(rng.integers(1, 5)), int(rng.integers(2, 6))
        remainder = (0, 1, T - 1)[next(turn) % 3]
        return rng.integers(0, 60, size=(B, T * int(rng.integers(3, 7)) + remainder)), T

    return case


def _collected(out: Any) -> Any:
    """All the windows a function yields, as (number of windows, inputs (K, B, T), targets (K, B, T)).

    Windows of unequal shapes are padded with -1 to the largest, so a short last window still
    compares (and differs) instead of failing to stack.
    """
    if out is None:
        return None
    pairs = list(out)
    for k, pair in enumerate(pairs):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise TypeError(f"window {k} is a {type(pair).__name__}, not a pair (inputs, targets)")
    inputs = [np.asarray(pair[0]) for pair in pairs]
    targets = [np.asarray(pair[1]) for pair in pairs]
    return len(pairs), _stacked(inputs), _stacked(targets)


def _stacked(arrays: list[np.ndarray]) -> np.ndarray:
    if not arrays:
        return np.zeros((0,), dtype=np.int64)
    shapes = {a.shape for a in arrays}
    if len(shapes) == 1:
        return np.stack(arrays)
    if len({len(shape) for shape in shapes}) > 1:
        raise ValueError(f"the windows' arrays have different numbers of dimensions: shapes {sorted(shapes)}")
    padded = np.full((len(arrays), *np.max(sorted(shapes), axis=0)), -1, dtype=np.int64)
    for k, a in enumerate(arrays):
        padded[(k, *map(slice, a.shape))] = a
    return padded


def _as_list(fn: Callable[..., Iterable]) -> Callable[..., Any]:
    """``fn`` with its windows collected, so an error while iterating is reported as fn's own."""
    return lambda streams, seq_length: _collected(fn(streams, seq_length))


def _windows_by(start: Callable[[int, int], int], count: Callable[[int, int], int], shift: int = 1):
    """A wrong windows(): window k starts at start(k, T), count(L, T) windows, targets ``shift`` later."""

    def wrong(streams: np.ndarray, T: int) -> list[tuple[np.ndarray, np.ndarray]]:
        L = streams.shape[1]
        return [
            (streams[:, start(k, T) : start(k, T) + T], streams[:, start(k, T) + shift : start(k, T) + T + shift])
            for k in range(count(L, T))
        ]

    return wrong


_targets_are_inputs = _windows_by(lambda k, T: k * T, lambda L, T: (L - 1) // T, shift=0)
_one_window_too_many = _windows_by(lambda k, T: k * T, lambda L, T: L // T)
_one_window_too_few = _windows_by(lambda k, T: k * T, lambda L, T: L // T - 1)
_overlapping = _windows_by(lambda k, T: k, lambda L, T: (L - 1) // T)
_sliding = _windows_by(lambda k, T: k, lambda L, T: L - T)


def _time_first(streams: np.ndarray, T: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(inputs.T, targets.T) for inputs, targets in windows(streams, T)]


def check_windows(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(streams (B, L), seq_length T)``, which yields (inputs (B, T), targets (B, T)) per window.

    All the windows are collected (a generator, a list or any iterable will do) and compared:
    how many there are, then every window's inputs, then every window's targets.
    """
    return check_function(
        "windows",
        _as_list(fn),
        _as_list(windows),
        _windows_cases(),
        output_names=[
            "the number of windows",
            "inputs (all windows stacked: K, B, T)",
            "targets (all windows stacked: K, B, T)",
        ],
        mistakes=[
            Mistake(
                "the targets are the inputs themselves: the model would be asked to copy the symbol it is "
                "reading, not to predict the one after it.",
                _as_list(_targets_are_inputs),
            ),
            Mistake(
                "one window too many: the last window's targets run past the end of the streams (when T "
                "divides L, the last input has no symbol after it in its row).",
                _as_list(_one_window_too_many),
            ),
            Mistake(
                "one window too few: the last full window, whose last input still has a target in its row, "
                "is left out.",
                _as_list(_one_window_too_few),
            ),
            Mistake(
                "the windows overlap: window k starts k steps in, not where window k - 1 stopped, so the "
                "state carried from one window to the next would not match the text.",
                _as_list(_overlapping),
            ),
            Mistake(
                "the windows slide one step at a time (L - T of them, overlapping): window k + 1 must start "
                "where window k stopped.",
                _as_list(_sliding),
            ),
            Mistake(
                "each window is (T, B), time first: the batch's B rows should stay rows, so a window is (B, T).",
                _as_list(_time_first),
            ),
        ],
        pointer="write out, for T = 3, the positions of window 0's and window 1's inputs and targets in a row "
        "of the streams: where does each window start, and how many full windows still have a target "
        "for their last input?",
    )


register_solution("make_streams", make_streams)
register_solution("windows", windows)
