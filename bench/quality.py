"""How fast ``lstm_lab`` trains to a given quality on Kafka, and at what peak memory.

    python -m bench.quality          # prints one JSON line

Trains the course's recommended model (``SETTINGS``) with early stopping on the
validation loss, and reports the training seconds (validation passes excluded) at which
the validation loss first fell below 1.6 nats/char, the best validation loss, and the
process's peak resident memory. ``python -m bench`` runs this in a fresh process so that
the memory figure is the training run's alone.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path
from typing import Any

import numpy as np

from lstm_lab.batching import train_val_split
from lstm_lab.data import load_text
from lstm_lab.lstm import LSTM
from lstm_lab.optim import Adam
from lstm_lab.train import train
from lstm_lab.vocab import Vocabulary

#: The settings lesson 7 trains with; the README's table is measured with them.
SETTINGS: dict[str, Any] = {
    "hidden_size": 128,
    "batch_size": 32,
    "seq_length": 25,
    "lr": 0.03,  # Adam's, halved every lr_half_life steps
    "lr_half_life": 600,
    "clip_value": 5.0,
    "max_steps": 6000,
    "eval_every": 50,
    "patience": 8,
}
TARGET = 1.6  # nats per character


def peak_rss_bytes() -> int:
    """The most memory this process has held at once (its peak resident set size).

    On Linux, /proc's VmHWM: ``getrusage``'s ru_maxrss would also count the memory of the
    process that started this one (it survives fork and exec), here the benchmark with
    PyTorch loaded.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # reported in kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports kilobytes


def run(settings: dict[str, Any] = SETTINGS) -> dict[str, Any]:
    """Train once; returns the measurements as a dict (see the module docstring)."""
    text = load_text("kafka")
    vocab = Vocabulary.from_text(text)
    train_ids, val_ids = train_val_split(vocab.encode(text), val_fraction=0.1)
    model = LSTM(len(vocab), settings["hidden_size"], seed=0, dtype=np.float32)
    every = settings["eval_every"]
    history = train(
        model, train_ids, val_ids=val_ids, num_steps=settings["max_steps"],
        batch_size=settings["batch_size"], seq_length=settings["seq_length"],
        optimizer=Adam(lr=settings["lr"]), clip_value=settings["clip_value"],
        lr_schedule=lambda step: settings["lr"] * 0.5 ** (step / settings["lr_half_life"]),
        eval_every=every, log_every=every, patience=settings["patience"],
    )  # fmt: skip
    seconds_at = dict(zip(history.steps, history.seconds, strict=True))
    first = next((s for s, v in zip(history.val_steps, history.val_loss, strict=True) if v < TARGET), None)
    best = min(history.val_loss)
    return {
        "settings": settings,
        "seconds_to_target": None if first is None else round(seconds_at[first], 2),
        "steps_to_target": first,
        "best_val_loss": round(best, 4),
        "best_step": history.val_steps[history.val_loss.index(best)],
        "steps": history.steps[-1],
        "seconds": round(history.seconds[-1], 2),
        "stopped_early": history.stopped_early,
        "peak_rss_mb": round(peak_rss_bytes() / 1e6, 1),
    }


if __name__ == "__main__":
    print(json.dumps(run()))
