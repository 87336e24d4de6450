"""Exact precision rules for depthwise and separable convolutions, registered into ``precision``'s rule table.

* ``DepthwiseConv1D/2D``, ``QDepthwiseConv2D``: output channel ``c * M + m`` is ``b + sum over the window taps of
  w[t, c, m] * x[t, c]``. hls4ml 1.3 computes every product and the sum in ``accum_t`` and casts to ``result_t``
  (``nnet_depthwise_product.h`` ``depthwise_product_latency``), so the rule is the Dense one per channel: the step
  of the products and the bias, the range of the exact output interval.
* ``SeparableConv1D/2D``, ``QSeparableConv1D/2D``: a depthwise convolution without bias followed by a pointwise
  (1x1) convolution with the bias. hls4ml splits the layer into ``<name>_depthwise`` and ``<name>_pointwise``
  (``optimizer/passes/seperable_to_dw_conv.py``) and reads their types from the layer's ``depthwise``,
  ``depthwise_accum``, ``depthwise_result``, ``pointwise``, ``pointwise_accum`` keys: the depthwise result keeps the
  exact depthwise sum (its accumulator type), so the pointwise stage sees exact values and is typed like a Conv.

Weights are the quantizer's values for QKeras layers and the stored values for float layers, which must already be
fixed-point numbers (``precision_conv.conv_weights``' rule).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from edgenn.exporters.fixed_point import FixedPoint, smallest_holding
from edgenn.exporters.precision_rules import (
    Context,
    Tensor,
    quantizer_type,
    require_linear,
    rule,
    unsupported,
    value_type,
)
from edgenn.exporters.precision_types import FLOAT32_SIGNIFICAND_BITS, LayerPrecision
from edgenn.exporters.precision_conv import MAX_EXACT_ACCUM_BITS, stored_weights, windows


def _weights(layer: Any, attr: str, quantizer: str, what: str) -> tuple[np.ndarray, FixedPoint]:
    values = getattr(layer, attr)
    q = getattr(layer, quantizer, None) if type(layer).__name__.startswith("Q") else None
    if type(layer).__name__.startswith("Q"):
        if not q:
            raise unsupported(layer, f"{type(layer).__name__} without {quantizer.removesuffix('_internal')} has "
                                      f"float {what}s.", fix=f"set {quantizer.removesuffix('_internal')}.")
        array = np.asarray(q(values).numpy(), np.float64)
        return array, value_type(array, quantizer_type(q, layer))
    array = np.asarray(values.numpy(), np.float64)
    return array, stored_weights(layer, what, array)


def _bias(layer: Any, n: int) -> tuple[np.ndarray, FixedPoint | None]:
    if not layer.use_bias:
        return np.zeros(n), None
    return _weights(layer, "bias", "bias_quantizer_internal", "bias")


_FAMILY = ("DepthwiseConv1D", "DepthwiseConv2D", "QDepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
           "QSeparableConv1D", "QSeparableConv2D")


def _require_one_rank(layer: Any, ctx: Context | None) -> None:
    """hls4ml 1.3's ``nnet_sepconv1d_latency.h`` reuses the include guard of ``nnet_sepconv2d_latency.h``, so a
    project with both 1-D and 2-D depthwise/separable layers does not compile (io_parallel)."""
    if ctx is None:
        return
    ranks = {type(lay).__name__[-2:] for lay in ctx.model.layers if type(lay).__name__ in _FAMILY}
    if len(ranks) > 1:
        raise unsupported(layer, "the model mixes 1-D and 2-D depthwise/separable convolutions, which hls4ml 1.3 "
                                  "cannot compile together (nnet_sepconv1d_latency.h reuses the 2-D include guard).",
                           fix="use one of the two (e.g. a 2-D layer with kernel (k, 1) on a (length, 1, channels) "
                               "map).")


def _geometry(layer: Any, t: Tensor, ctx: Context | None) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    _require_one_rank(layer, ctx)
    if int(getattr(layer, "depth_multiplier", 1)) != 1:  # nnet_sepconv2d_latency.h asserts n_filt == n_chan
        raise unsupported(layer, f"depth_multiplier {layer.depth_multiplier}: hls4ml 1.3's depthwise kernel "
                                  "supports a depth multiplier of 1 only.",
                           fix="use depth_multiplier=1 (and a Conv layer for more channels).")
    rank = len(layer.kernel_size)
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise unsupported(layer, "channels_first data format.", fix="use data_format='channels_last'.")
    if t.lo.ndim != rank + 1:
        raise unsupported(layer, f"expects a {rank}-D feature map with channels, got bounds of shape {t.lo.shape}.")
    if any(d != 1 for d in layer.dilation_rate):
        raise unsupported(layer, f"dilation_rate {tuple(layer.dilation_rate)}.", fix="use dilation_rate=1.")
    if layer.padding not in ("valid", "same"):
        raise unsupported(layer, f"padding '{layer.padding}'.", fix="use padding='valid' or 'same'.")
    require_linear(layer)
    return rank, tuple(layer.kernel_size), tuple(layer.strides)


def _depthwise_bounds(t: Tensor, kernel: np.ndarray, rank: int, strides: tuple[int, ...],
                      padding: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lo, hi, |x|.|w| bound) of the depthwise sums without bias, shape (*out, C * M)."""
    k = kernel.reshape(-1, kernel.shape[-2], kernel.shape[-1])  # (taps, C, M)
    lo_w = windows(t.lo, kernel.shape[:rank], strides, padding)
    hi_w = windows(t.hi, kernel.shape[:rank], strides, padding)
    out = lo_w.shape[:rank]
    lo_x, hi_x = lo_w.reshape(*out, -1, lo_w.shape[-1]), hi_w.reshape(*out, -1, hi_w.shape[-1])  # (*out, taps, C)
    w_pos, w_neg = np.maximum(k, 0.0), np.minimum(k, 0.0)

    def dot(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.einsum("...tc,tcm->...cm", x, w).reshape(*out, -1)

    hi = dot(hi_x, w_pos) + dot(lo_x, w_neg)
    lo = dot(lo_x, w_pos) + dot(hi_x, w_neg)
    return lo, hi, dot(np.maximum(np.abs(lo_x), np.abs(hi_x)), np.abs(k))


def _accum(layer: Any, lo: np.ndarray, hi: np.ndarray, abs_sum: np.ndarray, fraction: int) -> tuple[FixedPoint, bool]:
    accum = smallest_holding(float(min(lo.min(), 0.0)), float(max(hi.max(), 0.0)), fraction, signed=True)
    if accum.width > MAX_EXACT_ACCUM_BITS:
        raise unsupported(layer, f"accumulator needs {accum.width} bits (> {MAX_EXACT_ACCUM_BITS}), beyond the "
                                  "exact numpy reference.", fix="use fewer weight/activation bits.")
    bits = math.ceil(math.log2(float(abs_sum.max()) * 2.0 ** fraction + 1.0)) if abs_sum.max() > 0 else 0
    return accum, bits <= FLOAT32_SIGNIFICAND_BITS


_FLOAT32_NOTE = ("partial sums need more than 24 significant bits: Keras's float32 convolution may round, so Keras "
                 "(not the firmware) can deviate from the exact value")


@rule("DepthwiseConv1D", "DepthwiseConv2D", "QDepthwiseConv2D")
def _depthwise(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    rank, _, strides = _geometry(layer, t, ctx)
    kernel, weight_t = _weights(layer, "depthwise_kernel", "depthwise_quantizer_internal", "weight")
    bias, bias_t = _bias(layer, kernel.shape[-2] * kernel.shape[-1])
    lo, hi, abs_sum = _depthwise_bounds(t, kernel, rank, strides, layer.padding)
    lo, hi, abs_sum = lo + bias, hi + bias, abs_sum + np.abs(bias)
    fraction = max(t.fp.fraction + weight_t.fraction, bias_t.fraction if bias_t else -1000)
    accum, float32_exact = _accum(layer, lo, hi, abs_sum, fraction)
    extra = (("depthwise", weight_t),) if type(layer).__name__.startswith("Q") else ()
    prec = LayerPrecision(layer.name, type(layer).__name__, accum, weight=weight_t, bias=bias_t or weight_t,
                          accum=accum, exact=t.exact, float32_exact=float32_exact, output_min=float(lo.min()),
                          output_max=float(hi.max()), notes=() if float32_exact else (_FLOAT32_NOTE,),
                          config_types=extra)
    return prec, Tensor(lo, hi, accum, t.exact)


@rule("SeparableConv1D", "SeparableConv2D", "QSeparableConv1D", "QSeparableConv2D")
def _separable(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    rank, _, strides = _geometry(layer, t, ctx)
    dw, dw_t = _weights(layer, "depthwise_kernel", "depthwise_quantizer_internal", "weight")
    pw, pw_t = _weights(layer, "pointwise_kernel", "pointwise_quantizer_internal", "weight")
    pw2d = pw.reshape(-1, pw.shape[-1])  # (C * M, F)
    bias, bias_t = _bias(layer, pw2d.shape[1])
    lo1, hi1, abs1 = _depthwise_bounds(t, dw, rank, strides, layer.padding)
    dw_accum, dw_f32 = _accum(layer, lo1, hi1, abs1, t.fp.fraction + dw_t.fraction)
    w_pos, w_neg = np.maximum(pw2d, 0.0), np.minimum(pw2d, 0.0)
    hi = bias + hi1 @ w_pos + lo1 @ w_neg
    lo = bias + lo1 @ w_pos + hi1 @ w_neg
    abs_sum = np.abs(bias) + np.maximum(np.abs(lo1), np.abs(hi1)) @ np.abs(pw2d)
    fraction = max(dw_accum.fraction + pw_t.fraction, bias_t.fraction if bias_t else -1000)
    accum, pw_f32 = _accum(layer, lo, hi, abs_sum, fraction)
    float32_exact = dw_f32 and pw_f32
    types = (("depthwise", dw_t), ("pointwise", pw_t), ("depthwise_accum", dw_accum),
             ("depthwise_result", dw_accum), ("pointwise_accum", accum))
    prec = LayerPrecision(layer.name, type(layer).__name__, accum, bias=bias_t or pw_t, accum=accum, exact=t.exact,
                          float32_exact=float32_exact, output_min=float(lo.min()), output_max=float(hi.max()),
                          notes=("separable: the depthwise stage keeps its exact sum as its result type",)
                          + (() if float32_exact else (_FLOAT32_NOTE,)), config_types=types)
    return prec, Tensor(lo, hi, accum, t.exact)
