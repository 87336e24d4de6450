"""edgenn's own QONNX types: every value of the exact evaluation lies on its tensor's derived type and interval, the
Quant casts carry their rounding and saturation, and what has no fixed-point type is refused by node."""

import re

import numpy as np
import pytest

from edgenn.errors import UnsupportedModelError
from edgenn.exporters.precision_qonnx import derive_tensor_types
from edgenn.exporters.qonnx_hls import prepare_qonnx
from edgenn.qonnx.brevitas_graphs import GraphWriter, mlp_graph, residual_graph
from edgenn.qonnx.evaluate import evaluate_qonnx


def _mlp():
    rng = np.random.default_rng(5)
    return mlp_graph([rng.normal(0, 0.5, (16, 32)), rng.normal(0, 0.5, (32, 5))],
                     [rng.normal(0, 0.2, 32), rng.normal(0, 0.2, 5)])


@pytest.mark.parametrize("build,features", [(_mlp, 16), (lambda: residual_graph(np.random.default_rng(6)), 8)])
def test_every_value_is_held_by_its_derived_type(build, features):
    ready = prepare_qonnx(build()).hls_ready
    types = derive_tensor_types(ready)
    x = np.random.default_rng(0).normal(0, 3, (4000, features))  # wide inputs: the clips and the range extremes
    values = evaluate_qonnx(ready, x).values
    checked = 0
    for name, t in types.items():
        v = values[name]
        assert np.array_equal(t.fixed.quantize(v), v), f"{name}: {t.fixed.to_hls()} does not hold its values"
        assert t.lo <= v.min() and v.max() <= t.hi, name
        checked += 1
    assert checked >= 6
    quants = [t for t in types.values() if t.from_quant]
    assert quants and all(t.fixed.rounding == "RND_CONV" and t.fixed.saturation in ("SAT", "SAT_SYM") for t in quants)


def test_sum_types_follow_the_weights_not_a_default():
    ready = prepare_qonnx(_mlp()).hls_ready
    types = derive_tensor_types(ready)
    first_sum = next(n.output[0] for n in ready.graph.node if n.op_type == "Add")
    fp = types[first_sum].fixed
    # 8-bit input on 2**-4 times weights on their power-of-two grid: the step is their product, the width what the
    # weights' column sums reach; far narrower than hls4ml's 16-bit default
    assert fp.width <= 16 and types[first_sum].hi > 1


def test_non_power_of_two_scale_is_refused_naming_the_node():
    g = GraphWriter()
    x = g.quant("global_in", 2.0 ** -4, 8)
    w = g.quant(g.const(np.eye(4) * 0.3, "w"), 0.1, 4, narrow=True, stem="odd")
    model = g.model([("global_in", (1, 4))], g.node("MatMul", [x, w]), (1, 4))
    with pytest.raises(UnsupportedModelError, match=r"1 Quant node\(s\) without a single power-of-two scale .*"
                                                    r"'odd_\d+' \(scale 0.1\)"):
        prepare_qonnx(model)


def test_op_without_a_type_rule_is_refused_by_op_and_node():
    g = GraphWriter()
    out = g.node("Sigmoid", [g.quant("global_in", 2.0 ** -4, 8)], "squash")
    model = g.model([("global_in", (1, 4))], out, (1, 4))
    with pytest.raises(UnsupportedModelError) as err:
        derive_tensor_types(prepare_qonnx(model).hls_ready)
    assert re.search(r"node '\w+' \(Sigmoid\): no fixed-point type derivation", str(err.value))
