"""The precision IR: what ``derive_precisions`` returns and ``hls``/``rtl``/``csim`` consume (frozen records).

``LayerPrecision`` holds one layer's firmware types and the exactness argument's outcome, ``ModelPrecision`` the whole
model's, ``SoftmaxSettings`` the table-based softmax's. The interval rules that fill them are in ``precision_rules``
(the contract) and ``precision`` / ``precision_*`` (the rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edgenn.exporters.fixed_point import FixedPoint

SCHEMA_VERSION = 1
# QKeras evaluates layers in float32 (24-bit significand): sums needing more bits are rounded there, not in firmware.
FLOAT32_SIGNIFICAND_BITS = 24
# Inputs without an input quantizer get this many fractional bits by default (step 2**-10 ~ 1e-3 of a standardised
# feature, finer than the 8-bit quantizers edgenn's QAT pass uses).
DEFAULT_INPUT_FRACTION_BITS = 10
# Profiled (float) layers keep this many fractional bits in results, weights and biases, like hls4ml's ap_fixed<16,6>.
DEFAULT_FLOAT_FRACTION_BITS = 10


def float32_rounding(magnitude_bits: int, needs: str, computed: str,
                     deviates: str = "the model") -> tuple[bool, tuple[str, ...]]:
    """Whether the float32 model holds a result of ``magnitude_bits`` exactly, and the layer note saying so when not.

    Every exact precision rule asks this of its result: the firmware is exact either way, but the float32 model it is
    compared with apart (the float_agreement figures) rounds wider results.
    """
    if magnitude_bits <= FLOAT32_SIGNIFICAND_BITS:
        return True, ()
    return False, (f"{needs} needs {magnitude_bits} magnitude bits > {FLOAT32_SIGNIFICAND_BITS}: {computed} may round, "
                   f"so {deviates} (not the firmware) can deviate from the exact value",)


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
    # further hls4ml layer attributes set by name in the layer's config (a ternary activation's threshold)
    attributes: tuple[tuple[str, float], ...] = ()

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
    # further data inputs of a model with several (after ``input_name``), in input order, with their types
    data_inputs: tuple[tuple[str, FixedPoint], ...] = ()
    # further outputs of a multi-output model (after ``output_layer``), each checked like the first
    extra_outputs: tuple[str, ...] = ()

    def input_types(self) -> dict[str, FixedPoint]:
        """Every data input's firmware type, in input order."""
        return {self.input_name: self.input, **dict(self.data_inputs)}

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
        for name, fp in (*self.data_inputs, *self.extra_inputs):
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
            entry.update(dict(layer.attributes))
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
            **({"data_inputs": {name: fp.to_dict() for name, fp in self.data_inputs}} if self.data_inputs else {}),
            **({"extra_outputs": list(self.extra_outputs)} if self.extra_outputs else {}),
            "layers": [layer.to_dict() for layer in self.layers],
            "logits_layer": self.logits_layer,
            "output_layer": self.output_layer,
            "bit_exact": self.bit_exact,
            "accumulator_bits": self.accumulator_bits(),
            "notes": list(self.notes),
        }
