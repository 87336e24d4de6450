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

Per-layer-type rules live in ``_RULES`` (Keras class name -> function); adding QConv2D, pooling or BatchNorm means
adding a rule, nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edgenn.errors import InvalidInputError, UnsupportedModelError
from edgenn.exporters.fixed_point import FixedPoint, lsb_exponent, smallest_holding

SCHEMA_VERSION = 1
# QKeras evaluates layers in float32 (24-bit significand): sums needing more bits are rounded there, not in firmware.
FLOAT32_SIGNIFICAND_BITS = 24
# Inputs without an input quantizer get this many fractional bits by default (step 2**-10 ~ 1e-3 of a standardised
# feature, finer than the 8-bit quantizers edgenn's QAT pass uses).
DEFAULT_INPUT_FRACTION_BITS = 10
# Profiled (float) layers keep this many fractional bits in results, weights and biases, like hls4ml's ap_fixed<16,6>.
DEFAULT_FLOAT_FRACTION_BITS = 10


@dataclass(frozen=True)
class SoftmaxSettings:
    """hls4ml's softmax is table based: it cannot equal float softmax, so it is sized for accuracy, not exactness.

    These are hls4ml's defaults; an export sizes its tables from the logits' type instead
    (``exporters.softmax_tables``), so that the firmware's class is the model's.

    ``stable`` subtracts the maximum first; the distance to the maximum is truncated to ``inp_norm`` (step 1/64, range
    [0, 16): exp(-16) ~ 1e-7 is zero at the output precision) and its top log2(table_size) bits address the exp table.
    """

    implementation: str = "stable"
    table_size: int = 1024
    inp_norm: FixedPoint = FixedPoint(10, 4, False, "TRN", "SAT")
    exp_table: FixedPoint = FixedPoint(18, 1, False, "RND", "SAT")  # exp(-d) in (0, 1]
    inv_table: FixedPoint = FixedPoint(18, 1, False, "RND", "SAT")  # 1/sum in [1/n, 1]
    result: FixedPoint = FixedPoint(16, 1, False, "RND", "SAT")  # probabilities in [0, 1]
    sum_width: int = 18  # sum of exps in [1, n]: integer bits follow n


@dataclass(frozen=True)
class LayerPrecision:
    """Firmware types of one layer. ``exact``: the firmware computes the model's value exactly (given exact inputs)."""

    name: str
    class_name: str
    result: FixedPoint
    weight: FixedPoint | None = None
    bias: FixedPoint | None = None
    accum: FixedPoint | None = None
    tables: tuple[tuple[str, FixedPoint], ...] = ()
    exact: bool = True
    float32_exact: bool = True
    output_min: float = 0.0
    output_max: float = 0.0
    notes: tuple[str, ...] = ()
    table_size: int | None = None
    # further types hls4ml reads from the layer's 'Precision' section by name (GarNet's edge_weight, aggr, ...)
    config_types: tuple[tuple[str, FixedPoint], ...] = ()
    implementation: str | None = None  # hls4ml softmax implementation (argmax under export.softmax: argmax)

    def types(self) -> dict[str, FixedPoint]:
        out = {"result": self.result}
        for key in ("weight", "bias", "accum"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out.update(dict(self.tables))
        out.update(dict(self.config_types))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "class_name": self.class_name,
            "types": {k: v.to_dict() for k, v in self.types().items()},
            "exact": self.exact,
            "float32_exact": self.float32_exact,
            "output_min": self.output_min,
            "output_max": self.output_max,
            "notes": list(self.notes),
            "table_size": self.table_size,
        }


