"""The RNN, the LSTM and the GRU, each with its best optimiser and learning rate.

    python -m bench.compare                  # the whole sweep, all three models (tens of minutes)
    python -m bench.compare --models rnn     # one model; run the other in a second process
    python -m bench.compare --report         # the table from the saved runs (bench/results/)

Lesson 7's question is how much better the LSTM predicts Kafka than the RNN. The answer
depends on how each is trained, so both get the same sweep (``SWEEP``: Adagrad and Adam,
three learning rates each) under the same budget and settings (``SETTINGS``: Lesson 4's
H = 100, B = 16, T = 25, clipping at 5), with several seeds. One run of ``max_steps``
steps per (model, optimiser, learning rate, seed) gives every smaller budget too: the
best validation loss among the evaluations up to that step is what early stopping at
that budget would keep. The sweep runs seed 0 of every setting; each model's best
setting at ``max_steps`` is then run with the other seeds. For each budget and model the
report marks the setting with the lowest mean over its seeds and gives the spread (min
to max) and the gap. ``--seq-length-part`` re-runs each model's best setting with T = 50
(half the steps: the same characters) to see what the sequence length does.

Each run is stored as one JSON line in ``bench/results/compare-<model>.jsonl`` as soon as
it ends, so an interrupted sweep keeps what it did and resumes where it stopped.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy loads its BLAS: one core per process

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from lstm_lab.batching import train_val_split  # noqa: E402
from lstm_lab.data import load_text  # noqa: E402
from lstm_lab.gru import GRU  # noqa: E402
from lstm_lab.lstm import LSTM  # noqa: E402
from lstm_lab.optim import Adagrad, Adam  # noqa: E402
from lstm_lab.rnn import RNN  # noqa: E402
from lstm_lab.train import train  # noqa: E402
from lstm_lab.vocab import Vocabulary  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"

#: Lesson 4's settings, for both models.
SETTINGS: dict[str, Any] = {"hidden_size": 100, "batch_size": 16, "seq_length": 25, "clip_value": 5.0,
                            "eval_every": 250, "max_steps": 3000}
#: (optimiser, learning rate): the same grid for both models.
SWEEP: list[tuple[str, float]] = [("Adagrad", 0.05), ("Adagrad", 0.1), ("Adagrad", 0.2), ("Adagrad", 0.4),
                                  ("Adam", 0.002), ("Adam", 0.005), ("Adam", 0.01), ("Adam", 0.02)]
SEEDS = (0, 1, 2)
BUDGETS = (1000, 2000, 3000)
OPTIMIZERS = {"Adagrad": Adagrad, "Adam": Adam}
MODELS = ("rnn", "lstm", "gru")


def make_model(name: str, vocab_size: int, seed: int) -> Any:
    """The lessons' models: the RNN of Lesson 4 (float64), the LSTM of Lesson 7 and the GRU of Lesson 11 (float32)."""
    if name == "rnn":
        return RNN(vocab_size, SETTINGS["hidden_size"], seed=seed)
    if name == "lstm":
        return LSTM(vocab_size, SETTINGS["hidden_size"], seed=seed, dtype=np.float32)
    if name == "gru":
        return GRU(vocab_size, SETTINGS["hidden_size"], seed=seed, dtype=np.float32)
    raise ValueError(f"model must be one of {', '.join(MODELS)}, got {name!r}.")


def run_one(model_name: str, optimizer: str, lr: float, seed: int, *, seq_length: int | None = None,
            max_steps: int | None = None) -> dict[str, Any]:
    """Train one model once; returns its settings and validation curve."""
    text = load_text("kafka")
    vocab = Vocabulary.from_text(text)
    train_ids, val_ids = train_val_split(vocab.encode(text), val_fraction=0.1)
    T = seq_length or SETTINGS["seq_length"]
    steps = max_steps or SETTINGS["max_steps"]
    model = make_model(model_name, len(vocab), seed)
    history = train(model, train_ids, val_ids=val_ids, num_steps=steps, batch_size=SETTINGS["batch_size"],
                    seq_length=T, optimizer=OPTIMIZERS[optimizer](lr=lr), clip_value=SETTINGS["clip_value"],
                    eval_every=SETTINGS["eval_every"], log_every=SETTINGS["eval_every"])
    return {"model": model_name, "optimizer": optimizer, "lr": lr, "seed": seed, "seq_length": T,
            "val_steps": history.val_steps, "val_loss": [round(v, 5) for v in history.val_loss],
            "train_loss": [round(v, 5) for v in history.train_loss], "seconds": round(history.seconds[-1], 1)}


def best_up_to(run: dict[str, Any], budget: int) -> float:
    """The best validation loss among the run's evaluations at steps <= budget."""
    return min(v for s, v in zip(run["val_steps"], run["val_loss"], strict=True) if s <= budget)


def load_runs() -> list[dict[str, Any]]:
    runs = []
    for path in sorted(RESULTS.glob("compare-*.jsonl")):
        runs += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return runs


