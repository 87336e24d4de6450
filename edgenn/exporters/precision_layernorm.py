"""Firmware types of ``LayerNormalization`` (hls4ml 1.3, ``nnet_layernorm.h``): table based, so measured, never exact.

hls4ml converts a LayerNormalization over the last axis of a (sequence, features) tensor. Per row it sums the inputs
in ``accum_t``, multiplies by ``1/dim`` (an ``accum_t`` constant), forms the differences and their mean square in
``accum_t``, then reads ``1/sqrt`` from a table of ``table_size`` entries over ``[0, 2**-table_range_power2)`` whose
entry k holds ``1/sqrt(10**-epsilon_power_of_10 + k / table_size)``; the result is
``diff * table * scale + bias`` cast to the result type. Keras computes ``(x - mean) / sqrt(var + epsilon)``; the
table replaces the square root (and rounds epsilon to a power of ten), and ``table_range_power2`` is unsigned, so a
row whose variance reaches 1 reads the last entry: the layer is only measured. The types below keep every step the
table does not approximate wide (the accumulator holds the sums, the mean's and the variance's rounding is below the
table's step), so the measured disagreement is the table's own.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from edgenn.exporters.fixed_point import FixedPoint, smallest_holding, stored_fixed_point
from edgenn.exporters.precision_rules import Context, Tensor, rule, unsupported
from edgenn.exporters.precision_types import DEFAULT_FLOAT_FRACTION_BITS, LayerPrecision

TABLE_SIZE = 4096  # hls4ml's default, left to it (a table_size here would mark a softmax head); the 1/sqrt step near a variance v is about 1 / (2 v table_size) relative
TABLE_FRACTION_BITS = 12
ROUNDED_SIGNIFICANT_BITS = 18


def _param_type(values: np.ndarray) -> tuple[FixedPoint, np.ndarray, bool]:
    """The type holding gamma or beta exactly, or an 18-significant-bit rounding of them (then not exact)."""
    stored = stored_fixed_point(values)
    if stored is not None:
        return stored, values, True
    peak = float(np.max(np.abs(values))) or 1.0
    integer = max(1, math.floor(math.log2(peak)) + 2)
    fp = FixedPoint(integer + ROUNDED_SIGNIFICANT_BITS, integer, True, "RND", "SAT")
    return fp, fp.quantize(values), False


@rule("LayerNormalization")
def _layernorm(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    axes = [int(a) for a in np.atleast_1d(layer.axis)]
    if t.lo.ndim != 2 or axes not in ([2], [-1]):
        raise unsupported(layer, f"LayerNormalization over axis {layer.axis} of a {t.lo.ndim}-D tensor: hls4ml 1.3 "
                                 "normalises the last axis of a (sequence, features) tensor only.",
                          fix="Reshape to (sequence, features) and normalise axis -1.")
    eps = float(layer.epsilon)
    power10 = -round(math.log10(eps)) if eps > 0 else 0
    if power10 <= 0:
        raise unsupported(layer, f"epsilon {eps:g}: hls4ml 1.3 takes an epsilon below 0.1 (a power of ten).",
                          fix="use epsilon=1e-3 (the Keras default).")
    dim = int(t.lo.shape[-1])
    gamma = np.asarray(layer.gamma.numpy(), np.float64) if layer.scale else np.ones(dim)
    beta = np.asarray(layer.beta.numpy(), np.float64) if layer.center else np.zeros(dim)
    scale_t, gamma_q, gamma_exact = _param_type(gamma)
    bias_t, beta_q, beta_exact = _param_type(beta)
    x_abs = float(max(np.abs(t.lo).max(), np.abs(t.hi).max()))
    spread = float((t.hi - t.lo).max())
    accum_fraction = 2 * t.fp.fraction + math.ceil(math.log2(dim)) + 4
    accum_peak = max(dim * x_abs, dim * spread ** 2, 1.0)
    accum_integer = math.ceil(math.log2(accum_peak)) + 2
    accum = FixedPoint(accum_integer + accum_fraction, accum_integer, True, "RND", "SAT")
    table_max = 1.0 / math.sqrt(10.0 ** -power10)
    table_integer = max(1, math.ceil(math.log2(table_max + 1)))
    table_t = FixedPoint(table_integer + TABLE_FRACTION_BITS, table_integer, False, "RND", "SAT")
    # |x_i - mean| / sqrt(var) <= sqrt(dim - 1): the exact output's bound (the firmware saturates beyond it)
    reach = math.sqrt(max(dim - 1, 1)) * np.abs(gamma_q)
    lo = np.broadcast_to(beta_q - reach, t.lo.shape).copy()
    hi = np.broadcast_to(beta_q + reach, t.lo.shape).copy()
    result = smallest_holding(math.floor(min(lo.min(), 0.0)) - 1.0, math.ceil(max(hi.max(), 0.0)) + 1.0, 0, signed=True)
    result = FixedPoint(result.integer + DEFAULT_FLOAT_FRACTION_BITS, result.integer, True, "RND", "SAT")
    notes = [f"LayerNormalization: hls4ml reads 1/sqrt(variance) from a {TABLE_SIZE}-entry table over [0, 1) "
             f"(a variance of 1 or more reads its last entry) with epsilon 1e-{power10}: agreement measured"]
    if not (gamma_exact and beta_exact):
        notes.append(f"gamma/beta rounded to {ROUNDED_SIGNIFICANT_BITS} significant bits")
    if not math.isclose(eps, 10.0 ** -power10, rel_tol=1e-6):
        notes.append(f"epsilon {eps:g} becomes 1e-{power10} in hls4ml")
    prec = LayerPrecision(layer.name, "LayerNormalization", result, accum=accum, exact=False,
                          output_min=float(lo.min()), output_max=float(hi.max()), notes=tuple(notes),
                          tables=(("table", table_t),),
                          config_types=(("scale", scale_t), ("bias", bias_t)))
    return prec, Tensor(lo, hi, result, False)
