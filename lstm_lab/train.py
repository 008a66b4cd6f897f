"""One training loop for every model: truncated BPTT over parallel streams.

``train`` walks the training text as B parallel streams in windows of T steps,
carries each row's state from window to window, clips the gradient, lets an
optimiser step, and measures the validation loss now and then. It works with
any ``lstm_lab.model.Model`` (it calls ``params``, ``initial_state``, ``loss``,
``evaluate``). Its steps are the functions after it, in order: ``_check_arguments``,
``_make_batches``, ``_Run`` (the loop's bookkeeping), ``_training_step``, ``_validate``.

Losses in the history are per character, in nats (divide by ln 2 for bits).

Training can stop and resume without changing the result: the history keeps, besides the
losses, a ``TrainState`` (where in the streams training stands and the state carried into
the next window), and every optimiser keeps its memory in the parameters. So

    train(model, ids, num_steps=N + M)

and

    history = train(model, ids, num_steps=N)
    train(model, ids, num_steps=M, history=history)

end with bit-identical parameters, also when the first call was interrupted (Ctrl-C) or
when the model, optimiser and history went through ``lstm_lab.checkpoint`` in between.
"""

from __future__ import annotations

import math
import signal
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lstm_lab.batching import make_streams, num_windows, windows
from lstm_lab.checks import check_finite_params, check_positive_float, check_positive_int, check_text_ids
from lstm_lab.model import Model
from lstm_lab.optim import Adagrad, clip_by_global_norm, clip_by_value, global_norm
from lstm_lab.workspace import keep_freed_memory

#: The divergence guard: a loss above DIVERGED_FACTOR * ln V nats per character (uniform guessing
#: scores ln V) for DIVERGED_STEPS steps in a row means training has blown up. Far above what a
#: recovering run shows: the lessons' settings stay below 2 ln V, and the playground's wildest
#: (H = 256, lr = 1, no clipping) peaks near 50 ln V before it recovers, while a run that has
#: really diverged sits at hundreds or millions of times ln V.
DIVERGED_FACTOR = 100.0
DIVERGED_STEPS = 20


class TrainingDiverged(RuntimeError):
    """The loss or the gradient stopped being a finite number, or the loss stayed far above ln V.

    Attributes:
        history: the History up to the last good step (the parameters are those after it).
    """

    def __init__(self, message: str, history: History | None = None) -> None:
        super().__init__(message)
        self.history = history


@dataclass
class TrainState:
    """Where training stands in the text: what a resumed run needs to continue exactly.

    Attributes:
        batch_size: B, the number of parallel streams the position refers to.
        seq_length: T, the window length the position refers to.
        window: index of the next window within the current pass over the streams.
        carried: the model state carried into that window: (B, H) for an RNN, a tuple
            (h, C) of (B, H) arrays for an LSTM.
        text_id: fingerprint of the training ids (length and CRC-32), so that resuming
            on another text starts the streams over instead of using a wrong position.
    """

    batch_size: int
    seq_length: int
    window: int
    carried: Any
    text_id: str


def text_fingerprint(ids: np.ndarray) -> str:
    """A short fingerprint of the training ids: their count and a CRC-32 of their values."""
    arr = np.ascontiguousarray(ids, dtype=np.int64)
    return f"{arr.size}:{zlib.crc32(arr.tobytes()):08x}"


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
        interrupted: True if the last ``train`` call stopped on a keyboard interrupt.
        stopped_early: True if early stopping ended the last ``train`` call.
        train_state: where training stands in the streams (None before the first step);
            ``train(..., history=history)`` continues from there.
    """

    steps: list[int] = field(default_factory=list)
    chars: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    val_steps: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    interrupted: bool = False
    stopped_early: bool = False
    train_state: TrainState | None = field(default=None, repr=False, compare=False)

    @property
    def best_val_loss(self) -> float:
        """The lowest validation loss measured (inf if none was)."""
        return min(self.val_loss, default=math.inf)


def evaluate_loss(model: Model, ids: np.ndarray, *, batch_size: int = 32, seq_length: int = 25) -> float:
    """Average loss per character of ``model`` on the text ``ids``, in nats.

    The text is cut into ``batch_size`` streams and read window by window with the
    state carried, exactly as in training but without gradients, so every character
    after the first of each stream is predicted from its full left context.

    Args:
        ids: (N,) integer ids.
    """
    streams = make_streams(check_text_ids(ids, "ids", getattr(model, "vocab_size", None)), batch_size)
    state = model.initial_state(streams.shape[0])
    total, count = 0.0, 0
    for inputs, targets in windows(streams, seq_length):
        loss, state = model.evaluate(inputs, targets, state)
        total += loss * inputs.shape[0]  # model losses are summed over T, averaged over B
        count += inputs.size
    return total / count


def _endless_windows(
    streams: np.ndarray, seq_length: int, start: int = 0
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(k, inputs, targets) for windows k over the streams forever, beginning at window ``start``."""
    while True:
        for k, (inputs, targets) in enumerate(windows(streams, seq_length)):
            if k >= start:  # windows are views, so skipping costs nothing
                yield k, inputs, targets
        start = 0


