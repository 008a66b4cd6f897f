"""Elementwise nonlinearities and the softmax, written to stay finite for any input.

Every function takes and returns arrays of the same shape (softmax and log-softmax
normalise over the last axis). The derivatives are written in terms of the
*output*, as backward passes use them: ``dsigmoid(s)`` wants ``s = sigmoid(z)``.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + e^-z), without overflow for large |z|.

    ``np.exp(-z)`` overflows for z < -709; ``tanh`` never does, and
    sigmoid(z) = (1 + tanh(z / 2)) / 2 exactly.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def dsigmoid(s: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid, given its output s = sigmoid(z): s (1 - s)."""
    return s * (1.0 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent (numpy's is already stable)."""
    return np.tanh(z)


def dtanh(t: np.ndarray) -> np.ndarray:
    """Derivative of tanh, given its output t = tanh(z): 1 - t^2."""
    return 1.0 - t * t


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log softmax over the last axis, shape unchanged.

    Subtracting the row maximum first keeps every exponent <= 0, so nothing
    overflows. Computing log p directly (not log of softmax) keeps it finite too:
    a logit 2e4 below the maximum has p = e^-20000, which is 0 in floating point,
    but log p = -20000 is an ordinary number, so the loss stays finite.
    """
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, shape unchanged; rows sum to 1."""
    shifted = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)
