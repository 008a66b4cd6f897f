"""A long-range memory task: recall a key seen many steps earlier.

Each sequence is noise with one key hidden in it and a question mark at the end::

    c a h B d f a g e b c ... a ?      ->  answer: B
            ^ key        d steps later ^ query

The model reads the whole sequence and must name the key when it reaches the ``?``.
Everything between the key and the query is noise from a separate alphabet, so the
only way to answer is to carry the key across ``d`` steps of state updates: the
*distance* d sets how far back the memory must reach. Guessing scores 1 / K.

The models are the lessons' own ``RNN`` and ``LSTM``; only the loss differs from
language modelling: it is the cross-entropy of the answer at the last step, nothing
at the noise (which is unpredictable anyway). Shapes: B = batch, T = sequence length,
H = hidden width, V = vocabulary size (keys + noise + query).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lstm_lab.checks import check_positive_int
from lstm_lab.layers import embedding_backward, embedding_forward
from lstm_lab.losses import softmax_cross_entropy
from lstm_lab.lstm import GATE_PARAM_NAMES, LSTM, lstm_backward_fused, lstm_forward_fused, split_gates, stack_gates
from lstm_lab.optim import Adam, clip_by_global_norm
from lstm_lab.params import Param
from lstm_lab.rnn import RNN, rnn_backward, rnn_forward

#: The symbols of the task, in id order: keys, then noise, then the query mark.
KEYS = "ABCD"
NOISE = "abcdefgh"
QUERY = "?"
SYMBOLS = KEYS + NOISE + QUERY
VOCAB_SIZE = len(SYMBOLS)


def _check_distances(distances: Any, length: int) -> np.ndarray:
    d = np.asarray(distances)
    if d.ndim != 1 or d.size == 0 or not np.issubdtype(d.dtype, np.integer):
        raise ValueError(f"distances must be a non-empty 1-D array of ints, got {distances!r}.")
    if d.min() < 1 or d.max() > length - 1:
        raise ValueError(
            f"every distance must be between 1 and length - 1 = {length - 1} (the key must fit before "
            f"the query), got distances from {d.min()} to {d.max()}. Use a longer length, e.g. "
            f"length={int(d.max()) + 1}."
        )
    return d.astype(np.int64)


def make_recall_batch(
    rng: np.random.Generator, distances: Sequence[int] | np.ndarray, length: int
) -> tuple[np.ndarray, np.ndarray]:
    """One batch of the recall task, one sequence per entry of ``distances``.

    Args:
        rng: the random generator (keys and noise are drawn from it).
        distances: (B,) ints in [1, length - 1]: how many steps before the query the key sits.
        length: T, the number of symbols in each sequence (the last is the query).

    Returns:
        inputs: (B, T) ids into ``SYMBOLS``: noise, the key at position T - 1 - d, the query last.
        answers: (B,) the key's id, which the model must output at the last step.
    """
    T = check_positive_int("length", length)
    d = _check_distances(distances, T)
    B = d.size
    inputs = rng.integers(len(KEYS), len(KEYS) + len(NOISE), size=(B, T))  # noise ids
    answers = rng.integers(0, len(KEYS), size=B)  # key ids are 0..K-1
    inputs[np.arange(B), T - 1 - d] = answers
    inputs[:, -1] = SYMBOLS.index(QUERY)
    return inputs, answers


def decode(ids: np.ndarray) -> str:
    """(T,) ids -> the sequence as a string, e.g. ``'cahBdfag?'``."""
    return "".join(SYMBOLS[int(i)] for i in ids)


# ----------------------------------------------------------------------------------------------
# The loss at the last step only
# ----------------------------------------------------------------------------------------------


def _output_layer(model: RNN | LSTM) -> tuple[Param, Param]:
    """The (W, b) Params mapping h_t to logits: W_y for the RNN, W_y for the LSTM."""
    if isinstance(model, LSTM):
        return model.W_y, model.b_y
    if isinstance(model, RNN):
        return model.W_y, model.b_y
    raise TypeError(f"expected an lstm_lab RNN or LSTM, got {type(model).__name__}.")


def hidden_forward(model: RNN | LSTM, ids: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Hidden states of ``model`` reading ``ids`` from the zero state.

    Args:
        ids: (B, T) ids.

    Returns:
        h: (B, T, H) hidden state after every step; cache for ``hidden_backward``.
    """
    B = ids.shape[0]
    if isinstance(model, LSTM):
        h0, C0 = model.initial_state(B)
        W, b = stack_gates({name: getattr(model, name).value for name in GATE_PARAM_NAMES})
        h, cache = lstm_forward_fused(ids, h0, C0, W, b)
        return h, ("lstm", cache)
    _output_layer(model)  # raises a clear TypeError for anything else
    x_proj, emb_cache = embedding_forward(ids, model.W_xh.value)
    h, rnn_cache = rnn_forward(x_proj, model.initial_state(B), None, model.W_hh.value, model.b_h.value)
    return h, ("rnn", (emb_cache, rnn_cache))