def _same_shapes(a: Any, b: Any) -> bool:
    """True if two model states (an array, or a tuple of arrays) have the same structure and shapes."""
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return (isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b)
                and all(_same_shapes(x, y) for x, y in zip(a, b, strict=True)))
    return np.shape(a) == np.shape(b)


def _resume_position(
    history: History, model: Model, batch_size: int, seq_length: int, text_id: str
) -> tuple[int, Any]:
    """The window to start at and the state to carry into it: the history's, if it fits this call."""
    saved = history.train_state
    fresh = model.initial_state(batch_size)
    if saved is None:
        return 0, fresh
    if (saved.batch_size, saved.seq_length) != (batch_size, seq_length):
        reason = (f"it stopped with batch_size={saved.batch_size}, seq_length={saved.seq_length}, and "
                  f"this call uses batch_size={batch_size}, seq_length={seq_length}")
        fix = f"pass batch_size={saved.batch_size}, seq_length={saved.seq_length}"
    elif saved.text_id != text_id:
        reason, fix = "it was trained on other training ids", "pass the same train_ids"
    elif not _same_shapes(saved.carried, fresh):
        reason, fix = "its carried state does not fit this model", "resume with the model it was trained with"
    else:
        return saved.window, saved.carried
    warnings.warn(
        f"Resuming a history whose position in the text does not apply: {reason}. Training continues, "
        f"but the streams start over from the beginning of the text. To continue exactly, {fix}.",
        stacklevel=3,
    )
    return 0, fresh


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
    model: Model,
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
    checkpoint: Any = None,
) -> History:
    """Train ``model`` for ``num_steps`` optimiser steps on ``train_ids``.

    Args:
        model: an RNN or LSTM (any ``lstm_lab.model.Model``).
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
        history: continue this history (resuming): the step count, the losses, and the
            position in the streams with the carried state (``history.train_state``), so
            the run continues exactly where the previous one stopped.
        checkpoint: a ``lstm_lab.checkpoint.Checkpointer``: saves the model, optimiser and
            history every few steps, at the end, and at each new best validation loss.

    Returns:
        the History. On a keyboard interrupt (Ctrl-C, "interrupt the kernel", or a callback
        raising KeyboardInterrupt) training stops after the current step, the parameters
        are those after the last full step, the history ends with that step, and a message
        says how to resume.

    Raises:
        TrainingDiverged: the loss or gradient became NaN or infinite, or the loss stayed above
            ``DIVERGED_FACTOR`` x ln V per character for ``DIVERGED_STEPS`` steps in a row. The
            parameters are left as they were before the step that diverged; the history up to
            then is the exception's ``history``; the message names the learning rate and clipping.
        ValueError: a nonsensical setting, or ``train_ids``/``val_ids`` that are not ids of the
            model's vocabulary (a str, another vocabulary's ids), or a parameter that is already
            nan or inf: all found before the first step, with the model untouched.
    """
    # Steps 1 to 3 (below ``train``): check everything, cut the text into streams, set up the loop.
    s = _check_arguments(
        model, train_ids, val_ids, num_steps=num_steps, batch_size=batch_size, seq_length=seq_length,
        clip_value=clip_value, clip_norm=clip_norm, eval_every=eval_every, log_every=log_every,
        patience=patience, checkpoint=checkpoint,
    )
    streams, windows_per_pass = _make_batches(train_ids, val_ids, s)
    optimizer = optimizer if optimizer is not None else Adagrad(lr=0.1)
    history = history if history is not None else History()
    text_id = text_fingerprint(streams)
    first_window, state = _resume_position(history, model, s.batch_size, s.seq_length, text_id)
    run = _Run.begin(history, state, s, getattr(model, "vocab_size", None), callbacks)
    last_step = run.start_step + s.num_steps

    bar = None
    if progress:
        from lstm_lab.progress import progress_bar  # a notebook keeps its final line, not 0%

        bar = progress_bar(total=num_steps, desc="training", unit="step")

    # The loop: step 4 (one training step) every time, step 5 (validation) now and then.
    batches = _endless_windows(streams, s.seq_length, first_window)
    try:
        with _stop_on_interrupt() as stop_requested:
            for step in range(run.start_step + 1, last_step + 1):
                tic = time.perf_counter()
                if lr_schedule is not None:
                    optimizer.lr = _scheduled_lr(lr_schedule, step)
                k, inputs, targets = next(batches)
                if k == 0:
                    run.state = model.initial_state(s.batch_size)  # the streams start over
                loss, next_state = _training_step(model, optimizer, inputs, targets, run, s, step)
                # The step is complete: record where the next one starts.
                run.done, run.state = step, next_state
                history.train_state = TrainState(s.batch_size, s.seq_length, (k + 1) % windows_per_pass,
                                                 run.state, text_id)
                run.train_seconds += time.perf_counter() - tic
                run.loss_sum += loss / s.seq_length  # per character
                run.loss_count += 1
                if bar is not None:
                    bar.update(1)

                last = step == last_step or stop_requested()
                improved = False
                if val_ids is not None and (step % s.eval_every == 0 or last):
                    improved = _validate(model, val_ids, run, s, step)
                early_stop = s.patience is not None and run.since_best >= s.patience
                save = checkpoint is not None and checkpoint.wants(step, improved=improved, last=last or early_stop)
                if step % s.log_every == 0 or last or early_stop or save:
                    run.log()
                if save:
                    checkpoint.save(model, optimizer, history, improved=improved, last=last or early_stop)
                if stop_requested():
                    history.interrupted = True
                    break
                if early_stop:
                    history.stopped_early = True
                    break
    except KeyboardInterrupt:
        # Raised by code rather than signalled (e.g. by a callback, or outside the main thread,
        # where signals cannot be caught). Everything up to the last complete step is kept.
        if run.loss_count:
            run.log()  # the history ends with the last complete step, as the parameters do
        if checkpoint is not None and history.steps:
            checkpoint.save(model, optimizer, history, improved=False, last=True)
        history.interrupted = True
    finally:
        if bar is not None:
            bar.close()
        for callback in callbacks:
            if hasattr(callback, "on_train_end"):
                callback.on_train_end(history)  # e.g. a throttled plot draws its final state
    if history.interrupted:
        print(_interrupt_message(run.done, checkpoint))
    return history


