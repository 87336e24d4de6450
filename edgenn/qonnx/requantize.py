"""The nearest power-of-two re-quantization of a QONNX graph, and what it costs on the user's own data.

A Quant node with a non-power-of-two scale has no fixed-point type, so edgenn refuses it (hls4ml #1208 measures the
accuracy lost when hls4ml approximates it anyway). ``po2_requantized(model)`` returns a copy in which every
per-tensor Quant / Trunc scale ``s`` becomes ``2**round(log2(s))``; ``requantization_cost(model, x, y)`` evaluates
both graphs exactly on ``x`` and says how often the predicted class (and, with labels, the accuracy) changes, so the
refusal can put a measured number next to its fix.
"""

from __future__ import annotations

import copy

import numpy as np

from edgenn.qonnx.evaluate import evaluate_qonnx, load_onnx

QUANT_OPS = ("Quant", "IntQuant", "Trunc")


def po2_requantized(model):
    """A copy with every single-valued positive Quant/Trunc scale initializer rounded to the nearest power of two
    in log2; returns (model, names of the nodes changed). Per-channel scales are left as they are."""
    from onnx import numpy_helper

    model = copy.deepcopy(load_onnx(model))
    inits = {t.name: t for t in model.graph.initializer}
    changed = []
    for node in model.graph.node:
        if node.op_type not in QUANT_OPS or len(node.input) < 2 or node.input[1] not in inits:
            continue
        tensor = inits[node.input[1]]
        scale = numpy_helper.to_array(tensor)
        values = np.unique(scale)
        if len(values) != 1 or values[0] <= 0 or np.frexp(float(values[0]))[0] == 0.5:
            continue
        po2 = np.full_like(scale, 2.0 ** np.round(np.log2(float(values[0]))))
        tensor.CopyFrom(numpy_helper.from_array(po2, tensor.name))
        changed.append(node.name)
    return model, changed


def requantization_cost(model, x: np.ndarray, y: np.ndarray | None = None) -> str:
    """One sentence: the nearest power-of-two re-quantization's effect on ``x`` (exact evaluations of both graphs)."""
    model = load_onnx(model)
    po2, changed = po2_requantized(model)
    if not changed:
        return ""
    before, after = evaluate_qonnx(model, x), evaluate_qonnx(po2, x)
    out = before.output_names[0]
    a, b = before.values[out].reshape(len(x), -1), after.values[out].reshape(len(x), -1)
    text = (f"Measured on {len(x)} rows of --data: rounding the {len(changed)} scale(s) to the nearest power of two "
            f"keeps the predicted class of {np.mean(a.argmax(1) == b.argmax(1)):.2%} of the rows")
    if y is not None and len(y) == len(x):
        text += f" (accuracy {np.mean(a.argmax(1) == y):.4f} -> {np.mean(b.argmax(1) == y):.4f})"
    return text + "."
