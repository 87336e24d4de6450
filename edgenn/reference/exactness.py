"""Why a float64 sum of products is exact, checked on the actual operands.

If every input value is a multiple of ``2**ex``, every weight of ``2**ew`` and every bias of ``2**eb``, every product
and partial sum is a multiple of ``2**e`` with ``e = min(ex + ew, eb)``. If moreover the sum of the absolute values of
all terms of an output stays below ``2**(53 + e)``, every partial sum, in whatever order BLAS adds them, is an integer
multiple of ``2**e`` below ``2**53`` of it, so float64 represents it exactly: no rounding happens anywhere. That
bound is what ``sum_is_exact`` checks; it does not depend on summation order.
"""

from __future__ import annotations

import numpy as np

FLOAT64_SIGNIFICAND_BITS = 53


def grid_exponent(values: np.ndarray) -> int | None:
    """Largest e with every value an integer multiple of 2**e (None if all are zero; -inf-like for non-dyadic)."""
    v = np.abs(np.asarray(values, np.float64).ravel())
    v = v[v != 0]
    if v.size == 0:
        return None
    if not np.all(np.isfinite(v)):
        return -10_000
    _, exps = np.frexp(v)  # v = mant * 2**exps, mant in [0.5, 1): v is a multiple of 2**(exps - 53) at least
    e = int(exps.max())
    lowest = int(exps.min()) - FLOAT64_SIGNIFICAND_BITS
    while e > lowest and not np.all(np.mod(v, 2.0 ** e) == 0):
        e -= 1
    return e


def sum_is_exact(x_abs_max: float, x_exp: int | None, w_abs_col_sums: np.ndarray, w_exp: int | None,
                 bias_abs: np.ndarray, b_exp: int | None) -> bool:
    """True when ``x @ w + b`` is computed exactly in float64 (see the module docstring)."""
    exps = []
    if x_exp is not None and w_exp is not None:
        exps.append(x_exp + w_exp)
    if b_exp is not None:
        exps.append(b_exp)
    if not exps:
        return True  # all terms are zero
    e = min(exps)
    bound = float(np.max(x_abs_max * np.asarray(w_abs_col_sums, np.float64) + np.asarray(bias_abs, np.float64),
                         initial=0.0))
    return bound < 2.0 ** (FLOAT64_SIGNIFICAND_BITS + e)