def hidden_backward(model: RNN | LSTM, dh: np.ndarray, cache: tuple) -> None:
    """Backpropagate (B, T, H) ``dh`` and OVERWRITE the grads of the recurrent parameters."""
    kind, inner = cache
    if kind == "lstm":
        _, _, _, dW, db = lstm_backward_fused(dh, inner)
        for name, g in split_gates(dW, db).items():
            getattr(model, name).grad[...] = g
        return
    emb_cache, rnn_cache = inner
    dx_proj, _, _, dW_hh, db_h = rnn_backward(dh, rnn_cache)
    model.W_xh.grad[...] = embedding_backward(dx_proj, emb_cache)
    model.W_hh.grad[...] = dW_hh
    model.b_h.grad[...] = db_h


def answer_logits(model: RNN | LSTM, ids: np.ndarray) -> np.ndarray:
    """Scores for the answer: (B, T) ids -> (B, V) logits read from the last hidden state."""
    h, _ = hidden_forward(model, ids)
    W, b = _output_layer(model)
    return h[:, -1] @ W.value + b.value


def last_step_loss(model: RNN | LSTM, ids: np.ndarray, answers: np.ndarray) -> float:
    """Cross-entropy of the answer at the last step; OVERWRITES every Param.grad.

    Args:
        ids: (B, T) inputs. answers: (B,) the id expected after the last input.

    Returns:
        the loss averaged over the batch, in nats.
    """
    h, cache = hidden_forward(model, ids)
    W, b = _output_layer(model)
    h_T = h[:, -1]  # (B, H): only the last step is scored
    logits = h_T @ W.value + b.value
    loss, dlogits = softmax_cross_entropy(logits[:, None, :], answers[:, None])
    dlogits = dlogits[:, 0]  # (B, V)
    W.grad[...] = h_T.T @ dlogits
    b.grad[...] = dlogits.sum(axis=0)
    dh = np.zeros_like(h)
    dh[:, -1] = dlogits @ W.value.T  # no gradient arrives at the noise steps directly
    hidden_backward(model, dh, cache)
    return float(loss)


# ----------------------------------------------------------------------------------------------
# Training and measuring
# ----------------------------------------------------------------------------------------------


def train_recall(
    model: RNN | LSTM,
    *,
    num_steps: int,
    max_distance: int,
    min_distance: int = 1,
    length: int | None = None,
    batch_size: int = 32,
    lr: float = 1e-2,
    clip_norm: float = 1.0,
    seed: int = 0,
    stop_loss: float | None = None,
) -> list[float]:
    """Train ``model`` on the recall task, distances drawn uniformly from min_distance..max_distance.

    Every sequence has ``length`` symbols (default max_distance + 1, the shortest in which
    every distance fits), so all batches have one shape. Adam with gradient-norm clipping;
    fresh random sequences every step, so there is nothing to overfit, and the training
    loss of a batch is an honest estimate of the test loss.

    Args:
        num_steps: the budget: at most this many steps.
        stop_loss: stop early once the mean loss of the last 10 batches is below it (the task
            is solved: 0.05 nats means the answer gets probability about 0.95). None: never.

    Returns:
        the training loss (nats) of every step taken.
    """
    num_steps = check_positive_int("num_steps", num_steps)
    max_distance = check_positive_int("max_distance", max_distance)
    min_distance = check_positive_int("min_distance", min_distance)
    if min_distance > max_distance:
        raise ValueError(
            f"min_distance ({min_distance}) is larger than max_distance ({max_distance}); for one fixed "
            "distance d pass min_distance=d, max_distance=d."
        )
    length = max_distance + 1 if length is None else check_positive_int("length", length)
    batch_size = check_positive_int("batch_size", batch_size)
    if stop_loss is not None and not stop_loss > 0:
        raise ValueError(f"stop_loss must be a positive number of nats (e.g. 0.05) or None, got {stop_loss!r}.")
    rng = np.random.default_rng(seed)
    optimizer = Adam(lr=lr)
    losses: list[float] = []
    for _ in range(num_steps):
        distances = rng.integers(min_distance, max_distance + 1, size=batch_size)
        ids, answers = make_recall_batch(rng, distances, length)
        losses.append(last_step_loss(model, ids, answers))
        clip_by_global_norm(model.params, clip_norm)
        optimizer.step(model.params)
        if stop_loss is not None and len(losses) >= 10 and np.mean(losses[-10:]) < stop_loss:
            break
    return losses


