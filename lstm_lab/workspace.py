"""Scratch arrays kept from one call to the next.

A training step of the fused LSTM writes a few megabytes of intermediate arrays (the
gates of every step, the pre-activation gradients, ...). Allocating them afresh on every
call is slow in a surprising way: memory that large comes straight from the operating
system, which hands it over untouched, and the first write to each 4 KB page then costs a
page fault. Measured at B = 64, H = 100, T = 25 in float32, those faults took longer than
the arithmetic itself. Keeping the arrays and writing into them (``out=``) avoids that.

The other arrays of a step (the output layer's, the gradients) are allocated as usual;
``keep_freed_memory``, which ``lstm_lab.train.train`` calls once, asks the C library's
allocator, where it can, to keep memory it has freed and hand it out again instead of
returning it to the operating system.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

import numpy as np

_KEEPING_FREED_MEMORY: bool | None = None  # None: not asked yet


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to reuse freed memory for large arrays: fewer page faults, same results.

    By default glibc gives every allocation above 128 KB fresh pages from the operating system
    and returns them when the array is freed, so an array allocated in every training step
    costs a page fault per 4 KB, every step. Raising its mmap threshold to 32 MB (the largest
    it accepts) and its trim threshold to 64 MB makes it keep such memory and reuse it. The
    process then holds on to its peak memory instead of shrinking after each step. Measured on
    the LSTM at B = 64, H = 100, float32: about 15% more characters per second.

    It changes the whole process (which is why the functions of this package do not call it
    on their own, except ``train``), once; a no-op (returning False) where the C library has
    no ``mallopt`` (macOS, Windows, musl).
    """
    global _KEEPING_FREED_MEMORY
    if _KEEPING_FREED_MEMORY is None:
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # from glibc's <malloc.h>
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            # Trim first: if that fails, nothing has changed; mallopt returns 1 on success.
            _KEEPING_FREED_MEMORY = libc.mallopt(M_TRIM_THRESHOLD, 64 * 2**20) == 1 and (
                libc.mallopt(M_MMAP_THRESHOLD, 32 * 2**20) == 1
            )
        except (OSError, AttributeError):
            _KEEPING_FREED_MEMORY = False
    return _KEEPING_FREED_MEMORY


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