# ----------------------------------------------------------------------------------------------
# The steps of ``train``, in the order it takes them
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    """``train``'s arguments once checked: whole numbers as ints, thresholds as floats or None."""

    num_steps: int
    batch_size: int
    seq_length: int
    eval_every: int
    log_every: int
    clip_value: float | None
    clip_norm: float | None
    patience: int | None


def _check_arguments(
    model: Model, train_ids: Any, val_ids: Any, *, num_steps: object, batch_size: object, seq_length: object,
    clip_value: object, clip_norm: object, eval_every: object, log_every: object, patience: object,
    checkpoint: Any,
) -> _Settings:
    """1. Every setting, both texts and the model's parameters, checked before anything changes.

    Raises ValueError naming the argument and the fix; the model is still untouched.
    """
    num_steps = check_positive_int("num_steps", num_steps)
    keep_freed_memory()  # a training step's large arrays reused, not fresh pages (lstm_lab.workspace)
    s = _Settings(
        num_steps=num_steps,
        batch_size=check_positive_int("batch_size", batch_size),
        seq_length=check_positive_int("seq_length", seq_length),
        eval_every=check_positive_int("eval_every", eval_every),
        log_every=check_positive_int("log_every", log_every),
        clip_value=None if clip_value is None else check_positive_float("clip_value", clip_value),
        clip_norm=None if clip_norm is None else check_positive_float("clip_norm", clip_norm),
        patience=None if patience is None else check_positive_int("patience", patience),
    )
    if checkpoint is not None and not (hasattr(checkpoint, "wants") and hasattr(checkpoint, "save")):
        raise ValueError(
            f"checkpoint must be a Checkpointer, got {checkpoint!r}. Use "
            "checkpoint=Checkpointer('checkpoints/run.npz', vocab, every=500) (from lstm_lab.checkpoint)."
        )
    vocab_size = getattr(model, "vocab_size", None)
    for name, ids in (("train_ids", train_ids), ("val_ids", val_ids)):
        if ids is not None:
            check_text_ids(ids, name, vocab_size)  # a str, or ids of another vocabulary: refused by name
        if ids is not None and len(ids) < s.batch_size * (s.seq_length + 1):
            raise _too_short(name, len(ids), s.batch_size, s.seq_length)
    check_finite_params(model.params)  # a model broken before this call is named, not blamed on the lr
    return s


