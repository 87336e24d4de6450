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
    """Firmware types of every layer of a functional Keras/QKeras graph: one or several data inputs (each typed by
    its input quantizer or its calibration range), declared extra inputs (typed as the smallest integer holding their
    range), one or several outputs.

    ``x_calibration`` is one array, or a list of one per model input (in input order) for several data inputs.
    Arguments and errors as ``precision.derive_precisions``; additionally UnsupportedModelError for a layer with
    several inputs that has no merge rule, or a shared layer.
    """
    several_arrays = isinstance(x_calibration, (list, tuple))
    if x_calibration is None:
        calib = None
    elif several_arrays:
        calib = [np.asarray(a, np.float32) for a in x_calibration]
    else:
        calib = np.asarray(x_calibration, np.float32)
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

    from edgenn.architectures.extra_inputs import extra_input

    names = list(model.input_names)
    data_names = [n for n in names if extra_input(n) is None]
    if not data_names:
        raise UnsupportedModelError(f"model '{model.name}' has no data input (inputs {names}).")
    tensors: dict[str, Tensor] = {}
    data_types: list[tuple[str, FixedPoint, str]] = []
    for name in data_names:  # every data input: typed by its input quantizer or its own calibration range
        layer = model.get_layer(name)
        own = calib[names.index(name)] if several_arrays and calib is not None else calib
        fp, source = input_type(consumers.get(name, []), Context(model, own, float_fraction_bits),
                                input_fraction_bits, layer)
        shape = tuple(int(d) for d in layer.output.shape[1:])
        tensors[name] = Tensor(np.full(shape, fp.min), np.full(shape, fp.max), fp)
        data_types.append((name, fp, source))
    input_layer = model.get_layer(data_names[0])
    input_fp, source = data_types[0][1], data_types[0][2]
    shape = tuple(int(d) for d in input_layer.output.shape[1:])
    extra_types = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer" and layer.name not in tensors:
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

    # every model output; the first is the headline (logits_layer / output_layer), the others are checked alike
    outputs = [_source_with_precision(t.node.layer.name, inbound, derived) for t in model.outputs]
    logit_names = []
    for name in outputs:
        if derived[name].table_size is not None:
            name = _source_with_precision(inbound[name][0], inbound, derived)
        logit_names.append(name)
    upstream: set[str] = set()
    for name in logit_names:
        upstream |= _ancestors(name, inbound) | {name}
    inexact = [p for name, p in derived.items() if name in upstream and not (p.exact and p.float32_exact)]
    notes: list[str] = []
    for name, fp, origin in data_types:
        if origin == "calibration":
            notes.append(f"no input quantizer: input type {fp.to_hls()} of '{name}' chosen from the calibration "
                         f"range with {input_fraction_bits} fraction bits; comparisons feed both sides the "
                         "host-quantized inputs")
    if inexact:
        notes.append("not bit-exact by construction: " + "; ".join(
            f"{p.name}: " + ("; ".join(p.notes) or "inexact input") for p in inexact))
    return ModelPrecision(input_layer.name, input_fp, source, tuple(derived.values()), logit_names[0], outputs[0],
                          not inexact, tuple(notes), extra_inputs=tuple(extra_types),
                          data_inputs=tuple((name, fp) for name, fp, _ in data_types[1:]),
                          extra_outputs=tuple(dict.fromkeys(n for n in outputs[1:] if n != outputs[0])))


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
    """One input, one output and a chain of single-input layers: the case ``precision.derive_precisions`` walks."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return False
    try:
        inbound = inbound_names(model)
    except (UnsupportedModelError, KeyError, TypeError):
        return True  # Sequential models have no inbound_nodes in their config: the chain walker handles them
    return all(len(v) <= 1 for v in inbound.values())


