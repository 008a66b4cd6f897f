"""Checkpoints: a trained model, and everything needed to continue training it, in one file.

A checkpoint is a ``.npz`` archive (numpy's zip of named arrays) holding

- the model's class, its constructor hyperparameters and every parameter array;
- the vocabulary (its kind and its symbols, as a unicode array);
- the optimiser's class, its hyperparameters and its per-parameter memory;
- the training history as arrays, and the ``TrainState`` (the position in the streams
  and the state carried into the next window), so that training resumes exactly;
- optionally the state of a ``np.random.Generator``, as JSON text.

It is *data*, never code: it is read with ``np.load(..., allow_pickle=False)``, so opening
a checkpoint from someone else cannot run anything. ``save_checkpoint`` writes to a
temporary file in the same folder and renames it over the old one, so a crash or an
interrupt during saving leaves the previous checkpoint intact.

    save_checkpoint("checkpoints/kafka.npz", model, vocab, optimizer=opt, history=history)
    ckpt = load_checkpoint("checkpoints/kafka.npz", text=text)
    train(ckpt.model, train_ids, optimizer=ckpt.optimizer, history=ckpt.history, ...)
"""

from __future__ import annotations

import importlib
import json
import numbers
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lstm_lab.checks import check_positive_int
from lstm_lab.model import Model
from lstm_lab.optim import SGD, Adagrad, Adam
from lstm_lab.train import History, TrainState
from lstm_lab.vocab import Vocabulary, describe_symbol, tokenize_words

FORMAT = "lstm-lab checkpoint"  # the "magic" entry: tells our files from any other .npz
VERSION = 1  # bump when the layout changes; load_checkpoint refuses other versions

#: The models a checkpoint can hold: the name it stores (the class name) -> "module:Class". Each
#: class has ``config()`` and ``from_config(config)`` (see ``lstm_lab.model.Model``), so a new
#: model is one line here; its module is imported only when a checkpoint needs it.
MODELS: dict[str, str] = {
    "RNN": "lstm_lab.rnn:RNN",
    "LSTM": "lstm_lab.lstm:LSTM",
    "GRU": "lstm_lab.gru:GRU",
}
OPTIMIZERS: dict[str, type] = {"SGD": SGD, "Adagrad": Adagrad, "Adam": Adam}
_HISTORY_LISTS = {"steps": np.int64, "chars": np.int64, "train_loss": np.float64, "seconds": np.float64,
                  "val_steps": np.int64, "val_loss": np.float64}


class CheckpointError(ValueError):
    """A checkpoint cannot be written or read; the message names the problem and the fix."""


def model_class(kind: str) -> type[Model]:
    """The class registered in ``MODELS`` under ``kind``, e.g. ``model_class("LSTM")`` is ``LSTM``."""
    module, _, name = MODELS[kind].partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass
class Checkpoint:
    """What ``load_checkpoint`` returns.

    Attributes:
        model: the model (one of ``MODELS``), with the saved parameters and optimiser memory.
        vocab: the Vocabulary the model was trained with (encode new text with it).
        optimizer: a new optimiser with the saved hyperparameters (its memory lives in the
            parameters), or None if none was saved.
        history: the History, including ``train_state``: pass it to ``train`` to resume.
        rng: the saved random generator, in the state it was saved in, or None.
    """

    model: Model
    vocab: Vocabulary
    optimizer: Any
    history: History
    rng: np.random.Generator | None


# ---------------------------------------------------------------------------------- saving


def _text(value: str) -> np.ndarray:
    return np.array(value)  # 0-d unicode array: no pickle needed


def _optimizer_config(optimizer: Any) -> dict[str, float]:
    # Our optimisers keep only their hyperparameters as attributes (the memory is in the Params).
    return {k: float(v) for k, v in vars(optimizer).items() if isinstance(v, numbers.Real)}


