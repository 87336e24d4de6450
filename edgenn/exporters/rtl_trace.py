"""A QKeras model (a Dense chain or a graph of particle-set layers) as one da4ml function, in the fixed-point types
``derive_precisions`` produced.

Contract: ``model_function(model, precision)`` returns ``fn(x)`` that runs on numpy arrays (the software reference)
*and* on da4ml's symbolic ``FixedVariableArray`` (the hardware), so what is traced is what is checked. ``x`` must
already be on the firmware input type's grid (``FixedPoint.quantize`` on the host, as for the C simulation).

Arithmetic: a QDense is ``x @ W + b`` with the quantized weights; da4ml sizes every adder to its exact range, so no
accumulator type is needed (``precision`` proves the exact sum fits ``accum_t``, which is what hls4ml uses; the values
are the same). Casts follow ``ap_fixed``: round, then overflow. da4ml rounds only TRN and RND (half up), but QKeras's
``tf.round`` is half-to-even (``AP_RND_CONV``), so ``_round_half_even`` builds it from a truncation (derivation there).

The output is the logits layer: a final softmax is table-based in hls4ml and is not part of the RTL (argmax and
trigger thresholds use logits). Each layer class is traced by the function registered for it with
``@register_rtl_layer(class_name, ...)`` where it is defined (here: QActivation with quantized_bits/quantized_relu,
QDense (also per particle, on a 3-D tensor), Activation relu/linear/final softmax, ReLU, Dropout; ``rtl_sets``:
Permute, Concatenate, element-wise merges, global pooling; modules ``rtl_*`` of this package are imported on first
lookup, so a new layer is one decorated function); a layer of any other class is an ``UnsupportedModelError`` naming
it and the supported classes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.errors import UnsupportedModelError
from edgenn.exporters.fixed_point import FixedPoint
from edgenn.exporters.precision import ModelPrecision, quantizer_type
from edgenn.plugins import Registry



@dataclass(frozen=True)
class RtlStep:
    """How one layer enters the traced function."""

    step: Callable[[Any], Any] | None  # x -> y on numpy and da4ml arrays; None: the layer moves no value
    fraction: int                      # fraction bits of the layer's output grid
    ends: bool = False                 # the RTL stops before this layer (a final softmax: hls4ml's table, not RTL)
    merge: bool = False                # step takes the list of the layer's inputs (Concatenate, Add, ...)


# (layer, precision of the model, fraction bits of the layer's input grid) -> RtlStep
RtlLayer = Callable[[Any, ModelPrecision, int], RtlStep]
_LAYERS: Registry[RtlLayer] = Registry(__package__, Path(__file__).parent, select=lambda name: name.startswith("rtl_"),
                                       duplicate="RTL trace for {name} is registered twice")


def register_rtl_layer(*class_names: str) -> Callable[[RtlLayer], RtlLayer]:
    def register(fn: RtlLayer) -> RtlLayer:
        for class_name in class_names:
            _LAYERS.add(class_name, fn)
        return fn

    return register


def rtl_layer_classes() -> tuple[str, ...]:
    """The Keras/QKeras layer classes the RTL target traces."""
    return tuple(sorted(_LAYERS))


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
    """``fn(x) -> logits`` for numpy arrays and da4ml symbolic arrays; see the module docstring.

    The model's functional graph is walked in its topological order (``model.layers``); a layer with several inputs
    (Concatenate, Add, ...) gets their list, on the finest of their grids. numpy inputs carry a batch axis (rows may
    be flat); da4ml inputs do not, so every step works on the trailing axes.
    """
    from edgenn.exporters.precision_graph import inbound_names

    inbound = inbound_names(model)
    fractions = {precision.input_name: precision.input.fraction}
    plan: list[tuple[str, list[str], RtlStep]] = []
    supported = rtl_layer_classes()
    for layer in model.layers:
        cls = type(layer).__name__
        if cls == "InputLayer":
            continue
        if cls not in supported:
            raise UnsupportedModelError(f"layer '{layer.name}' ({cls}): the RTL target does not trace this layer "
                                        f"class (it traces {', '.join(supported)}).",
                                        fix="export this model with --target fpga.")
        names = inbound[layer.name]
        traced = _LAYERS[cls](layer, precision, max(fractions[n] for n in names))
        if traced.ends:
            break
        plan.append((layer.name, names, traced))
        fractions[layer.name] = traced.fraction
        if layer.name == precision.logits_layer:
            break
    input_shape = tuple(model.input_shape[1:])
    output = plan[-1][0] if plan else precision.input_name

    def fn(x: Any) -> Any:
        x = x.reshape(-1, *input_shape) if isinstance(x, np.ndarray) else x.reshape(input_shape)
        values = {precision.input_name: _quantize(x, *kif(precision.input))}  # gives da4ml the input type
        for name, names, traced in plan:
            ins = [values[n] for n in names]
            if traced.step is None:
                values[name] = ins[0]
            else:
                values[name] = traced.step(ins if traced.merge else ins[0])
        y = values[output]
        return y.reshape(len(y), -1) if isinstance(y, np.ndarray) else y.flatten()

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


@register_rtl_layer("QDense")
def trace_dense(layer: Any, precision: ModelPrecision, fraction: int) -> RtlStep:
    kernel = np.asarray(layer.kernel_quantizer_internal(layer.kernel).numpy(), np.float64)
    bias = np.asarray(layer.bias_quantizer_internal(layer.bias).numpy(), np.float64) if layer.use_bias else None
    return RtlStep(_dense_step(kernel, bias), precision.layer(layer.name).result.fraction)


@register_rtl_layer("QActivation")
def trace_quantizer(layer: Any, precision: ModelPrecision, fraction: int) -> RtlStep:
    fp = quantizer_type(layer.quantizer, layer)
    return RtlStep(_cast_step(fp, fraction), fp.fraction)


@register_rtl_layer("Activation", "ReLU")
def trace_activation(layer: Any, precision: ModelPrecision, fraction: int) -> RtlStep:
    # a capped or leaky ReLU layer never gets here: its precision rule refuses it
    name = _act_name(layer) if type(layer).__name__ == "Activation" else "relu"
    if name == "softmax":
        if layer.name != precision.output_layer:
            raise UnsupportedModelError(f"layer '{layer.name}': softmax before the last layer.")
        return RtlStep(None, fraction, ends=True)
    if name == "linear":
        return RtlStep(None, fraction)
    if name != "relu":
        raise UnsupportedModelError(f"layer '{layer.name}' (Activation {name!r}): the RTL target traces relu, linear "
                                    "and a final softmax only.", fix="export this model with --target fpga.")
    return RtlStep(_relu_step(), fraction)  # exact relu: no rounding, the type only grows


@register_rtl_layer("Dropout")
def trace_dropout(layer: Any, precision: ModelPrecision, fraction: int) -> RtlStep:
    return RtlStep(None, fraction)  # inference: identity