def _make_batches(train_ids: Any, val_ids: Any, s: _Settings) -> tuple[np.ndarray, int]:
    """2. The training text as B parallel streams (B, N // B), and how many windows one pass has."""
    streams = make_streams(train_ids, s.batch_size)  # also checks that the ids are a 1-D integer array
    if val_ids is not None:
        make_streams(val_ids, s.batch_size)
    return streams, num_windows(streams.shape[1], s.seq_length)  # >= 1 after _check_arguments


@dataclass
class _Run:
    """3. What the loop keeps between steps: where it stands, and the sums for the next log entry."""

    history: History
    state: Any  # carried into the next window
    callbacks: Sequence[Callable[[History], None]]
    start_step: int  # the steps taken before this call (resuming)
    seconds_before: float
    chars_per_step: int
    ln_V: float  # uniform guessing's loss per character (inf if the model has no vocab_size)
    since_best: int  # evaluations since the best one
    done: int = 0  # the last step whose update is complete
    loss_sum: float = 0.0
    loss_count: int = 0
    train_seconds: float = 0.0
    steps_far_above: int = 0  # steps in a row with the loss far above uniform guessing

    @classmethod
    def begin(cls, history: History, state: Any, s: _Settings, vocab_size: int | None,
              callbacks: Sequence[Callable[[History], None]]) -> _Run:
        history.interrupted = history.stopped_early = False
        start_step = history.steps[-1] if history.steps else 0
        # Evaluations since the best one, so that patience carries over a resumed run.
        since_best = len(history.val_loss) - 1 - int(np.argmin(history.val_loss)) if history.val_loss else 0
        return cls(
            history=history, state=state, callbacks=callbacks, start_step=start_step,
            seconds_before=history.seconds[-1] if history.seconds else 0.0,
            chars_per_step=s.batch_size * s.seq_length,
            ln_V=math.log(vocab_size) if vocab_size else math.inf,
            since_best=since_best, done=start_step,
        )

    @property
    def far_above(self) -> float:
        """The divergence guard's threshold, in nats per character."""
        return DIVERGED_FACTOR * self.ln_V

    def log(self) -> None:
        """Append the mean training loss since the last entry to the history; call the callbacks."""
        history = self.history
        history.steps.append(self.done)
        history.chars.append(self.done * self.chars_per_step)
        history.train_loss.append(self.loss_sum / self.loss_count)
        history.seconds.append(self.seconds_before + self.train_seconds)
        self.loss_sum, self.loss_count = 0.0, 0
        for callback in self.callbacks:
            callback(history)


def _training_step(
    model: Model, optimizer: Any, inputs: np.ndarray, targets: np.ndarray, run: _Run, s: _Settings, step: int
) -> tuple[float, Any]:
    """4. One step: loss and gradients on one window, the divergence guard, clipping, the update.

    Returns the window's loss (summed over T) and the state to carry into the next window.
    """
    # A diverging run overflows somewhere; the guard below says so in one sentence
    # instead of a cascade of numpy warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        loss, next_state = model.loss(inputs, targets, run.state)  # forward and backward: fills every grad
        norm = global_norm(model.params)
    _stop_if_diverged(loss, norm, run, s, step, optimizer)
    if s.clip_value is not None:
        clip_by_value(model.params, s.clip_value)
    if s.clip_norm is not None:
        clip_by_global_norm(model.params, s.clip_norm)
    optimizer.step(model.params)
    return loss, next_state


