"""python -m bench [--quick] [--notebooks] [--no-save]: see bench/__init__.py.

BLAS is pinned to one thread (before numpy is imported), and so is PyTorch: every
implementation gets one core, and timings do not depend on what else the machine runs
on the second. Each figure is the best of several timed blocks of training steps
(like ``timeit``): the least disturbed run is the closest to what the code costs.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy loads its BLAS

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from bench.quality import TARGET  # noqa: E402
from bench.seed_style import SeedStyleLSTM  # noqa: E402
from lstm_lab.batching import make_streams, windows  # noqa: E402
from lstm_lab.data import load_text  # noqa: E402
from lstm_lab.lstm import LSTM  # noqa: E402
from lstm_lab.optim import Adagrad, clip_by_value  # noqa: E402
from lstm_lab.vocab import Vocabulary  # noqa: E402
from lstm_lab.workspace import keep_freed_memory  # noqa: E402

H, T = 100, 25  # the seeds' model: 100 hidden units, 25 steps of backpropagation
#: (B, H, dtype) of every lstm_lab-against-PyTorch row, under every configuration.
SIZES = (
    (1, 100, "float32"), (32, 100, "float32"), (64, 100, "float32"), (32, 256, "float32"),
    (64, 256, "float32"), (32, 100, "float64"), (64, 100, "float64"),
)  # fmt: skip
#: What makes numpy and OpenBLAS behave as on an AVX2 laptop (set before numpy loads).
AVX2_LAPTOP = {"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}
#: The same for PyTorch. Its float32 CPU LSTM runs oneDNN's fused RNN kernels, whose
#: instruction set only ONEDNN_MAX_CPU_ISA limits; its other kernels follow ATEN_CPU_CAPABILITY
#: and MKL's matrix multiplies MKL_ENABLE_INSTRUCTIONS. Without these PyTorch keeps AVX-512.
TORCH_ON_AVX2 = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
#: Variables that pin a library's CPU kernels (some machines set OpenBLAS's two, an old build's
#: workaround). Every configuration starts with none of them, whatever the shell running the
#: bench has set, and sets only its own: "best" is then what each library itself chooses.
CPU_VARIABLES = (
    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES",
    "ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA",
)  # fmt: skip
RESULTS = Path(__file__).resolve().parent / "results" / "latest.md"


def best_chars_per_second(
    steps: dict[str, tuple[Callable[[], None], int]], block: dict[str, int], repeats: int
) -> dict[str, float]:
    """Characters per second of each training step, the best of ``repeats`` timed blocks.

    Args:
        steps: name -> (step function, characters one step trains on).
        block: name -> how many steps one timed block runs.
        repeats: blocks per implementation. The blocks take turns (one of each, then the next
            round), so a machine that slows down for a while slows every row alike.
    """
    for step, _ in steps.values():
        for _ in range(3):  # warm up: first calls allocate and fill caches
            step()
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(repeats):
        for name, (step, _) in steps.items():
            tic = time.perf_counter()
            for _ in range(block[name]):
                step()
            best[name] = min(best[name], time.perf_counter() - tic)
    return {name: chars * block[name] / best[name] for name, (_, chars) in steps.items()}


def endless(ids: np.ndarray, B: int):
    """Training windows (inputs, targets), each (B, T), forever."""
    streams = make_streams(ids, B)
    while True:
        yield from windows(streams, T)


def ours(ids: np.ndarray, V: int, B: int, dtype: type, hidden: int = H) -> Callable[[], None]:
    """One lstm_lab training step: loss (forward + backward), clip to [-5, 5], Adagrad."""
    model = LSTM(V, hidden, seed=0, dtype=dtype)
    optimizer = Adagrad(lr=0.1)
    batches = endless(ids, B)
    state = [model.initial_state(B)]

    def step() -> None:
        inputs, targets = next(batches)
        _, state[0] = model.loss(inputs, targets, state[0])
        clip_by_value(model.params, 5.0)
        optimizer.step(model.params)

    return step


def seed_style(ids: np.ndarray, V: int) -> Callable[[], None]:
    """One training step of the seed-style per-character LSTM (B = 1, float64)."""
    model = SeedStyleLSTM(V, H, seed=0)
    text = ids.tolist()
    position = [0]
    state = [np.zeros((H, 1)), np.zeros((H, 1))]

    def step() -> None:
        p = position[0] if position[0] + T + 1 < len(text) else 0
        _, state[0], state[1] = model.train_step(text[p : p + T], text[p + 1 : p + T + 1], *state)
        position[0] = p + T

    return step


def torch_modules(V: int, dtype: type, model: LSTM | None = None, hidden: int = H) -> tuple:
    """``torch.nn.LSTM(V, H)`` and ``nn.Linear(H, V)``: our model's twin, with its weights if given.

    PyTorch keeps the gates in the order i, f, g (our C_tilde), o as the rows of (4H, V)
    input weights and (4H, H) recurrent weights, with two bias vectors; ours are the columns
    of (V + H, H) matrices with z = [x, h], one bias each.
    """
    import torch

    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    hidden = model.hidden_size if model is not None else hidden
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(V, hidden, batch_first=True, dtype=tdtype)
    linear = torch.nn.Linear(hidden, V, dtype=tdtype)
    if model is not None:
        order = ("W_i", "W_f", "W_C", "W_o")
        with torch.no_grad():
            lstm.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([getattr(model, n).value[:V].T for n in order])))
            lstm.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([getattr(model, n).value[V:].T for n in order])))
            lstm.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([getattr(model, "b" + n[1:]).value for n in order])))
            lstm.bias_hh_l0.zero_()
            linear.weight.copy_(torch.from_numpy(model.W_y.value.T))
            linear.bias.copy_(torch.from_numpy(model.b_y.value))
    return lstm, linear


def torch_window_loss(lstm: Any, linear: Any, inputs: np.ndarray, targets: np.ndarray, state: tuple) -> tuple:
    """The loss ``LSTM.loss`` computes (summed over T, averaged over B), in PyTorch; and the new state."""
    import torch

    B, V = inputs.shape[0], linear.out_features
    eye = torch.eye(V, dtype=linear.weight.dtype)
    x = eye[torch.from_numpy(np.array(inputs))]  # one-hot inputs, as our model reads them
    y = torch.from_numpy(np.array(targets))
    out, new_state = lstm(x, state)
    logits = linear(out)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1), reduction="sum") / B
    return loss, new_state


def torch_twin(ids: np.ndarray, V: int, B: int, dtype: type, hidden: int = H) -> Callable[[], None]:
    """The same model and step in PyTorch (eager, CPU): loss, backward, clip to [-5, 5], Adagrad."""
    import torch

    lstm, linear = torch_modules(V, dtype, hidden=hidden)
    params = [*lstm.parameters(), *linear.parameters()]
    optimizer = torch.optim.Adagrad(params, lr=0.1)
    batches = endless(ids, B)
    tdtype = linear.weight.dtype
    state = [(torch.zeros(1, B, hidden, dtype=tdtype), torch.zeros(1, B, hidden, dtype=tdtype))]

    def step() -> None:
        inputs, targets = next(batches)
        optimizer.zero_grad()
        loss, (h, C) = torch_window_loss(lstm, linear, inputs, targets, state[0])
        loss.backward()
        torch.nn.utils.clip_grad_value_(params, 5.0)
        optimizer.step()
        state[0] = (h.detach(), C.detach())

    return step


def blas_description() -> str:
    """Which BLAS numpy uses, with its kernel and thread count."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas['version']} (install threadpoolctl for the kernel)"
    found = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(
        f"{i['internal_api']} {i['version']}, {i.get('architecture', '?')} kernel, {i['num_threads']} thread(s)"
        for i in found
    ) or "none found"


