"""Exact firmware precisions for branching Keras graphs (sets and graphs of particles): the walk and its rules.

Contract: ``derive_graph_precisions(model, ...)`` returns the same ``ModelPrecision`` as
``precision.derive_precisions`` for models that are not a single chain: branches and merges (Concatenate), one data
input of any shape plus declared extra inputs (``architectures.extra_inputs``, e.g. GarNet's integer n_vertices).
``derive_precisions`` hands such models here, so callers need not choose.

The walk: layers in the functional model's topological order (``model.layers``); each layer's inputs are looked up by
name in the model's own config (``inbound_nodes``), so layers shared with other models (sub-models built for
distillation or probing) do not confuse it. Single-input layers use the chain rules of ``precision_rules.RULES`` (plus the
rules registered below); layers with several inputs use ``MERGE_RULES``. Bounds are kept per element of the
tensor (without batch axis), so a per-particle Dense (Dense on a 3-D tensor) gets the same interval arithmetic as a
Dense on a vector (``precision._dense_exact`` contracts the last axis).

Why the added rules are exact:

* ``Permute`` (hls4ml ``Transpose``) and ``Concatenate`` move values without arithmetic: the result type is the
  input type (Concatenate: the smallest type holding every input type exactly).
* Global pooling over the particles (``GlobalMaxPooling1D`` / ``GlobalAveragePooling1D``) is in
  ``precision_pooling``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgenn.errors import UnsupportedModelError
from edgenn.exporters.fixed_point import FixedPoint, smallest_holding
from edgenn.exporters.precision_rules import (
    MERGE_RULES,
    RULES,
    Context,
    Tensor,
    input_type,
    merge_rule,
    rule,
    supported_layer_classes,
    unsupported,
)
from edgenn.exporters.precision_types import LayerPrecision, ModelPrecision


def _precision(layer: Any, fp: FixedPoint, lo: np.ndarray, hi: np.ndarray, exact: bool, **kw) -> LayerPrecision:
    return LayerPrecision(layer.name, type(layer).__name__, fp, exact=exact, output_min=float(np.min(lo)),
                          output_max=float(np.max(hi)), **kw)


# ----- single-input rules ------------------------------------------------------------------------------------------
@rule("Permute")
def _permute(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    axes = [d - 1 for d in layer.dims]  # Keras dims count from 1 (batch excluded)
    lo, hi = np.transpose(t.lo, axes), np.transpose(t.hi, axes)
    return _precision(layer, t.fp, lo, hi, t.exact), Tensor(lo, hi, t.fp, t.exact)


# ----- merge rules -------------------------------------------------------------------------------------------------
@merge_rule("Concatenate")
def _concatenate(layer: Any, ts: list[Tensor], ctx: Context) -> tuple[LayerPrecision, Tensor]:
    axis = layer.axis if layer.axis < 0 else layer.axis - 1  # Keras axis counts the batch axis
    lo = np.concatenate([t.lo for t in ts], axis=axis)
    hi = np.concatenate([t.hi for t in ts], axis=axis)
    fraction = max(t.fp.fraction for t in ts)
    signed = any(t.fp.signed for t in ts)
    # every input value lies in its bounds and on its grid, so a type holding the bounds on the finest grid is exact
    fp = smallest_holding(float(min(lo.min(), 0.0)), float(max(hi.max(), 0.0)), fraction, signed=signed)
    exact = all(t.exact for t in ts)
    return _precision(layer, fp, lo, hi, exact), Tensor(lo, hi, fp, exact)


# ----- the walk ----------------------------------------------------------------------------------------------------
def inbound_names(model: Any) -> dict[str, list[str]]:
    """Layer name -> names of the layers feeding it, from the model's own config (one call per layer)."""
    config = model.get_config()
    out: dict[str, list[str]] = {}
    for entry in config["layers"]:
        nodes = entry.get("inbound_nodes") or []
        if len(nodes) > 1:
            raise UnsupportedModelError(f"layer '{entry['name']}' is called more than once (shared layer).",
                                        fix="give every call its own layer.")
        out[entry["name"]] = [item[0] for item in nodes[0]] if nodes else []
    return out