@dataclass(frozen=True)
class ModelPrecision:
    """All firmware types of a model. ``bit_exact``: C simulation must equal QKeras on the logits."""

    input_name: str
    input: FixedPoint
    input_source: str  # "quantizer:<layer>" or "calibration"
    layers: tuple[LayerPrecision, ...]
    logits_layer: str
    output_layer: str
    bit_exact: bool
    notes: tuple[str, ...] = ()
    schema_version: int = SCHEMA_VERSION
    # types of the model's further inputs (declared extra inputs such as GarNet's n_vertices), by input name
    extra_inputs: tuple[tuple[str, FixedPoint], ...] = ()

    def __post_init__(self) -> None:
        names = [layer.name for layer in self.layers]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate layer names in precision map: {names}")
        if self.logits_layer not in names or self.output_layer not in names:
            raise ValueError(f"logits/output layer {self.logits_layer}/{self.output_layer} not among {names}")

    def layer(self, name: str) -> LayerPrecision:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def replace_layer(self, new: LayerPrecision) -> ModelPrecision:
        """A copy with one layer's types swapped (e.g. to study a narrower accumulator)."""
        from dataclasses import replace

        layers = tuple(new if layer.name == new.name else layer for layer in self.layers)
        return replace(self, layers=layers)

    def to_hls_config(self) -> dict[str, Any]:
        """The ``LayerName`` part of an hls4ml config: every precision edgenn derived, as ``ap_fixed`` strings."""
        per_layer: dict[str, Any] = {self.input_name: {"Precision": {"result": self.input.to_hls()}}}
        for name, fp in self.extra_inputs:
            per_layer[name] = {"Precision": {"result": fp.to_hls()}}
        for layer in self.layers:
            main = {"result": layer.result, "weight": layer.weight, "bias": layer.bias, "accum": layer.accum}
            entry: dict[str, Any] = {"Precision": {k: v.to_hls() for k, v in main.items() if v is not None}}
            for key, fp in layer.tables:
                # hls4ml reads table types (exp_table_t, inp_norm_t, ...) only as '<key>_t' layer attributes: under
                # 'Precision' they are silently ignored (hls4ml/model/layers.py Layer.__init__).
                if key == "accum":
                    entry["Precision"]["accum"] = fp.to_hls()
                else:
                    entry[f"{key}_t"] = fp.to_hls()
            entry["Precision"].update({key: fp.to_hls() for key, fp in layer.config_types})
            if layer.table_size is not None:
                entry["TableSize"] = layer.table_size
                entry["Implementation"] = layer.implementation or SoftmaxSettings().implementation
            per_layer[layer.name] = entry
            if layer.accum is not None:
                # hls4ml's Keras parser splits a Dense into the Dense and a '<name>_linear' activation node; giving
                # that node the Dense's own result type lets hls4ml remove it as a no-op cast.
                per_layer[f"{layer.name}_linear"] = {"Precision": {"result": layer.result.to_hls()}}
        return {"LayerName": per_layer}

    def accumulator_bits(self) -> int:
        return sum(layer.accum.width for layer in self.layers if layer.accum is not None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "input_name": self.input_name,
            "input": self.input.to_dict(),
            "input_source": self.input_source,
            **({"extra_inputs": {name: fp.to_dict() for name, fp in self.extra_inputs}} if self.extra_inputs else {}),
            "layers": [layer.to_dict() for layer in self.layers],
            "logits_layer": self.logits_layer,
            "output_layer": self.output_layer,
            "bit_exact": self.bit_exact,
            "accumulator_bits": self.accumulator_bits(),
            "notes": list(self.notes),
        }


# ----- interval state passed between rules ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Tensor:
    """Exact per-feature bounds of a tensor and the firmware type carrying it."""

    lo: np.ndarray
    hi: np.ndarray
    fp: FixedPoint
    exact: bool = True


