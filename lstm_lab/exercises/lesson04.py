"""Checkers for Lesson 4: clipping, the Adagrad update, the training loop and the sampling loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_lab.activations import softmax
from lstm_lab.batching import make_streams, windows
from lstm_lab.checking import CheckResult, Mistake, check_function, random_array, register_solution
from lstm_lab.optim import Adagrad, clip_by_value
from lstm_lab.params import Param
from lstm_lab.rnn import RNN
from lstm_lab.sampling import sample
from lstm_lab.vocab import Vocabulary

# ----- clipping ------------------------------------------------------------------------------


def check_clip_by_value(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(params, limit)``, which clips every Param.grad into [-limit, limit] in place."""

    def case(rng: np.random.Generator) -> tuple:
        params = []
        for name, shape in (("W_xh", (4, 3)), ("W_hh", (3, 3)), ("b_h", (3,))):
            p = Param(name, random_array(rng, shape))
            p.grad[...] = random_array(rng, shape, 8.0)  # many entries beyond the limit
            params.append(p)
        return params, float(rng.uniform(1.0, 5.0))

    def after(args: tuple, result: Any) -> tuple:
        params = args[0]
        return tuple(p.grad for p in params) + tuple(p.value for p in params)

    names = ["W_xh.grad", "W_hh.grad", "b_h.grad", "W_xh.value", "W_hh.value", "b_h.value"]

    def clip_values(params: list[Param], limit: float) -> None:
        for p in params:
            np.clip(p.value, -limit, limit, out=p.value)

    def upper_only(params: list[Param], limit: float) -> None:
        for p in params:
            np.minimum(p.grad, limit, out=p.grad)

    return check_function(
        "clip_by_value",
        fn,
        clip_by_value,
        case,
        output_names=names,
        after_call=after,
        mistakes=[
            Mistake("the weights p.value were clipped, not their gradients.", clip_values),
            Mistake("only large positive entries were clipped; large negative ones were left alone.", upper_only),
        ],
        pointer="clipping acts on the gradients, on both sides of zero, and changes the arrays the "
        "parameters hold (in place), since the optimiser reads those.",
    )


# ----- Adagrad -------------------------------------------------------------------------------