def blas_kernel() -> str:
    """The kernel OpenBLAS chose (e.g. SkylakeX, Haswell), as threadpoolctl reports it; '?' if unknown."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "?"
    kernels = [str(i.get("architecture", "?")) for i in threadpool_info() if i.get("user_api") == "blas"]
    return "/".join(kernels) or "?"


def numpy_simd() -> str:
    """The SIMD targets numpy's own loops dispatch to in this process (e.g. X86_V3 X86_V4)."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy < 2
        return "?"
    return " ".join(t for t in __cpu_dispatch__ if __cpu_features__.get(t)) or "baseline only"


def cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def configurations(flags: set[str] | None = None) -> dict[str, dict[str, str | None]]:
    """Configuration name -> the environment it runs in (None: the variable is removed).

    Always this machine's best: OpenBLAS, numpy and PyTorch choose their own kernels (every
    one of ``CPU_VARIABLES`` is removed). On an AVX-512 CPU also

    - "AVX2 laptop": numpy and OpenBLAS on AVX2 (``AVX2_LAPTOP``) and PyTorch too
      (``TORCH_ON_AVX2``), as both run on a laptop without AVX-512;
    - "numpy on AVX2, PyTorch on AVX-512": ``AVX2_LAPTOP`` alone. No machine runs this mix (a
      CPU without AVX-512 gives it to neither), but it is how the comparison was first set up,
      so it is kept, with the floor of our matrix multiplies beside it (see ``report``).

    On a CPU without AVX-512 the machine's best already is the AVX2 case, so it is the only one.
    """
    flags = cpu_flags() if flags is None else flags
    best: dict[str, str | None] = dict.fromkeys(CPU_VARIABLES)
    configs = {"best": best}
    if "avx512f" in flags and "avx2" in flags:
        configs["AVX2 laptop"] = {**best, **AVX2_LAPTOP, **TORCH_ON_AVX2}
        configs["numpy on AVX2, PyTorch on AVX-512"] = {**best, **AVX2_LAPTOP}
    return configs