def checkpoint_arrays(
    model: Model, vocab: Vocabulary, *, optimizer: Any = None, history: History | None = None,
    rng: np.random.Generator | None = None,
) -> dict[str, np.ndarray]:
    """Everything ``save_checkpoint`` writes, as a dict of named arrays (no object arrays)."""
    kind = type(model).__name__
    if kind not in MODELS or model_class(kind) is not type(model):
        raise CheckpointError(
            f"Cannot save a {kind}: checkpoints hold the package's models ({', '.join(MODELS)})."
        )
    if not isinstance(vocab, Vocabulary):
        raise CheckpointError(f"vocab must be the Vocabulary the model was built with, got {type(vocab).__name__}.")
    if len(vocab) != model.vocab_size:
        raise CheckpointError(
            f"The vocabulary has {len(vocab)} symbols but the model's vocab_size is {model.vocab_size}: "
            "pass the vocabulary the model was built with."
        )
    if any("\x00" in s for s in vocab.symbols):
        raise CheckpointError(
            "The vocabulary contains the NUL character U+0000, which a checkpoint cannot store. "
            "Remove it from the text (text.replace('\\x00', '')) and build the vocabulary again."
        )
    if optimizer is not None and OPTIMIZERS.get(type(optimizer).__name__) is not type(optimizer):
        raise CheckpointError(
            f"Cannot save a {type(optimizer).__name__}: checkpoints hold the package's optimisers "
            f"({', '.join(OPTIMIZERS)})."
        )
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise CheckpointError(f"rng must be a np.random.Generator, got {type(rng).__name__}.")
    history = history if history is not None else History()

    arrays: dict[str, np.ndarray] = {
        "format": _text(FORMAT),
        "version": np.array(VERSION),
        "model/class": _text(kind),
        "model/config": _text(json.dumps(model.config())),
        "vocab/kind": _text(vocab.kind),
        "vocab/symbols": np.array(vocab.symbols, dtype=str),
    }
    for p in model.params:
        arrays[f"param/{p.name}"] = p.value
        for key, memory in p.state.items():  # the optimiser's memory, e.g. Adagrad's sum_sq
            arrays[f"memory/{p.name}/{key}"] = np.asarray(memory)
    if optimizer is not None:
        arrays["optimizer/class"] = _text(type(optimizer).__name__)
        arrays["optimizer/config"] = _text(json.dumps(_optimizer_config(optimizer)))
    for name, dtype in _HISTORY_LISTS.items():
        arrays[f"history/{name}"] = np.array(getattr(history, name), dtype=dtype)
    arrays["history/flags"] = np.array([history.interrupted, history.stopped_early])
    ts = history.train_state
    if ts is not None:
        carried = list(ts.carried) if isinstance(ts.carried, (tuple, list)) else [ts.carried]
        arrays["train_state/config"] = _text(json.dumps({
            "batch_size": ts.batch_size, "seq_length": ts.seq_length, "window": ts.window,
            "text_id": ts.text_id, "carried_count": len(carried),
            "carried_is_tuple": isinstance(ts.carried, (tuple, list)),
        }))
        for i, c in enumerate(carried):
            arrays[f"train_state/carried/{i}"] = np.asarray(c)
    if rng is not None:
        arrays["rng/state"] = _text(json.dumps(rng.bit_generator.state))
    return arrays


