"""Scratch arrays kept from one call to the next.

A training step of the fused LSTM writes a few megabytes of intermediate arrays (the
gates of every step, the pre-activation gradients, ...). Allocating them afresh on every
call is slow in a surprising way: memory that large comes straight from the operating
system, which hands it over untouched, and the first write to each 4 KB page then costs a
page fault. Measured at B = 64, H = 100, T = 25 in float32, those faults took longer than
the arithmetic itself. Keeping the arrays and writing into them (``out=``) avoids that.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Workspace:
    """Named arrays, allocated on first request and handed out again while the shape fits.

    Anything computed into a workspace array lives only until the next request for the same
    name: a function that uses a workspace returns views into it, valid until it is called
    again with the same workspace. Give each purpose (training, evaluation) its own.

    >>> ws = Workspace()
    >>> a = ws.empty("gates", (25, 64, 400), np.float32)
    >>> ws.empty("gates", (25, 64, 400), np.float32) is a
    True
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def empty(self, name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """An array of this shape and dtype with unspecified contents (like ``np.empty``)."""
        dtype = np.dtype(dtype)
        array = self._arrays.get(name)
        if array is None or array.shape != tuple(shape) or array.dtype != dtype:
            array = self._arrays[name] = np.empty(shape, dtype=dtype)
        return array

    def zeros(self, name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """Like ``empty``, filled with zeros."""
        array = self.empty(name, shape, dtype)
        array.fill(0)
        return array

    @property
    def nbytes(self) -> int:
        """Bytes held, all arrays together."""
        return sum(a.nbytes for a in self._arrays.values())

    def __repr__(self) -> str:
        return f"Workspace({len(self._arrays)} arrays, {self.nbytes / 1e6:.1f} MB)"