def environment(changes: dict[str, str | None], base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with ``changes`` applied: None removes a variable."""
    env = dict(os.environ if base is None else base)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        names = [ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                 if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}"


def torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch.__version__


def throughput_table(ids: np.ndarray, V: int, quick: bool, sizes: tuple = SIZES) -> list[dict]:
    """Characters/s of every row in this process: the seed-style model, then ours and PyTorch's at ``sizes``."""
    repeats, block_seconds = (2, 0.01) if quick else (7, 0.05)
    have_torch = torch_version() is not None
    rows = [{"impl": "seed-style per-step LSTM", "B": 1, "H": H, "dtype": "float64", "step": seed_style(ids, V)}]
    for B, hidden, dtype_name in sizes:
        dtype = np.dtype(dtype_name).type
        rows.append({"impl": "lstm_lab LSTM", "B": B, "H": hidden, "dtype": dtype_name,
                     "step": ours(ids, V, B, dtype, hidden)})
        if have_torch:
            rows.append({"impl": "torch.nn.LSTM (eager, CPU)", "B": B, "H": hidden, "dtype": dtype_name,
                         "step": torch_twin(ids, V, B, dtype, hidden)})
    steps = {str(k): (r["step"], r["B"] * T) for k, r in enumerate(rows)}
    # Blocks of about block_seconds each, from a timed step after two warm-up calls, so a big
    # model's blocks are not longer than a small one's.
    block = {}
    for k, (step, _) in steps.items():
        step(), step()
        tic = time.perf_counter()
        step()
        block[k] = int(min(50, max(1, round(block_seconds / (time.perf_counter() - tic)))))
    rates = best_chars_per_second(steps, block, repeats)
    for k, r in enumerate(rows):
        r["cps"] = rates[str(k)]
        del r["step"]
    seed_cps = rows[0]["cps"]
    torch_cps = {(r["B"], r["H"], r["dtype"]): r["cps"] for r in rows if r["impl"].startswith("torch")}
    for r in rows:
        key = (r["B"], r["H"], r["dtype"])
        r["vs_seed"] = r["cps"] / seed_cps
        r["vs_torch"] = r["cps"] / torch_cps[key] if key in torch_cps else None
    return rows


def step_gemm_flops(B: int, H: int, V: int, T: int = T) -> int:
    """Floating-point operations in the matrix multiplies of one LSTM training step.

    Forward h_prev W_h (T steps), backward da W_h^T (T - 1 steps: the first step's only
    reaches the initial state, whose gradient training discards) and dW_h over the window:
    2 B H (4H) per step each; the output layer's logits, dh and dW_y: 2 T B H V each. (The
    input lookup multiplies nothing.) Any implementation of this step, PyTorch's included,
    must do at least these.
    """
    return 2 * B * H * 4 * H * (T + (T - 1) + T) + 3 * 2 * T * B * H * V


def sgemm_gflops(repeats: int = 7) -> float:
    """This process's float32 matrix-multiply rate, GFLOP/s: the best of ``repeats`` (1600, 256) x (256, 1024).

    A large multiply (the shape of one window's dW_h at B = 64, H = 256) runs close to the
    kernel's peak: no step of ours can multiply faster than this.
    """
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((1600, 256), dtype=np.float32), rng.standard_normal((256, 1024), dtype=np.float32)
    out = np.empty((1600, 1024), dtype=np.float32)
    np.matmul(a, b, out=out)
    best = float("inf")
    for _ in range(repeats):
        tic = time.perf_counter()
        for _ in range(5):
            np.matmul(a, b, out=out)
        best = min(best, (time.perf_counter() - tic) / 5)
    return 2 * a.shape[0] * a.shape[1] * b.shape[1] / best / 1e9


def worker(quick: bool) -> dict:
    """Every row of the throughput table in this process, with the kernels it ran on."""
    keep_freed_memory()  # as train() does; for every implementation measured in this process
    text = load_text("kafka")
    vocab = Vocabulary.from_text(text)
    ids = vocab.encode(text)
    torch_v = torch_version()
    rows = throughput_table(ids, len(vocab), quick)
    return {"kernel": blas_kernel(), "blas": blas_description(), "numpy_simd": numpy_simd(),
            "torch": torch_v, "V": len(vocab), "rows": rows, "sgemm_gflops": sgemm_gflops(3 if quick else 7)}


def measure_configurations(quick: bool) -> dict[str, dict]:
    """Run ``worker`` in a fresh process per configuration (its environment must precede numpy)."""
    results = {}
    for name, env in configurations().items():
        cmd = [sys.executable, "-m", "bench", "--worker", *(["--quick"] if quick else [])]
        out = subprocess.run(cmd, env=environment(env), capture_output=True, text=True, check=True)
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
        results[name]["env"] = env
    return results


def quality_in_subprocess() -> dict:
    """``bench.quality``'s result, run in the "best" configuration (the kernels the machine chooses)."""
    out = subprocess.run([sys.executable, "-m", "bench.quality"], env=environment(configurations()["best"]),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def notebooks_seconds() -> float:
    tic = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "notebooks"], check=True, capture_output=True)
    return time.perf_counter() - tic