@dataclass
class _Context:
    model: Any
    x_calibration: np.ndarray | None
    float_fraction_bits: int
    _profile: dict[str, np.ndarray] = field(default_factory=dict)

    def profiled_abs_max(self, layer: Any) -> float:
        """max |output| of ``layer`` over the calibration data (float layers only)."""
        if self.x_calibration is None:
            raise InvalidInputError(
                f"layer '{layer.name}' ({type(layer).__name__}) is a float layer: its precision must be profiled.",
                fix="pass x_calibration (a sample of standardised inputs) to derive_precisions/export_hls.",
            )
        if layer.name not in self._profile:
            import tensorflow as tf

            probe = tf.keras.Model(self.model.inputs, layer.output)
            y = probe.predict(self.x_calibration, verbose=0, batch_size=4096)
            self._profile[layer.name] = np.asarray(y, dtype=np.float64)
        return float(np.max(np.abs(self._profile[layer.name])))


Rule = Callable[[Any, _Tensor, _Context], tuple[LayerPrecision | None, _Tensor]]
_RULES: dict[str, Rule] = {}


def _rule(*class_names: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for class_name in class_names:
            if class_name in _RULES:
                raise ValueError(f"duplicate precision rule for {class_name}")
            _RULES[class_name] = fn
        return fn

    return register


def load_rule_modules() -> None:
    """Import every ``precision_*`` module of this package once: each registers its rules with ``@_rule`` where it
    is defined, so a new layer family is one new module and no edit here."""
    global _rule_modules_loaded
    if _rule_modules_loaded:
        return
    import importlib
    import pkgutil

    import edgenn.exporters as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("precision_"):
            importlib.import_module(f"{package.__name__}.{info.name}")
    _rule_modules_loaded = True


_rule_modules_loaded = False


def supported_layer_classes() -> tuple[str, ...]:
    load_rule_modules()
    return tuple(sorted(_RULES))


# ----- quantizer -> FixedPoint ---------------------------------------------------------------------------------
def _unsupported(layer: Any, why: str, fix: str | None = None) -> UnsupportedModelError:
    return UnsupportedModelError(f"layer '{layer.name}' ({type(layer).__name__}): {why}", fix=fix)


def quantizer_type(quantizer: Any, layer: Any) -> FixedPoint:
    """The ``ap_fixed`` type whose cast equals this QKeras quantizer, or UnsupportedModelError."""
    kind = type(quantizer).__name__
    cfg = quantizer.get_config() if hasattr(quantizer, "get_config") else {}
    if cfg.get("use_stochastic_rounding"):
        raise _unsupported(layer, f"{kind} uses stochastic rounding, which no firmware cast reproduces.")
    if kind == "quantized_bits":
        alpha = cfg.get("alpha")
        if alpha not in (None, 1, 1.0):
            raise _unsupported(
                layer,
                f"quantized_bits alpha={alpha!r} scales by a data-dependent factor; only alpha=1 is exact.",
                fix="use quantized_bits(..., alpha=1) in the QAT pass.",
            )
        bits, integer = int(cfg["bits"]), int(cfg["integer"])
        if bits - int(bool(cfg.get("keep_negative", True))) < 1:
            raise _unsupported(layer, "1-bit (binary) quantized_bits is not a fixed-point cast.")
        saturation = "SAT_SYM" if cfg.get("symmetric") else "SAT"
        if cfg.get("keep_negative", True):
            return FixedPoint(bits, integer + 1, True, "RND_CONV", saturation)
        return FixedPoint(bits, integer, False, "RND_CONV", "SAT")
    if kind == "quantized_relu":
        if cfg.get("negative_slope", 0.0) or cfg.get("use_sigmoid", 0):
            raise _unsupported(layer, "quantized_relu with negative_slope or use_sigmoid is not supported exactly.")
        if not cfg.get("is_quantized_clip", True) and cfg.get("relu_upper_bound") is not None:
            raise _unsupported(layer, "quantized_relu with relu_upper_bound is not supported exactly.")
        return FixedPoint(int(cfg["bits"]), int(cfg["integer"]), False, "RND_CONV", "SAT")
    raise _unsupported(layer, f"quantizer {kind} has no exact fixed-point equivalent in edgenn.",
                       fix="use quantized_bits(alpha=1) or quantized_relu.")


def _cast_interval(t: _Tensor, fp: FixedPoint) -> tuple[np.ndarray, np.ndarray]:
    """Bounds after a monotone cast to ``fp`` (rounding and saturation are monotone)."""
    return fp.quantize(t.lo), fp.quantize(t.hi)


# ----- rules -----------------------------------------------------------------------------------------------------
@_rule("QActivation")
def _qactivation(layer: Any, t: _Tensor, ctx: _Context) -> tuple[LayerPrecision, _Tensor]:
    fp = quantizer_type(layer.quantizer, layer)
    lo, hi = _cast_interval(t, fp)
    prec = LayerPrecision(layer.name, type(layer).__name__, fp, exact=t.exact,
                          output_min=float(lo.min()), output_max=float(hi.max()))
    return prec, _Tensor(lo, hi, fp, t.exact)


@_rule("Activation", "ReLU")
def _activation(layer: Any, t: _Tensor, ctx: _Context) -> tuple[LayerPrecision | None, _Tensor]:
    name = _activation_name(layer)
    if name == "linear":
        return None, t
    if name == "relu":
        lo, hi = np.maximum(t.lo, 0.0), np.maximum(t.hi, 0.0)
        fp = smallest_holding(0.0, float(hi.max()), t.fp.fraction, signed=False)
        prec = LayerPrecision(layer.name, type(layer).__name__, fp, exact=t.exact,
                              output_min=0.0, output_max=float(hi.max()))
        return prec, _Tensor(lo, hi, fp, t.exact)
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
        return prec, _Tensor(np.zeros(n), np.ones(n), s["result"], False)
    if name in ("sigmoid", "tanh"):
        # hls4ml evaluates both from a lookup table (nnet_activation.h, table_t, 1024 entries over [-8, 8)): the
        # firmware approximates the function, so the layer is never exact and the export measures the agreement
        low = 0.0 if name == "sigmoid" else -1.0
        fp = FixedPoint(18, 2, True, "RND", "SAT")
        n = t.lo.shape
        prec = LayerPrecision(layer.name, type(layer).__name__, fp, exact=False, output_min=low, output_max=1.0,
                              notes=(f"{name} uses a lookup table: agreement with the model measured, not bit-exact",))
        return prec, _Tensor(np.full(n, low), np.ones(n), fp, False)
    raise _unsupported(layer, f"activation '{name}' is not supported (relu, sigmoid, tanh, softmax, linear are).",
                       fix="use Activation('relu') or QActivation(quantized_relu(bits)), which convert exactly.")


def _activation_name(layer: Any) -> str:
    if type(layer).__name__ == "ReLU":
        if getattr(layer, "max_value", None) is not None or float(getattr(layer, "negative_slope", 0.0)) != 0.0:
            raise _unsupported(layer, "ReLU with max_value or negative_slope is not supported.")
        return "relu"
    act = layer.activation
    return act if isinstance(act, str) else getattr(act, "__name__", str(act))


@_rule("QDense")
def _qdense(layer: Any, t: _Tensor, ctx: _Context) -> tuple[LayerPrecision, _Tensor]:
    _require_linear(layer)
    if not layer.kernel_quantizer:
        raise _unsupported(layer, "QDense without kernel_quantizer has float weights.", fix="set kernel_quantizer.")
    weight_q = quantizer_type(layer.kernel_quantizer_internal, layer)
    kernel = np.asarray(layer.kernel_quantizer_internal(layer.kernel).numpy(), dtype=np.float64)
    if layer.use_bias:
        if not layer.bias_quantizer:
            raise _unsupported(layer, "QDense without bias_quantizer has a float bias.", fix="set bias_quantizer.")
        bias_q = quantizer_type(layer.bias_quantizer_internal, layer)
        bias = np.asarray(layer.bias_quantizer_internal(layer.bias).numpy(), dtype=np.float64)
    else:
        bias_q, bias = None, np.zeros(kernel.shape[1])
    if t.lo.ndim > 1:
        _require_stored_quantized(layer, kernel, bias)
    return _dense_exact(layer, t, kernel, bias, weight_q, bias_q)


def _require_stored_quantized(layer: Any, kernel: np.ndarray, bias: np.ndarray) -> None:
    """hls4ml 1.3 turns a Dense on an N-D tensor into a pointwise Conv (optimizer pass
    replace_multidimensional_dense_with_conv) and drops the QKeras quantizers on the way, so the firmware gets the
    raw stored weights: they must already be the quantized ones."""
    raw_bias = np.asarray(layer.bias.numpy(), np.float64) if layer.use_bias else np.zeros_like(bias)
    if not (np.array_equal(np.asarray(layer.kernel.numpy(), np.float64), kernel) and np.array_equal(raw_bias, bias)):
        raise _unsupported(layer, "QDense on a multi-dimensional input stores unquantized weights; hls4ml 1.3 drops "
                                  "the quantizer when it converts it to a pointwise convolution.",
                           fix="store the quantized weights (edgenn's QAT pass does at its end) before exporting.")


def _value_type(values: np.ndarray, fallback: FixedPoint) -> FixedPoint:
    """Narrowest type holding every value exactly (pruned or small weights need fewer bits than their quantizer)."""
    e = lsb_exponent(values)
    if e is None:
        return FixedPoint(1, fallback.integer - fallback.width + 1, fallback.signed)
    return smallest_holding(float(values.min()), float(values.max()), -e, signed=bool(values.min() < 0))


def _dense_exact(layer: Any, t: _Tensor, kernel: np.ndarray, bias: np.ndarray, weight_q: FixedPoint,
                 bias_q: FixedPoint | None) -> tuple[LayerPrecision, _Tensor]:
    weight_t = _value_type(kernel, weight_q)
    bias_t = _value_type(bias, bias_q or weight_q)
    # ``[..., :, None]`` and ``axis=-2`` contract the last axis, so a Dense on an (N, P) tensor (per-particle) works
    lo_terms = np.minimum(kernel * t.lo[..., :, None], kernel * t.hi[..., :, None])
    hi_terms = np.maximum(kernel * t.lo[..., :, None], kernel * t.hi[..., :, None])
    lo = bias + lo_terms.sum(axis=-2)
    hi = bias + hi_terms.sum(axis=-2)
    fraction = max(t.fp.fraction + weight_t.fraction, bias_t.fraction)
    accum = smallest_holding(float(min(lo.min(), 0.0)), float(max(hi.max(), 0.0)), fraction, signed=True)
    if accum.width > 53:
        raise _unsupported(layer, f"accumulator needs {accum.width} bits (> 53), beyond the exact numpy reference.")
    magnitude_bits = accum.width - 1
    float32_exact = magnitude_bits <= FLOAT32_SIGNIFICAND_BITS
    notes = () if float32_exact else (
        f"accumulator needs {magnitude_bits} magnitude bits > {FLOAT32_SIGNIFICAND_BITS}: QKeras's float32 sum may "
        "round, so QKeras (not the firmware) can deviate from the exact value",)
    prec = LayerPrecision(layer.name, type(layer).__name__, accum, weight=weight_t, bias=bias_t, accum=accum,
                          exact=t.exact, float32_exact=float32_exact, output_min=float(lo.min()),
                          output_max=float(hi.max()), notes=notes)
    return prec, _Tensor(lo, hi, accum, t.exact)


@_rule("Dense")
def _dense_float(layer: Any, t: _Tensor, ctx: _Context) -> tuple[LayerPrecision, _Tensor]:
    _require_linear(layer)
    kernel = np.asarray(layer.kernel.numpy(), dtype=np.float64)
    bias = np.asarray(layer.bias.numpy(), dtype=np.float64) if layer.use_bias else np.zeros(kernel.shape[1])
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
    return prec, _Tensor(np.full(n, result.min), np.full(n, result.max), result, False)


def _profiled_type(abs_max: float, fraction: int, rounding: str, saturation: str = "WRAP") -> FixedPoint:
    integer = 1 + max(0, math.ceil(math.log2(abs_max + 2.0 ** -fraction))) if abs_max > 0 else 1
    return FixedPoint(integer + fraction, integer, True, rounding, saturation)  # type: ignore[arg-type]


def _require_linear(layer: Any) -> None:
    act = getattr(layer, "activation", None)
    name = act if isinstance(act, str) else getattr(act, "__name__", None)
    if act is not None and name != "linear":
        raise _unsupported(layer, f"fused activation {name or type(act).__name__} inside the layer.",
                           fix="use a separate QActivation/Activation layer after it.")


@_rule("Dropout", "Flatten")
def _identity(layer: Any, t: _Tensor, ctx: _Context) -> tuple[LayerPrecision | None, _Tensor]:
    if type(layer).__name__ == "Flatten":
        # Row-major, as hls4ml's channels_last arrays. hls4ml keeps Flatten as a Reshape node that needs a type.
        prec = LayerPrecision(layer.name, "Flatten", t.fp, exact=t.exact, output_min=float(t.lo.min()),
                              output_max=float(t.hi.max()))
        return prec, _Tensor(t.lo.reshape(-1), t.hi.reshape(-1), t.fp, t.exact)
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
    ctx = _Context(model, None if x_calibration is None else np.asarray(x_calibration, np.float32),
                   float_fraction_bits)
    input_layer, body = layers[0], layers[1:]
    for layer in body:  # name the first unsupported layer before anything else can fail
        if type(layer).__name__ not in _RULES:
            from edgenn.exporters.layer_advice import nearest_supported

            raise _unsupported(layer, "no conversion rule for this layer type.",
                               fix=nearest_supported(type(layer).__name__, supported_layer_classes()))
    shape = tuple(int(d) for d in model.input_shape[1:])  # (features,) or (height, width, channels)
    if not shape or any(d < 1 for d in shape):
        raise _unsupported(input_layer, f"input shape {model.input_shape} has no fixed size.")
    input_fp, source = _input_type(body, ctx, input_fraction_bits, input_layer)
    t = _Tensor(np.full(shape, input_fp.min), np.full(shape, input_fp.max), input_fp, True)

    derived: list[LayerPrecision] = []
    for layer in body:
        prec, t = _RULES[type(layer).__name__](layer, t, ctx)
        if prec is not None:
            derived.append(prec)
    if not derived:
        raise UnsupportedModelError("model has no convertible layers after the input.")

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
            raise _unsupported(layer, "the model is not a single chain (branches or merges).")
    return layers


def _input_type(body: list[Any], ctx: _Context, fraction: int, input_layer: Any) -> tuple[FixedPoint, str]:
    first = body[0] if body else None
    if first is not None and type(first).__name__ == "QActivation" and \
            type(first.quantizer).__name__ == "quantized_bits":
        # Host-quantizing to the input quantizer's own type makes that quantizer the identity in both worlds.
        return quantizer_type(first.quantizer, first), f"quantizer:{first.name}"
    if ctx.x_calibration is None:
        raise InvalidInputError(
            f"model input '{input_layer.name}' has no input quantizer, so the firmware input type must come from data.",
            fix="pass x_calibration (standardised training inputs) or add a QActivation(quantized_bits) input layer.",
        )
    abs_max = float(np.max(np.abs(ctx.x_calibration)))
    integer = 1 + max(0, math.ceil(math.log2(abs_max + 2.0 ** -fraction)))
    return FixedPoint(integer + fraction, integer, True, "RND_CONV", "SAT"), "calibration"
