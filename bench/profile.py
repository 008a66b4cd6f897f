"""Where the time of one float32 training step goes: ``python -m bench.profile [--quick]``.

Times each part of ``LSTM.loss`` + clipping + the optimiser on its own, at the batch and
hidden sizes of ``python -m bench``, under every CPU configuration that the benchmark uses
(each in its own process: the environment that picks the kernels must be set before numpy
loads). The parts:

- prep: stacking the gate matrices and the fused pass's reordered, halved copy of them;
- forward GEMMs / forward rest: the T per-step matrix multiplies h_prev W_h, and everything
  else in ``lstm_forward_fused`` (the input lookup, the gate nonlinearities, the cell update);
- output layer + softmax: logits = h W_y + b_y for all B * T rows, the loss and dlogits,
  and the output layer's backward pass;
- backward GEMMs / embedding / backward rest: the T per-step multiplies da W_h^T and the
  window's dW_h, the input rows' gradient (``embedding_backward``), and everything else in
  ``lstm_backward_fused`` (G, K, the per-step products);
- grads, clip, optimiser: copying the stacked gradients into the parameters, clip by value,
  and an Adagrad step;

and the PyTorch twin's whole step, for scale. Each figure is the best of several blocks of
CPU time (``time.process_time``: this process's own time, so other work on a shared machine
disturbs it less than wall-clock time). The parts are timed apart, so their sum is close to,
not exactly, the whole step.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy loads its BLAS

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from bench.__main__ import (  # noqa: E402
    SIZES,
    T,
    blas_kernel,
    configurations,
    endless,
    environment,
    machine_description,
    save_result,
    torch_twin,
    torch_version,
)
from lstm_lab.layers import embedding_backward  # noqa: E402
from lstm_lab.lstm import LSTM, lstm_backward_fused, lstm_forward_fused, stack_gates  # noqa: E402
from lstm_lab.optim import Adagrad, clip_by_value  # noqa: E402
from lstm_lab.workspace import keep_freed_memory  # noqa: E402

PROFILE = Path(__file__).resolve().parent / "results" / "profile.md"
PARTS = (
    "prep", "forward GEMMs", "forward rest", "output layer + softmax", "backward GEMMs", "embedding",
    "backward rest", "grads", "clip", "optimiser",
)  # fmt: skip


def best_ms(fn: Callable[[], object], repeats: int, number: int) -> float:
    """Milliseconds of CPU time per call of ``fn``, the best of ``repeats`` blocks of ``number`` calls."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        tic = time.process_time()
        for _ in range(number):
            fn()
        best = min(best, (time.process_time() - tic) / number)
    return best * 1e3


