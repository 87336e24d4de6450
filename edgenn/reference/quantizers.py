"""QKeras activation quantizers evaluated exactly in float64, from the quantizer's own configuration.

Semantics (qkeras 0.9.0 ``quantizers.py``, non-stochastic, ``qnoise_factor`` 1):

* ``quantized_bits(bits, integer, keep_negative, symmetric, alpha)``: with ``m = 2**(bits - keep_negative)`` and
  ``m_i = 2**integer``, ``q(x) = alpha * m_i / m * clip(round(x * m / m_i), keep_negative * (-m + symmetric), m - 1)``;
  ``round`` is ``tf.round`` (half to even). One unsigned bit (``bits - keep_negative == 0``) is a sign function.
* ``quantized_relu(bits, integer, negative_slope)``: with ``n = bits - (negative_slope != 0)``, ``m = 2**n``,
  ``q(x) = m_i / m * clip(round(x * m / m_i), 0, m - 1)`` plus, for a negative slope ``s``,
  ``m_i / m * clip(round(s * x * m / m_i), -s * m, 0)``.

Multiplying by a power of two and rounding are exact in float64, so these are the exact values of the quantizer
applied to an exact input. Data-dependent scales (``alpha='auto'``/``'auto_po2'``) only make sense for weights, whose
quantized values ``weight_values`` takes from the QKeras quantizer itself: a weight tensor is a constant of the model,
and what the quantizer makes of it is, by definition, the model's weight.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from edgenn.errors import UnsupportedModelError


def _is_power_of_two(v: float) -> bool:
    return v > 0 and math.frexp(v)[0] == 0.5


def _cfg(quantizer: Any) -> dict:
    return quantizer.get_config() if hasattr(quantizer, "get_config") else {}


def quantize_activation(quantizer: Any, x: np.ndarray, where: str) -> tuple[np.ndarray, bool, str]:
    """``(values, exact, reason)`` of ``quantizer`` applied to float64 ``x``; ``where`` names the layer in errors.

    ``exact`` is False where the quantizer's real-number result is not a float64 value (a non power-of-two scale).
    """
    kind = type(quantizer).__name__
    cfg = _cfg(quantizer)
    if cfg.get("use_stochastic_rounding"):
        raise UnsupportedModelError(f"{where}: {kind} uses stochastic rounding; the model has no single value.")
    x = np.asarray(x, np.float64)
    if kind == "quantized_bits":
        bits, integer = int(cfg["bits"]), int(cfg["integer"])
        keep_negative, symmetric = int(bool(cfg.get("keep_negative", True))), int(bool(cfg.get("symmetric", 0)))
        alpha = cfg.get("alpha")
        if isinstance(alpha, str):
            raise UnsupportedModelError(f"{where}: quantized_bits alpha={alpha!r} on activations scales by the batch's "
                                        "own maximum; the model's output depends on the batch.")
        alpha = 1.0 if alpha is None else float(np.asarray(alpha).reshape(-1)[0]) if np.size(alpha) == 1 else \
            np.asarray(alpha, np.float64)
        unsigned = bits - keep_negative
        if unsigned > 0:
            m, m_i = 2.0 ** unsigned, 2.0 ** integer
            code = np.clip(np.rint(x * (m / m_i)), keep_negative * (-m + symmetric), m - 1)
            values = code * (m_i / m)
        else:  # binary: sign, with sign(0) = +1
            values = np.where(x < 0, -1.0, 1.0)
            if not keep_negative:
                values = (values + 1.0) / 2.0
        exact = bool(np.all([_is_power_of_two(a) for a in np.ravel(alpha)]))
        return values * alpha, exact, "" if exact else f"{where}: quantized_bits alpha={alpha} is not a power of two"
    if kind == "quantized_relu":
        if cfg.get("use_sigmoid"):
            raise UnsupportedModelError(f"{where}: quantized_relu(use_sigmoid=1) is not evaluated exactly.")
        bits, integer = int(cfg["bits"]), int(cfg["integer"])
        slope = float(cfg.get("negative_slope", 0.0) or 0.0)
        n = bits - (slope != 0.0)
        m, m_i = 2.0 ** n, 2.0 ** integer
        values = np.clip(np.rint(x * (m / m_i)), 0.0, m - 1) * (m_i / m)
        upper = cfg.get("relu_upper_bound")
        if not cfg.get("is_quantized_clip", True) and upper is not None:
            values = np.minimum(values, float(upper))
        exact = True
        if slope > 0:
            values = values + np.clip(np.rint(x * (slope * m / m_i)), -slope * m, 0.0) * (m_i / m)
            exact = _is_power_of_two(slope)
        return values, exact, "" if exact else f"{where}: quantized_relu negative_slope={slope} is not a power of two"
    if kind in ("binary", "stochastic_binary"):
        if kind == "stochastic_binary":
            raise UnsupportedModelError(f"{where}: stochastic_binary has no single value.")
        alpha = cfg.get("alpha")
        if isinstance(alpha, str):
            raise UnsupportedModelError(f"{where}: binary alpha={alpha!r} on activations depends on the batch.")
        scale = 1.0 if alpha is None else float(alpha)
        use_01 = bool(cfg.get("use_01", False))
        values = np.where(x >= 0, 1.0, 0.0 if use_01 else -1.0) * scale
        return values, _is_power_of_two(scale), ""
    if kind == "ternary":  # |x| >= threshold (float32, as QKeras compares) -> sign(x), times the scale
        alpha = cfg.get("alpha")
        if isinstance(alpha, str):
            raise UnsupportedModelError(f"{where}: ternary alpha={alpha!r} on activations depends on the batch.")
        threshold = cfg.get("threshold")
        threshold = float(np.float32(quantizer.default_threshold if threshold is None else threshold))
        scale = 1.0 if alpha is None else float(alpha)
        return np.where(np.abs(x) >= threshold, np.sign(x), 0.0) * scale, _is_power_of_two(scale), ""
    if kind in ("quantized_sigmoid", "quantized_tanh") and not (cfg.get("use_real_sigmoid") or
                                                                 cfg.get("use_real_tanh")):
        # the hard functions (QKeras's default): clip(0.5 x + 0.5, 0, 1), for tanh 2 s - 1; exact in float64
        bits, sym = int(cfg["bits"]), float(bool(cfg.get("symmetric", 0)))
        hard = np.clip(0.5 * x + 0.5, 0.0, 1.0)
        if kind == "quantized_sigmoid":
            m = 2.0 ** bits
            return np.clip(np.rint(hard * m) / m, sym / m, 1.0 - 1.0 / m), True, ""
        m = 2.0 ** (bits - 1)
        return np.clip(np.rint((2.0 * hard - 1.0) * m) / m, -1.0 + sym / m, 1.0 - 1.0 / m), True, ""
    raise UnsupportedModelError(f"{where}: activation quantizer {kind} is not evaluated by the exact reference.")


def weight_values(quantizer: Any, weights: np.ndarray) -> np.ndarray:
    """The model's quantized weights: the QKeras quantizer applied to the stored float32 tensor."""
    if not quantizer:
        return np.asarray(weights, np.float64)
    import tensorflow as tf

    return np.asarray(quantizer(tf.constant(np.asarray(weights), tf.float32)).numpy(), np.float64)
