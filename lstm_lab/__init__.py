"""lstm_lab: the code the lessons share (see the README's "The package").

Importing it pins numpy's BLAS to one thread. OpenBLAS splits a matrix product differently
across threads, so the last bits of a result depend on how many threads it used: after one
training step on two threads the weights already differ from one thread's, and training
amplifies the difference until the model is another one. A lesson's stored, asserted results
(computed on one thread) would then not hold on a laptop with more cores. On this course's
matrices one thread is about as fast (see the README's "For maintainers").
"""

import numpy as _np  # loaded first, so that threadpoolctl finds its BLAS
from threadpoolctl import threadpool_limits as _threadpool_limits

_threadpool_limits(limits=1, user_api="blas")
del _np, _threadpool_limits
