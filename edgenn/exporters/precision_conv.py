"""Exact precision rules for convolution, pooling and reshaping layers, registered into ``precision``'s rule table.

Intervals are per element of the feature map (height, width, channels), so zero padding and pruned weights shrink the
bounds exactly as they shrink the real values.

* ``QConv2D``: each output is ``b_f + sum over kh*kw*c_in terms w * x``, computed by hls4ml exactly like a Dense
  (``nnet_conv2d_latency.h``: products and sum in ``accum_t``, then a cast to ``result_t``; io_stream's line buffer
  calls the same dense kernel per output pixel). So the rule is QDense's: ``accum_t`` has the finest step of the
  products and the bias and the range of the exact output interval over all positions and filters; one type per
  layer, because hls4ml has one ``accum_t`` per layer. Padding contributes zeros, which the interval convolution of
  the zero-padded bounds reproduces.
* ``MaxPooling2D``: selects one of its inputs, so the input type passes through unchanged: exact for any type.
  hls4ml still reads an ``accum_t`` (``max<T,N,accum_t>`` returns it), set to the same type.
* ``AveragePooling2D``: hls4ml sums the window in ``accum_t`` and divides by the window size *in* ``accum_t``
  (``nnet_pooling.h`` ``avg``: ``y /= length``; ``nnet_pooling_stream.h`` ``reduce_pool``: ``sum / N``), and ap_fixed
  division truncates to the dividend's fraction bits. For a window of ``N = 2**k`` pixels the mean of values on a grid
  of step ``2**-f`` lies on the grid of step ``2**-(f+k)``: with ``accum_t`` holding the window *sum* range and
  ``f + k`` fraction bits, the division is exact, and so is ``result_t`` = mean range with ``f + k`` fraction bits.
  For any other ``N`` the mean has no finite binary expansion, so no type is exact: unsupported, with the fix.
  TensorFlow computes the same sum and divides by the same power of two, exact in float32 while the sum fits.
* ``Flatten``/``Reshape``: identity on values (row-major order is the same in Keras and hls4ml channels_last).

Keras evaluates convolutions in float32 in an order of its choosing; it is exact when every partial sum is, which
holds when ``|bias| + sum |w| * max|x|`` needs at most 24 significant bits at the accumulator's step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from edgenn.exporters.fixed_point import MAX_STORED_WEIGHT_BITS, FixedPoint, smallest_holding, stored_fixed_point
from edgenn.exporters.precision_rules import (
    FLOAT_BIAS_MAX_BITS,
    Context,
    Tensor,
    quantizer_type,
    require_linear,
    rule,
    unquantized_bias,
    unsupported,
    value_type,
)
from edgenn.exporters.precision_types import FLOAT32_SIGNIFICAND_BITS, LayerPrecision

# Widest accumulator whose values the float64 numpy interval arithmetic (and the reference check) holds exactly.
MAX_EXACT_ACCUM_BITS = 53


def _pad_amounts(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(output size, pad before, pad after) with TensorFlow's convention (the extra pad goes after)."""
    if padding == "valid":
        return (size - kernel) // stride + 1, 0, 0
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


def windows(x: np.ndarray, kernel: tuple[int, ...], strides: tuple[int, ...], padding: str,
            fill: float = 0.0) -> np.ndarray:
    """Padded sliding windows of a (*spatial, C) array: shape (*out, *kernel, C), 1-D or 2-D."""
    pads, outs = [], []
    for size, k, s in zip(x.shape[:-1], kernel, strides):
        out, before, after = _pad_amounts(size, k, s, padding)
        pads.append((before, after))
        outs.append(out)
    padded = np.pad(x, (*pads, (0, 0)), constant_values=fill)
    axes = tuple(range(len(kernel)))
    win = np.lib.stride_tricks.sliding_window_view(padded, kernel, axis=axes)  # (*out', C, *kernel)
    win = win[tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(outs, strides))]
    return np.moveaxis(win, len(kernel), -1)  # (*out, *kernel, C)


def _check_spatial_layer(layer: Any, t: Tensor, rank: int) -> None:
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise unsupported(layer, "channels_first data format.", fix="use data_format='channels_last'.")
    if t.lo.ndim != rank + 1:
        shape = "(length, channels)" if rank == 1 else "(height, width, channels)"
        raise unsupported(layer, f"expects a {shape} input, got bounds of shape {t.lo.shape}.")


def stored_weights(layer: Any, attr: str, values: np.ndarray) -> FixedPoint:
    """The type of a float layer's stored weights, which must already be fixed-point values: a float Conv has no
    quantizer, so the firmware computes it exactly only when the file holds quantized numbers (a QAT or
    post-training-quantization step, or edgenn's rewrite of binary/ternary/po2-quantized layers, wrote them)."""
    fp = stored_fixed_point(values)
    if fp is None:
        raise unsupported(layer, f"float {attr}s that are not fixed-point values (more than "
                                 f"{MAX_STORED_WEIGHT_BITS} bits): no firmware type computes this layer exactly.",
                          fix=f"export with --ptq (post-training quantization), or use Q{type(layer).__name__} "
                              "with kernel_quantizer and bias_quantizer.")
    return fp