def report(results: dict[str, dict], quality: dict | None, nb_seconds: float | None) -> str:
    """The markdown of ``bench/results/latest.md``: ``results`` maps configuration -> ``worker``'s output."""
    first = next(iter(results.values()))
    torch_v = first["torch"]
    lines = [
        f"Measured {datetime.date.today().isoformat()} by `python -m bench` on: {machine_description()}. "
        f"PyTorch: {torch_v or 'not installed'}" + (" (1 thread)." if torch_v else "."),
        "",
        "Configurations, each measured in its own process:",
        "",
    ]
    for name, res in results.items():
        env = " ".join(f"-u {k}" if v is None else f'{k}="{v}"' if " " in v else f"{k}={v}"
                       for k, v in res.get("env", {}).items())
        lines.append(f"- **{name}**: {('`env ' + env + '`') if env else 'no change'}; BLAS: {res['blas']}; "
                     f"numpy SIMD: {res['numpy_simd']}"
                     + (f"; float32 matrix multiply at {res['sgemm_gflops']:.0f} GFLOP/s." if "sgemm_gflops" in res
                        else "."))
    names = list(results)
    lines += [
        "",
        f"lstm_lab against PyTorch (characters/s ours / theirs, above 1 = faster), T = {T}, V = {first['V']}, "
        "one step: forward, backward, clip to [-5, 5], Adagrad:",
        "",
        "| B | H | dtype | " + " | ".join(f"{n} ({results[n]['kernel']})" for n in names) + " |",
        "|---:|---:|---|" + "---:|" * len(names),
    ]
    for r in first["rows"]:
        if not r["impl"].startswith("lstm_lab"):
            continue
        cells = []
        for n in names:
            match = [q for q in results[n]["rows"] if q["impl"] == r["impl"]
                     and (q["B"], q.get("H", H), q["dtype"]) == (r["B"], r.get("H", H), r["dtype"])]
            ratio = match[0]["vs_torch"] if match else None
            cells.append("n/a" if ratio is None else f"{ratio:.2f}x")
        lines.append(f"| {r['B']} | {r.get('H', H)} | {r['dtype']} | " + " | ".join(cells) + " |")
    lines += floor_table(results)
    lines += [
        "",
        "Every row:",
        "",
        "| configuration | implementation | B | H | dtype | characters/s | vs seed-style | vs PyTorch |",
        "|---|---|---:|---:|---|---:|---:|---:|",
    ]
    for n in names:
        for r in results[n]["rows"]:
            vs_torch = f"{r['vs_torch']:.2f}x" if r["vs_torch"] is not None else "n/a"
            lines.append(f"| {n} | {r['impl']} | {r['B']} | {r.get('H', H)} | {r['dtype']} | {r['cps']:,.0f} | "
                         f"{r['vs_seed']:.1f}x | {vs_torch} |")
    if quality is not None:
        s = quality["settings"]
        to_target = (f"{quality['seconds_to_target']:.1f} s ({quality['steps_to_target']} steps)"
                     if quality["seconds_to_target"] is not None else "not reached")
        lines += [
            "",
            f"Quality on Kafka (H = {s['hidden_size']}, B = {s['batch_size']}, T = {s['seq_length']}, float32, "
            f"Adam lr {s['lr']} halved every {s['lr_half_life']} steps, clip {s['clip_value']}, "
            f"early stopping after {s['patience']} "
            f"validations without improvement, every {s['eval_every']} steps):",
            "",
            "| measure | value |",
            "|---|---:|",
            f"| training time to validation loss < {TARGET} nats/char | {to_target} |",
            f"| best validation loss (early stopping) | {quality['best_val_loss']:.3f} nats/char "
            f"({quality['best_val_loss'] / np.log(2):.2f} bits/char) at step {quality['best_step']} |",
            f"| whole run | {quality['steps']} steps, {quality['seconds']:.1f} s of training |",
            f"| peak memory of the training process | {quality['peak_rss_mb']:.0f} MB |",
        ]
    if nb_seconds is not None:
        lines += ["", f"Every notebook re-executed under nbval (`pytest notebooks`): {nb_seconds:.0f} s."]
    return "\n".join(lines) + "\n"