def derive_graph_precisions(model: Any, *, x_calibration: Any = None, input_fraction_bits: int,
                            float_fraction_bits: int) -> ModelPrecision:
    """Firmware types of every layer of a functional Keras/QKeras graph with one data input (plus declared extra
    inputs, typed as the smallest integer holding their range) and one output.

    Arguments and errors as ``precision.derive_precisions``; additionally UnsupportedModelError for a layer with
    several inputs that has no merge rule, a shared layer, or several model outputs.
    """
    if len(model.outputs) != 1:
        raise UnsupportedModelError(f"model '{model.name}' has {len(model.outputs)} outputs; one is supported.")
    calib = None if x_calibration is None else np.asarray(x_calibration, np.float32)
    ctx = Context(model, calib, float_fraction_bits)
    inbound = inbound_names(model)
    consumers: dict[str, list[Any]] = {}
    for layer in model.layers:
        for name in inbound[layer.name]:
            consumers.setdefault(name, []).append(layer)
    for layer in model.layers:
        cls = type(layer).__name__
        if cls == "InputLayer":
            continue
        several = len(inbound[layer.name]) > 1
        if (several and cls not in MERGE_RULES) or (not several and cls not in RULES):
            known = sorted(set(supported_layer_classes()) | set(MERGE_RULES))
            from edgenn.exporters.layer_advice import nearest_supported

            raise unsupported(layer, "no conversion rule for this layer type"
                               + (" with several inputs" if several else "") + ".", fix=nearest_supported(cls, known))

    from edgenn.architectures.extra_inputs import extra_input, primary_input

    # one data input; further inputs must be declared extra inputs (integers computed from the data, e.g. n_vertices)
    input_layer = model.get_layer(primary_input(model))
    input_fp, source = input_type(consumers.get(input_layer.name, []), ctx, input_fraction_bits, input_layer)
    shape = tuple(int(d) for d in input_layer.output.shape[1:])
    tensors = {input_layer.name: Tensor(np.full(shape, input_fp.min), np.full(shape, input_fp.max), input_fp)}
    extra_types = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer" and layer is not input_layer:
            lo, hi = extra_input(layer.name).bounds(shape)  # type: ignore[union-attr]
            fp = smallest_holding(float(lo), float(hi), 0)  # an integer type: ap_(u)fixed<b, b>
            extra_shape = tuple(int(d) for d in layer.output.shape[1:])
            tensors[layer.name] = Tensor(np.full(extra_shape, float(lo)), np.full(extra_shape, float(hi)), fp)
            extra_types.append((layer.name, fp))

    derived: dict[str, LayerPrecision] = {}
    for layer in model.layers:
        if layer.name in tensors:
            continue
        ins = [tensors[name] for name in inbound[layer.name]]
        cls = type(layer).__name__
        prec, t = MERGE_RULES[cls](layer, ins, ctx) if len(ins) > 1 else RULES[cls](layer, ins[0], ctx)
        tensors[layer.name] = t
        if prec is not None:
            derived[layer.name] = prec
    if not derived:
        raise UnsupportedModelError("model has no convertible layers after the input.")

    output_name = _source_with_precision(model.outputs[0].node.layer.name, inbound, derived)
    output = derived[output_name]
    logits = output
    if output.table_size is not None:
        logits = derived[_source_with_precision(inbound[output_name][0], inbound, derived)]
    upstream = _ancestors(logits.name, inbound) | {logits.name}
    inexact = [p for name, p in derived.items() if name in upstream and not (p.exact and p.float32_exact)]
    notes: list[str] = []
    if source == "calibration":
        notes.append(f"no input quantizer: input type {input_fp.to_hls()} chosen from the calibration range with "
                     f"{input_fraction_bits} fraction bits; comparisons feed both sides the host-quantized inputs")
    if inexact:
        notes.append("not bit-exact by construction: " + "; ".join(
            f"{p.name}: " + ("; ".join(p.notes) or "inexact input") for p in inexact))
    return ModelPrecision(input_layer.name, input_fp, source, tuple(derived.values()), logits.name, output.name,
                          not inexact, tuple(notes), extra_inputs=tuple(extra_types))


def _source_with_precision(name: str, inbound: dict[str, list[str]], derived: dict[str, LayerPrecision]) -> str:
    """``name`` or, through pass-through layers (no precision of their own), the layer that produced its value."""
    while name not in derived:
        sources = inbound.get(name) or []
        if len(sources) != 1:
            raise UnsupportedModelError(f"cannot find the layer computing the output through '{name}'.")
        name = sources[0]
    return name


def _ancestors(name: str, inbound: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(inbound.get(name, []))
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(inbound.get(current, []))
    return seen


def is_single_chain(model: Any) -> bool:
    """One input and a chain of single-input layers: the case ``precision.derive_precisions`` walks itself."""
    if len(model.inputs) != 1:
        return False
    try:
        inbound = inbound_names(model)
    except (UnsupportedModelError, KeyError, TypeError):
        return True  # Sequential models have no inbound_nodes in their config: the chain walker handles them
    return all(len(v) <= 1 for v in inbound.values())