def conv_weights(layer: Any) -> tuple[np.ndarray, np.ndarray, FixedPoint, FixedPoint]:
    """(kernel, bias, weight type, bias type) of a (Q)Conv layer: the quantized weights QKeras computes with, or the
    stored weights of a float Conv, each in the narrowest type holding every value exactly."""
    cls = type(layer).__name__
    if not cls.startswith("Q"):
        kernel = np.asarray(layer.kernel.numpy(), np.float64)
        bias = np.asarray(layer.bias.numpy(), np.float64) if layer.use_bias else np.zeros(kernel.shape[-1])
        return kernel, bias, stored_weights(layer, "weight", kernel), stored_weights(layer, "bias", bias)
    if not layer.kernel_quantizer:
        raise unsupported(layer, f"{cls} without kernel_quantizer has float weights.", fix="set kernel_quantizer.")
    weight_q = quantizer_type(layer.kernel_quantizer_internal, layer)
    kernel = np.asarray(layer.kernel_quantizer_internal(layer.kernel).numpy(), dtype=np.float64)  # (*k, C, F)
    if layer.use_bias and not layer.bias_quantizer:
        bias, bias_t, rounded = unquantized_bias(layer, layer.bias.numpy())
        if rounded is not None:  # the rounded bias would make the conv measured; its precision rule is exact-only
            raise unsupported(layer, f"{cls} without bias_quantizer: its float bias needs more than "
                                     f"{FLOAT_BIAS_MAX_BITS} bits to be held exactly.",
                              fix="set bias_quantizer (e.g. the kernel's quantized_bits).")
        return kernel, bias, value_type(kernel, weight_q), bias_t
    if layer.use_bias:
        bias_q = quantizer_type(layer.bias_quantizer_internal, layer)
        bias = np.asarray(layer.bias_quantizer_internal(layer.bias).numpy(), dtype=np.float64)
    else:
        bias_q, bias = None, np.zeros(kernel.shape[-1])
    return kernel, bias, value_type(kernel, weight_q), value_type(bias, bias_q or weight_q)


def sum_of_products(layer: Any, t: Tensor, lo_terms: np.ndarray, hi_terms: np.ndarray, abs_sum: np.ndarray,
                    fraction: int, weight_t: FixedPoint | None, bias_t: FixedPoint | None) -> tuple[LayerPrecision,
                                                                                                  Tensor]:
    """The exact accumulator of ``bias + sum w * x`` given the output bounds and ``|bias| + sum |w| max|x|``."""
    lo, hi = lo_terms, hi_terms
    # an inexact input (a float BatchNorm's rounded affine) has bounds off its grid: widen them to the grid first
    step = 2.0 ** -fraction
    accum = smallest_holding(float(min(np.floor(lo.min() / step) * step, 0.0)),
                             float(max(np.ceil(hi.max() / step) * step, 0.0)), fraction, signed=True)
    if accum.width > MAX_EXACT_ACCUM_BITS:
        raise unsupported(layer, f"accumulator needs {accum.width} bits (> {MAX_EXACT_ACCUM_BITS}), beyond the "
                                  "exact numpy reference.", fix="use fewer weight/activation bits.")
    partial_bits = math.ceil(math.log2(float(abs_sum.max()) * 2.0 ** fraction + 1.0)) if abs_sum.max() > 0 else 0
    float32_exact = partial_bits <= FLOAT32_SIGNIFICAND_BITS
    notes = () if float32_exact else (
        f"partial sums need up to {partial_bits} significant bits > {FLOAT32_SIGNIFICAND_BITS}: Keras's float32 "
        "convolution may round, so Keras (not the firmware) can deviate from the exact value",)
    prec = LayerPrecision(layer.name, type(layer).__name__, accum, weight=weight_t, bias=bias_t, accum=accum,
                          exact=t.exact, float32_exact=float32_exact, output_min=float(lo.min()),
                          output_max=float(hi.max()), notes=notes)
    return prec, Tensor(lo, hi, accum, t.exact)


@rule("QConv1D", "QConv2D", "Conv1D", "Conv2D")
def _qconv(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    rank = len(layer.kernel_size)
    _check_spatial_layer(layer, t, rank)
    require_linear(layer)
    if any(d != 1 for d in layer.dilation_rate):
        raise unsupported(layer, f"dilation_rate {tuple(layer.dilation_rate)}.", fix="use dilation_rate=1.")
    if getattr(layer, "groups", 1) != 1:
        raise unsupported(layer, "grouped convolution.", fix="use groups=1.")
    if layer.padding not in ("valid", "same"):
        raise unsupported(layer, f"padding '{layer.padding}'.", fix="use padding='valid' or 'same'.")
    kernel, bias, weight_t, bias_t = conv_weights(layer)
    args = (kernel.shape[:rank], tuple(layer.strides), layer.padding)
    lo_win, hi_win = windows(t.lo, *args), windows(t.hi, *args)  # (*out, *k, C)
    out_shape = lo_win.shape[:rank]
    flat = (*out_shape, -1)
    k2d = kernel.reshape(-1, kernel.shape[-1])  # (*k, C) row-major, as the window axes
    lo_x, hi_x = lo_win.reshape(flat), hi_win.reshape(flat)
    w_pos, w_neg = np.maximum(k2d, 0.0), np.minimum(k2d, 0.0)
    hi = bias + hi_x @ w_pos + lo_x @ w_neg
    lo = bias + lo_x @ w_pos + hi_x @ w_neg
    fraction = max(t.fp.fraction + weight_t.fraction, bias_t.fraction)
    abs_sum = np.abs(bias) + np.maximum(np.abs(lo_x), np.abs(hi_x)) @ np.abs(k2d)
    return sum_of_products(layer, t, lo, hi, abs_sum, fraction, weight_t, bias_t)


@rule("Reshape")
def _reshape(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    shape = tuple(int(s) for s in layer.target_shape)
    prec = LayerPrecision(layer.name, "Reshape", t.fp, exact=t.exact, output_min=float(t.lo.min()),
                          output_max=float(t.hi.max()))
    return prec, Tensor(t.lo.reshape(shape), t.hi.reshape(shape), t.fp, t.exact)

