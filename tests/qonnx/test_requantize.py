"""The nearest power-of-two re-quantization: scales become powers of two, nothing else changes, and the cost it
reports is the class agreement of the two exact evaluations."""

import re

import numpy as np

from edgenn.qonnx.brevitas_graphs import mlp_graph
from edgenn.qonnx.evaluate import evaluate_qonnx
from edgenn.qonnx.requantize import po2_requantized, requantization_cost


def test_scales_round_to_the_nearest_power_of_two_and_the_cost_is_measured():
    from onnx import numpy_helper

    rng = np.random.default_rng(8)
    model = mlp_graph([rng.normal(0, 0.5, (4, 6)), rng.normal(0, 0.5, (6, 3))], [np.zeros(6), np.zeros(3)],
                      weight_scales=[0.3, 0.1])
    po2, changed = po2_requantized(model)
    assert len(changed) == 4  # two weight scales and the two bias scales (input scale x weight scale)
    before = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    after = {t.name: numpy_helper.to_array(t) for t in po2.graph.initializer}
    moved = {name for name in before if not np.array_equal(before[name], after[name])}
    # nearest in log2: 0.3 -> 2**-2, 0.1 -> 2**-3; biases (input scale x weight scale) 0.3/16 and 0.1/8 -> 2**-6
    assert sorted(float(after[n]) for n in moved) == [2.0 ** -6, 2.0 ** -6, 0.125, 0.25]
    x = rng.normal(0, 1, (400, 4))
    y = rng.integers(0, 3, 400)
    a = evaluate_qonnx(model, x).values[model.graph.output[0].name].argmax(1)
    b = evaluate_qonnx(po2, x).values[po2.graph.output[0].name].argmax(1)
    text = requantization_cost(model, x, y)
    assert re.search(rf"keeps the predicted class of {np.mean(a == b):.2%}".replace(".", r"\."), text)
    assert f"accuracy {np.mean(a == y):.4f} -> {np.mean(b == y):.4f}" in text
