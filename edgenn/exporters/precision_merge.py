"""Exact firmware types of element-wise merges of two tensors: Add, Subtract, Average, Maximum, Minimum.

hls4ml 1.3 computes each in full ``ap_fixed`` precision and casts once to the layer's result type
(``nnet_merge.h``: ``data1 + data2``, ``data1 - data2``, ``(data1 + data2) * ap_ufixed<1, 0>(0.5)``, and a
comparison that returns one of the two inputs unchanged). A result type on the finest input grid (one bit finer for
Average's halving) whose range holds the exact interval of the result therefore makes the cast lossless: the
firmware value is the real sum, difference, mean, maximum or minimum of its inputs. Keras computes the same in
float32, which is exact while the result fits its 24-bit significand (noted otherwise). hls4ml refuses merges of
more than two tensors, and broadcasting between shapes is not modelled, so both are refused here by name.
Multiply and Concatenate have their own rules (``precision_anomaly``, ``precision_graph``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgenn.exporters.fixed_point import smallest_holding
from edgenn.exporters.precision_rules import Context, Tensor, merge_rule, unsupported
from edgenn.exporters.precision_types import LayerPrecision, float32_rounding


def _bounds(cls: str, a: Tensor, b: Tensor) -> tuple[np.ndarray, np.ndarray, int]:
    """(lo, hi, fraction bits) of the exact result, element-wise."""
    fraction = max(a.fp.fraction, b.fp.fraction)
    if cls == "Add":
        return a.lo + b.lo, a.hi + b.hi, fraction
    if cls == "Subtract":
        return a.lo - b.hi, a.hi - b.lo, fraction
    if cls == "Average":
        return (a.lo + b.lo) / 2, (a.hi + b.hi) / 2, fraction + 1
    if cls == "Maximum":
        return np.maximum(a.lo, b.lo), np.maximum(a.hi, b.hi), fraction
    return np.minimum(a.lo, b.lo), np.minimum(a.hi, b.hi), fraction  # Minimum


@merge_rule("Add", "Subtract", "Average", "Maximum", "Minimum")
def _elementwise(layer: Any, ts: list[Tensor], ctx: Context) -> tuple[LayerPrecision, Tensor]:
    cls = type(layer).__name__
    if len(ts) != 2:
        raise unsupported(layer, f"{cls} of {len(ts)} tensors: hls4ml 1.3 merges two at a time.",
                           fix=f"chain two-input {cls} layers.")
    a, b = ts
    if a.lo.shape != b.lo.shape:
        raise unsupported(layer, f"inputs of shapes {a.lo.shape} and {b.lo.shape}: only same-shape merges are "
                                  "supported.", fix="reshape or repeat one input so both have the same shape.")
    lo, hi, fraction = _bounds(cls, a, b)
    signed = bool(lo.min() < 0) or a.fp.signed or b.fp.signed
    fp = smallest_holding(float(min(lo.min(), 0.0)), float(max(hi.max(), 0.0)), fraction, signed=signed)
    magnitude_bits = fp.width - int(fp.signed)
    float32_exact, notes = float32_rounding(magnitude_bits, cls, "Keras's float32 result")
    exact = a.exact and b.exact
    prec = LayerPrecision(layer.name, cls, fp, exact=exact, float32_exact=float32_exact,
                          output_min=float(lo.min()), output_max=float(hi.max()), notes=notes)
    return prec, Tensor(lo, hi, fp, exact)