def check_adagrad_update(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(w, g, m, lr, eps=1e-8) -> (w_new, m_new)``, one Adagrad step (Lesson 4).

    Compared over three successive steps against ``lstm_lab.optim.Adagrad``, so a
    memory that is not carried forward is caught too.
    """

    def reference(w: np.ndarray, g: np.ndarray, m: np.ndarray, lr: float) -> tuple[np.ndarray, np.ndarray]:
        p = Param("w", w.copy())
        p.state["sum_sq"] = m.copy()
        p.grad[...] = g
        Adagrad(lr=lr).step([p])
        return p.value, p.state["sum_sq"]

    def three_steps(update: Callable[..., Any]) -> Callable[..., tuple]:
        def run(w: np.ndarray, gs: np.ndarray, lr: float) -> tuple:
            m = np.zeros_like(w)
            for g in gs:
                w, m = update(w, g, m, lr)
            return w, m

        return run

    def case(rng: np.random.Generator) -> tuple:
        return random_array(rng, (3, 4)), random_array(rng, (3, 3, 4)), float(rng.uniform(0.05, 0.5))

    return check_function(
        "adagrad_update",
        three_steps(fn),
        three_steps(reference),
        case,
        output_names=["w", "m"],
        mistakes=[
            Mistake(  # the stub: its stored output must not show the recipe
                "w and m came back unchanged: the function is still the stub, or it computes the update "
                "without returning the new arrays.",
                three_steps(lambda w, g, m, lr: (w, m)),
            ),
            Mistake(
                "the weight moved as in plain gradient descent: its step was not scaled by its history "
                "of gradients.",
                three_steps(lambda w, g, m, lr: (w - lr * g, m + g * g)),
            ),
            Mistake(
                "the memory m holds only the latest squared gradient: it forgets the earlier steps.",
                three_steps(lambda w, g, m, lr: (w - lr * g / np.sqrt(g * g + 1e-8), g * g)),
            ),
            Mistake(
                "the step was divided by the memory as it was before this step's gradient joined it.",
                three_steps(lambda w, g, m, lr: (w - lr * g / np.sqrt(m + 1e-8), m + g * g)),
            ),
            Mistake(
                "the step is divided by the memory itself, not by its square root.",
                three_steps(lambda w, g, m, lr: (w - lr * g / (m + g * g + 1e-8), m + g * g)),
            ),
        ],
        pointer="section 2's two equations, in their order: first the memory takes in this step's squared "
        "gradient, then the weight steps against the gradient, scaled by the root of that memory.",
    )


# ----- the training loop ---------------------------------------------------------------------


def reference_train_steps(
    model: Any,
    ids: np.ndarray,
    num_steps: int,
    batch_size: int,
    seq_length: int,
    optimizer: Any,
    clip_value: float,
) -> list[float]:
    """Train ``model`` for ``num_steps`` windows: the loop of ``lstm_lab.train.train`` without its extras.

    Args:
        model: an RNN (or any model with ``initial_state``, ``loss`` and ``params``).
        ids: (N,) ids of the training text, cut into batch_size streams (B, N // B).
        num_steps: optimiser steps; when the streams run out, a new pass starts from their beginning.
        batch_size: B. seq_length: T, the window length.
        optimizer: has ``step(params)``, e.g. Adagrad(lr=0.1).
        clip_value: every gradient entry is clipped to [-clip_value, clip_value] before the update.

    Returns:
        losses: num_steps floats, ``model.loss`` of each window (summed over T, averaged over B).
    """
    streams = make_streams(ids, batch_size)  # (B, L)
    losses: list[float] = []
    while len(losses) < num_steps:
        # A new pass: each stream starts over at the beginning of its text, so does its state.
        state = model.initial_state(batch_size)  # (B, H)
        for inputs, targets in windows(streams, seq_length):  # (B, T) each
            loss, state = model.loss(inputs, targets, state)  # forward, then backward: fills .grad
            clip_by_value(model.params, clip_value)
            optimizer.step(model.params)
            losses.append(loss)
            if len(losses) == num_steps:
                break
    return losses


def _train_steps_variant(kind: str) -> Callable[..., list[float]]:
    """``reference_train_steps`` with one classic mistake in it."""

    def run(
        model: Any, ids: np.ndarray, num_steps: int, batch_size: int, seq_length: int, optimizer: Any,
        clip_value: float,
    ) -> list[float]:
        streams = make_streams(ids, batch_size)
        losses: list[float] = []
        state = model.initial_state(batch_size)
        while len(losses) < num_steps:
            if kind != "not_reset":
                state = model.initial_state(batch_size)
            for inputs, targets in windows(streams, seq_length):
                if kind == "same_window":
                    inputs, targets = next(windows(streams, seq_length))
                if kind == "not_carried":
                    state = model.initial_state(batch_size)
                if kind == "step_first":
                    optimizer.step(model.params)
                loss, state = model.loss(inputs, targets, state)
                if kind not in ("no_clip", "step_first"):
                    clip_by_value(model.params, clip_value)
                if kind == "no_clip":
                    optimizer.step(model.params)
                    clip_by_value(model.params, clip_value)  # too late: the update has used them
                elif kind != "step_first":
                    optimizer.step(model.params)
                if kind == "step_first":
                    clip_by_value(model.params, clip_value)
                losses.append(loss / seq_length if kind == "per_char" else loss)
                if len(losses) == num_steps:
                    break
        return losses

    return run


def _train_case(rng: np.random.Generator) -> tuple:
    V, H, B, T, K = (int(rng.integers(lo, hi)) for lo, hi in ((4, 8), (3, 7), (2, 4), (3, 6), (2, 4)))
    L = K * T + 1 + int(rng.integers(0, T))  # each stream holds K windows (and a few spare symbols)
    ids = rng.integers(0, V, size=B * L + int(rng.integers(0, B)))
    model = RNN(V, H, seed=int(rng.integers(1000)), weight_scale=0.5)
    num_steps = 2 * K + 1 + int(rng.integers(0, K))  # more than two passes over the streams
    # A small limit, so that clipping changes many entries and its absence shows.
    return model, ids, num_steps, B, T, Adagrad(lr=0.1), float(rng.uniform(0.02, 0.1))


_TRAIN_NAMES = ["losses"] + [f"{name} after training" for name in ("W_xh", "W_hh", "b_h", "W_y", "b_y")]


def check_train_steps(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(model, ids, num_steps, batch_size, seq_length, optimizer, clip_value) -> losses``.

    On tiny seeded RNNs trained for a few windows over more than two passes: the losses, and
    every weight after training, must equal those of the reference loop to 1e-10.
    """

    def after(args: tuple, result: Any) -> tuple:
        return (result, *(p.value for p in args[0].params))

    def mistake(what: str, kind: str) -> Mistake:
        return Mistake(what, _train_steps_variant(kind))

    return check_function(
        "train_steps",
        fn,
        reference_train_steps,
        _train_case,
        output_names=_TRAIN_NAMES,
        after_call=after,
        rtol=1e-10,
        atol=1e-12,
        mistakes=[
            mistake("the state is not carried: every window starts from the zero state, so the model never "
                    "learns to use what the previous window read.", "not_carried"),
            mistake("the state is not reset when a new pass begins: the first window of a stream's text is "
                    "read with the state left over from the end of that stream.", "not_reset"),
            mistake("the update used unclipped gradients: clipping is missing, or it comes after the update.",
                    "no_clip"),
            mistake("every update used the previous window's gradients: the optimiser step comes before the "
                    "window's backward pass.", "step_first"),
            mistake("every step trained on the same first window: the windows never advance.", "same_window"),
            mistake("the losses are per character: the exercise asks for model.loss's value, which is summed "
                    "over the T steps of a window.", "per_char"),
        ],
        pointer="section 3's list, in its order: window, loss (forward and backward from the carried state), "
        "clip, update; and a fresh zero state only where the streams start over.",
    )


# ----- the sampling loop ---------------------------------------------------------------------

_SAMPLE_TEXT = "the cat sat on the mat, and the rat ate the hat.\n"
_SAMPLE_VOCAB = Vocabulary.from_text(_SAMPLE_TEXT)


def _sample_case(rng: np.random.Generator) -> tuple:
    V = len(_SAMPLE_VOCAB)
    # Large weights, so that the model's distributions are far from uniform.
    model = RNN(V, int(rng.integers(4, 9)), seed=int(rng.integers(1000)), weight_scale=1.0)
    start = int(rng.integers(0, len(_SAMPLE_TEXT) - 6))
    prime = _SAMPLE_TEXT[start : start + int(rng.integers(2, 6))]
    length = int(rng.integers(8, 20))
    temperature = float(rng.choice([0.5, 0.8, 1.5]))
    return model, _SAMPLE_VOCAB, prime, length, temperature, np.random.default_rng(int(rng.integers(2**31)))


def _reference_sample(
    model: Any, vocab: Any, prime: str, length: int, temperature: float, rng: np.random.Generator
) -> str:
    return sample(model, vocab, prime, length, temperature=temperature, rng=rng, warm_up=0)


def _sample_variant(kind: str) -> Callable[..., str]:
    """A sampling loop with one classic mistake in it."""

    def run(model: Any, vocab: Any, prime: str, length: int, temperature: float, rng: np.random.Generator) -> str:
        state = model.initial_state(1)
        prime_ids = vocab.encode(prime)
        for i in prime_ids[-1:] if kind == "last_prime_only" else prime_ids:
            logits, state = model.step(np.array([i]), state)
        after_prime = state
        out = []
        for _ in range(length):
            if kind == "argmax":
                i = int(np.argmax(logits[0]))
            else:
                scale = {"no_temperature": 1.0, "times_temperature": temperature}.get(kind, 1.0 / temperature)
                i = int(rng.choice(len(vocab), p=softmax(logits[0] * scale)))
            out.append(i)
            fed = prime_ids[-1] if kind == "feeds_prime" else i
            if kind == "state_not_carried":
                logits, _ = model.step(np.array([fed]), after_prime)
            elif kind == "zero_state":
                logits, state = model.step(np.array([fed]), model.initial_state(1))
            else:
                logits, state = model.step(np.array([fed]), state)
        text = vocab.decode(out)
        return prime + text if kind == "with_prime" else text

    return run


def check_sample(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(model, vocab, prime, length, temperature, rng) -> str``, sampling from the zero state.

    Against ``lstm_lab.sampling.sample(..., rng=rng, warm_up=0)`` with the same seeded
    generator, so the same draws must give the same characters.
    """

    def as_ids(text: Any) -> np.ndarray:
        if not isinstance(text, str):
            raise TypeError(f"the result should be the generated text, a str, not a {type(text).__name__}")
        return _SAMPLE_VOCAB.encode(text)

    not_carried = "the hidden state is not carried from one character to the next."
    return check_function(
        "sample",
        fn,
        _reference_sample,
        _sample_case,
        output_names=["the generated characters (as ids)"],
        select=as_ids,
        mistakes=[
            Mistake("each character is the most likely one (the argmax): nothing was drawn at random.",
                    _sample_variant("argmax")),
            Mistake("the model is not fed the character it just drew.", _sample_variant("feeds_prime")),
            Mistake(not_carried, _sample_variant("state_not_carried")),
            Mistake(not_carried, _sample_variant("zero_state")),
            Mistake("the temperature has no effect: the scores went into the softmax unchanged.",
                    _sample_variant("no_temperature")),
            Mistake("the scores were multiplied by the temperature instead of divided by it.",
                    _sample_variant("times_temperature")),
            Mistake("only the last character of the prime was read, not the whole prime.",
                    _sample_variant("last_prime_only")),
            Mistake("the prime is part of the result: return only the new characters.", _sample_variant("with_prime")),
        ],
        pointer="section 6's loop: read the whole prime, then repeat: scores divided by the temperature, "
        "softmax, one draw from the rng given, and that character goes back in with the state the step returned.",
    )


register_solution("clip_by_value", clip_by_value)
register_solution("adagrad_update", Adagrad.step)
register_solution("train_steps", reference_train_steps)
register_solution("sample", sample)
