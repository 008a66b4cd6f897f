"""Optimisers and gradient clipping.

An optimiser is a small object with ``step(params)``: it reads each ``Param.grad`` and
updates ``Param.value`` in place (same array, same dtype), keeping its memory in
``Param.state`` under these keys:

- Adagrad: ``"sum_sq"``, the running sum of squared gradients.
- Adam: ``"m"`` and ``"v"``, running averages of g and g^2, and ``"t"``, the number of
  steps taken (for the bias correction).

A step is all or nothing: every new value and memory is computed first, into new arrays,
and only then written into the parameters (``_commit``). So an exception part-way through
(a bad gradient, Ctrl-C, a timer's handler) leaves every parameter and its memory at the
same step, never some one step ahead of the others.
"""

from __future__ import annotations

import math
import numbers
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from lstm_lab.checks import check_positive_float
from lstm_lab.params import Param


def _check_lr(lr: object, typical: str) -> float:
    # Named after what it is, since "lr" alone may puzzle a newcomer.
    return check_positive_float("learning_rate", lr, f"lr={typical}")


def _check_beta(name: str, value: object, typical: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= float(value) < 1.0:
        raise ValueError(
            f"{name} must be a number in [0, 1) (it is how much of the running average is kept "
            f"each step), got {value!r}. Try {typical}."
        )
    return float(value)


#: Signals whose Python handlers might raise (Ctrl-C, termination, timers, user signals).
_HELD_SIGNALS = {getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGALRM", "SIGVTALRM", "SIGPROF",
                                                    "SIGUSR1", "SIGUSR2") if hasattr(signal, name)}


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold off this thread's signals (Ctrl-C, timers) for a moment: their handlers run just after the block."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield  # Windows, or a worker thread (Python runs handlers on the main thread only)
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _commit(updates: Sequence[tuple[Param, np.ndarray, dict]]) -> None:
    """Write computed (param, new value, new memory) updates, all of them, with signals held."""
    with _signals_held():
        for p, value, memory in updates:
            p.value[...] = value  # in place: the model keeps the same array
            p.state.update(memory)


class SGD:
    """Plain gradient descent: value -= lr * grad."""

    def __init__(self, lr: float) -> None:
        self.lr = _check_lr(lr, "0.1")

    def step(self, params: Sequence[Param]) -> None:
        _commit([(p, p.value - self.lr * p.grad, {}) for p in params])  # all computed, then all written

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr})"


class Adagrad:
    """min-char-rnn's optimiser: each entry gets its own step size, shrinking as it learns.

        sum_sq += g * g
        value -= lr * g / sqrt(sum_sq + eps)

    Entries with large past gradients move less; rare ones (a seldom-seen character's
    row of W_xh) keep a large step.
    """

    def __init__(self, lr: float = 0.1, eps: float = 1e-8) -> None:
        self.lr = _check_lr(lr, "0.1")
        self.eps = check_positive_float("eps", eps, "1e-8")

    def step(self, params: Sequence[Param]) -> None:
        updates = []  # every parameter's update first; _commit then writes them all
        for p in params:
            sum_sq = p.state.get("sum_sq", 0.0) + p.grad * p.grad
            value = p.value - self.lr * p.grad / np.sqrt(sum_sq + self.eps)
            updates.append((p, value, {"sum_sq": sum_sq}))
        _commit(updates)

    def __repr__(self) -> str:
        return f"Adagrad(lr={self.lr}, eps={self.eps})"


class Adam:
    """Adam (Kingma & Ba, 2015) with bias correction.

        m = beta1 m + (1 - beta1) g          v = beta2 v + (1 - beta2) g^2
        m_hat = m / (1 - beta1^t)            v_hat = v / (1 - beta2^t)
        value -= lr * m_hat / (sqrt(v_hat) + eps)

    m and v start at zero, so early on they underestimate; dividing by 1 - beta^t undoes
    that. On the first step m_hat = g and v_hat = g^2, so every entry moves by about
    lr * sign(g).
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.lr = _check_lr(lr, "1e-3")
        self.beta1 = _check_beta("beta1", beta1, "0.9")
        self.beta2 = _check_beta("beta2", beta2, "0.999")
        self.eps = check_positive_float("eps", eps, "1e-8")

    def step(self, params: Sequence[Param]) -> None:
        updates = []  # every parameter's update first; _commit then writes them all
        for p in params:
            t = p.state.get("t", 0) + 1
            m = self.beta1 * p.state.get("m", 0.0) + (1.0 - self.beta1) * p.grad
            v = self.beta2 * p.state.get("v", 0.0) + (1.0 - self.beta2) * p.grad * p.grad
            m_hat = m / (1.0 - self.beta1**t)
            v_hat = v / (1.0 - self.beta2**t)
            value = p.value - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
            updates.append((p, value, {"m": m, "v": v, "t": t}))
        _commit(updates)

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps})"


def clip_by_value(params: Sequence[Param], limit: float = 5.0) -> None:
    """Clip every gradient entry into [-limit, limit], in place (min-char-rnn uses 5).

    Guards against exploding gradients: one huge step can undo hours of training.
    """
    limit = check_positive_float("limit", limit, "5.0")
    for p in params:
        np.clip(p.grad, -limit, limit, out=p.grad)


def global_norm(params: Sequence[Param]) -> float:
    """sqrt of the sum of squares of every gradient entry of every parameter."""
    return math.sqrt(sum(float(np.sum(np.square(p.grad, dtype=np.float64))) for p in params))


def clip_by_global_norm(params: Sequence[Param], max_norm: float) -> float:
    """Rescale all gradients together so their global norm is at most ``max_norm``.

    Unlike clipping by value this keeps the gradient's direction. Returns the global norm
    BEFORE clipping (worth logging: spikes show exploding gradients). A non-finite norm
    means training has diverged; the gradients are then left untouched for inspection.
    """
    max_norm = check_positive_float("max_norm", max_norm, "5.0")
    norm = global_norm(params)
    if math.isfinite(norm) and norm > max_norm:
        scale = max_norm / norm
        for p in params:
            p.grad *= scale
    return norm