def floor_table(results: dict[str, dict]) -> list[str]:
    """Markdown lines: per configuration and float32 size, our step, PyTorch's, and our floor.

    The floor is ``step_gemm_flops`` at the configuration's ``sgemm_gflops``: the time the
    step's matrix multiplies alone would take at that kernel's best rate. Where PyTorch's whole
    step is shorter than our floor, no rearrangement of our numpy code can catch up with it.
    """
    if not any("sgemm_gflops" in res and res["torch"] for res in results.values()):
        return []
    lines = [
        "",
        "Milliseconds per float32 step: ours, PyTorch's, and the floor of ours (the step's matrix "
        "multiplies at this configuration's best float32 multiply rate):",
        "",
        "| configuration | B | H | ours | PyTorch | our floor | floor / PyTorch |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, res in results.items():
        if "sgemm_gflops" not in res:
            continue
        step_ms = {(r["impl"][:5], r["B"], r["H"]): 1e3 * r["B"] * T / r["cps"]
                   for r in res["rows"] if r["dtype"] == "float32" and r["B"] > 1}
        for (impl, B, hidden), ms in step_ms.items():
            if impl != "lstm_":
                continue
            theirs = step_ms.get(("torch", B, hidden))
            floor = step_gemm_flops(B, hidden, res["V"]) / res["sgemm_gflops"] / 1e6
            cells = [f"{ms:.2f}", "n/a" if theirs is None else f"{theirs:.2f}", f"{floor:.2f}",
                     "n/a" if theirs is None else f"{floor / theirs:.2f}"]
            lines.append(f"| {name} | {B} | {hidden} | " + " | ".join(cells) + " |")
    return lines


def save_result(path: Path, text: str) -> None:
    """Write a results file atomically (a run stopped half-way leaves the last one whole), and say so."""
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    print(f"written to {path}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no quality run (a smoke test)")
    parser.add_argument("--notebooks", action="store_true", help="also time every notebook under nbval")
    parser.add_argument("--no-save", action="store_true", help=f"print only; do not write {RESULTS.name}")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # one configuration's rows
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.quick)))
        return
    results = measure_configurations(args.quick)
    quality = None if args.quick else quality_in_subprocess()
    nb_seconds = notebooks_seconds() if args.notebooks else None
    table = report(results, quality, nb_seconds)
    print(table)
    if not args.no_save and not args.quick:
        save_result(RESULTS, table)


if __name__ == "__main__":
    main()
