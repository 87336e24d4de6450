"""Exact firmware types of ``Dot`` (the inner product of two vectors) and ``Embedding`` (a table look-up).

``Dot``: hls4ml 1.3 converts only rank-1 inputs (``nnet_merge.h`` ``dot1d``): each product ``data1[i] * data2[i]``
is formed at full ``ap_fixed`` precision, cast to ``accum_t`` and summed in ``accum_t``, then cast once to the
result type. Products of values on the grids 2**-f1 and 2**-f2 lie on 2**-(f1 + f2); an ``accum_t`` on that grid
whose range holds the exact interval of the *final* sum is exact (``AP_WRAP`` partial sums wrap back, as for Dense),
and the result type is the same. Keras computes the same sum in float32: exact while it needs at most 24 bits.

``Embedding``: ``res[j][i] = embeddings[data[j]][i]`` (``nnet_embed.h``). The index input has no fraction: its type is
the unsigned integer holding ``[0, input_dim)`` (what Keras's own ``tf.cast`` to int32 reads from the integer values
users feed), saturating, so an index outside the vocabulary reads the last row in the firmware; Keras would fail or
return zeros there, so indices must be valid. The result type is the narrowest holding every stored weight exactly;
float weights that are not short fixed-point values are rounded to 18 significant bits and the layer is measured.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgenn.exporters.fixed_point import FixedPoint, smallest_holding, stored_fixed_point
from edgenn.exporters.precision_rules import Context, Tensor, merge_rule, rule, unsupported
from edgenn.exporters.precision_types import LayerPrecision, float32_rounding

MAX_EXACT_BITS = 53
ROUNDED_SIGNIFICANT_BITS = 18


def _dot_axes_ok(layer: Any, a: Tensor, b: Tensor) -> None:
    if a.lo.ndim != 1 or a.lo.shape != b.lo.shape:
        raise unsupported(layer, f"Dot of shapes {a.lo.shape} and {b.lo.shape}: hls4ml 1.3 converts the inner "
                                 "product of two vectors of the same length only.",
                          fix="Flatten both inputs to vectors of the same length first.")
    axes = np.atleast_1d(layer.axes).tolist()
    if any(int(ax) not in (1, -1) for ax in axes) or getattr(layer, "normalize", False):
        raise unsupported(layer, f"Dot(axes={layer.axes}, normalize={layer.normalize}): only the plain inner "
                                 "product over the feature axis converts.", fix="use Dot(axes=1).")


@merge_rule("Dot")
def _dot(layer: Any, ts: list[Tensor], ctx: Context) -> tuple[LayerPrecision, Tensor]:
    if len(ts) != 2:
        raise unsupported(layer, f"Dot of {len(ts)} tensors.", fix="Dot two tensors at a time.")
    a, b = ts
    _dot_axes_ok(layer, a, b)
    if a is b:  # x . x: every product is a square (>= 0)
        sq_lo, sq_hi = a.lo ** 2, a.hi ** 2
        p_lo = np.where((a.lo < 0) & (a.hi > 0), 0.0, np.minimum(sq_lo, sq_hi))
        p_hi = np.maximum(sq_lo, sq_hi)
    else:
        corners = np.stack([a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi])
        p_lo, p_hi = corners.min(axis=0), corners.max(axis=0)
    lo, hi = np.asarray([p_lo.sum()]), np.asarray([p_hi.sum()])
    fraction = a.fp.fraction + b.fp.fraction
    fp = smallest_holding(float(min(lo.min(), 0.0)), float(max(hi.max(), 0.0)), fraction, signed=bool(lo.min() < 0))
    if fp.width > MAX_EXACT_BITS:
        raise unsupported(layer, f"the exact inner product needs {fp.width} bits (> {MAX_EXACT_BITS}).",
                          fix="quantize both inputs to fewer bits.")
    magnitude_bits = fp.width - int(fp.signed)
    float32_exact, notes = float32_rounding(magnitude_bits, "inner product", "Keras's float32 sum")
    exact = a.exact and b.exact
    prec = LayerPrecision(layer.name, "Dot", fp, accum=fp, exact=exact, float32_exact=float32_exact,
                          output_min=float(lo[0]), output_max=float(hi[0]), notes=notes)
    return prec, Tensor(lo, hi, fp, exact)


@rule("Embedding")
def _embedding(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    if t.fp.fraction > 0:
        raise unsupported(layer, f"the Embedding's index input has type {t.fp.to_hls()}, with fraction bits: "
                                 "hls4ml 1.3 reads an index only from an integer input.",
                          fix="feed the Embedding directly from a model input holding integer indices.")
    table = np.asarray(layer.embeddings.numpy(), np.float64)
    stored = stored_fixed_point(table)
    exact = stored is not None
    if stored is None:
        peak = float(np.max(np.abs(table))) or 1.0
        integer = int(np.floor(np.log2(peak))) + 2
        stored = FixedPoint(ROUNDED_SIGNIFICANT_BITS + 1, integer, True, "RND", "SAT")
        table = stored.quantize(table)
    weight = smallest_holding(float(min(table.min(), 0.0)), float(max(table.max(), 0.0)),
                              stored.fraction, signed=bool(table.min() < 0))
    n_idx = t.lo.shape
    lo = np.broadcast_to(table.min(axis=0), (*n_idx, table.shape[1])).copy()
    hi = np.broadcast_to(table.max(axis=0), (*n_idx, table.shape[1])).copy()
    notes = () if exact else (f"Embedding weights are not short fixed-point values: rounded to "
                              f"{ROUNDED_SIGNIFICANT_BITS} significant bits ({weight.to_hls()}), measured",)
    prec = LayerPrecision(layer.name, "Embedding", weight, weight=weight, exact=exact and t.exact,
                          output_min=float(lo.min()), output_max=float(hi.max()), notes=notes)
    return prec, Tensor(lo, hi, weight, exact and t.exact)
