"""Results do not depend on the number of cores: importing lstm_lab pins the BLAS to one thread."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One training step of the lesson-4 RNN, then a fingerprint of its weights and the BLAS
# thread counts: on two OpenBLAS threads the bits of these products differ from one thread's.
STEP = """
import hashlib
import numpy as np
import lstm_lab
from threadpoolctl import threadpool_info
from lstm_lab.optim import Adagrad
from lstm_lab.rnn import RNN
from lstm_lab.train import train

ids = np.random.default_rng(0).integers(0, 61, 4000)
model = RNN(61, 100, seed=0)
train(model, ids, num_steps=2, batch_size=16, seq_length=25, optimizer=Adagrad(lr=0.1), clip_value=5.0)
threads = sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
print(threads, hashlib.sha256(b"".join(p.value.tobytes() for p in model.params)).hexdigest())
"""


def run_with_threads(n: int) -> tuple[str, str]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(n), "OMP_NUM_THREADS": str(n)}
    out = subprocess.run([sys.executable, "-c", STEP], capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    threads, digest = out.stdout.strip().rsplit(" ", 1)
    return threads, digest


def test_lstm_lab_runs_blas_on_one_thread_whatever_the_environment_asks():
    threads, _ = run_with_threads(2)
    assert threads == "[1]"


def test_training_gives_the_same_bits_with_one_or_two_blas_threads_asked_for():
    assert run_with_threads(1) == run_with_threads(2)
