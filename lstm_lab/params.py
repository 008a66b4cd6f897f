"""Named parameters that carry their gradient and their optimiser's memory."""

from __future__ import annotations

import numpy as np


class Param:
    """One weight array, its gradient, and per-parameter optimiser state.

    Attributes:
        name: the name used in the equations, e.g. ``"W_f"``.
        value: the array itself, any shape.
        grad: same shape as ``value``; backward passes write here.
        state: the optimiser's memory for this array (e.g. Adagrad's running
            sum of squared gradients under ``"sum_sq"``), filled lazily.
    """

    def __init__(self, name: str, value: np.ndarray) -> None:
        self.name = name
        self.value = value
        self.grad = np.zeros_like(value)
        self.state: dict[str, np.ndarray] = {}

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    def zero_grad(self) -> None:
        self.grad[...] = 0.0

    def __repr__(self) -> str:
        return f"Param({self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"
