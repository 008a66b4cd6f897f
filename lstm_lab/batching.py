"""Batches for truncated backpropagation through time (TBPTT).

The encoded text, ids (N,), is cut into B contiguous streams (B, L), as if B readers each
started at a different place in the book. Windows of T steps are then taken left to right
over all streams at once:

    streams  (B, L):  row b = ids[b*L : (b+1)*L]
    window k inputs  (B, T) = streams[:, k*T     : (k+1)*T]
    window k targets (B, T) = streams[:, k*T + 1 : (k+1)*T + 1]   (the next symbol)

Window k+1 starts exactly where window k stopped, so the hidden state a model ends window
k with, row by row, is the right state to start window k+1 with: state is carried across
windows while gradients stop at window boundaries.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator

import numpy as np

from lstm_lab.checks import check_positive_int


def _as_ids(ids: np.ndarray, name: str = "ids") -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of symbol ids (N,), got shape {arr.shape}.")
    if arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer ids, got dtype {arr.dtype}. Use vocab.encode(text).")
    return arr


def train_val_split(ids: np.ndarray, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Split ids (N,) into training ids (N - M,) and validation ids (M,), M ~ val_fraction * N.

    The split is contiguous and validation is the END of the text: text is a sequence, and
    shuffling would leak the validation text's neighbours into training. Returns copies.
    """
    if (
        isinstance(val_fraction, bool)
        or not isinstance(val_fraction, numbers.Real)
        or not math.isfinite(val_fraction)
        or not 0.0 < val_fraction < 1.0
    ):
        raise ValueError(
            f"val_fraction must be a number strictly between 0 and 1, got {val_fraction!r}. Try 0.1 "
            "(the last 10% of the text for validation)."
        )
    arr = _as_ids(ids)
    n = arr.shape[0]
    n_val = round(n * val_fraction)
    n_train = n - n_val
    # A part needs 2 symbols for even one (input, target) pair.
    if n_val < 2 or n_train < 2:
        raise ValueError(
            f"Splitting {n} symbols with val_fraction={val_fraction} gives {n_train} training and "
            f"{n_val} validation symbols; each part needs at least 2. Use a longer text or a "
            "val_fraction nearer 0.5."
        )
    return arr[:n_train].copy(), arr[n_train:].copy()


def make_streams(ids: np.ndarray, batch_size: int) -> np.ndarray:
    """Cut ids (N,) into batch_size contiguous streams: shape (B, L), L = N // B.

    The last N - B*L ids (fewer than B) are dropped. Row b is ids[b*L : (b+1)*L].
    """
    B = check_positive_int("batch_size", batch_size)
    arr = _as_ids(ids)
    L = arr.shape[0] // B
    if L < 2:
        raise ValueError(
            f"The text has {arr.shape[0]} symbols, too few for {B} streams: each stream needs at least "
            f"2 symbols (one input and its target), so at least {2 * B} in total. Use a longer text "
            "or a smaller batch_size."
        )
    return arr[: B * L].reshape(B, L).copy()


def num_windows(stream_length: int, seq_length: int) -> int:
    """How many windows of seq_length steps fit in streams of stream_length: (L - 1) // T.

    One symbol is reserved at the end because the last input needs a target.
    """
    T = check_positive_int("seq_length", seq_length)
    if isinstance(stream_length, bool) or not isinstance(stream_length, numbers.Integral) or stream_length < 0:
        raise ValueError(f"stream_length must be a whole number >= 0, got {stream_length!r}.")
    return max(int(stream_length) - 1, 0) // T


def _too_short(n: int, B: int, T: int) -> ValueError:
    return ValueError(
        f"The text has {n} symbols, but one window of {B} streams x {T} steps needs "
        f"B*(T+1) = {B * (T + 1)} (each stream needs T inputs plus one more symbol as the last "
        "target). Use a longer text, a smaller batch_size or a smaller seq_length."
    )


def windows(streams: np.ndarray, seq_length: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Consecutive windows over streams (B, L): yields (inputs (B, T), targets (B, T)).

    targets[:, t] = the symbol after inputs[:, t]. Window k+1 continues exactly where
    window k ends, row by row. There are num_windows(L, T) windows; the last few symbols
    of each stream that do not fill a window are not used. The yielded arrays are
    read-only views of ``streams`` (no copying).
    """
    T = check_positive_int("seq_length", seq_length)
    streams = np.asarray(streams)
    if streams.ndim != 2:
        raise ValueError(
            f"streams must be a 2-D array (B, L), got shape {streams.shape}. Build it with "
            "make_streams(ids, batch_size)."
        )
    B, L = streams.shape
    K = num_windows(L, T)
    if K == 0:
        raise _too_short(B * L, B, T)

    # The loop is an inner generator so that bad arguments raise when windows() is called,
    # not at the first next().
    def consecutive() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for k in range(K):
            inputs = streams[:, k * T : (k + 1) * T]
            targets = streams[:, k * T + 1 : (k + 1) * T + 1]
            inputs.flags.writeable = False  # views: writing would silently change the data
            targets.flags.writeable = False
            yield inputs, targets

    return consecutive()


def batches(ids: np.ndarray, batch_size: int, seq_length: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of TBPTT windows over ids (N,): windows(make_streams(ids, B), T)."""
    B = check_positive_int("batch_size", batch_size)
    T = check_positive_int("seq_length", seq_length)
    arr = _as_ids(ids)
    if arr.shape[0] < B * (T + 1):
        raise _too_short(arr.shape[0], B, T)
    return windows(make_streams(arr, B), T)
