"""Exact precision rule for the element-wise product of tensors (``Multiply``), as the VAE's anomaly score needs.

The VAE firmware score (``architectures.autoencoder.vae_score_model``) is ``sum(mu * mu)``: a ``Multiply`` of the
quantized latent with itself, then a non-trainable all-ones QDense, which the QDense rule already makes exact (its
2-bit kernel holds 1; its accumulator gets the range of the sum and the finest step of the terms).

Why ``Multiply`` is exact: hls4ml computes ``res[i] = data1[i] * data2[i]`` (``nnet_merge.h`` ``multiply``); the
``ap_fixed`` product is formed at full precision (width w1 + w2, integer bits i1 + i2) and then cast to ``result_t``.
Every product of values on the grids 2**-f1 and 2**-f2 lies on the grid 2**-(f1 + f2), so ``result_t`` with
f1 + f2 fraction bits and the range of the exact product interval holds it without rounding or overflow; that range
is never wider than the w1 + w2 bits of the full product and is narrower when the bounds allow (a square is >= 0, so
it needs no sign bit). Keras multiplies in float32: exact while the product needs at most 24 significant bits, the
same condition as for Dense sums.

The rule registers with ``@merge_rule`` on import (``precision_rules.load_rule_modules`` imports it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgenn.exporters.fixed_point import smallest_holding
from edgenn.exporters.precision_rules import Context, Tensor, unsupported
from edgenn.exporters.precision_types import LayerPrecision, float32_rounding
from edgenn.exporters.precision_rules import merge_rule

MAX_EXACT_PRODUCT_BITS = 53  # float64 interval arithmetic and the numpy reference hold products this wide exactly


def product_bounds(ts: list[Tensor]) -> tuple[np.ndarray, np.ndarray]:
    """Element-wise bounds of the product of the tensors; a tensor multiplied by itself gets the bounds of a square."""
    if len(ts) == 2 and ts[0] is ts[1]:  # the walk hands the same Tensor object for the same producing layer
        lo2, hi2 = ts[0].lo ** 2, ts[0].hi ** 2
        straddles = (ts[0].lo < 0) & (ts[0].hi > 0)
        return np.where(straddles, 0.0, np.minimum(lo2, hi2)), np.maximum(lo2, hi2)
    lo, hi = ts[0].lo, ts[0].hi
    for t in ts[1:]:
        corners = np.stack([lo * t.lo, lo * t.hi, hi * t.lo, hi * t.hi])
        lo, hi = corners.min(axis=0), corners.max(axis=0)
    return lo, hi


@merge_rule("Multiply")
def _multiply(layer: Any, ts: list[Tensor], ctx: Context) -> tuple[LayerPrecision, Tensor]:
    shapes = {t.lo.shape for t in ts}
    if len(shapes) != 1:
        raise unsupported(layer, f"inputs of shapes {sorted(shapes)}: only same-shape products are supported.",
                           fix="multiply tensors of the same shape (no broadcasting).")
    lo, hi = product_bounds(ts)
    fraction = sum(t.fp.fraction for t in ts)
    signed = bool(lo.min() < 0)
    fp = smallest_holding(float(min(lo.min(), 0.0)), float(max(hi.max(), 0.0)), fraction, signed=signed)
    if fp.width > MAX_EXACT_PRODUCT_BITS:
        raise unsupported(layer, f"the exact product needs {fp.width} bits (> {MAX_EXACT_PRODUCT_BITS}).",
                           fix="quantize the factors to fewer bits (e.g. the VAE's mu_quant activation bits).")
    magnitude_bits = fp.width - int(signed)
    float32_exact, notes = float32_rounding(magnitude_bits, "product", "Keras's float32 product")
    exact = all(t.exact for t in ts)
    prec = LayerPrecision(layer.name, type(layer).__name__, fp, exact=exact, float32_exact=float32_exact,
                          output_min=float(lo.min()), output_max=float(hi.max()), notes=notes)
    return prec, Tensor(lo, hi, fp, exact)
