"""Which kernels PyTorch's CPU LSTM runs on: ``python -m bench.torch_kernels [--quick]``.

PyTorch does not use OpenBLAS, so ``OPENBLAS_CORETYPE`` leaves it alone; but its float32
``nn.LSTM`` on the CPU runs oneDNN's fused RNN kernels, which choose their own instruction set
(AVX-512 where the CPU has it) unless ``ONEDNN_MAX_CPU_ISA`` limits them. This times the
benchmark's PyTorch twin (``bench.__main__.torch_twin``: the whole training step) in a fresh
process per setting:

- as it is;
- ``ONEDNN_MAX_CPU_ISA=AVX2``: oneDNN limited to AVX2;
- the bench's "AVX2 laptop" variables for PyTorch (``TORCH_ON_AVX2``: oneDNN, ATen and MKL on AVX2);
- oneDNN switched off (``torch.backends.mkldnn.enabled = False``): PyTorch's own LSTM cell,
  a matrix multiply (MKL) per step and ATen's elementwise kernels.

If the first is much faster than the others, a comparison that puts numpy on AVX2 and leaves
PyTorch as it is compares AVX2 code with AVX-512 code. Results go to
``bench/results/torch_kernels.md``.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy and PyTorch load

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from bench.__main__ import (  # noqa: E402
    CPU_VARIABLES,
    TORCH_ON_AVX2,
    T,
    best_chars_per_second,
    environment,
    machine_description,
    save_result,
)

RESULTS = Path(__file__).resolve().parent / "results" / "torch_kernels.md"
#: Setting name -> (environment changes, oneDNN on).
SETTINGS = {
    "as it is": ({}, True),
    "ONEDNN_MAX_CPU_ISA=AVX2": ({"ONEDNN_MAX_CPU_ISA": "AVX2"}, True),
    "the AVX2 laptop's PyTorch variables": (TORCH_ON_AVX2, True),
    "oneDNN off": ({}, False),
}
SIZES = ((64, 100), (64, 256))


def worker(onednn: bool, quick: bool) -> dict:
    """Characters/s of the PyTorch twin's float32 step at each of ``SIZES``, in this process."""
    import torch

    from bench.__main__ import torch_twin
    from lstm_lab.data import load_text
    from lstm_lab.vocab import Vocabulary

    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = onednn
    text = load_text("kafka")
    vocab = Vocabulary.from_text(text)
    ids = vocab.encode(text)
    steps = {f"{B},{H}": (torch_twin(ids, len(vocab), B, np.float32, H), B * T) for B, H in SIZES}
    block = {name: 2 if quick else 10 for name in steps}
    return best_chars_per_second(steps, block, 2 if quick else 7)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.torch_kernels", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats; nothing written")
    parser.add_argument("--worker", choices=("on", "off"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker == "on", args.quick)))
        return
    rates = {}
    for name, (env, onednn) in SETTINGS.items():
        cmd = [sys.executable, "-m", "bench.torch_kernels", "--worker", "on" if onednn else "off",
               *(["--quick"] if args.quick else [])]
        # each setting from none of the CPU variables, whatever this shell set ("as it is": PyTorch's own choice)
        out = subprocess.run(cmd, env=environment({**dict.fromkeys(CPU_VARIABLES), **env}), capture_output=True,
                             text=True, check=True)  # fmt: skip
        rates[name] = json.loads(out.stdout.strip().splitlines()[-1])
    sizes = [f"{B},{H}" for B, H in SIZES]
    lines = [
        f"Measured {datetime.date.today().isoformat()} by `python -m bench.torch_kernels` on: {machine_description()}.",
        "",
        "Characters/s of the PyTorch twin's float32 training step (one thread; T = 25), and (in brackets) "
        "as a share of the first row:",
        "",
        "| PyTorch's kernels | " + " | ".join(f"B, H = {s}" for s in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]
    first = rates["as it is"]
    for name, r in rates.items():
        cells = [f"{r[s]:,.0f} ({r[s] / first[s]:.2f})" for s in sizes]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        save_result(RESULTS, text)


if __name__ == "__main__":
    main()
