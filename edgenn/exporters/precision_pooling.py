"""Exact precision rules for pooling (1-D, 2-D, global) and zero padding, registered into ``precision``'s rule table.

Bounds are per element of the feature map, as in ``precision_conv``. What hls4ml 1.3 computes (``nnet_pooling.h``,
io_parallel; the Keras parser's ``compute_padding_1d/2d`` uses TensorFlow's padding convention):

* **Max pooling** selects one of its inputs: the input type passes through, exact for any type (hls4ml reads an
  ``accum_t`` as well, set to the same type). With ``padding='same'`` hls4ml fills the padded cells with
  ``pad_val<T, Max>()``, a value whose only set bit is the top one: the type's minimum for a signed type, so the
  maximum over a border window is the maximum of its real cells, as in TensorFlow. For an unsigned type that bit is
  a large *positive* value, so 'same' max pooling of unsigned values (after a ReLU) is refused.
* **Average pooling** sums the window in ``accum_t`` and divides by the number of real (unpadded) cells *in*
  ``accum_t`` (``avg``: ``y /= length``; ``count_pad`` is false for Keras, as TensorFlow counts real cells only).
  ``ap_fixed`` division truncates to the dividend's fraction bits, so a division by ``2**k`` is exact when
  ``accum_t`` has ``k`` more fraction bits than the input. Every window's count must be a power of two (a 2x2 'same'
  window at an odd border has 2 or 1 cells: exact). An average over a count that is not a power of two (10 particles,
  a 3x3 window, a 'same' border window of 6 cells), windowed or global, is converted with 10 more fraction bits and
  measured: the mean has no finite binary form, so no type holds it.
* **Global pooling** is pooling with one window covering the whole map (``global_pooling1d_cl``/``2d_cl``), the same
  arithmetic over ``N = length`` or ``N = height * width`` elements.
* **ZeroPadding1D/2D** inserts zeros, which every type holds: the input type passes through.

TensorFlow computes the same sums and divisions by powers of two, exact in float32 while the sum fits 24 bits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgenn.exporters.fixed_point import FixedPoint, smallest_holding
from edgenn.exporters.precision_rules import Context, Tensor, rule, unsupported
from edgenn.exporters.precision_types import FLOAT32_SIGNIFICAND_BITS, LayerPrecision
from edgenn.exporters.precision_conv import windows

EXTRA_AVERAGE_FRACTION = 10  # fraction bits over the input's for a global average whose count is no power of two


def _spatial_rank(layer: Any) -> int:
    return 2 if type(layer).__name__.endswith("2D") else 1


def _check(layer: Any, t: Tensor, rank: int) -> None:
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise unsupported(layer, "channels_first data format.", fix="use data_format='channels_last'.")
    if t.lo.ndim != rank + 1:
        shape = "(length, channels)" if rank == 1 else "(height, width, channels)"
        raise unsupported(layer, f"expects a {shape} input, got bounds of shape {t.lo.shape}.")


def _geometry(layer: Any, t: Tensor) -> tuple[tuple[int, ...], tuple[int, ...], str, int]:
    rank = _spatial_rank(layer)
    _check(layer, t, rank)
    pool = tuple(int(p) for p in np.atleast_1d(layer.pool_size))
    strides = tuple(int(s) for s in np.atleast_1d(layer.strides))
    if layer.padding not in ("valid", "same"):
        raise unsupported(layer, f"padding '{layer.padding}'.", fix="use padding='valid' or 'same'.")
    return pool, strides, layer.padding, rank


def _pooled(layer: Any, t: Tensor, fp: FixedPoint, lo: np.ndarray, hi: np.ndarray, note: str,
            accum: FixedPoint | None = None, float32_exact: bool = True) -> tuple[LayerPrecision, Tensor]:
    # both end up as the layer's accum_t; global pooling has kept it in the accum field since it was added
    kind = {"accum": accum or fp} if "Global" in type(layer).__name__ else {"tables": (("accum", accum or fp),)}
    prec = LayerPrecision(layer.name, type(layer).__name__, fp, exact=t.exact, float32_exact=float32_exact,
                          output_min=float(lo.min()), output_max=float(hi.max()), notes=(note,), **kind)
    return prec, Tensor(lo, hi, fp, t.exact)


@rule("MaxPooling1D", "MaxPooling2D")
def _max_pooling(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    pool, strides, padding, rank = _geometry(layer, t)
    if padding == "same" and not t.fp.signed:
        raise unsupported(layer, "'same' max pooling of unsigned values: hls4ml pads with the top bit set, a large "
                                  "positive value for an unsigned type, where TensorFlow ignores the padded cells.",
                           fix="use padding='valid', or pool before the ReLU (a signed type).")
    axes = tuple(range(rank, 2 * rank))
    lo = windows(t.lo, pool, strides, padding, fill=-np.inf).max(axis=axes)  # max is monotone in every argument
    hi = windows(t.hi, pool, strides, padding, fill=-np.inf).max(axis=axes)
    return _pooled(layer, t, t.fp, lo, hi, "max pooling selects an input value: the input type passes through")


def _average(layer: Any, t: Tensor, sum_lo: np.ndarray, sum_hi: np.ndarray,
             counts: np.ndarray) -> tuple[LayerPrecision, Tensor]:
    """Types of ``sum / count`` (per output element), exact when every count is a power of two."""
    bad = sorted({int(c) for c in np.unique(counts) if int(c) & (int(c) - 1)})
    if bad:
        return _inexact_average(layer, t, sum_lo, sum_hi, counts, bad)
    shift = int(counts.max()).bit_length() - 1
    fraction = t.fp.fraction + shift
    signed = bool(t.fp.signed or float(sum_lo.min()) < 0)
    accum = smallest_holding(float(min(sum_lo.min(), 0.0)), float(max(sum_hi.max(), 0.0)), fraction, signed=signed)
    lo, hi = sum_lo / counts, sum_hi / counts
    result = smallest_holding(float(min(lo.min(), 0.0)), float(max(hi.max(), 0.0)), fraction, signed=signed)
    float32_exact = accum.width - int(accum.signed) <= FLOAT32_SIGNIFICAND_BITS
    return _pooled(layer, t, result, lo, hi, f"average of up to 2**{shift} values: {shift} extra fraction bits make "
                   "the division exact", accum=accum, float32_exact=float32_exact)


def _inexact_average(layer: Any, t: Tensor, sum_lo: np.ndarray, sum_hi: np.ndarray, counts: np.ndarray,
                     bad: list[int]) -> tuple[LayerPrecision, Tensor]:
    """An average over a count that is not a power of two (10 particles, a 3x3 window or map, a 'same' border
    window of 6 cells): hls4ml sums in ``accum_t`` and divides there (``y /= length``), and an ``ap_fixed`` quotient
    keeps the dividend's fraction bits, truncating toward zero. ``EXTRA_AVERAGE_FRACTION`` more fraction bits than
    the input keep every quotient within 2**-(f + extra) of the mean; the result type has the same fraction, so
    hls4ml's cast to it is the identity. The mean itself (sum / 3, ...) has no finite binary form, so no type makes
    this exact: the agreement is measured."""
    fraction = t.fp.fraction + max(EXTRA_AVERAGE_FRACTION, int(max(bad)).bit_length())
    step = 2.0 ** -fraction
    signed = bool(t.fp.signed or float(sum_lo.min()) < 0)
    accum = smallest_holding(float(min(sum_lo.min(), 0.0)), float(max(sum_hi.max(), 0.0)), fraction, signed=signed)
    lo, hi = sum_lo / counts, sum_hi / counts
    result = smallest_holding(float(min(np.floor(lo.min() / step) * step, 0.0)),
                              float(max(np.ceil(hi.max() / step) * step, 0.0)), fraction, signed=signed)
    counted = ", ".join(str(c) for c in bad[:3]) + (", ..." if len(bad) > 3 else "")
    note = (f"average over {counted} values (not a power of two): hls4ml's division truncates to {fraction} "
            "fraction bits; not bit-exact by construction, agreement measured")
    kind = {"accum": accum} if "Global" in type(layer).__name__ else {"tables": (("accum", accum),)}
    prec = LayerPrecision(layer.name, type(layer).__name__, result, exact=False, float32_exact=False,
                          output_min=float(lo.min()), output_max=float(hi.max()), notes=(note,), **kind)
    return prec, Tensor(lo, hi, result, False)


@rule("AveragePooling1D", "AveragePooling2D")
def _average_pooling(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    pool, strides, padding, rank = _geometry(layer, t)
    axes = tuple(range(rank, 2 * rank))
    sum_lo = windows(t.lo, pool, strides, padding).sum(axis=axes)  # padded cells add 0
    sum_hi = windows(t.hi, pool, strides, padding).sum(axis=axes)
    counts = windows(np.ones_like(t.lo), pool, strides, padding).sum(axis=axes)  # real cells per window
    return _average(layer, t, sum_lo, sum_hi, counts)


def _global_axes(layer: Any, t: Tensor) -> tuple[int, ...]:
    rank = _spatial_rank(layer)
    _check(layer, t, rank)
    if getattr(layer, "keepdims", False):
        raise unsupported(layer, "keepdims=True.", fix="use keepdims=False (then Reshape if the axes are needed).")
    return tuple(range(rank))


@rule("GlobalMaxPooling1D", "GlobalMaxPooling2D")
def _global_max(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    axes = _global_axes(layer, t)
    lo, hi = t.lo.max(axis=axes), t.hi.max(axis=axes)
    return _pooled(layer, t, t.fp, lo, hi, "max pooling selects an input value: the input type passes through")


@rule("GlobalAveragePooling1D", "GlobalAveragePooling2D")
def _global_average(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    axes = _global_axes(layer, t)
    n = int(np.prod([t.lo.shape[a] for a in axes]))
    sum_lo, sum_hi = t.lo.sum(axis=axes), t.hi.sum(axis=axes)
    return _average(layer, t, sum_lo, sum_hi, np.full(sum_lo.shape, float(n)))


@rule("ZeroPadding1D", "ZeroPadding2D")
def _zero_padding(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    rank = _spatial_rank(layer)
    _check(layer, t, rank)
    pad = layer.padding
    pads = [tuple(pad)] if rank == 1 else [tuple(p) for p in pad]
    lo = np.pad(t.lo, (*pads, (0, 0)))
    hi = np.pad(t.hi, (*pads, (0, 0)))
    prec = LayerPrecision(layer.name, type(layer).__name__, t.fp, exact=t.exact, output_min=float(lo.min()),
                          output_max=float(hi.max()), notes=("zero padding: zeros fit every type",))
    return prec, Tensor(lo, hi, t.fp, t.exact)
