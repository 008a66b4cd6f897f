"""Validation of hyperparameters, shared by every module.

A nonsensical setting (``batch_size=0``, ``hidden_size=2.5``, ``learning_rate=nan``)
should fail at once, with a message that names the setting and suggests a value,
instead of surfacing later as a cryptic numpy shape error or a loss of ``nan``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

# Typical values, quoted in error messages so the fix is one copy-paste away.
_EXAMPLES: dict[str, str] = {
    "batch_size": "32",
    "seq_length": "25",
    "hidden_size": "100",
    "vocab_size": "65",
    "num_steps": "1000",
    "learning_rate": "0.1",
    "temperature": "1.0",
}


def _try(name: str, example: str | None, default: str) -> str:
    return f" Try {example or _EXAMPLES.get(name, default)}."


def check_positive_int(name: str, value: object, example: str | None = None) -> int:
    """Return ``value`` as an ``int`` if it is a whole number >= 1, else raise ValueError.

    Accepts Python and numpy integers. Rejects ``bool`` (``True`` is an int to Python,
    but ``batch_size=True`` is surely a mistake), floats even when whole (``32.0``
    usually means a division went wrong upstream), zero and negatives.

    ``example`` is the value the message suggests (``"20"``); by default a typical value
    of ``name`` from ``_EXAMPLES``, else 1.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be a positive whole number, got {value!r} ({type(value).__name__})."
            + _try(name, example, "1")
        )
    if value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}." + _try(name, example, "1"))
    return int(value)


def check_positive_float(name: str, value: object, example: str | None = None) -> float:
    """Return ``value`` as a ``float`` if it is a finite real number > 0, else raise ValueError.

    Ints are fine (``learning_rate=1``); ``bool``, ``nan``, ``inf``, zero, negatives and
    non-numbers (``"0.1"``) are not. ``example`` as in ``check_positive_int`` (default 1.0).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"{name} must be a positive number, got {value!r} ({type(value).__name__})."
            + _try(name, example, "1.0")
        )
    as_float = float(value)
    if not math.isfinite(as_float) or as_float <= 0.0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}." + _try(name, example, "1.0"))
    return as_float


def check_seed(seed: object, *, generator_ok: bool = False) -> int | np.random.Generator:
    """``seed`` if it is a whole number >= 0 (or, with ``generator_ok``, a np.random.Generator)."""
    if generator_ok and isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        also = " or a np.random.Generator" if generator_ok else ""
        raise ValueError(f"seed must be a whole number >= 0{also} (it picks the random draws), got {seed!r}. "
                         "Try seed=0.")
    return int(seed)


# ----------------------------------------------------------------------------------------------
# The models' constructor arguments and states (shared by every model class)
# ----------------------------------------------------------------------------------------------

#: The float types a model can compute in.
MODEL_DTYPES = (np.float64, np.float32)


def check_vocab_size(vocab_size: object) -> int:
    """V as an int >= 2: with a single symbol there is nothing to predict."""
    V = check_positive_int("vocab_size", vocab_size)
    if V < 2:
        raise ValueError(
            f"vocab_size must be at least 2, got {V}: with a single symbol there is nothing to predict. "
            "Build the vocabulary from a text with at least two distinct characters."
        )
    return V


def check_model_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as a np.dtype if it is float64 or float32 (what the models are tested in)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in MODEL_DTYPES:
        raise ValueError(f"dtype must be np.float64 or np.float32, got {dtype!r}.")
    return dt


def check_model_args(
    vocab_size: object, hidden_size: object, *, seed: object, dtype: Any, weight_scale: object | None
) -> tuple[int, int, np.random.Generator, np.dtype]:
    """Validate the arguments every model's constructor takes; return (V, H, rng, dtype).

    ``weight_scale`` None means the model's own default; anything else must be a positive number.
    ``seed`` is an int >= 0 or a np.random.Generator; the returned rng draws the initial weights.
    """
    V = check_vocab_size(vocab_size)
    H = check_positive_int("hidden_size", hidden_size)
    if weight_scale is not None:
        check_positive_float("weight_scale", weight_scale, "0.01")
    dt = check_model_dtype(dtype)
    rng = np.random.default_rng(check_seed(seed, generator_ok=True))
    return V, H, rng, dt


def check_state(state: Any, parts: Sequence[str], batch_size: int, hidden_size: int, dtype: np.dtype) -> Any:
    """A model's state, each of its ``parts`` a (batch_size, hidden_size) float array, cast to ``dtype``.

    Args:
        state: one array when ``parts`` is ``("h",)``; else a tuple with one array per part,
            e.g. ``(h, C)`` for ``parts=("h", "C")``.

    Returns:
        the state in the same structure: an array, or a tuple of arrays.
    """
    expected = (batch_size, hidden_size)
    single = len(parts) == 1
    what = f"one array {parts[0]}" if single else f"a tuple ({', '.join(parts)}) of {len(parts)} arrays"
    fix = (f"The state is {what} of shape (batch, hidden) = {expected}; start with "
           f"model.initial_state({batch_size}) and then pass on the state that loss/evaluate/step returned.")
    if single and isinstance(state, (tuple, list)):
        raise ValueError(f"state must be {what}, got a {type(state).__name__} of {len(state)} items. {fix}")
    if not single and (not isinstance(state, (tuple, list)) or len(state) != len(parts)):
        got = f"an array of shape {state.shape}" if isinstance(state, np.ndarray) else type(state).__name__
        raise ValueError(f"state must be an ({', '.join(parts)}) tuple, got {got}. {fix}")
    arrays = [np.asarray(state)] if single else [np.asarray(s) for s in state]
    for name, arr in zip(parts, arrays, strict=True):
        if arr.shape != expected:
            raise ValueError(f"state {name} has shape {arr.shape}, expected {expected}. {fix}")
        if not np.issubdtype(arr.dtype, np.floating):
            raise ValueError(f"state {name} has dtype {arr.dtype}, expected floats. {fix}")
    cast = [arr.astype(dtype, copy=False) for arr in arrays]
    return cast[0] if single else tuple(cast)


def check_ids(ids: object, name: str, ndim: int, vocab_size: int) -> np.ndarray:
    """``ids`` as a non-empty integer array with ``ndim`` axes, every id in 0..vocab_size-1.

    Both models call this on what they are fed, so a wrong input fails with a sentence
    that says what to do instead of a numpy indexing error deep inside a forward pass.
    """
    shape_words = {1: "(B,), i.e. (batch_size,)", 2: "(B, T), i.e. (batch_size, seq_length)"}.get(ndim, f"{ndim} axes")
    arr = np.asarray(ids)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"{name} must hold integer ids, got dtype {arr.dtype}. Encode text with the vocabulary "
            "first (vocab.encode(text))."
        )
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have shape {shape_words}, got shape {arr.shape}.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); give at least one symbol.")
    bad = (arr < 0) | (arr >= vocab_size)
    if bad.any():
        raise ValueError(
            f"{name} contains id {arr[bad].flat[0]}, outside this model's vocabulary of {vocab_size} symbols "
            f"(vocab_size {vocab_size}: ids 0..{vocab_size - 1}). Encode the text with the vocabulary the "
            "model was built with, and build the model with vocab_size=len(vocab)."
        )
    return arr


def check_id_pair(inputs: object, targets: object, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets as (B, T) id arrays of the same shape (see ``check_ids``)."""
    x = check_ids(inputs, "inputs", 2, vocab_size)
    y = check_ids(targets, "targets", 2, vocab_size)
    if x.shape != y.shape:
        raise ValueError(
            f"inputs {x.shape} and targets {y.shape} must have the same shape: targets[b, t] is the "
            "id that follows inputs[b, t]."
        )
    return x, y