def profile_size(ids: np.ndarray, V: int, B: int, H: int, quick: bool) -> dict[str, float]:
    """Milliseconds of each part (``PARTS``), the whole step, and PyTorch's whole step."""
    repeats, number = (2, 2) if quick else (5, max(2, int(10 * 6400 / (B * H))))
    dtype = np.float32
    model = LSTM(V, H, seed=0, dtype=dtype)
    optimizer = Adagrad(lr=0.1)
    inputs, targets = next(endless(ids, B))
    state = model.initial_state(B)
    ws = model._train_workspace

    def whole() -> None:
        model.loss(inputs, targets, state)
        clip_by_value(model.params, 5.0)
        optimizer.step(model.params)

    W, b = stack_gates(model.gate_values())
    _, cache = lstm_forward_fused(inputs, *state, W, b, ws)
    # The fused passes' matrix multiplies, replayed with their shapes: one (4, H, H) block per gate.
    W_h4 = np.ascontiguousarray(W[V:].reshape(H, 4, H).transpose(1, 0, 2))
    h, g = np.zeros((B, H), dtype), np.empty((4, B, H), dtype)
    da = np.zeros((4, T, B, H), dtype)
    dh_next = np.empty((B, H), dtype)
    hs = cache["hs"][:T].reshape(T * B, H)
    da_rows, dW_h = np.zeros((T * B, 4 * H), dtype), np.empty((H, 4 * H), dtype)

    def forward_gemms() -> None:
        for _ in range(T):
            np.matmul(h, W_h4, out=g)

    def backward_gemms() -> None:
        for t in range(1, T):  # training skips step 0's: it reaches only the initial state
            np.matmul(da[:, t], W_h4, out=g)
            np.sum(g, axis=0, out=dh_next)
        np.matmul(hs.T, da_rows, out=dW_h)

    def embedding() -> None:  # the input rows' gradient: one_hot(ids)^T da, summed rows by id
        embedding_backward(da_rows.reshape(T, B, 4 * H), (inputs.T, (V, 4 * H)))

    def output_layer() -> None:
        _, dlogits, _ = model._output_loss(cache, targets, ws)
        np.matmul(dlogits, model.W_y.value.T)
        np.matmul(hs.T, dlogits, out=model.W_y.grad)
        np.sum(dlogits, axis=0, out=model.b_y.grad)

    dh = np.ones((B, T, H), dtype)
    _, _, _, dW, db = lstm_backward_fused(dh, cache, initial_state_grads=False)
    from lstm_lab.lstm import split_gates

    def grads() -> None:
        for name, grad in split_gates(dW, db).items():
            getattr(model, name).grad[...] = grad

    ms = {
        "prep": best_ms(lambda: stack_gates(model.gate_values()), repeats, number),
        "forward GEMMs": best_ms(forward_gemms, repeats, number),
        "output layer + softmax": best_ms(output_layer, repeats, number),
        "backward GEMMs": best_ms(backward_gemms, repeats, number),
        "embedding": best_ms(embedding, repeats, number),
        "grads": best_ms(grads, repeats, number),
        "clip": best_ms(lambda: clip_by_value(model.params, 5.0), repeats, number),
        "optimiser": best_ms(lambda: optimizer.step(model.params), repeats, number),
    }
    forward = best_ms(lambda: lstm_forward_fused(inputs, *state, W, b, ws), repeats, number)
    ms["forward rest"] = forward - ms["forward GEMMs"]
    _, cache = lstm_forward_fused(inputs, *state, W, b, ws)
    backward = best_ms(lambda: lstm_backward_fused(dh, cache, initial_state_grads=False), repeats, number)
    ms["backward rest"] = backward - ms["backward GEMMs"] - ms["embedding"]
    ms["whole step"] = best_ms(whole, repeats, number)
    if torch_version() is not None:
        ms["PyTorch step"] = best_ms(torch_twin(ids, V, B, dtype, H), repeats, number)
    return ms


def worker(quick: bool) -> None:
    """Profile every size in this process; print one JSON line."""
    from lstm_lab.data import load_text
    from lstm_lab.vocab import Vocabulary

    keep_freed_memory()
    text = load_text("kafka")
    vocab = Vocabulary.from_text(text)
    ids = vocab.encode(text)
    sizes = [(B, H) for B, H, dtype in SIZES if dtype == "float32"]
    out = {"kernel": blas_kernel(), "sizes": {f"{B},{H}": profile_size(ids, len(vocab), B, H, quick) for B, H in sizes}}
    print(json.dumps(out))


def table(results: dict[str, dict]) -> str:
    """Markdown: one row per part, one column per (configuration, B, H), in milliseconds."""
    columns = [(name, size) for name, r in results.items() for size in r["sizes"]]
    head = " | ".join(f"{name} ({results[name]['kernel']}) B,H = {size}" for name, size in columns)
    lines = [f"| ms per step | {head} |", "|---" + "|---:" * len(columns) + "|"]
    for part in (*PARTS, "whole step", "PyTorch step"):
        cells = []
        for name, size in columns:
            value = results[name]["sizes"][size].get(part)
            cells.append("n/a" if value is None else f"{value:.2f}")
        lines.append(f"| {part} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke test)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.quick)
        return
    results = {}
    for name, env in configurations().items():
        cmd = [sys.executable, "-m", "bench.profile", "--worker", *(["--quick"] if args.quick else [])]
        out = subprocess.run(cmd, env=environment(env), capture_output=True, text=True, check=True)
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    text = (f"Measured {datetime.date.today().isoformat()} by `python -m bench.profile` on: {machine_description()}; "
            "the configurations are those of `python -m bench` (see latest.md).\n\n" + table(results))
    print(text)
    if not args.quick:
        save_result(PROFILE, text)


if __name__ == "__main__":
    main()
