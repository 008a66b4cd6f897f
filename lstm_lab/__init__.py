"""lstm_lab: the code the lessons share (see the README's "The package").

Importing it pins numpy's BLAS to one thread. OpenBLAS splits a matrix product differently
across threads, so the last bits of a result depend on how many threads it used: after one
training step on two threads the weights already differ from one thread's, and training
amplifies the difference until the model is another one. A lesson's stored, asserted results
(computed on one thread) would then not hold on a laptop with more cores. On this course's
matrices one thread is about as fast (see the README's "For maintainers").

The pin covers the BLAS libraries loaded when lstm_lab is imported (numpy's, loaded first);
one loaded later, or a later ``threadpool_limits`` call, is not held to it. Where threadpoolctl
finds no BLAS to pin (a numpy on Apple's Accelerate, say), importing lstm_lab warns and says
which environment variables do the same.
"""

import warnings as _warnings

import numpy as _np  # loaded first, so that threadpoolctl finds its BLAS
from threadpoolctl import threadpool_info as _threadpool_info
from threadpoolctl import threadpool_limits as _threadpool_limits

_threadpool_limits(limits=1, user_api="blas")
if not any(lib["user_api"] == "blas" for lib in _threadpool_info()):
    _warnings.warn(
        "lstm_lab found no BLAS library to pin to one thread, so results may depend on the number of "
        "cores and a lesson's asserted numbers may not hold. Start Jupyter or Python with "
        "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 VECLIB_MAXIMUM_THREADS=1 set.",
        stacklevel=2,
    )
del _np, _threadpool_info, _threadpool_limits, _warnings
