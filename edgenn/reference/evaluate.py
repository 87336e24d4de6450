"""Walk a Keras / QKeras model's own graph and evaluate every layer with ``layers.RULES``.

``evaluate(model, inputs)`` returns a ``ReferenceResult``: every layer's output (float64, batch first, Keras shapes),
whether it is provably the exact value the model defines (``exact[name]``, which also needs every input to be
exact) and, where not, why. Layers without a rule raise ``UnsupportedModelError`` naming the layer, so a caller can
fall back to float32 Keras and say so; a nested model is evaluated as its own graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edgenn.errors import InvalidInputError, UnsupportedModelError
from edgenn.reference import vector_layers  # noqa: F401  registers Dot, Embedding, LayerNormalization
from edgenn.reference.layers import RULES

EXACT_KIND = "exact reference (QKeras quantizers and Keras layer arithmetic, provably exact in float64)"
INEXACT_KIND = "float64 reference (exact except: {})"


@dataclass
class ReferenceResult:
    """Per-layer outputs of the reference, in model order."""

    outputs: dict[str, np.ndarray]
    exact: dict[str, bool]
    reasons: dict[str, str] = field(default_factory=dict)
    output_names: tuple[str, ...] = ()

    def kind(self, upto: str | None = None) -> str:
        """What the reference is for layer ``upto`` (the last output by default): exact, or float64 with reasons."""
        name = upto or self.output_names[-1]
        if self.exact[name]:
            return EXACT_KIND
        order = list(self.outputs)
        upto = [why for layer, why in self.reasons.items() if order.index(layer) <= order.index(name)]
        return INEXACT_KIND.format("; ".join(upto) or "inexact inputs")

    def is_exact(self, name: str) -> bool:
        return self.exact[name]


def _input_layer_names(model: Any) -> list[str]:
    return [t._keras_history[0].name for t in model.inputs]  # the InputLayer that made each model input


def _inbound(layer: Any, model_layers: set[str]) -> list[str]:
    nodes = layer.inbound_nodes
    for node in nodes:  # a layer shared with another model has several nodes; take the one inside this model
        inbound = node.inbound_layers
        inbound = inbound if isinstance(inbound, list) else [inbound]
        names = [x.name for x in inbound]
        if all(n in model_layers for n in names):
            return names
    raise UnsupportedModelError(f"layer '{layer.name}' ({type(layer).__name__}): its inputs are not in the model.")


def evaluate(model: Any, inputs: np.ndarray | list[np.ndarray] | dict[str, np.ndarray]) -> ReferenceResult:
    """Evaluate ``model`` on ``inputs`` (one array per model input, as a list, a dict by input name, or one array)."""
    in_names = _input_layer_names(model)
    if isinstance(inputs, dict):
        missing = [n for n in in_names if n not in inputs]
        if missing:
            raise InvalidInputError(f"reference inputs lack {missing}; the model's inputs are {in_names}.")
        arrays = [inputs[n] for n in in_names]
    else:
        arrays = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(arrays) != len(in_names):
        raise InvalidInputError(f"the model has {len(in_names)} inputs ({', '.join(in_names)}), got {len(arrays)} "
                                "arrays.")
    values: dict[str, np.ndarray] = {n: np.asarray(a, np.float64) for n, a in zip(in_names, arrays)}
    exact = {n: True for n in in_names}
    reasons: dict[str, str] = {}
    known = set(in_names) | {layer.name for layer in model.layers}
    for layer in model.layers:
        if layer.name in values:  # an InputLayer
            continue
        names = _inbound(layer, known)
        ins = [values[n] for n in names]
        if hasattr(layer, "layers") and hasattr(layer, "inputs"):  # a nested model
            sub = evaluate(layer, ins)
            out = sub.outputs[sub.output_names[0]] if len(sub.output_names) == 1 else None
            if out is None:
                raise UnsupportedModelError(f"nested model '{layer.name}' has several outputs.")
            ok, why = sub.exact[sub.output_names[0]], "; ".join(sub.reasons.values())
        else:
            rule = RULES.get(type(layer).__name__)
            if rule is None:
                raise UnsupportedModelError(f"layer '{layer.name}' ({type(layer).__name__}): not evaluated by the "
                                            "exact reference.")
            out, ok, why = rule(layer, ins)
        values[layer.name] = np.asarray(out, np.float64)
        exact[layer.name] = ok and all(exact[n] for n in names)
        if why:
            reasons[layer.name] = why
    out_names = tuple(t._keras_history[0].name for t in model.outputs)
    return ReferenceResult(values, exact, reasons, out_names)