def check_text_ids(ids: object, name: str, vocab_size: int | None) -> np.ndarray:
    """The ids (N,) of a whole text (``train_ids``, ``val_ids``): integers, every one in 0..vocab_size-1.

    ``train`` calls this before its first step, so a text encoded with another vocabulary
    (or not encoded at all) is refused while the model is still untouched, with the
    argument's own name, instead of when its window happens to be reached.
    """
    if isinstance(ids, (str, bytes)):
        what = f"a str of {len(ids)} characters" if isinstance(ids, str) else f"{len(ids)} bytes"
        raise ValueError(
            f"{name} is {what}, but training reads symbol ids: encode the text first, "
            f"{name}=vocab.encode(text), with the vocabulary the model was built with."
        )
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of symbol ids (N,), got shape {arr.shape}. "
                         f"Use {name}=vocab.encode(text).")
    if arr.size and (arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"{name} must hold integer ids, got dtype {arr.dtype}. Use {name}=vocab.encode(text).")
    if vocab_size is not None and arr.size:
        bad = np.flatnonzero((arr < 0) | (arr >= vocab_size))
        if bad.size:
            raise ValueError(
                f"{name} contains id {int(arr[bad[0]])} at position {int(bad[0])} ({bad.size} ids in all), "
                f"outside this model's vocabulary of {vocab_size} symbols (ids 0..{vocab_size - 1}). The text "
                "was encoded with another vocabulary: encode it with the one the model was built with, and "
                "build the model with vocab_size=len(vocab)."
            )
    return arr


def check_finite_params(params: Sequence[Any]) -> None:
    """Raise ValueError naming the first parameter (or its optimiser memory) holding nan or inf.

    Called before training: a model that is already broken must be named as such, not
    blamed on the learning rate when the first step's loss comes out nan.
    """
    for p in params:
        parts = [(p.name, p.value)] + [(f"{p.name}'s optimiser memory {key!r}", v) for key, v in p.state.items()]
        for what, value in parts:
            arr = np.asarray(value)
            if not np.issubdtype(arr.dtype, np.floating):
                continue
            broken = ~np.isfinite(arr)
            if broken.any():
                where = tuple(int(i) for i in np.argwhere(broken)[0])
                raise ValueError(
                    f"{what} holds {int(broken.sum())} of {arr.size} entries that are nan or inf (the first, "
                    f"{arr[where]}, at index {where}) before the first step: the model was broken before this "
                    "call, not by its learning rate. Build it again (e.g. LSTM(vocab_size, hidden_size, seed=0)) "
                    "or load a checkpoint saved before it broke."
                )
