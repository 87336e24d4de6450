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

from edgenn.exporters.fixed_point import smallest_holding
from edgenn.exporters.precision import (
    FLOAT32_SIGNIFICAND_BITS,
    LayerPrecision,
    _Context,
    _require_linear,
    _rule,
    _Tensor,
    _unsupported,
    _value_type,
    quantizer_type,
)

# Widest accumulator whose values the float64 numpy interval arithmetic (and the reference check) holds exactly.
MAX_EXACT_ACCUM_BITS = 53


def _pad_amounts(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(output size, pad before, pad after) with TensorFlow's convention (the extra pad goes after)."""
    if padding == "valid":
        return (size - kernel) // stride + 1, 0, 0
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


def _windows(x: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int], padding: str) -> np.ndarray:
    """Zero-padded sliding windows of an (H, W, C) array: shape (H_out, W_out, kh, kw, C)."""
    (kh, kw), (sh, sw) = kernel, strides
    h_out, top, bottom = _pad_amounts(x.shape[0], kh, sh, padding)
    w_out, left, right = _pad_amounts(x.shape[1], kw, sw, padding)
    padded = np.pad(x, ((top, bottom), (left, right), (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(0, 1))  # (H', W', C, kh, kw)
    win = win[: (h_out - 1) * sh + 1: sh, : (w_out - 1) * sw + 1: sw]
    return np.moveaxis(win, 2, -1)  # (H_out, W_out, kh, kw, C)


def _check_2d_layer(layer: Any, t: _Tensor) -> None:
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise _unsupported(layer, "channels_first data format.", fix="use data_format='channels_last'.")
    if t.lo.ndim != 3:
        raise _unsupported(layer, f"expects a (height, width, channels) input, got bounds of shape {t.lo.shape}.")


@_rule("QConv2D")
def _qconv2d(layer: Any, t: _Tensor, ctx: _Context) -> tuple[LayerPrecision, _Tensor]:
    _check_2d_layer(layer, t)
    _require_linear(layer)
    if tuple(layer.dilation_rate) != (1, 1):
        raise _unsupported(layer, f"dilation_rate {tuple(layer.dilation_rate)}.", fix="use dilation_rate=1.")
    if getattr(layer, "groups", 1) != 1:
        raise _unsupported(layer, "grouped convolution.", fix="use groups=1.")
    if not layer.kernel_quantizer:
        raise _unsupported(layer, "QConv2D without kernel_quantizer has float weights.", fix="set kernel_quantizer.")
    weight_q = quantizer_type(layer.kernel_quantizer_internal, layer)
    kernel = np.asarray(layer.kernel_quantizer_internal(layer.kernel).numpy(), dtype=np.float64)  # (kh, kw, C, F)
    if layer.use_bias:
        if not layer.bias_quantizer:
            raise _unsupported(layer, "QConv2D without bias_quantizer has a float bias.", fix="set bias_quantizer.")
        bias_q = quantizer_type(layer.bias_quantizer_internal, layer)
        bias = np.asarray(layer.bias_quantizer_internal(layer.bias).numpy(), dtype=np.float64)
    else:
        bias_q, bias = None, np.zeros(kernel.shape[-1])
    weight_t = _value_type(kernel, weight_q)
    bias_t = _value_type(bias, bias_q or weight_q)

    args = (kernel.shape[:2], tuple(layer.strides), layer.padding)
    lo_win, hi_win = _windows(t.lo, *args), _windows(t.hi, *args)
    w_pos, w_neg = np.maximum(kernel, 0.0), np.minimum(kernel, 0.0)
    hi = bias + np.einsum("hwijc,ijcf->hwf", hi_win, w_pos) + np.einsum("hwijc,ijcf->hwf", lo_win, w_neg)
    lo = bias + np.einsum("hwijc,ijcf->hwf", lo_win, w_pos) + np.einsum("hwijc,ijcf->hwf", hi_win, w_neg)
    fraction = max(t.fp.fraction + weight_t.fraction, bias_t.fraction)
    accum = smallest_holding(float(min(lo.min(), 0.0)), float(max(hi.max(), 0.0)), fraction, signed=True)
    if accum.width > MAX_EXACT_ACCUM_BITS:
        raise _unsupported(layer, f"accumulator needs {accum.width} bits (> {MAX_EXACT_ACCUM_BITS}), beyond the "
                                  "exact numpy reference.", fix="use fewer weight/activation bits.")
    abs_x = np.maximum(np.abs(lo_win), np.abs(hi_win))
    abs_sum = np.abs(bias) + np.einsum("hwijc,ijcf->hwf", abs_x, np.abs(kernel))
    partial_bits = math.ceil(math.log2(float(abs_sum.max()) * 2.0 ** fraction + 1.0)) if abs_sum.max() > 0 else 0
    float32_exact = partial_bits <= FLOAT32_SIGNIFICAND_BITS
    notes = () if float32_exact else (
        f"partial sums need up to {partial_bits} significant bits > {FLOAT32_SIGNIFICAND_BITS}: Keras's float32 "
        "convolution may round, so Keras (not the firmware) can deviate from the exact value",)
    prec = LayerPrecision(layer.name, type(layer).__name__, accum, weight=weight_t, bias=bias_t, accum=accum,
                          exact=t.exact, float32_exact=float32_exact, output_min=float(lo.min()),
                          output_max=float(hi.max()), notes=notes)
    return prec, _Tensor(lo, hi, accum, t.exact)


def _pool_windows(layer: Any, t: _Tensor) -> tuple[np.ndarray, np.ndarray, int]:
    _check_2d_layer(layer, t)
    pool, strides = tuple(layer.pool_size), tuple(layer.strides)
    if layer.padding != "valid":
        raise _unsupported(layer, f"padding '{layer.padding}' in pooling (hls4ml pads with values that differ "
                                  "from TensorFlow's at the borders).", fix="use padding='valid'.")
    lo = _windows(t.lo, pool, strides, "valid")
    hi = _windows(t.hi, pool, strides, "valid")
    return lo, hi, pool[0] * pool[1]


@_rule("MaxPooling2D")
def _max_pooling(layer: Any, t: _Tensor, ctx: _Context) -> tuple[LayerPrecision, _Tensor]:
    lo_win, hi_win, _ = _pool_windows(layer, t)
    lo, hi = lo_win.max(axis=(2, 3)), hi_win.max(axis=(2, 3))  # max is monotone in every argument
    prec = LayerPrecision(layer.name, type(layer).__name__, t.fp, tables=(("accum", t.fp),), exact=t.exact,
                          output_min=float(lo.min()), output_max=float(hi.max()),
                          notes=("max pooling selects an input value: the input type passes through",))
    return prec, _Tensor(lo, hi, t.fp, t.exact)


@_rule("AveragePooling2D")
def _average_pooling(layer: Any, t: _Tensor, ctx: _Context) -> tuple[LayerPrecision, _Tensor]:
    lo_win, hi_win, n = _pool_windows(layer, t)
    shift = n.bit_length() - 1
    if n != 1 << shift:
        raise _unsupported(layer, f"average over a {n}-pixel window: dividing by {n} (not a power of two) has no "
                                  "exact fixed-point result.",
                           fix="use a pool size whose area is a power of two (2x2, 4x4, 2x1) or MaxPooling2D.")
    sum_lo, sum_hi = lo_win.sum(axis=(2, 3)), hi_win.sum(axis=(2, 3))
    fraction = t.fp.fraction + shift
    signed = t.fp.signed or float(sum_lo.min()) < 0
    accum = smallest_holding(float(min(sum_lo.min(), 0.0)), float(max(sum_hi.max(), 0.0)), fraction, signed=signed)
    lo, hi = sum_lo / n, sum_hi / n
    result = smallest_holding(float(min(lo.min(), 0.0)), float(max(hi.max(), 0.0)), fraction, signed=signed)
    float32_exact = accum.width - int(accum.signed) <= FLOAT32_SIGNIFICAND_BITS
    prec = LayerPrecision(layer.name, type(layer).__name__, result, tables=(("accum", accum),), exact=t.exact,
                          float32_exact=float32_exact, output_min=float(lo.min()), output_max=float(hi.max()),
                          notes=(f"average of {n} = 2**{shift} values: {shift} extra fraction bits make the "
                                 "division exact",))
    return prec, _Tensor(lo, hi, result, t.exact)


@_rule("Reshape")
def _reshape(layer: Any, t: _Tensor, ctx: _Context) -> tuple[LayerPrecision, _Tensor]:
    shape = tuple(int(s) for s in layer.target_shape)
    prec = LayerPrecision(layer.name, "Reshape", t.fp, exact=t.exact, output_min=float(t.lo.min()),
                          output_max=float(t.hi.max()))
    return prec, _Tensor(t.lo.reshape(shape), t.hi.reshape(shape), t.fp, t.exact)

