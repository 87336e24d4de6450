"""Evaluate a whole QONNX graph exactly: every node by its ``ops.RULES`` rule, in float64, batch first.

``evaluate_qonnx(model, x)`` takes an ``onnx.ModelProto`` (or a path) and the graph inputs (one array, a list in
graph-input order, or a dict by name) and returns a ``QonnxResult``: every tensor's value, whether it is provably
the exact value the graph defines (its node's rule proved it and every input was exact) and, where not, why. This is
edgenn's one definition of "exact" for QONNX models (qonnx's own executor computes in float32). An op without a rule
raises ``UnsupportedModelError`` naming the op and the node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.errors import InvalidInputError, UnsupportedModelError
from edgenn.qonnx.ops import RULES

EXACT_KIND = "exact QONNX reference (Quant node definitions and ONNX op arithmetic, provably exact in float64)"
INEXACT_KIND = "float64 QONNX reference (exact except: {})"
CHANNELS_LAST = "qonnx.custom_op.channels_last"
CHANNELS_LAST_OPS = ("Conv", "MaxPool", "AveragePool")
QONNX_DOMAINS = ("", "ai.onnx", "qonnx.custom_op.general", "onnx.brevitas", "finn.custom_op.general",
                 "qonnx.custom_op.channels_last")


@dataclass
class QonnxResult:
    """Every tensor computed, in node order (graph inputs first)."""

    values: dict[str, np.ndarray]
    exact: dict[str, bool]
    reasons: dict[str, str] = field(default_factory=dict)  # by tensor name
    output_names: tuple[str, ...] = ()
    node_outputs: dict[str, str] = field(default_factory=dict)  # node name -> its first output tensor

    def is_exact(self, tensor: str) -> bool:
        return self.exact[tensor]

    def kind(self, upto: str | None = None) -> str:
        name = upto or self.output_names[-1]
        if self.exact[name]:
            return EXACT_KIND
        order = list(self.values)
        why = [r for t, r in self.reasons.items() if order.index(t) <= order.index(name)]
        return INEXACT_KIND.format("; ".join(why) or "inexact inputs")


def load_onnx(model: Any):
    import onnx

    if isinstance(model, (str, Path)):
        try:
            return onnx.load(str(model))
        except Exception as exc:  # noqa: BLE001  protobuf raises DecodeError and others for a non-ONNX file
            raise InvalidInputError(f"{model}: not a readable ONNX file ({type(exc).__name__}: {exc}).") from None
    return getattr(model, "model", model)  # a qonnx ModelWrapper holds the proto as .model


def _attrs(node) -> dict:
    from onnx import helper

    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def _channels_last(node, ins, attrs):
    """qonnx's channels-last ops (ConvertToChannelsLastAndClean): the same op on (N, spatial..., C) tensors, with
    Conv weights stored (M, k..., C / group); evaluated as the channels-first rule between two transposes."""
    if node.op_type not in CHANNELS_LAST_OPS:
        raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}, {CHANNELS_LAST}): not evaluated by the "
                                    "exact QONNX reference.")
    first = [np.moveaxis(ins[0], -1, 1), *ins[1:]]
    if node.op_type == "Conv":
        first[1] = np.moveaxis(ins[1], -1, 1)
    out, ok, why = RULES[node.op_type](node, first, attrs)
    return np.moveaxis(out, 1, -1), ok, why


def graph_inputs(model) -> list[str]:
    """Names of the graph inputs that are not initializers (what a caller feeds)."""
    inits = {t.name for t in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits]


def unsupported_nodes(model) -> list[str]:
    """'node (op)' for every node without an exact rule, so a caller can refuse them all in one message."""
    model = load_onnx(model)
    return [f"'{n.name}' ({n.op_type})" for n in model.graph.node
            if n.op_type not in RULES and n.op_type != "Constant" or n.domain not in QONNX_DOMAINS]


def evaluate_qonnx(model: Any, inputs: np.ndarray | list | dict) -> QonnxResult:
    """Evaluate ``model`` on ``inputs`` (batch first) exactly; see the module docstring."""
    from onnx import numpy_helper

    model = load_onnx(model)
    bad = unsupported_nodes(model)
    if bad:
        raise UnsupportedModelError(f"QONNX graph: node(s) {', '.join(bad)} are not evaluated by the exact QONNX "
                                    f"reference (supported ops: {', '.join(sorted(RULES))}).")
    names = graph_inputs(model)
    if isinstance(inputs, dict):
        missing = [n for n in names if n not in inputs]
        if missing:
            raise InvalidInputError(f"QONNX inputs lack {missing}; the graph's inputs are {names}.")
        arrays = [inputs[n] for n in names]
    else:
        arrays = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(arrays) != len(names):
        raise InvalidInputError(f"the QONNX graph has {len(names)} input(s) ({', '.join(names)}), got {len(arrays)}.")
    values = {n: np.asarray(a, np.float64) for n, a in zip(names, arrays)}
    exact = {n: True for n in names}
    constants = {t.name: numpy_helper.to_array(t).astype(np.float64) if numpy_helper.to_array(t).dtype.kind in "fiub"
                 else numpy_helper.to_array(t) for t in model.graph.initializer}
    reasons: dict[str, str] = {}
    node_outputs: dict[str, str] = {}
    for node in model.graph.node:
        attrs = _attrs(node)
        if node.op_type == "Constant":
            constants[node.output[0]] = numpy_helper.to_array(attrs["value"]).astype(np.float64)
            continue
        ins, in_exact = [], []
        for name in node.input:
            if name == "":
                ins.append(None)
            elif name in values:
                ins.append(values[name])
                in_exact.append(exact[name])
            elif name in constants:
                ins.append(constants[name])
            else:
                raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}): input '{name}' is computed by no "
                                            "earlier node (the graph is not topologically sorted).")
        if not any(n in values for n in node.input if n):  # all-constant node (e.g. a weight Quant): a constant
            out, ok, why = RULES[node.op_type](node, ins, attrs)
            constants[node.output[0]] = np.asarray(out, np.float64)
            if not ok:  # a weight that is not its definition's value still makes everything after it inexact
                values[node.output[0]], exact[node.output[0]], reasons[node.output[0]] = constants[node.output[0]], \
                    False, why
                del constants[node.output[0]]
            continue
        if node.domain == CHANNELS_LAST:
            out, ok, why = _channels_last(node, ins, attrs)
        else:
            out, ok, why = RULES[node.op_type](node, ins, attrs)
        values[node.output[0]] = np.asarray(out, np.float64)
        exact[node.output[0]] = bool(ok) and all(in_exact)
        node_outputs[node.name] = node.output[0]
        if why:
            reasons[node.output[0]] = why
        elif not ok:
            reasons[node.output[0]] = f"node '{node.name}' ({node.op_type}): float64 sum not proved exact"
    outs = tuple(o.name for o in model.graph.output)
    missing = [o for o in outs if o not in values]
    if missing:
        raise UnsupportedModelError(f"QONNX graph outputs {missing} do not depend on its inputs.")
    return QonnxResult(values, exact, reasons, outs, node_outputs)
