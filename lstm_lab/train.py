"""One training loop for every model: truncated BPTT over parallel streams.

``train`` walks the training text as B parallel streams in windows of T steps,
carries each row's state from window to window, clips the gradient, lets an
optimiser step, and measures the validation loss now and then. It works with
any model that follows the protocol of ``lstm_lab.rnn.RNN`` and
``lstm_lab.lstm.LSTM`` (``params``, ``initial_state``, ``loss``, ``evaluate``).

Losses in the history are per character, in nats (divide by ln 2 for bits).
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lstm_lab.batching import make_streams, num_windows, windows
from lstm_lab.checks import check_positive_float, check_positive_int
from lstm_lab.optim import Adagrad, clip_by_global_norm, clip_by_value, global_norm


class TrainingDiverged(RuntimeError):
    """The loss or the gradient stopped being a finite number."""


@dataclass
class History:
    """What happened during training, one entry per logged step.

    Attributes:
        steps: optimiser steps taken when each training loss was logged.
        chars: characters seen by then (steps * B * T).
        train_loss: training loss per character, averaged since the previous entry.
        seconds: wall-clock training time by then (excluding validation).
        val_steps: steps at which the validation loss was measured.
        val_loss: validation loss per character at those steps.
        interrupted: True if training stopped early on a keyboard interrupt.
        stopped_early: True if early stopping ended training.
    """

    steps: list[int] = field(default_factory=list)
    chars: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    val_steps: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    interrupted: bool = False
    stopped_early: bool = False

    @property
    def best_val_loss(self) -> float:
        """The lowest validation loss measured (inf if none was)."""
        return min(self.val_loss, default=math.inf)


def evaluate_loss(model: Any, ids: np.ndarray, *, batch_size: int = 32, seq_length: int = 25) -> float:
    """Average loss per character of ``model`` on the text ``ids``, in nats.

    The text is cut into ``batch_size`` streams and read window by window with the
    state carried, exactly as in training but without gradients, so every character
    after the first of each stream is predicted from its full left context.

    Args:
        ids: (N,) integer ids.
    """
    streams = make_streams(ids, batch_size)
    state = model.initial_state(streams.shape[0])
    total, count = 0.0, 0
    for inputs, targets in windows(streams, seq_length):
        loss, state = model.evaluate(inputs, targets, state)
        total += loss * inputs.shape[0]  # model losses are summed over T, averaged over B
        count += inputs.size
    return total / count


def _endless_windows(streams: np.ndarray, seq_length: int) -> Iterator[tuple[bool, np.ndarray, np.ndarray]]:
    """Windows over the streams forever; the flag is True at the start of each pass."""
    while True:
        for k, (inputs, targets) in enumerate(windows(streams, seq_length)):
            yield k == 0, inputs, targets


@contextmanager
def _stop_on_interrupt() -> Iterator[Callable[[], bool]]:
    """Turn Ctrl-C (or Jupyter's "interrupt kernel") into a polite request to stop.

    Inside the block, SIGINT only sets a flag; the loop checks it between steps, so
    an interrupt never lands halfway through an optimiser update.
    """
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested.is_set  # signals can only be caught on the main thread
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda signum, frame: requested.set())
    try:
        yield requested.is_set
    finally:
        signal.signal(signal.SIGINT, previous)


def train(
    model: Any,
    train_ids: np.ndarray,
    *,
    num_steps: int,
    val_ids: np.ndarray | None = None,
    batch_size: int = 32,
    seq_length: int = 25,
    optimizer: Any = None,
    clip_value: float | None = 5.0,
    clip_norm: float | None = None,
    eval_every: int = 100,
    log_every: int = 10,
    patience: int | None = None,
    lr_schedule: Callable[[int], float] | None = None,
    callbacks: Sequence[Callable[[History], None]] = (),
    progress: bool = False,
    history: History | None = None,
) -> History:
    """Train ``model`` for ``num_steps`` optimiser steps on ``train_ids``.

    Args:
        model: an RNN or LSTM (any object with the model protocol).
        train_ids: (N,) integer ids of the training text.
        num_steps: optimiser steps to take; each sees B * T characters.
        val_ids: (M,) ids of the validation text, or None for no validation.
        batch_size: B parallel streams per step.
        seq_length: T steps of backpropagation through time per window.
        optimizer: an object with ``step(params)``; default ``Adagrad(lr=0.1)``.
        clip_value: clip every gradient entry to [-clip_value, clip_value] (None: off).
        clip_norm: rescale the gradient to this global norm if larger (None: off).
        eval_every: measure the validation loss every this many steps (and at the end).
        log_every: record the training loss every this many steps.
        patience: stop when the validation loss has not improved for this many
            evaluations (None: never stop early).
        lr_schedule: step -> learning rate, applied to ``optimizer.lr`` before each step.
        callbacks: called with the history after every log entry (e.g. a LivePlot); a
            callback's ``on_train_end(history)`` method, if it has one, runs at the end.
        progress: show a tqdm progress bar.
        history: continue this history (resuming) instead of starting a new one.

    Returns:
        the History. On a keyboard interrupt training stops after the current step
        and the history says so; the parameters are those after the last full step.

    Raises:
        TrainingDiverged: the loss or gradient became NaN or infinite. The parameters
            are left as they were before the step that diverged.
    """
    num_steps = check_positive_int("num_steps", num_steps)
    batch_size = check_positive_int("batch_size", batch_size)
    seq_length = check_positive_int("seq_length", seq_length)
    eval_every = check_positive_int("eval_every", eval_every)
    log_every = check_positive_int("log_every", log_every)
    if clip_value is not None:
        clip_value = check_positive_float("clip_value", clip_value)
    if clip_norm is not None:
        clip_norm = check_positive_float("clip_norm", clip_norm)
    if patience is not None:
        patience = check_positive_int("patience", patience)
    streams = make_streams(train_ids, batch_size)
    num_windows(streams.shape[1], seq_length)  # raises a clear error if the text is too short
    if val_ids is not None:
        make_streams(val_ids, batch_size)
        num_windows(len(val_ids) // batch_size, seq_length)
    optimizer = optimizer if optimizer is not None else Adagrad(lr=0.1)
    history = history if history is not None else History()
    start_step = history.steps[-1] if history.steps else 0
    seconds_before = history.seconds[-1] if history.seconds else 0.0
    chars_per_step = batch_size * seq_length

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=num_steps, desc="training", unit="step")

    def validate(step: int) -> None:
        history.val_steps.append(step)
        history.val_loss.append(evaluate_loss(model, val_ids, batch_size=batch_size, seq_length=seq_length))

    state = model.initial_state(batch_size)
    batches = _endless_windows(streams, seq_length)
    loss_sum, loss_count, train_seconds, since_best = 0.0, 0, 0.0, 0
    step = start_step
    with _stop_on_interrupt() as stop_requested:
        for step in range(start_step + 1, start_step + num_steps + 1):
            tic = time.perf_counter()
            new_pass, inputs, targets = next(batches)
            if new_pass:
                state = model.initial_state(batch_size)  # the streams start over
            loss, state = model.loss(inputs, targets, state)
            norm = global_norm(model.params)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                raise TrainingDiverged(
                    f"step {step}: the loss became {loss} (gradient norm {norm}). The parameters are "
                    "those before this step. Likely causes: a learning rate too large, or clipping "
                    "switched off; try a smaller learning rate or clip_value=5.0."
                )
            if clip_value is not None:
                clip_by_value(model.params, clip_value)
            if clip_norm is not None:
                clip_by_global_norm(model.params, clip_norm)
            if lr_schedule is not None:
                optimizer.lr = lr_schedule(step)
            optimizer.step(model.params)
            train_seconds += time.perf_counter() - tic
            loss_sum += loss / seq_length
            loss_count += 1
            if bar is not None:
                bar.update(1)

            last = step == start_step + num_steps or stop_requested()
            if val_ids is not None and (step % eval_every == 0 or last):
                best_so_far = history.best_val_loss
                validate(step)
                since_best = 0 if history.val_loss[-1] < best_so_far else since_best + 1
            early_stop = patience is not None and since_best >= patience
            if step % log_every == 0 or last or early_stop:
                history.steps.append(step)
                history.chars.append(step * chars_per_step)
                history.train_loss.append(loss_sum / loss_count)
                history.seconds.append(seconds_before + train_seconds)
                loss_sum, loss_count = 0.0, 0
                for callback in callbacks:
                    callback(history)
            if stop_requested():
                history.interrupted = True
                print(f"Interrupted after step {step}: the model keeps everything learned so far. "
                      "Call train(..., history=history) to continue.")
                break
            if early_stop:
                history.stopped_early = True
                break
    if bar is not None:
        bar.close()
    for callback in callbacks:
        if hasattr(callback, "on_train_end"):
            callback.on_train_end(history)  # e.g. a throttled plot draws its final state
    return history