def _stop_if_diverged(loss: float, norm: float, run: _Run, s: _Settings, step: int, optimizer: Any) -> None:
    """Raise TrainingDiverged if the loss or gradient is not finite, or the loss has stayed far too high."""
    run.steps_far_above = run.steps_far_above + 1 if loss / s.seq_length > run.far_above else 0
    finite = math.isfinite(loss) and math.isfinite(norm)
    if finite and run.steps_far_above < DIVERGED_STEPS:
        return
    if run.loss_count:
        run.log()  # the history ends with the last good step, as the parameters do
    if finite:
        what = (f"the loss has stayed above {DIVERGED_FACTOR:g} x ln V = {run.far_above:.0f} nats per "
                f"character (uniform guessing scores ln V = {run.ln_V:.2f}) for "
                f"{DIVERGED_STEPS} steps, now {loss / s.seq_length:.3g}: training has diverged")
    else:
        what = f"the loss became {loss} (gradient norm {norm})"
    raise TrainingDiverged(
        f"step {step}: {what}. The parameters are those before this step. Likely causes: a "
        f"learning rate too large, or clipping switched off; "
        f"{_settings_advice(optimizer, s.clip_value, s.clip_norm)}.",
        run.history,
    )


def _validate(model: Model, val_ids: np.ndarray, run: _Run, s: _Settings, step: int) -> bool:
    """5. The validation loss, appended to the history; True if it is the best so far."""
    history = run.history
    val_loss = evaluate_loss(model, val_ids, batch_size=s.batch_size, seq_length=s.seq_length)
    improved = val_loss < history.best_val_loss
    history.val_steps.append(step)  # both lists together, even if interrupted
    history.val_loss.append(val_loss)
    run.since_best = 0 if improved else run.since_best + 1
    return improved


def _settings_advice(optimizer: Any, clip_value: float | None, clip_norm: float | None) -> str:
    """'this run used learning rate 1e+06 with clipping off: try ...', from the run's own settings."""
    lr = getattr(optimizer, "lr", None)
    if clip_value is None and clip_norm is None:
        clipping, clip_fix = "clipping off (clip_value=None)", " and clip_value=5.0"
    else:
        clipping = ", ".join(f"{k}={v:g}" for k, v in (("clip_value", clip_value), ("clip_norm", clip_norm))
                             if v is not None)
        clip_fix = ""
    if lr is None:
        return f"this run used {clipping}: try a smaller learning rate{clip_fix}"
    return f"this run used learning rate {lr:g} with {clipping}: try lr={lr / 10:g}{clip_fix}"


def _scheduled_lr(lr_schedule: Callable[[int], float], step: int) -> float:
    lr = lr_schedule(step)
    try:
        return check_positive_float("learning_rate", lr)
    except ValueError:
        raise ValueError(
            f"lr_schedule({step}) returned {lr!r}, but a learning_rate must be a positive finite number. "
            "Fix the schedule, e.g. lr_schedule=lambda step: 0.1 * 0.5 ** (step // 1000)."
        ) from None


def _too_short(name: str, n: int, batch_size: int, seq_length: int) -> ValueError:
    if n == 0:
        return ValueError(f"{name} is empty: there is no text to learn from. Encode a text first: vocab.encode(text).")
    return ValueError(
        f"{name} has {n} symbols, too few for one window of {batch_size} streams x {seq_length} steps: "
        f"that needs at least batch_size * (seq_length + 1) = {batch_size * (seq_length + 1)} symbols. "
        "Use a longer text, a smaller batch_size or a smaller seq_length."
    )


def _interrupt_message(step: int, checkpoint: Any) -> str:
    message = (
        f"Interrupted after step {step}: the parameters, the optimiser's memory and the history are "
        "those after this step. To continue exactly where it stopped, call "
        "train(model, train_ids, ..., history=history) again with the same settings."
    )
    if checkpoint is not None and getattr(checkpoint, "path", None) is not None:
        message += (f" The checkpoint {checkpoint.path.name} holds the same state; in a new session "
                    "load_checkpoint(path) brings it back.")
    return message