def _make_folder(path: Path) -> None:
    """Create the folder ``path`` goes in, or say in one sentence why it cannot be."""
    folder = path.parent
    blocker = next((p for p in (folder, *folder.parents) if p.exists() or p.is_symlink()), None)
    if blocker is not None and not blocker.is_dir():
        raise CheckpointError(
            f"Cannot save {path}: {blocker.resolve()} is a file, not a folder, so nothing can be saved inside "
            f"it. Choose another folder (e.g. checkpoints/{path.name}) or another name for the file."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CheckpointError(
            f"Cannot create the folder {folder.resolve()} for the checkpoint ({type(err).__name__}: "
            f"{err.strerror or err}). Save it somewhere you can write, e.g. checkpoints/{path.name}."
        ) from err


def save_checkpoint(
    path: str | Path, model: Model, vocab: Vocabulary, *, optimizer: Any = None, history: History | None = None,
    rng: np.random.Generator | None = None,
) -> Path:
    """Write model, vocabulary, optimiser, history and RNG state to ``path`` atomically; return the path.

    The arrays go to a temporary file next to ``path``, which replaces ``path`` only once
    it is complete: if anything fails (a full disk, Ctrl-C), the previous checkpoint
    stays as it was and the temporary file is removed.
    """
    path = Path(path).expanduser()
    arrays = checkpoint_arrays(model, vocab, optimizer=optimizer, history=history, rng=rng)
    if path.is_dir():
        raise CheckpointError(f"{path.resolve()} is a folder; give a file name inside it, e.g. {path / 'model.npz'}.")
    _make_folder(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename, so a power cut cannot leave half a file
        tmp.chmod(0o644)  # mkstemp makes it private; a checkpoint is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


# --------------------------------------------------------------------------------- loading


def _read_all(path: Path) -> dict[str, np.ndarray]:
    """Every array of the archive at ``path``, read eagerly so that damage shows up here."""
    full = path.resolve()
    if not path.exists():
        raise FileNotFoundError(
            f"No checkpoint at {full}. Check the file name and folder (relative paths start from {Path.cwd()})."
        )
    if path.is_dir():
        raise CheckpointError(f"{full} is a folder, not a checkpoint. Pass the path of a .npz file inside it.")
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic == b"\x93NUMPY":
        raise CheckpointError(
            f"{full} holds a single numpy array (saved with np.save), not an lstm-lab checkpoint. "
            "Load it with np.load; for a model, pass a file written by save_checkpoint."
        )
    if not magic.startswith(b"PK"):
        raise CheckpointError(
            f"{full} is not an lstm-lab checkpoint: it is not a .npz archive at all (it starts with "
            f"{magic!r}). Pass a file written by save_checkpoint."
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except ValueError as err:
        if "pickle" in str(err):
            raise CheckpointError(
                f"{full} contains pickled Python objects. lstm-lab never loads those, because unpickling "
                "can run arbitrary code, and its checkpoints never contain any: this file was not written "
                "by save_checkpoint. Pass a file written by save_checkpoint."
            ) from None
        problem = str(err)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, KeyError) as err:
        problem = f"{type(err).__name__}: {err}"
    raise CheckpointError(
        f"{full} is damaged and cannot be read ({problem}). It was probably truncated or overwritten "
        "by another program. Load an earlier checkpoint, or train again."
    )


def _get(arrays: dict[str, np.ndarray], key: str, full: Path) -> np.ndarray:
    if key not in arrays:
        raise CheckpointError(
            f"{full} is incomplete: the entry {key!r} is missing. The file was damaged or edited after "
            "saving. Load an earlier checkpoint, or train again."
        )
    return arrays[key]


def _get_json(arrays: dict[str, np.ndarray], key: str, full: Path) -> Any:
    raw = _get(arrays, key, full)
    try:
        return json.loads(str(raw[()]))
    except (ValueError, IndexError) as err:
        raise CheckpointError(f"{full} is damaged: the entry {key!r} is not valid ({err}). "
                              "Load an earlier checkpoint, or train again.") from None


def _check_format(arrays: dict[str, np.ndarray], full: Path) -> None:
    kind = arrays.get("format")
    if kind is None or kind.shape != () or str(kind[()]) != FORMAT:
        shown = ", ".join(sorted(arrays)[:6]) + (", ..." if len(arrays) > 6 else "")
        raise CheckpointError(
            f"{full} is a .npz archive but not an lstm-lab checkpoint (its entries are: {shown or 'none'}). "
            "If it is your own data, read it with np.load; to load a model, pass a file written by "
            "save_checkpoint."
        )
    version = int(_get(arrays, "version", full))
    if version != VERSION:
        if version > VERSION:
            fix = "It was written by a newer lstm-lab: update this copy (git pull, then make venv)."
        else:
            fix = ("It was written by an older lstm-lab whose layout this version no longer reads: load it "
                   "with that older version, or train the model again.")
        raise CheckpointError(
            f"{full} is an lstm-lab checkpoint of format version {version}, but this lstm-lab reads "
            f"version {VERSION}. {fix}"
        )


def _build_vocab(arrays: dict[str, np.ndarray], full: Path) -> Vocabulary:
    kind = str(_get(arrays, "vocab/kind", full)[()])
    symbols = _get(arrays, "vocab/symbols", full).tolist()
    try:
        return Vocabulary(symbols, kind=kind)
    except ValueError as err:
        raise CheckpointError(f"{full} is damaged: its vocabulary is not valid ({err}).") from None


def _build_model(arrays: dict[str, np.ndarray], vocab: Vocabulary, full: Path) -> Model:
    kind = str(_get(arrays, "model/class", full)[()])
    if kind not in MODELS:
        raise CheckpointError(f"{full} holds a model of class {kind!r}, which lstm-lab does not know "
                              f"(it knows {', '.join(MODELS)}).")
    config = _get_json(arrays, "model/config", full)
    try:
        model = model_class(kind).from_config(config)
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{full} is damaged: its model settings {config} are not valid ({err}).") from None
    if model.vocab_size != len(vocab):
        raise CheckpointError(f"{full} is damaged: the model expects {model.vocab_size} symbols but the "
                              f"vocabulary has {len(vocab)}.")
    for p in model.params:
        value = _get(arrays, f"param/{p.name}", full)
        if value.shape != p.value.shape or value.dtype != p.value.dtype:
            raise CheckpointError(
                f"{full} is damaged: parameter {p.name} has shape {value.shape} and dtype {value.dtype}, "
                f"but the model needs {p.value.shape} and {p.value.dtype}."
            )
        p.value[...] = value
        prefix = f"memory/{p.name}/"
        for key in (k for k in arrays if k.startswith(prefix)):
            memory = arrays[key]
            # Adam's step count t is an int, every other memory an array like the value.
            p.state[key[len(prefix):]] = int(memory) if memory.ndim == 0 else memory.copy()
    return model


def _build_optimizer(arrays: dict[str, np.ndarray], full: Path) -> Any:
    if "optimizer/class" not in arrays:
        return None
    name = str(arrays["optimizer/class"][()])
    if name not in OPTIMIZERS:
        raise CheckpointError(f"{full} holds an optimiser of class {name!r}, which lstm-lab does not know "
                              f"(it knows {', '.join(OPTIMIZERS)}).")
    config = _get_json(arrays, "optimizer/config", full)
    try:
        return OPTIMIZERS[name](**config)
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{full} is damaged: its optimiser settings {config} are not valid ({err}).") from None


def _build_history(arrays: dict[str, np.ndarray], model: Model, full: Path) -> History:
    history = History(**{name: _get(arrays, f"history/{name}", full).tolist() for name in _HISTORY_LISTS})
    history.interrupted, history.stopped_early = (bool(f) for f in _get(arrays, "history/flags", full))
    if "train_state/config" in arrays:
        ts = _get_json(arrays, "train_state/config", full)
        carried = [_get(arrays, f"train_state/carried/{i}", full).astype(model.dtype)
                   for i in range(ts["carried_count"])]
        history.train_state = TrainState(
            batch_size=ts["batch_size"], seq_length=ts["seq_length"], window=ts["window"],
            carried=tuple(carried) if ts["carried_is_tuple"] else carried[0], text_id=ts["text_id"],
        )
    return history


def _build_rng(arrays: dict[str, np.ndarray], full: Path) -> np.random.Generator | None:
    if "rng/state" not in arrays:
        return None
    state = _get_json(arrays, "rng/state", full)
    try:
        rng = np.random.Generator(getattr(np.random, state["bit_generator"])())
        rng.bit_generator.state = state
    except (AttributeError, KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{full} is damaged: its random generator state is not valid ({err}).") from None
    return rng


def check_vocab_covers(vocab: Vocabulary, text: str, *, source: str = "the checkpoint") -> None:
    """Raise CheckpointError unless every symbol of ``text`` is in ``vocab``.

    A trained model's vocabulary cannot grow: its input and output layers have one row
    and one column per symbol. So a text with symbols the model never saw cannot be fed to it.
    """
    symbols = tokenize_words(text) if vocab.kind == "word" else text
    unknown = sorted(set(symbols) - set(vocab.symbols))
    if unknown:
        listed = ", ".join(describe_symbol(s) for s in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        count = "1 symbol of the text is" if len(unknown) == 1 else f"{len(unknown)} symbols of the text are"
        raise CheckpointError(
            f"The vocabulary of {source} does not match the text: {count} not among the model's "
            f"{len(vocab)} ({listed}). The model can only read symbols it was trained with. Use the "
            "text the model was trained on, or train a new model on this text."
        )


def load_checkpoint(path: str | Path, *, text: str | None = None) -> Checkpoint:
    """Read a checkpoint written by ``save_checkpoint``.

    Args:
        path: the .npz file.
        text: if given, check that the saved vocabulary covers every symbol of this text
            (the text you are about to train on or evaluate).

    Returns:
        a Checkpoint: model, vocab, optimizer, history (with its train state) and rng.

    Raises:
        FileNotFoundError: there is no such file.
        CheckpointError: the file is damaged, is not an lstm-lab checkpoint, has another
            format version, or its vocabulary does not cover ``text``; the message says
            which, and what to do.
    """
    if text is not None and not isinstance(text, str):
        fix = " Decode it first: text=data.decode('utf-8')." if isinstance(text, (bytes, bytearray)) else ""
        raise ValueError(
            f"text must be a str, the text you will feed the model (e.g. read_text_file(path)), got "
            f"{type(text).__name__}.{fix}"
        )
    path = Path(path).expanduser()
    full = path.resolve()
    arrays = _read_all(path)
    _check_format(arrays, full)
    vocab = _build_vocab(arrays, full)
    if text is not None:
        check_vocab_covers(vocab, text, source=f"the checkpoint {full.name}")
    model = _build_model(arrays, vocab, full)
    return Checkpoint(
        model=model, vocab=vocab, optimizer=_build_optimizer(arrays, full),
        history=_build_history(arrays, model, full), rng=_build_rng(arrays, full),
    )


# ----------------------------------------------------------------------- during training


class Checkpointer:
    """Saves checkpoints while ``train`` runs: ``train(..., checkpoint=Checkpointer(path, vocab))``.

    - the latest state every ``every`` steps and when training ends (also on an interrupt);
    - with ``keep_best``, a second file ``<name>-best.npz`` each time the validation loss
      reaches a new minimum, so the best model survives later overfitting.

    Args:
        path: the file for the latest state, e.g. ``"checkpoints/kafka.npz"``.
        vocab: the vocabulary the model was built with (stored alongside it).
        every: save every this many optimiser steps (None: only at the end).
        keep_best: also keep the best model by validation loss in ``best_path``.
        rng: a generator whose state to store with each checkpoint.

    Attributes:
        path, best_path: where the files go.
        saved_step, best_step: the steps of the last saves (None before the first).
    """

    def __init__(
        self, path: str | Path, vocab: Vocabulary, *, every: int | None = None, keep_best: bool = True,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.path = Path(path).expanduser()
        self.best_path = self.path.with_name(f"{self.path.stem}-best.npz")
        self.vocab = vocab
        self.every = None if every is None else check_positive_int("every", every)
        self.keep_best = keep_best
        self.rng = rng
        self.saved_step: int | None = None
        self.best_step: int | None = None

    def wants(self, step: int, *, improved: bool, last: bool) -> bool:
        """True if ``train`` should save after ``step`` (it logs that step first, so the saved
        history ends exactly where the parameters are)."""
        periodic = self.every is not None and step % self.every == 0
        return last or periodic or (improved and self.keep_best)

    def save(self, model: Model, optimizer: Any, history: History, *, improved: bool, last: bool) -> None:
        """Write the files that are due after the step ``history.steps[-1]``."""
        step = history.steps[-1]
        kwargs = {"optimizer": optimizer, "history": history, "rng": self.rng}
        if improved and self.keep_best:
            save_checkpoint(self.best_path, model, self.vocab, **kwargs)
            self.best_step = step
        periodic = self.every is not None and step % self.every == 0
        if (last or periodic) and self.saved_step != step:
            save_checkpoint(self.path, model, self.vocab, **kwargs)
            self.saved_step = step

    def __repr__(self) -> str:
        return f"Checkpointer({str(self.path)!r}, every={self.every}, keep_best={self.keep_best})"
