"""How closely two float64 implementations of the same computation (ours, PyTorch's) must agree."""

from __future__ import annotations

import numpy as np

RTOL, ATOL = 1e-9, 1e-12


def assert_agrees(actual: np.ndarray, desired: np.ndarray, err_msg: str = "") -> None:
    """Equal to 1e-9 relative, or within 1e-12 of the array's largest finite entry.

    An entry that cancels to near zero (a gradient summed from terms of size 100 that
    comes out at 0.004) keeps only the rounding of the terms it came from, and that rounding
    differs between CPUs and libraries. Measured against the array's scale the two still agree
    to about 1e-13. A wrong formula is off by far more than either bound.
    """
    finite = np.abs(np.asarray(desired))
    finite = finite[np.isfinite(finite)]  # an inf or nan must not make the bound infinite
    scale = float(finite.max()) if finite.size else 0.0
    np.testing.assert_allclose(actual, desired, rtol=RTOL, atol=max(ATOL, ATOL * scale), err_msg=err_msg)