def summarise(runs: list[dict[str, Any]], budget: int, seq_length: int = 25) -> dict[str, Any]:
    """Per model: every setting's (mean, min, max, n) over seeds at ``budget``, and the best.

    The best is chosen as the sweep chooses it, by the first seed's result (every setting
    has that one), so a setting is not favoured or penalised for having more seeds.
    """
    out: dict[str, Any] = {}
    for model in MODELS:
        settings: dict[tuple[str, float], list[float]] = {}
        first: dict[tuple[str, float], float] = {}
        for r in runs:
            if r["model"] == model and r["seq_length"] == seq_length and r["val_steps"][-1] >= budget:
                settings.setdefault((r["optimizer"], r["lr"]), []).append(best_up_to(r, budget))
                if r["seed"] == SEEDS[0]:
                    first[(r["optimizer"], r["lr"])] = best_up_to(r, budget)
        if not settings:
            continue
        table = {k: (statistics.mean(v), min(v), max(v), len(v)) for k, v in settings.items()}
        best = min(first or table, key=lambda k: first[k] if first else table[k][0])
        out[model] = {"table": table, "best": best}
    return out


def report(runs: list[dict[str, Any]]) -> str:
    names = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
    lines = ["# RNN, LSTM and GRU: each with its best optimiser and learning rate", "",
             "`python -m bench.compare`. Lesson 4's settings for all (H = 100, B = 16, clip 5); best "
             "validation loss (nats/char) among evaluations every 250 steps up to the budget; mean over "
             "seeds, (min-max) across them.", ""]
    for T in sorted({r["seq_length"] for r in runs}):
        for chars_budget in BUDGETS:
            budget = chars_budget * 25 // T  # the same characters as chars_budget steps at T = 25
            s = summarise(runs, budget, T)
            if not s:
                continue
            same = "" if T == 25 else f" (the characters of {chars_budget:,} steps at T = 25)"
            lines += [f"## T = {T}, {budget:,} steps{same}", "",
                      "| optimiser | lr | " + " | ".join(names[m] for m in MODELS) + " |",
                      "|---|---:|" + "---:|" * len(MODELS)]
            keys = sorted({k for m in s.values() for k in m["table"]})
            for k in keys:
                cells = []
                for m in MODELS:
                    if m in s and k in s[m]["table"]:
                        mean, lo, hi, n = s[m]["table"][k]
                        mark = "**" if s[m]["best"] == k else ""
                        cells.append(f"{mark}{mean:.3f}{mark} ({lo:.3f}-{hi:.3f}, n={n})")
                    else:
                        cells.append("")
                lines.append(f"| {k[0]} | {k[1]:g} | " + " | ".join(cells) + " |")
            bests = [f"best {names[m]} {s[m]['table'][s[m]['best']][0]:.3f} ({s[m]['best'][0]} {s[m]['best'][1]:g})"
                     for m in MODELS if m in s]
            summary = "; ".join(bests)
            lines += ["", summary[0].upper() + summary[1:] + "."]
            if "rnn" in s and "lstm" in s:
                r_mean = s["rnn"]["table"][s["rnn"]["best"]][0]
                l_mean = s["lstm"]["table"][s["lstm"]["best"]][0]
                lines[-1] += f" RNN - LSTM gap {r_mean - l_mean:.3f}."
            lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--report", action="store_true", help="only print and save the table")
    parser.add_argument("--seq-length-part", action="store_true",
                        help="the second part: each model's best 3,000-step setting again with T = 50")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    if not args.report:
        for model in args.models.split(","):
            path = RESULTS / f"compare-{model}.jsonl"
            done = {(r["optimizer"], r["lr"], r["seed"], r["seq_length"]) for r in load_runs() if r["model"] == model}
            if args.seq_length_part:
                best = summarise(load_runs(), 3000)[model]["best"]
                jobs = [(best[0], best[1], seed, 50) for seed in SEEDS]
            else:
                jobs = [(opt, lr, SEEDS[0], 25) for opt, lr in SWEEP] + [("best", 0.0, seed, 25) for seed in SEEDS[1:]]
            for opt, lr, seed, T in jobs:
                if opt == "best":  # decided by the first seed's sweep, once it is complete
                    opt, lr = summarise(load_runs(), SETTINGS["max_steps"])[model]["best"]
                if (opt, lr, seed, T) in done:
                    continue
                start = time.perf_counter()
                # T = 50 reads twice the characters per step: half the steps, the same characters
                steps = SETTINGS["max_steps"] if T == 25 else SETTINGS["max_steps"] // 2
                done.add((opt, lr, seed, T))
                result = run_one(model, opt, lr, seed, seq_length=T, max_steps=steps)
                with path.open("a") as f:
                    f.write(json.dumps(result) + "\n")
                print(f"{model} {opt} {lr:g} seed {seed} T {T}: best {min(result['val_loss']):.3f} "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
    text = report(load_runs())
    (RESULTS / "compare.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
