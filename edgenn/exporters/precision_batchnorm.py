"""Precision rule for BatchNormalization (after Dense/QDense/Conv), registered with ``precision_rules``' ``@rule``.

At inference a BatchNormalization is a per-channel affine map ``y = s * x + b`` with ``s = gamma / sqrt(var + eps)``
and ``b = beta - s * mean``. hls4ml 1.3 computes exactly that (``hls4ml/model/layers.py`` ``BatchNormalization``
derives ``s`` and ``b`` in float64 at conversion; ``nnet_batchnorm.h`` multiplies ``data * scale`` at full width, adds
``bias`` and casts to ``result_t``). edgenn gives the preceding layer its own result type, so hls4ml's
``FuseBatchNormalization`` pass (which only fuses into a layer whose output type is unspecified) leaves the layer
alone, and the arithmetic is what this rule types:

* **exact** when every ``s`` and ``b`` is a short binary fraction (a trained network rarely has them, a network whose
  statistics are powers of two does): ``scale_t``/``bias_t`` hold them exactly and ``result_t`` holds ``s * x + b``
  exactly for every input in the incoming interval;
* **otherwise converted**: ``s`` and ``b`` are rounded to ``scale_t``/``bias_t`` with ``SCALE_BITS`` significant bits
  and the result kept at ``RESULT_EXTRA_FRACTION`` more fraction bits than the input, so a following quantizer
  sees an error far below its own step; the layer is marked not exact and the export's measured agreement (C
  simulation against the model) is the figure that counts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from edgenn.exporters.fixed_point import FixedPoint, lsb_exponent, smallest_holding
from edgenn.exporters.precision_rules import Context, Tensor, rule, unsupported
from edgenn.exporters.precision_types import LayerPrecision

SCALE_BITS = 18  # significant bits of a rounded scale / bias: one DSP48E2 multiplier input
RESULT_EXTRA_FRACTION = 8  # result fraction bits over the input's, when s and b are rounded
MAX_EXACT_WIDTH = 32  # an exact s or b needing more bits than this is rounded instead (no DSP takes it in one)


def affine(layer: Any) -> tuple[np.ndarray, np.ndarray]:
    """(scale, bias) per channel as hls4ml computes them from the layer's weights (float64)."""
    gamma = np.asarray(layer.gamma.numpy(), np.float64) if layer.scale else 1.0
    beta = np.asarray(layer.beta.numpy(), np.float64) if layer.center else 0.0
    mean = np.asarray(layer.moving_mean.numpy(), np.float64)
    var = np.asarray(layer.moving_variance.numpy(), np.float64)
    scale = gamma / np.sqrt(var + float(layer.epsilon)) * np.ones_like(mean)
    return scale, (beta - scale * mean) * np.ones_like(mean)


def _exact_type(values: np.ndarray) -> FixedPoint | None:
    e = lsb_exponent(values)
    if e is None:
        return FixedPoint(2, 1, True)
    fp = smallest_holding(float(min(values.min(), 0.0)), float(max(values.max(), 0.0)), max(-e, 0), signed=True)
    return fp if fp.width <= MAX_EXACT_WIDTH else None


def _rounded_type(values: np.ndarray) -> FixedPoint:
    abs_max = float(np.max(np.abs(values)))
    integer = 1 + max(0, math.ceil(math.log2(abs_max))) if abs_max > 0 else 1
    return FixedPoint(SCALE_BITS, integer, True, "RND", "SAT")


@rule("BatchNormalization")
def _batchnorm(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    axis = layer.axis if isinstance(layer.axis, int) else (layer.axis[0] if len(layer.axis) == 1 else None)
    if axis not in (-1, t.lo.ndim):
        raise unsupported(layer, f"BatchNormalization over axis {layer.axis}: hls4ml normalises the last axis only.",
                           fix="normalise the channel (last) axis, axis=-1.")
    scale, bias = affine(layer)
    scale_t, bias_t = _exact_type(scale), _exact_type(bias)
    exact = scale_t is not None and bias_t is not None and t.exact
    if scale_t is None or bias_t is None:
        scale_t, bias_t = _rounded_type(scale), _rounded_type(bias)
        scale_q, bias_q = scale_t.quantize(scale), bias_t.quantize(bias)
    else:
        scale_q, bias_q = scale, bias
    lo = np.minimum(scale_q * t.lo, scale_q * t.hi) + bias_q
    hi = np.maximum(scale_q * t.lo, scale_q * t.hi) + bias_q
    if exact:
        fraction = max(t.fp.fraction + scale_t.fraction, bias_t.fraction)
        result = smallest_holding(float(min(lo.min(), 0.0)), float(max(hi.max(), 0.0)), fraction, signed=True)
        notes: tuple[str, ...] = ("BatchNormalization scale and shift are exact binary fractions: exact",)
    else:
        fraction = t.fp.fraction + RESULT_EXTRA_FRACTION
        step = 2.0 ** -fraction  # the rounded products are off the grid: widen the bounds onto it
        result = smallest_holding(math.floor(min(lo.min(), 0.0) / step) * step,
                                  math.ceil(max(hi.max(), 0.0) / step) * step, fraction, signed=True,
                                  rounding="RND", saturation="SAT")
        notes = (f"BatchNormalization: scale and shift are not short binary fractions, rounded to {SCALE_BITS} "
                 f"significant bits, result with {fraction} fraction bits; not bit-exact by construction, agreement "
                 "measured",)
    prec = LayerPrecision(layer.name, type(layer).__name__, result, exact=exact, float32_exact=exact,
                          output_min=float(lo.min()), output_max=float(hi.max()), notes=notes,
                          config_types=(("scale", scale_t), ("bias", bias_t)))
    return prec, Tensor(lo, hi, result, exact)