def recall_accuracy(
    model: RNN | LSTM, distances: Sequence[int], *, length: int, n: int = 500, seed: int = 1
) -> dict[int, float]:
    """Fraction of ``n`` fresh sequences answered correctly, at each distance.

    Args:
        distances: the distances to test, each in [1, length - 1].
        length: T of the test sequences (use the training length).
        n: sequences per distance.

    Returns:
        {distance: accuracy in [0, 1]}; chance is 1 / len(KEYS).
    """
    n = check_positive_int("n", n)
    rng = np.random.default_rng(seed)
    result = {}
    for d in _check_distances(np.asarray(list(distances)), length):
        ids, answers = make_recall_batch(rng, np.full(n, d), length)
        guesses = answer_logits(model, ids)[:, : len(KEYS)].argmax(axis=1)
        result[int(d)] = float(np.mean(guesses == answers))
    return result


def accuracy_by_distance(
    make_model: Callable[[], RNN | LSTM],
    distances: Sequence[int],
    *,
    num_steps: int,
    lr: float = 1e-2,
    seed: int = 0,
    stop_loss: float | None = None,
) -> dict[int, float]:
    """Train a fresh model for EACH distance d (key exactly d steps before the query), then test it.

    With one fixed distance, the only learning signal for storing the key is the gradient
    that travels back exactly d steps; so this measures how far back a model can learn from.

    Args:
        make_model: returns a new, untrained model (called once per distance).
        distances: the distances to try.
        num_steps: training steps per distance (the budget).
        stop_loss: see ``train_recall``.

    Returns:
        {distance: test accuracy on fresh sequences}.
    """
    result = {}
    for d in distances:
        model = make_model()
        train_recall(model, num_steps=num_steps, max_distance=d, min_distance=d, lr=lr, seed=seed,
                     stop_loss=stop_loss)
        result[int(d)] = recall_accuracy(model, [d], length=d + 1, seed=seed + 1)[int(d)]
    return result


def recall_table(
    make_model: Callable[[int], RNN | LSTM],
    distances: Sequence[int],
    seeds: Sequence[int],
    *,
    num_steps: int,
    lr: float = 1e-2,
    stop_loss: float | None = 0.05,
) -> np.ndarray:
    """``accuracy_by_distance`` for several seeds: one row per seed, one column per distance.

    Args:
        make_model: ``make_model(seed)`` returns a new, untrained model; the seed also draws
            the training and test sequences, so each seed is a whole independent run.

    Returns:
        (len(seeds), len(distances)) test accuracies.
    """
    rows = []
    for seed in seeds:
        acc = accuracy_by_distance(lambda s=seed: make_model(s), distances, num_steps=num_steps, lr=lr,
                                   seed=seed, stop_loss=stop_loss)
        rows.append([acc[int(d)] for d in distances])
    return np.array(rows)


# ----------------------------------------------------------------------------------------------
# The models the lesson compares
# ----------------------------------------------------------------------------------------------

#: The recurrent initialisations ``recall_rnn`` knows.
RNN_INITS = ("gaussian", "orthogonal", "identity")


def recall_rnn(hidden_size: int, init: str = "gaussian", seed: int = 0) -> RNN:
    """An RNN for the recall task, its W_hh started one of three ways (all with spectral radius 1):

    - ``"gaussian"``: N(0, 1/H) entries, as Lesson 6's fair RNN: the largest eigenvalue has
      size about 1;
    - ``"orthogonal"``: a random orthogonal matrix: EVERY eigenvalue has size 1, so no
      direction of h shrinks through W_hh (only through tanh');
    - ``"identity"``: W_hh = I, h_t = tanh(h_{t-1} + x_t W_xh + b): each unit keeps its own
      value, as in Le, Jaitly and Hinton's IRNN (2015, with ReLU instead of tanh).

    W_xh and W_y are N(0, 1/H) in all three.
    """
    if init not in RNN_INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {', '.join(repr(n) for n in RNN_INITS)}.")
    H = check_positive_int("hidden_size", hidden_size)
    model = RNN(VOCAB_SIZE, H, seed=seed, weight_scale=H**-0.5)
    if init == "orthogonal":
        Q, R = np.linalg.qr(np.random.default_rng([seed, 1]).standard_normal((H, H)))
        model.W_hh.value[...] = Q * np.sign(np.diag(R))  # the sign fix makes Q uniformly random
    elif init == "identity":
        model.W_hh.value[...] = np.eye(H)
    return model


def recall_lstm(hidden_size: int, forget_bias: float = 1.0, seed: int = 0) -> LSTM:
    """An LSTM for the recall task with the default initialisation and b_f = ``forget_bias``.

    At the start every forget gate is close to sigmoid(forget_bias): 0.73 for the default 1,
    0.95 for 3.
    """
    model = LSTM(VOCAB_SIZE, check_positive_int("hidden_size", hidden_size), seed=seed)
    model.b_f.value[...] = float(forget_bias)
    return model
