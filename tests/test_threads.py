"""Results do not depend on the number of cores: importing lstm_lab pins the BLAS to one thread."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The BLAS thread counts numpy gets from the environment, before and without lstm_lab.
THREADS = """
import numpy as np
from threadpoolctl import threadpool_info
print(sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}))
"""

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


def run(script: str, threads: int) -> str:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads),
           "MKL_NUM_THREADS": str(threads)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    return out.stdout.strip()


@pytest.fixture(scope="module")
def two_threads_granted():
    """Skip unless, without lstm_lab, this machine's BLAS runs the two threads the environment asks for.

    On one core OpenBLAS never starts a second thread, and with no BLAS there is nothing to pin:
    then neither test below could tell a pin from none.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if cores < 2:
        pytest.skip("one core: the BLAS cannot run two threads here")
    granted = run(THREADS, 2)
    if granted != "[2]":
        pytest.skip(f"asked for 2 BLAS threads, numpy's BLAS runs {granted}")


def test_lstm_lab_runs_blas_on_one_thread_whatever_the_environment_asks(two_threads_granted):
    threads, _ = run(STEP, 2).rsplit(" ", 1)
    assert threads == "[1]"


def test_training_gives_the_same_bits_with_one_or_two_blas_threads_asked_for(two_threads_granted):
    assert run(STEP, 1) == run(STEP, 2)


# Import lstm_lab as if threadpoolctl found no BLAS, numpy reporting BLAS; print the warnings.
NOT_FOUND = """
import warnings
import numpy as np
import threadpoolctl
threadpoolctl.threadpool_info = lambda: []
np.show_config = lambda mode="stdout": {"Build Dependencies": {"blas": {"name": BLAS}}}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import lstm_lab
print([str(w.message) for w in caught])
"""


def test_importing_lstm_lab_warns_when_it_cannot_pin_numpy_s_openblas_or_mkl():
    # as with a threadpoolctl too old to know the OpenBLAS numpy ships
    for blas in ("scipy-openblas", "mkl"):
        out = run(f"BLAS = {blas!r}" + NOT_FOUND, 1)
        assert f"could not pin numpy's BLAS ({blas}) to one thread" in out and "OPENBLAS_NUM_THREADS=1" in out
    # Apple's Accelerate, which threadpoolctl does not control: documented, not warned at every import
    assert run("BLAS = 'accelerate'" + NOT_FOUND, 1) == "[]"


def test_importing_lstm_lab_is_quiet_where_it_pins_a_blas():
    if run(THREADS, 1) == "[]":
        pytest.skip("threadpoolctl finds no BLAS here: whether lstm_lab warns then is tested above")
    assert run("import warnings; warnings.simplefilter('error'); import lstm_lab; print('quiet')", 1) == "quiet"
