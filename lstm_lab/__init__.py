"""lstm_lab: the code the lessons share (see the README's "The package").

Importing it pins numpy's BLAS to one thread. OpenBLAS splits a matrix product differently
across threads, so the last bits of a result depend on how many threads it used: after one
training step on two threads the weights already differ from one thread's, and training
amplifies the difference until the model is another one. A lesson's stored, asserted results
(computed on one thread) would then not hold on a laptop with more cores. On this course's
matrices one thread is about as fast (see the README's "For maintainers").

The pin covers the BLAS libraries loaded when lstm_lab is imported (numpy's, loaded first);
one loaded later, or a later ``threadpool_limits`` call, is not held to it. threadpoolctl
controls OpenBLAS, MKL and BLIS, not Apple's Accelerate (set ``VECLIB_MAXIMUM_THREADS=1``
before starting Python for that). If numpy reports OpenBLAS or MKL and threadpoolctl still
finds nothing to pin, importing lstm_lab warns and names the variables that do the same.
"""

import warnings as _warnings

import numpy as _np  # loaded first, so that threadpoolctl finds its BLAS
from threadpoolctl import threadpool_info as _threadpool_info
from threadpoolctl import threadpool_limits as _threadpool_limits


def _numpy_blas(np) -> str:
    """The name of the BLAS numpy was built with ("scipy-openblas", "mkl", "accelerate", ...)."""
    try:
        return str(np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]).lower()
    except Exception:  # numpy < 1.26 has no mode="dicts"; its wheels ship OpenBLAS
        return "openblas"


_threadpool_limits(limits=1, user_api="blas")
_blas = _numpy_blas(_np)
if not any(lib["user_api"] == "blas" for lib in _threadpool_info()) and ("openblas" in _blas or "mkl" in _blas):
    _warnings.warn(
        f"lstm_lab could not pin numpy's BLAS ({_blas}) to one thread, so results may depend on "
        "the number of cores and a lesson's asserted numbers may not hold. Upgrade threadpoolctl "
        "(pip install -U threadpoolctl), or start Jupyter or Python with OPENBLAS_NUM_THREADS=1 "
        "OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 set.",
        stacklevel=2,
    )
del _np, _blas, _numpy_blas, _threadpool_info, _threadpool_limits, _warnings
