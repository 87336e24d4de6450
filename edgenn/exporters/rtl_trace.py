"""A QKeras Dense chain as one da4ml function, using the fixed-point types ``derive_precisions`` produced.

Contract: ``model_function(model, precision)`` returns ``fn(x)`` that runs on numpy arrays (the software reference)
*and* on da4ml's symbolic ``FixedVariableArray`` (the hardware), so what is traced is what is checked. ``x`` must
already be on the firmware input type's grid (``FixedPoint.quantize`` on the host, as for the C simulation).

Arithmetic: a QDense is ``x @ W + b`` with the quantized weights; da4ml sizes every adder to its exact range, so no
accumulator type is needed (``precision`` proves the exact sum fits ``accum_t``, which is what hls4ml uses; the values
are the same). Casts follow ``ap_fixed``: round, then overflow. da4ml rounds only TRN and RND (half up), but QKeras's
``tf.round`` is half-to-even (``AP_RND_CONV``), so ``_round_half_even`` builds it from a truncation (derivation there).

The output is the logits layer: a final softmax is table-based in hls4ml and is not part of the RTL (argmax and
trigger thresholds use logits). Supported layers: QActivation (quantized_bits, quantized_relu), QDense, Activation
relu/linear, ReLU, Dropout; anything else is an ``UnsupportedModelError`` naming the layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from edgenn.errors import UnsupportedModelError
from edgenn.exporters.fixed_point import FixedPoint
from edgenn.exporters.precision import ModelPrecision, quantizer_type

SUPPORTED = ("QActivation", "QDense", "Activation", "ReLU", "Dropout")


def kif(fp: FixedPoint) -> tuple[int, int, int]:
    """da4ml's (keep_negative, integer bits without sign, fraction bits) of an ``ap_fixed`` type."""
    k = int(fp.signed)
    return k, fp.integer - k, fp.fraction


def _quantize(x: Any, k: int, i: int, f: int, overflow: str = "WRAP", rounding: str = "TRN") -> Any:
    from da4ml.trace.ops import quantize

    return quantize(x, k, i, f, overflow_mode=overflow, round_mode=rounding)


def _round_half_even(x: Any, f: int, step_exponent: int) -> Any:
    """``x`` (on the grid 2**-step_exponent) rounded to ``f`` fraction bits, ties to even, as a TRN cast of a sum.

    With y = x * 2**f and d = 2**(f - step_exponent) (the grid of y), half-to-even is floor(y + 1/2 - d*(1 - b)),
    b the parity bit of floor(y): a fraction > 1/2 is >= 1/2 + d and rounds up; < 1/2 is <= 1/2 - d and rounds down;
    exactly 1/2 goes up only when floor(y) is odd. b * 2**-f is the single bit of x at weight 2**-f: an unsigned
    1-bit WRAP/TRN cast (k=0, i=1-f). Everything is adders and wiring, so the RTL stays multiplier-free.
    """
    if step_exponent <= f:
        return x  # already on the coarser grid: nothing to round
    lsb = 2.0 ** -step_exponent
    parity = _quantize(x, 0, 1 - f, f)  # b * 2**-f
    return x + (2.0 ** (-f - 1) - lsb) + parity * 2.0 ** (f - step_exponent)


def _cast(x: Any, fp: FixedPoint, in_fraction: int) -> Any:
    """The ``ap_fixed`` cast to ``fp`` of values on the grid 2**-in_fraction."""
    k, i, f = kif(fp)
    if fp.rounding == "RND_CONV":
        x = _round_half_even(x, f, in_fraction)
    elif fp.rounding == "RND" and in_fraction > f:
        x = x + 2.0 ** (-f - 1)  # half up: floor(y + 1/2)
    elif fp.rounding not in ("TRN", "RND"):
        raise UnsupportedModelError(f"rounding mode {fp.rounding} has no RTL cast in edgenn (TRN, RND, RND_CONV do).")
    overflow = {"WRAP": "WRAP", "SAT": "SAT", "SAT_SYM": "SAT_SYM"}.get(fp.saturation)
    if overflow is None:
        raise UnsupportedModelError(f"overflow mode {fp.saturation} has no RTL cast in edgenn (WRAP, SAT, SAT_SYM do).")
    return _quantize(x, k, i, f, overflow, "TRN")


def model_function(model: Any, precision: ModelPrecision) -> Callable[[Any], Any]:
    """``fn(x) -> logits`` for numpy arrays and da4ml symbolic arrays; see the module docstring."""
    layers = list(model.layers)
    if layers and type(layers[0]).__name__ == "InputLayer":
        layers = layers[1:]
    steps: list[Callable[[Any], Any]] = []
    fraction = precision.input.fraction
    for layer in layers:
        cls = type(layer).__name__
        if cls not in SUPPORTED:
            raise UnsupportedModelError(f"layer '{layer.name}' ({cls}): the RTL target supports Dense chains only "
                                        f"({', '.join(SUPPORTED)}).", fix="export this model with --target fpga.")
        if cls == "Activation" and _act_name(layer) == "softmax":
            if layer.name != precision.output_layer:
                raise UnsupportedModelError(f"layer '{layer.name}': softmax before the last layer.")
            break  # the RTL ends at the logits
        if cls == "Dropout" or (cls == "Activation" and _act_name(layer) == "linear"):
            continue
        lp = precision.layer(layer.name)
        if cls == "QDense":
            kernel = np.asarray(layer.kernel_quantizer_internal(layer.kernel).numpy(), np.float64)
            bias = (np.asarray(layer.bias_quantizer_internal(layer.bias).numpy(), np.float64) if layer.use_bias
                    else None)
            steps.append(_dense_step(kernel, bias))
            fraction = lp.result.fraction
        elif cls == "QActivation":
            fp = quantizer_type(layer.quantizer, layer)
            steps.append(_cast_step(fp, fraction))
            fraction = fp.fraction
        else:  # exact relu: no rounding, the type only grows
            steps.append(_relu_step())
        if layer.name == precision.logits_layer:
            break

    def fn(x: Any) -> Any:
        x = _quantize(x, *kif(precision.input))  # identity on host-quantized inputs; gives da4ml the input type
        for step in steps:
            x = step(x)
        return x

    return fn


def _dense_step(kernel: np.ndarray, bias: np.ndarray | None) -> Callable[[Any], Any]:
    def step(x: Any) -> Any:
        y = x @ kernel
        return y if bias is None else y + bias

    return step


def _cast_step(fp: FixedPoint, in_fraction: int) -> Callable[[Any], Any]:
    return lambda x: _cast(x, fp, in_fraction)


def _relu_step() -> Callable[[Any], Any]:
    def step(x: Any) -> Any:
        from da4ml.trace.ops import relu

        return relu(x)

    return step


def _act_name(layer: Any) -> str:
    act = layer.activation
    return act if isinstance(act, str) else getattr(act, "__name__", str(act))
