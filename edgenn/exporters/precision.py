"""Derive exact, minimal firmware precisions from a QKeras model by interval arithmetic.

Contract: ``derive_precisions(model)`` walks a single-input chain of layers and returns a ``ModelPrecision``: for every
layer the ``FixedPoint`` types hls4ml needs (weight, bias, accum, result) such that the firmware computes *exactly* what
QKeras computes, with no bit more than needed. It imports TensorFlow only through the model it is given and needs no
hls4ml.

How QKeras quantizes (qkeras 0.9.0, ``qkeras/quantizers.py``), and the ``ap_fixed`` type that reproduces it:

* ``quantized_bits(b, i, keep_negative=True, alpha=1)``: ``clip(tf.round(x * 2**(b-1-i)), -2**(b-1), 2**(b-1)-1)``
  scaled back. ``tf.round`` rounds half to even, so this is ``ap_fixed<b, i+1, AP_RND_CONV, AP_SAT>``
  (``symmetric=1`` clips at ``-2**(b-1)+1``: ``AP_SAT_SYM``; ``keep_negative=False``: ``ap_ufixed<b, i>``).
* ``quantized_relu(b, i)``: ``clip(tf.round(x * 2**(b-i)), 0, 2**b - 1)`` scaled back, i.e.
  ``ap_ufixed<b, i, AP_RND_CONV, AP_SAT>`` applied to the (exact) pre-activation.
* ``QDense``: ``x @ q(W) + q(b)`` in float32. The firmware multiplies and adds in ``accum_t``; it is exact when its step
  divides every product and bias (``lsb = min(lsb_x * lsb_w, lsb_b)``) and its range holds every *final* sum. Partial
  sums may overflow: ``AP_WRAP`` arithmetic is modular, so they wrap back. The range is the exact interval
  ``b_j + sum_i min/max(w_ij * lo_i, w_ij * hi_i)`` over the input interval, using the actual quantized weights, so
  pruned (zero) weights shrink it. For one layer this bound is attained (inputs vary independently), so one integer
  bit less overflows for some input: the width is tight.

Float (non-QKeras) layers have no exact answer; their types are profiled from calibration data the way hls4ml does
(range of the observed values plus a documented fraction width) and marked ``exact=False``.

Per-layer-type rules live in ``precision_rules.RULES`` (Keras class name -> function), filled by ``@rule`` here and
in the ``precision_*`` modules; adding QConv2D, pooling or BatchNorm means adding a rule, nothing else.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from edgenn.errors import UnsupportedModelError
from edgenn.exporters.fixed_point import FixedPoint, smallest_holding, stored_fixed_point
from edgenn.exporters.precision_rules import (
    ACTIVATION_RULES,
    QUANTIZER_RULES,
    RULES,
    Context,
    Tensor,
    input_type,
    load_rule_modules,
    quantizer_type,
    require_linear,
    rule,
    supported_layer_classes,
    unquantized_bias,
    unsupported,
    value_type,
)
from edgenn.exporters.precision_types import (
    DEFAULT_FLOAT_FRACTION_BITS,
    DEFAULT_INPUT_FRACTION_BITS,
    FLOAT32_SIGNIFICAND_BITS,
    LayerPrecision,
    ModelPrecision,
    SoftmaxSettings,
    float32_rounding,
)

# The rule contract and the IR types moved to their own modules; their public names stay importable from here.
__all__ = ["DEFAULT_FLOAT_FRACTION_BITS", "DEFAULT_INPUT_FRACTION_BITS", "FLOAT32_SIGNIFICAND_BITS", "LayerPrecision",
           "ModelPrecision", "SoftmaxSettings", "derive_precisions", "quantizer_type", "supported_layer_classes"]


def _cast_interval(t: Tensor, fp: FixedPoint) -> tuple[np.ndarray, np.ndarray]:
    """Bounds after a monotone cast to ``fp`` (rounding and saturation are monotone)."""
    return fp.quantize(t.lo), fp.quantize(t.hi)


# ----- rules -----------------------------------------------------------------------------------------------------
@rule("QActivation")
def _qactivation(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    for special_rule in QUANTIZER_RULES:  # binary, ternary, hard sigmoid/tanh, leaky quantized_relu
        special = special_rule(layer, t)
        if special is not None:
            return special
    fp = quantizer_type(layer.quantizer, layer)
    lo, hi = _cast_interval(t, fp)
    prec = LayerPrecision(layer.name, type(layer).__name__, fp, exact=t.exact,
                          output_min=float(lo.min()), output_max=float(hi.max()))
    return prec, Tensor(lo, hi, fp, t.exact)


@rule("Activation", "ReLU", "Softmax")
def _activation(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision | None, Tensor]:
    name = _activation_name(layer)
    if name == "linear":
        return None, t
    if name == "relu":
        lo, hi = np.maximum(t.lo, 0.0), np.maximum(t.hi, 0.0)
        fp = smallest_holding(0.0, float(hi.max()), t.fp.fraction, signed=False)
        prec = LayerPrecision(layer.name, type(layer).__name__, fp, exact=t.exact,
                              output_min=0.0, output_max=float(hi.max()))
        return prec, Tensor(lo, hi, fp, t.exact)
    if name == "softmax":
        from edgenn.exporters.softmax_tables import softmax_types

        n = int(t.lo.shape[0])
        s = softmax_types(t.fp, n)  # table step = the logits' LSB (up to a cap): the class stays the model's
        tables = (("exp_table", s["exp_table"]), ("inv_table", s["inv_table"]), ("inv_inp", s["sum"]),
                  ("accum", s["sum"]), ("inp_norm", s["inp_norm"]))
        prec = LayerPrecision(
            layer.name, type(layer).__name__, s["result"], tables=tables, exact=False, table_size=s["table_size"],
            output_min=0.0, output_max=1.0,
            notes=("softmax uses lookup tables: compared with float softmax by max |diff| and argmax, not bit-exact",),
        )
        return prec, Tensor(np.zeros(n), np.ones(n), s["result"], False)
    if name in ("sigmoid", "tanh"):
        # hls4ml evaluates both from a lookup table (nnet_activation.h, table_t, 1024 entries over [-8, 8)): the
        # firmware approximates the function, so the layer is never exact and the export measures the agreement
        low = 0.0 if name == "sigmoid" else -1.0
        fp = FixedPoint(18, 2, True, "RND", "SAT")
        n = t.lo.shape
        prec = LayerPrecision(layer.name, type(layer).__name__, fp, exact=False, output_min=low, output_max=1.0,
                              notes=(f"{name} uses a lookup table: agreement with the model measured, not bit-exact",))
        return prec, Tensor(np.full(n, low), np.ones(n), fp, False)
    if name in ACTIVATION_RULES:
        return ACTIVATION_RULES[name](layer, t)
    raise unsupported(layer, f"activation '{name}' is not supported (relu, elu, sigmoid, tanh, softmax, linear are).",
                       fix="use Activation('relu') or QActivation(quantized_relu(bits)), which convert exactly.")


def _activation_name(layer: Any) -> str:
    if type(layer).__name__ == "Softmax":  # the layer class computes Activation('softmax') over its axis
        axes = np.atleast_1d(layer.axis).tolist()
        if axes != [-1]:
            raise unsupported(layer, f"softmax over axis {layer.axis}: hls4ml 1.3 computes it over the last axis.",
                              fix="use Softmax(axis=-1) or Activation('softmax').")
        return "softmax"
    if type(layer).__name__ == "ReLU":
        if getattr(layer, "max_value", None) is not None or float(getattr(layer, "negative_slope", 0.0)) != 0.0:
            # hls4ml 1.3's parser turns every ReLU layer into a plain relu, dropping both (a silently different model)
            raise unsupported(layer, "ReLU with max_value or negative_slope is not supported: hls4ml 1.3 converts "
                                     "it as a plain ReLU.",
                              fix="use LeakyReLU(alpha) for a slope, QActivation(quantized_relu(bits, integer)) "
                                  "for a ceiling (it saturates below 2**integer), or ReLU() without them.")
        return "relu"
    act = layer.activation
    return act if isinstance(act, str) else getattr(act, "__name__", str(act))


@rule("QDense")
def _qdense(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    require_linear(layer)
    if not layer.kernel_quantizer:
        raise unsupported(layer, "QDense without kernel_quantizer has float weights.", fix="set kernel_quantizer.")
    weight_q = quantizer_type(layer.kernel_quantizer_internal, layer)
    kernel = np.asarray(layer.kernel_quantizer_internal(layer.kernel).numpy(), dtype=np.float64)
    rounded_bias = None
    if layer.use_bias and not layer.bias_quantizer:
        bias, bias_q, rounded_bias = unquantized_bias(layer, layer.bias.numpy())
    elif layer.use_bias:
        bias_q = quantizer_type(layer.bias_quantizer_internal, layer)
        bias = np.asarray(layer.bias_quantizer_internal(layer.bias).numpy(), dtype=np.float64)
    else:
        bias_q, bias = None, np.zeros(kernel.shape[1])
    if t.lo.ndim > 1:
        _require_stored_quantized(layer, kernel, bias)
    prec, out = _dense_exact(layer, t, kernel, bias, weight_q, bias_q)
    if rounded_bias is None:
        return prec, out
    return replace(prec, exact=False, notes=(*prec.notes, rounded_bias)), replace(out, exact=False)


def _require_stored_quantized(layer: Any, kernel: np.ndarray, bias: np.ndarray) -> None:
    """hls4ml 1.3 turns a Dense on an N-D tensor into a pointwise Conv (optimizer pass
    replace_multidimensional_dense_with_conv) and drops the QKeras quantizers on the way, so the firmware gets the
    raw stored weights: they must already be the quantized ones."""
    raw_bias = np.asarray(layer.bias.numpy(), np.float64) if layer.use_bias else np.zeros_like(bias)
    if not (np.array_equal(np.asarray(layer.kernel.numpy(), np.float64), kernel) and np.array_equal(raw_bias, bias)):
        raise unsupported(layer, "QDense on a multi-dimensional input stores unquantized weights; hls4ml 1.3 drops "
                                  "the quantizer when it converts it to a pointwise convolution.",
                           fix="store the quantized weights (edgenn's QAT pass does at its end) before exporting.")


def _dense_exact(layer: Any, t: Tensor, kernel: np.ndarray, bias: np.ndarray, weight_q: FixedPoint,
                 bias_q: FixedPoint | None) -> tuple[LayerPrecision, Tensor]:
    weight_t = value_type(kernel, weight_q)
    bias_t = value_type(bias, bias_q or weight_q)
    # ``[..., :, None]`` and ``axis=-2`` contract the last axis, so a Dense on an (N, P) tensor (per-particle) works
    lo_terms = np.minimum(kernel * t.lo[..., :, None], kernel * t.hi[..., :, None])
    hi_terms = np.maximum(kernel * t.lo[..., :, None], kernel * t.hi[..., :, None])
    lo = bias + lo_terms.sum(axis=-2)
    hi = bias + hi_terms.sum(axis=-2)
    fraction = max(t.fp.fraction + weight_t.fraction, bias_t.fraction)
    # an inexact input (a float BatchNorm's or a non-power-of-two average's rounded value) has bounds off its grid:
    # the accumulator holds them widened to the grid
    step = 2.0 ** -fraction
    accum = smallest_holding(float(min(np.floor(lo.min() / step) * step, 0.0)),
                             float(max(np.ceil(hi.max() / step) * step, 0.0)), fraction, signed=True)
    if accum.width > 53:
        raise unsupported(layer, f"accumulator needs {accum.width} bits (> 53), beyond the exact numpy reference.")
    magnitude_bits = accum.width - 1
    float32_exact, notes = float32_rounding(magnitude_bits, "accumulator", "QKeras's float32 sum", "QKeras")
    prec = LayerPrecision(layer.name, type(layer).__name__, accum, weight=weight_t, bias=bias_t, accum=accum,
                          exact=t.exact, float32_exact=float32_exact, output_min=float(lo.min()),
                          output_max=float(hi.max()), notes=notes)
    return prec, Tensor(lo, hi, accum, t.exact)


@rule("Dense")
def _dense_float(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    require_linear(layer)
    kernel = np.asarray(layer.kernel.numpy(), dtype=np.float64)
    bias = np.asarray(layer.bias.numpy(), dtype=np.float64) if layer.use_bias else np.zeros(kernel.shape[1])
    stored_w, stored_b = stored_fixed_point(kernel), stored_fixed_point(bias)
    if stored_w is not None and stored_b is not None:
        # stored weights that are already fixed-point numbers (a binary/ternary/po2 QDense rewritten to its values,
        # or a quantization step's output): the same exact arithmetic as a QDense
        return _dense_exact(layer, t, kernel, bias, stored_w, stored_b)
    f = ctx.float_fraction_bits
    weight_t = _profiled_type(float(np.max(np.abs(kernel))), f, "RND")
    bias_t = _profiled_type(float(np.max(np.abs(bias))), f, "RND")
    y_max = ctx.profiled_abs_max(layer)
    # one headroom bit over the calibration range, as inputs outside the calibration sample can be larger
    result = _profiled_type(2.0 * y_max, f, "RND", "SAT")
    accum = FixedPoint(result.integer + t.fp.fraction + weight_t.fraction, result.integer, True)
    prec = LayerPrecision(layer.name, type(layer).__name__, result, weight=weight_t, bias=bias_t, accum=accum,
                          exact=False, output_min=result.min, output_max=result.max,
                          notes=(f"float layer: types profiled (|y| <= {y_max:.4g} on calibration data, "
                                 f"{f} fraction bits); not bit-exact by construction",))
    n = kernel.shape[1]
    return prec, Tensor(np.full(n, result.min), np.full(n, result.max), result, False)


def _profiled_type(abs_max: float, fraction: int, rounding: str, saturation: str = "WRAP") -> FixedPoint:
    integer = 1 + max(0, math.ceil(math.log2(abs_max + 2.0 ** -fraction))) if abs_max > 0 else 1
    return FixedPoint(integer + fraction, integer, True, rounding, saturation)  # type: ignore[arg-type]


@rule("Dropout", "Flatten")
def _identity(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision | None, Tensor]:
    if type(layer).__name__ == "Flatten":
        # Row-major, as hls4ml's channels_last arrays. hls4ml keeps Flatten as a Reshape node that needs a type.
        prec = LayerPrecision(layer.name, "Flatten", t.fp, exact=t.exact, output_min=float(t.lo.min()),
                              output_max=float(t.hi.max()))
        return prec, Tensor(t.lo.reshape(-1), t.hi.reshape(-1), t.fp, t.exact)
    return None, t


# ----- the walk --------------------------------------------------------------------------------------------------
def derive_precisions(
    model: Any,
    *,
    x_calibration: np.ndarray | None = None,
    input_fraction_bits: int = DEFAULT_INPUT_FRACTION_BITS,
    float_fraction_bits: int = DEFAULT_FLOAT_FRACTION_BITS,
) -> ModelPrecision:
    """Firmware types for every layer of a single-input Keras/QKeras chain.

    Args:
        model: a Keras model whose layers form one chain (Input -> ... -> output).
        x_calibration: standardised input sample. Needed when the model has no input quantizer (the input type's
            integer bits come from its range) and for float layers (their types are profiled from it).
        input_fraction_bits: fractional bits of the input type when there is no input quantizer.
        float_fraction_bits: fractional bits of profiled float-layer types.

    Raises:
        UnsupportedModelError: a layer (named, with its class) cannot be converted exactly or at all.
        InvalidInputError: calibration data is needed but missing.
    """
    load_rule_modules()
    from edgenn.exporters.precision_graph import derive_graph_precisions, is_single_chain

    if not is_single_chain(model):
        return derive_graph_precisions(model, x_calibration=x_calibration, input_fraction_bits=input_fraction_bits,
                                       float_fraction_bits=float_fraction_bits)
    layers = _chain(model)
    ctx = Context(model, None if x_calibration is None else np.asarray(x_calibration, np.float32),
                   float_fraction_bits)
    input_layer, body = layers[0], layers[1:]
    for layer in body:  # name the first unsupported layer before anything else can fail
        if type(layer).__name__ not in RULES:
            from edgenn.exporters.layer_advice import nearest_supported

            raise unsupported(layer, "no conversion rule for this layer type.",
                               fix=nearest_supported(type(layer).__name__, supported_layer_classes()))
    shape = tuple(model.input_shape[1:])  # (features,) or (height, width, channels)
    if not shape or any(d is None or int(d) < 1 for d in shape):
        # a variable-length sequence (Input((None, 4))): firmware arrays have one fixed size
        raise unsupported(input_layer, f"input shape {model.input_shape} has no fixed size.",
                          fix="give the Input a fixed shape (pad sequences to a maximum length, e.g. "
                              "Input((16, 4))) and save the model again.")
    shape = tuple(int(d) for d in shape)
    input_fp, source = input_type(body, ctx, input_fraction_bits, input_layer)
    t = Tensor(np.full(shape, input_fp.min), np.full(shape, input_fp.max), input_fp, True)

    derived: list[LayerPrecision] = []
    for layer in body:
        prec, t = RULES[type(layer).__name__](layer, t, ctx)
        if prec is not None:
            derived.append(prec)
    if not derived:
        raise UnsupportedModelError("model has no convertible layers after the input.")
    if len(derived) == 1 and derived[0].result == input_fp:
        # the input quantizer alone: hls4ml drops a cast to the same type and then declares the input twice (C++
        # 'redefinition'); a different rounding mode keeps the node, and the host-quantized input is on its grid
        from dataclasses import replace

        derived[0] = replace(derived[0], result=input_fp.with_modes("TRN", "WRAP"),
                             notes=derived[0].notes + ("the input quantizer alone: an identity on the host-quantized "
                                                       "input",))

    output_layer = derived[-1]
    logits = derived[-2] if output_layer.table_size is not None and len(derived) > 1 else output_layer
    upto_logits = derived[: derived.index(logits) + 1]
    bit_exact = all(p.exact and p.float32_exact for p in upto_logits)
    notes: list[str] = []
    if source == "calibration":
        notes.append(f"no input quantizer: input type {input_fp.to_hls()} chosen from the calibration range with "
                     f"{input_fraction_bits} fraction bits; comparisons feed both sides the host-quantized inputs")
    if not bit_exact:
        notes.append("not bit-exact by construction: " + "; ".join(
            f"{p.name}: " + ("; ".join(p.notes) or "inexact input") for p in upto_logits
            if not (p.exact and p.float32_exact)))
    return ModelPrecision(input_layer.name, input_fp, source, tuple(derived), logits.name, output_layer.name,
                          bit_exact, tuple(notes))


def _chain(model: Any) -> list[Any]:
    """The model's layers, checked to form one chain starting at an InputLayer."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise UnsupportedModelError(
            f"model '{model.name}' has {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
            "only single-input, single-output chains are supported.")
    layers = list(model.layers)
    if not layers or type(layers[0]).__name__ != "InputLayer":
        input_layer = model._input_layers[0] if getattr(model, "_input_layers", None) else None  # Sequential
        if input_layer is None:
            raise UnsupportedModelError(f"model '{model.name}' has no InputLayer.")
        layers = [input_layer, *layers]
    for prev, layer in zip(layers, layers[1:]):
        inbound = [node.inbound_layers for node in layer.inbound_nodes]
        flat = [x for item in inbound for x in (item if isinstance(item, list) else [item])]
        if len(flat) != 1 or flat[0] is not prev:
            raise unsupported(layer, "the model is not a single chain (branches or merges).")
    return layers
