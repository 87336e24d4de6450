"""The contract every precision rule is written against, and the registry the rules fill.

A rule is ``(layer, input Tensor, Context) -> (LayerPrecision | None, output Tensor)`` for the Keras classes it names
in ``@rule(...)`` (merge layers: ``@merge_rule``, several input Tensors); it lives in ``precision`` or a
``precision_*`` module, which ``load_rule_modules`` imports on first use. The shared helpers here (``quantizer_type``,
``value_type``, ``unquantized_bias``, ``require_linear``, ``input_type``, ``unsupported``) are what rules have in common.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.errors import InvalidInputError, UnsupportedModelError
from edgenn.exporters.fixed_point import FixedPoint, lsb_exponent, smallest_holding
from edgenn.exporters.precision_types import LayerPrecision
from edgenn.plugins import Registry


# ----- interval state passed between rules ---------------------------------------------------------------------
@dataclass(frozen=True)
class Tensor:
    """Exact per-feature bounds of a tensor and the firmware type carrying it."""

    lo: np.ndarray
    hi: np.ndarray
    fp: FixedPoint
    exact: bool = True


@dataclass
class Context:
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


Rule = Callable[[Any, Tensor, Context], tuple[LayerPrecision | None, Tensor]]
# the rule modules: ``precision`` and every ``precision_*`` module of this package, each registering its rules with
# ``@rule`` where it is defined, so a new layer family is one new module and no edit here
def is_rule_module(name: str) -> bool:
    return name == "precision" or name.startswith("precision_")


RULES: Registry[Rule] = Registry(__package__, Path(__file__).parent, select=is_rule_module,
                                 duplicate="duplicate precision rule for {name}")
# Filled by the rule modules (precision_qactivation) at import: QActivation quantizers that are no plain cast (a rule
# returns None when the quantizer is not its kind) and Activation('<name>') functions beyond precision.py's own.
QUANTIZER_RULES: list[Callable[[Any, Tensor], tuple[LayerPrecision, Tensor] | None]] = []
ACTIVATION_RULES: dict[str, Callable[[Any, Tensor], tuple[LayerPrecision, Tensor]]] = {}


def rule(*class_names: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for class_name in class_names:
            RULES.add(class_name, fn)
        return fn

    return register


def load_rule_modules() -> None:
    """Import the rule modules (``is_rule_module``) once; reading ``RULES`` or ``MERGE_RULES`` does it too."""
    RULES.load()


def supported_layer_classes() -> tuple[str, ...]:
    load_rule_modules()
    return tuple(sorted(RULES))


# ----- quantizer -> FixedPoint ---------------------------------------------------------------------------------
def unsupported(layer: Any, why: str, fix: str | None = None) -> UnsupportedModelError:
    return UnsupportedModelError(f"layer '{layer.name}' ({type(layer).__name__}): {why}", fix=fix)


def quantizer_type(quantizer: Any, layer: Any) -> FixedPoint:
    """The ``ap_fixed`` type whose cast equals this QKeras quantizer, or UnsupportedModelError."""
    kind = type(quantizer).__name__
    cfg = quantizer.get_config() if hasattr(quantizer, "get_config") else {}
    if cfg.get("use_stochastic_rounding"):
        raise unsupported(layer, f"{kind} uses stochastic rounding, which no firmware cast reproduces.")
    if kind == "quantized_bits":
        alpha = cfg.get("alpha")
        if alpha not in (None, 1, 1.0):
            raise unsupported(
                layer,
                f"quantized_bits alpha={alpha!r} scales by a data-dependent factor; only alpha=1 is exact.",
                fix="use quantized_bits(..., alpha=1) in the QAT pass.",
            )
        bits, integer = int(cfg["bits"]), int(cfg["integer"])
        if bits - int(bool(cfg.get("keep_negative", True))) < 1:
            raise unsupported(layer, "1-bit (binary) quantized_bits is not a fixed-point cast.")
        saturation = "SAT_SYM" if cfg.get("symmetric") else "SAT"
        if cfg.get("keep_negative", True):
            return FixedPoint(bits, integer + 1, True, "RND_CONV", saturation)
        return FixedPoint(bits, integer, False, "RND_CONV", "SAT")
    if kind == "quantized_relu":
        if cfg.get("negative_slope", 0.0) or cfg.get("use_sigmoid", 0):
            raise unsupported(layer, "quantized_relu with negative_slope or use_sigmoid is not supported exactly.")
        if not cfg.get("is_quantized_clip", True) and cfg.get("relu_upper_bound") is not None:
            raise unsupported(layer, "quantized_relu with relu_upper_bound is not supported exactly.")
        return FixedPoint(int(cfg["bits"]), int(cfg["integer"]), False, "RND_CONV", "SAT")
    raise unsupported(layer, f"quantizer {kind} has no exact fixed-point equivalent in edgenn.",
                       fix="use quantized_bits(alpha=1) or quantized_relu.")


# ----- helpers the rules share -----------------------------------------------------------------------------------
def value_type(values: np.ndarray, fallback: FixedPoint) -> FixedPoint:
    """Narrowest type holding every value exactly (pruned or small weights need fewer bits than their quantizer)."""
    e = lsb_exponent(values)
    if e is None:
        return FixedPoint(1, fallback.integer - fallback.width + 1, fallback.signed)
    return smallest_holding(float(values.min()), float(values.max()), -e, signed=bool(values.min() < 0))


FLOAT_BIAS_MAX_BITS = 32  # a bias without quantizer is held exactly up to this width (float32: 24 significant bits)
ROUNDED_BIAS_SIGNIFICANT_BITS = 18


def unquantized_bias(layer: Any, bias: np.ndarray) -> tuple[np.ndarray, FixedPoint, str | None]:
    """The bias of a QDense/QConv without ``bias_quantizer`` (users often set only ``kernel_quantizer``): QKeras adds
    the stored float32 values as they are. Every float32 value is a binary fraction, so the narrowest type holding
    them all keeps the layer exact when it fits ``FLOAT_BIAS_MAX_BITS``; a wider one (a tiny next to a large value)
    is rounded to 18 significant bits, as hls4ml rounds it to its default type, and the layer is measured.
    Returns (the bias the firmware adds, its type, a note when rounded)."""
    bias = np.asarray(bias, np.float64)
    e = lsb_exponent(bias)
    if e is None:
        return bias, FixedPoint(1, 1, True), None
    exact_t = smallest_holding(float(min(bias.min(), 0.0)), float(max(bias.max(), 0.0)), -e, signed=True)
    if exact_t.width <= FLOAT_BIAS_MAX_BITS:
        return bias, exact_t, None
    integer = int(np.floor(np.log2(float(np.max(np.abs(bias)))))) + 2
    rounded_t = FixedPoint(ROUNDED_BIAS_SIGNIFICANT_BITS + 1, integer, True, "RND", "SAT")
    rounded = rounded_t.quantize(bias)
    return rounded, rounded_t, (f"layer '{layer.name}': float bias (no bias_quantizer) needs {exact_t.width} bits "
                                f"to be held exactly: rounded to {rounded_t.to_hls()}, not bit-exact by "
                                "construction, agreement measured")


def require_linear(layer: Any) -> None:
    act = getattr(layer, "activation", None)
    name = act if isinstance(act, str) else getattr(act, "__name__", None)
    if act is not None and name != "linear":
        raise unsupported(layer, f"fused activation {name or type(act).__name__} inside the layer.",
                           fix="use a separate QActivation/Activation layer after it.")


def input_type(body: list[Any], ctx: Context, fraction: int, input_layer: Any) -> tuple[FixedPoint, str]:
    first = body[0] if body else None
    if first is not None and type(first).__name__ == "QActivation" and \
            type(first.quantizer).__name__ == "quantized_bits":
        # Host-quantizing to the input quantizer's own type makes that quantizer the identity in both worlds.
        return quantizer_type(first.quantizer, first), f"quantizer:{first.name}"
    if first is not None and type(first).__name__ == "Embedding":
        # integer indices (precision_dot_embedding): the unsigned integer holding the vocabulary, saturating
        index_t = smallest_holding(0.0, float(int(first.input_dim) - 1), 0, signed=False)
        return index_t.with_modes("RND_CONV", "SAT"), f"indices:{first.name}"
    if ctx.x_calibration is None:
        raise InvalidInputError(
            f"model input '{input_layer.name}' has no input quantizer, so the firmware input type must come from data.",
            fix="pass x_calibration (standardised training inputs) or add a QActivation(quantized_bits) input layer.",
        )
    abs_max = float(np.max(np.abs(ctx.x_calibration)))
    integer = 1 + max(0, math.ceil(math.log2(abs_max + 2.0 ** -fraction)))
    return FixedPoint(integer + fraction, integer, True, "RND_CONV", "SAT"), "calibration"


# ----- merge layers (several inputs) -------------------------------------------------------------------------------
MergeRule = Callable[[Any, list[Tensor], Context], tuple[LayerPrecision, Tensor]]
MERGE_RULES: Registry[MergeRule] = Registry(__package__, Path(__file__).parent, select=is_rule_module,
                                            duplicate="duplicate merge precision rule for {name}")


def merge_rule(*class_names: str) -> Callable[[MergeRule], MergeRule]:
    def register(fn: MergeRule) -> MergeRule:
        for class_name in class_names:
            MERGE_RULES.add(class_name, fn)
        return fn

    return register
