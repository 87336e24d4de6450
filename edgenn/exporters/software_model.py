"""The quantized software model of a firmware whose layers include lookup-table functions (GarNet's exp(-d^2)).

Contract: ``reference_outputs(model, inputs, precision, reuse_factor)`` evaluates ``model`` layer by layer on the
host-quantized ``inputs`` (one array per model input, by input name) and returns every layer's output (float64,
batch-first). Layers whose class has a model registered with ``@register_software_model(class_name)`` (in the
``precision_*`` module that gives the layer its firmware types, imported on first lookup) are computed by edgenn's
numpy model of their firmware;
QActivation casts are applied in float64 by the fixed-point type that equals the QKeras quantizer (a wide firmware
value reaching a quantizer must not be rounded to float32 first); every other layer runs in Keras, as it does in the
QKeras reference of models without such layers. ``exporters.csim`` uses this as the reference of the bit-exactness
check whenever a model has a registered layer; the float Keras model is then compared separately.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.exporters.precision import ModelPrecision, quantizer_type
from edgenn.exporters.precision_rules import is_rule_module
from edgenn.plugins import Registry

# (layer, input values, input firmware types, layer precision, reuse factor) -> output values
SoftwareModel = Callable[[Any, list[np.ndarray], list[Any], Any, int], np.ndarray]

# the models live beside their precision rules (GarNet's in precision_garnet), so the rule modules are scanned
_MODELS: Registry[SoftwareModel] = Registry(__package__, Path(__file__).parent, select=is_rule_module,
                                            duplicate="software model for {name} is registered twice")


def register_software_model(*class_names: str) -> Callable[[SoftwareModel], SoftwareModel]:
    def register(fn: SoftwareModel) -> SoftwareModel:
        for class_name in class_names:
            _MODELS.add(class_name, fn)
        return fn

    return register


def software_model_classes() -> tuple[str, ...]:
    """Layer classes the firmware computes through lookup tables that edgenn models in numpy."""
    return tuple(sorted(_MODELS))


REFERENCE_LABEL = "QKeras layers with edgenn's numpy model of the table-based firmware layer(s) ({})"


def software_layers(model: Any) -> list[str]:
    """Names of the layers of ``model`` that the firmware computes through lookup tables edgenn models in numpy."""
    classes = software_model_classes()
    return [layer.name for layer in model.layers if type(layer).__name__ in classes]


def reference_outputs(model: Any, inputs: dict[str, np.ndarray], precision: ModelPrecision,
                      reuse_factor: int) -> dict[str, np.ndarray]:
    import tensorflow as tf

    from edgenn.exporters.precision_graph import inbound_names

    inbound = inbound_names(model)
    values: dict[str, np.ndarray] = {}
    types: dict[str, Any] = {precision.input_name: precision.input, **dict(precision.extra_inputs)}
    types.update({p.name: p.result for p in precision.layers})
    classes = software_model_classes()
    for layer in model.layers:
        cls = type(layer).__name__
        if cls == "InputLayer":
            values[layer.name] = np.asarray(inputs[layer.name], np.float64)
            continue
        ins = [values[name] for name in inbound[layer.name]]
        if cls in classes:
            in_types = [types.get(_typed_source(name, inbound, types)) for name in inbound[layer.name]]
            out = _MODELS[cls](layer, ins, in_types, precision.layer(layer.name), reuse_factor)
        elif cls == "QActivation":
            out = quantizer_type(layer.quantizer, layer).quantize(ins[0])
        else:
            args = [tf.constant(v, tf.float32) for v in ins]
            out = layer(args if len(args) > 1 else args[0], training=False)
        values[layer.name] = np.asarray(out, np.float64)
    return values


def _typed_source(name: str, inbound: dict[str, list[str]], types: dict[str, Any]) -> str:
    """``name`` or the nearest upstream layer with a firmware type (pass-through layers have none)."""
    while name not in types and len(inbound.get(name) or []) == 1:
        name = inbound[name][0]
    return name
