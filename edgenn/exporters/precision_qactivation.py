"""Precision of QActivation quantizers that are not a plain ``ap_fixed`` cast: what hls4ml 1.3 computes for each, and
whether that equals what QKeras computes (``exact``), or only approximates it (agreement measured by the export).

hls4ml's QKeras parser (``converters/keras/qkeras.py`` ``get_activation_quantizer``) maps them to its own kernels in
``nnet_activation.h``; edgenn sets the result type, so the kernel's value is cast with edgenn's rounding and
saturation:

* ``binary()`` (alpha 1): QKeras ``sign`` with ``sign(0) = +1``; hls4ml ``binary_tanh``: ``x >= 0 ? 1 : -1``. Equal:
  **exact**, result ``ap_fixed<2,2>``. ``use_01`` (values 0/1) has no hls4ml kernel: refused.
* ``binary_tanh`` (the function): QKeras rounds the hard sigmoid, so ``x = 0`` gives -1; hls4ml gives +1 there.
  Not exact (they differ exactly where the input is 0); agreement measured.
* ``ternary`` (alpha 1): QKeras maps ``|x| >= t`` (t = 0.33 by default, compared in float32) to ``sign(x)``.
  hls4ml 1.3's parser makes a ``TernaryTanh`` with ``threshold = t``; its ``ExtractTernaryThreshold`` pass (when
  ``t != 0.5``) puts a scale ``0.5 / t`` in front, which ``MergeBatchNormAndQuantizedTanh`` fuses into
  ``normalize_ternary_tanh`` with ``hi = floor_F(0.5 / scale)``, ``lo = floor_F(-0.5 / scale)`` on the input's grid
  ``2**-F`` (``fpga_layers.set_thresholds``), comparing ``x > hi`` -> 1, ``x <= lo`` -> -1. That is QKeras's
  ``x >= t`` only when ``t`` is off the grid; for ``t`` on the grid (0.25, 0.5, ...) ``x = t`` gives 0 instead of 1.
  And at ``t == 0.5`` the pass does not run and hls4ml 1.3 writes no call for the standalone ``TernaryTanh`` at all
  (its output array is left unset). edgenn sets the layer's ``threshold`` attribute to ``c - 2**-F / 2``, ``c`` the
  smallest grid value ``>= float32(t)``: then ``hi = c - 2**-F`` and ``lo = -c``, so on the grid ``x > hi`` is
  ``x >= t`` and ``x <= lo`` is ``x <= -t``: **exact**, whatever ``t``. Other alphas scale the output: measured.
* ``quantized_sigmoid(b)`` / ``quantized_tanh(b)`` with the hard functions (QKeras's default): QKeras computes
  ``clip(round(hard(x) * 2**k) / 2**k, min, 1 - 2**-k)`` (``k = b`` or ``b - 1``); hls4ml's ``hard_sigmoid`` /
  ``hard_tanh`` compute ``clip(0.5 x + 0.5, 0, 1)`` (and ``2 s - 1``) exactly (slope and shift 0.5 are exact) and the
  cast to ``ap_ufixed<b, 0>`` / ``ap_fixed<b, 1>`` with round-half-even and saturation is QKeras's rounding and
  clip: **exact** (``symmetric=0``). With ``use_real_sigmoid``/``use_real_tanh`` hls4ml uses its lookup tables: not
  exact, agreement measured.
* ``quantized_relu(b, i, negative_slope=s)``: hls4ml's ``leaky_relu``: ``x > 0 ? x : s * x`` cast to the result
  type. QKeras rounds ``x`` and ``s * x`` to the step ``2**(i - b + 1)`` (half to even) and clips to
  ``[-s 2**i, 2**i - step]``. With ``s`` a power of two (held exactly by hls4ml's parameter type) and inputs above
  ``-2**i`` the two agree: **exact**; otherwise the lower clip differs and the agreement is measured.

Keras layers, same kernels:

* ``LeakyReLU(alpha)`` / ``PReLU``: ``x > 0 ? x : a * x`` with ``a`` in hls4ml's ``param`` type. When every slope is a
  short binary fraction, ``param_t`` holds it and the result type holds ``a * x`` exactly: **exact**. Otherwise (Keras's
  default 0.3, learned slopes) the slope is rounded to ``SLOPE_BITS`` significant bits and the result kept with
  ``EXTRA_FRACTION`` more fraction bits: not exact, agreement measured.
* ``ELU`` / ``Activation('elu')``: hls4ml reads ``exp(x) - 1`` from a 1024-entry table over [-8, 0): not exact,
  agreement measured.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from edgenn.exporters.fixed_point import FixedPoint, smallest_holding, stored_fixed_point
from edgenn.exporters.precision_rules import ACTIVATION_RULES, QUANTIZER_RULES, Context, Tensor, rule, unsupported
from edgenn.exporters.precision_types import LayerPrecision

SLOPE_BITS = 18  # significant bits of a rounded slope: one DSP48E2 multiplier input
EXTRA_FRACTION = 10  # result fraction bits over the input's where the slope is rounded

_SIGN = FixedPoint(2, 2, True, "RND_CONV", "SAT")  # holds -1, 0, 1


def _name(quantizer: Any) -> str:
    return getattr(quantizer, "__name__", None) or type(quantizer).__name__


def _cfg(quantizer: Any) -> dict:
    return quantizer.get_config() if hasattr(quantizer, "get_config") else {}


def _prec(layer: Any, t: Tensor, fp: FixedPoint, lo: float, hi: float, exact: bool, note: str,
          shape: tuple[int, ...], config_types: tuple = ()) -> tuple[LayerPrecision, Tensor]:
    prec = LayerPrecision(layer.name, type(layer).__name__, fp, exact=exact and t.exact, output_min=lo, output_max=hi,
                          notes=(note,), config_types=config_types)
    return prec, Tensor(np.full(shape, lo), np.full(shape, hi), fp, exact and t.exact)


def special_quantizer(layer: Any, t: Tensor) -> tuple[LayerPrecision, Tensor] | None:
    """The rule for a QActivation whose quantizer is one of the above, or None for a plain fixed-point cast."""
    q = layer.quantizer
    name, cfg, shape = _name(q), _cfg(q), t.lo.shape
    if cfg.get("use_stochastic_rounding"):
        return None  # refused by the plain rule with its reason
    if name == "binary":
        if cfg.get("use_01"):
            raise unsupported(layer, "binary(use_01=True) (values 0 and 1) has no hls4ml kernel.",
                               fix="use binary() (values -1 and 1).")
        if cfg.get("alpha") not in (None, 1, 1.0):
            raise unsupported(layer, f"binary alpha={cfg.get('alpha')!r} on activations scales by the batch.",
                               fix="use binary() without alpha.")
        return _prec(layer, t, _SIGN, -1.0, 1.0, True, "binary: hls4ml binary_tanh (x >= 0 -> 1) equals QKeras's "
                     "sign", shape)
    if name == "binary_tanh":
        return _prec(layer, t, _SIGN, -1.0, 1.0, False, "binary_tanh: QKeras maps 0 to -1, hls4ml to +1; agreement "
                     "measured", shape)
    if name == "ternary" and cfg.get("alpha") in (None, 1, 1.0):
        return _ternary(layer, t, q, cfg, shape)
    if name in ("ternary", "ternary_tanh"):
        return _prec(layer, t, _SIGN, -1.0, 1.0, False, "ternary with a scale, or the ternary_tanh function: hls4ml "
                     "thresholds its own way; agreement measured", shape)
    if name in ("quantized_sigmoid", "quantized_tanh"):
        bits, real = int(cfg["bits"]), cfg.get("use_real_sigmoid") or cfg.get("use_real_tanh")
        exact = not real and not cfg.get("symmetric")
        if name == "quantized_sigmoid":
            fp, lo = FixedPoint(bits, 0, False, "RND_CONV", "SAT"), 0.0
        else:
            fp, lo = FixedPoint(bits, 1, True, "RND_CONV", "SAT"), -1.0
        how = "hls4ml's lookup table approximates it; agreement measured" if real else (
            "symmetric clip differs; agreement measured" if not exact else
            "hard function computed exactly, cast rounds half to even and saturates as QKeras does")
        return _prec(layer, t, fp, lo, fp.max, exact, f"{name}({bits}): {how}", shape)
    if name == "quantized_relu" and cfg.get("negative_slope"):
        return _leaky(layer, t, cfg, shape)
    return None


def _ternary(layer: Any, t: Tensor, q: Any, cfg: dict, shape: tuple[int, ...]) -> tuple[LayerPrecision, Tensor]:
    """The threshold attribute that makes hls4ml's fused ternary comparison QKeras's (module docstring)."""
    threshold = float(np.float32(q.default_threshold if cfg.get("threshold") is None else cfg["threshold"]))
    step = t.fp.lsb
    c = math.ceil(threshold / step) * step
    placed = c - step / 2
    exact = threshold > 0 and t.fp.min < -c and c < t.fp.max  # both thresholds held by the input type
    note = (f"ternary(threshold={threshold:g}): hls4ml's threshold set to {placed:g} on the input grid 2**-"
            f"{t.fp.fraction}, so its comparisons are QKeras's |x| >= threshold" if exact else
            f"ternary(threshold={threshold:g}) outside the input type {t.fp.to_hls()}: agreement measured")
    prec, out = _prec(layer, t, _SIGN, -1.0, 1.0, exact, note, shape)
    from dataclasses import replace

    return replace(prec, attributes=(("Threshold", placed),)), out


def _leaky(layer: Any, t: Tensor, cfg: dict, shape: tuple[int, ...]) -> tuple[LayerPrecision, Tensor]:
    bits, integer, slope = int(cfg["bits"]), int(cfg["integer"]), float(cfg["negative_slope"])
    if cfg.get("use_sigmoid"):
        raise unsupported(layer, "quantized_relu(use_sigmoid=1) has no hls4ml kernel.", fix="use use_sigmoid=0.")
    if slope < 0 or slope > 1:
        raise unsupported(layer, f"quantized_relu negative_slope={slope} outside [0, 1].")
    fp = FixedPoint(bits, integer + 1, True, "RND_CONV", "SAT")  # step 2**(i - b + 1), one sign bit
    pow2 = math.frexp(slope)[0] == 0.5
    exact = pow2 and float(t.lo.min()) >= -(2.0 ** integer)
    lo = max(fp.min, fp.quantize(np.asarray([slope * float(t.lo.min())]))[0]) if slope else 0.0
    hi = float(fp.quantize(np.asarray([max(float(t.hi.max()), 0.0)]))[0])
    note = ("negative slope a power of two and inputs within the clip: hls4ml's leaky_relu equals QKeras" if exact
            else "negative slope not a power of two, or inputs below the quantizer's lower clip: agreement measured")
    return _prec(layer, t, fp, float(lo), hi, exact, note, shape, (("param", _slope_type(np.asarray([slope]))[0]),))


def _slope_type(slopes: np.ndarray) -> tuple[FixedPoint, bool]:
    """(hls4ml ``param`` type, whether it holds every slope exactly)."""
    exact_t = stored_fixed_point(slopes)
    if exact_t is not None:
        return exact_t, True
    abs_max = float(np.max(np.abs(slopes)))
    integer = 1 + max(0, math.ceil(math.log2(abs_max))) if abs_max > 0 else 1
    return FixedPoint(SLOPE_BITS, integer, True, "RND", "SAT"), False


def _sloped(layer: Any, t: Tensor, slopes: np.ndarray, what: str) -> tuple[LayerPrecision, Tensor]:
    """Types of ``x > 0 ? x : a * x`` (``a`` per element or one value)."""
    param_t, exact_slope = _slope_type(slopes)
    a = param_t.quantize(slopes) * np.ones_like(t.lo)
    neg_lo, neg_hi = np.minimum(t.lo, 0.0), np.minimum(t.hi, 0.0)
    cands = np.stack([a * neg_lo, a * neg_hi, np.maximum(t.lo, 0.0), np.maximum(t.hi, 0.0)])
    lo, hi = cands.min(axis=0), cands.max(axis=0)
    if exact_slope:
        fraction = t.fp.fraction + max(param_t.fraction, 0)
        fp = smallest_holding(float(min(lo.min(), 0.0)), float(max(hi.max(), 0.0)), fraction, signed=True)
        note = f"{what}: slopes are short binary fractions, a * x is held exactly"
    else:
        fraction = t.fp.fraction + EXTRA_FRACTION
        step = 2.0 ** -fraction
        fp = smallest_holding(math.floor(min(lo.min(), 0.0) / step) * step, math.ceil(max(hi.max(), 0.0) / step) * step,
                              fraction, signed=True, rounding="RND", saturation="SAT")
        note = (f"{what}: slope(s) rounded to {SLOPE_BITS} significant bits and a * x to {fraction} fraction bits; "
                "agreement measured")
    prec = LayerPrecision(layer.name, type(layer).__name__, fp, exact=exact_slope and t.exact,
                          output_min=float(lo.min()), output_max=float(hi.max()), notes=(note,),
                          config_types=(("param", param_t),))
    return prec, Tensor(lo, hi, fp, exact_slope and t.exact)


@rule("LeakyReLU")
def _leaky_relu(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    return _sloped(layer, t, np.asarray([float(layer.alpha)]), f"LeakyReLU(alpha={float(layer.alpha):g})")


@rule("ThresholdedReLU")
def _thresholded_relu(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    """hls4ml's ``thresholded_relu``: ``x > theta ? x : 0`` with theta in the ``param`` type; a selection, so the
    input type passes through, exact when theta is stored exactly (otherwise x near theta may compare otherwise)."""
    theta = float(layer.theta)
    param_t, exact_theta = _slope_type(np.asarray([theta]))
    lo, hi = np.minimum(np.maximum(t.lo, theta), 0.0), np.maximum(t.hi, 0.0)
    note = (f"ThresholdedReLU(theta={theta:g}): a selection, the input type passes through" if exact_theta else
            f"ThresholdedReLU: theta {theta:g} rounded to {param_t}; inputs next to it are measured")
    prec = LayerPrecision(layer.name, type(layer).__name__, t.fp, exact=exact_theta and t.exact,
                          output_min=float(lo.min()), output_max=float(hi.max()), notes=(note,),
                          config_types=(("param", param_t),))
    return prec, Tensor(lo, hi, t.fp, exact_theta and t.exact)


@rule("PReLU")
def _prelu(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    alpha = np.asarray(layer.alpha.numpy(), np.float64)
    if alpha.shape != t.lo.shape:
        raise unsupported(layer, f"PReLU slopes of shape {alpha.shape} (shared axes): hls4ml takes one slope per "
                                  f"element, {t.lo.shape}.", fix="use PReLU without shared_axes.")
    return _sloped(layer, t, alpha, "PReLU")


def elu(layer: Any, t: Tensor, alpha: float) -> tuple[LayerPrecision, Tensor]:
    """hls4ml's table-based ELU: x for x >= 0, the table of alpha (exp(x) - 1) below."""
    fraction = max(t.fp.fraction, EXTRA_FRACTION)
    lo = np.where(t.lo < 0, -abs(alpha), t.lo)
    hi = np.maximum(t.hi, 0.0)
    step = 2.0 ** -fraction
    fp = smallest_holding(math.floor(min(float(lo.min()), 0.0) / step) * step,
                          math.ceil(max(float(hi.max()), 0.0) / step) * step, fraction, signed=True,
                          rounding="RND", saturation="SAT")
    prec = LayerPrecision(layer.name, type(layer).__name__, fp, exact=False, output_min=float(lo.min()),
                          output_max=float(hi.max()), config_types=(("param", _slope_type(np.asarray([alpha]))[0]),),
                          notes=("elu: hls4ml reads exp(x) - 1 from a lookup table; agreement measured",))
    return prec, Tensor(lo, hi, fp, False)


ACTIVATION_RULES["elu"] = lambda layer, t: elu(layer, t, 1.0)


@rule("ELU")
def _elu_layer(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    return elu(layer, t, float(layer.alpha))


QUANTIZER_RULES.append(special_quantizer)
