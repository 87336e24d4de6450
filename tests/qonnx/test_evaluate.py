"""The exact QONNX evaluator: agrees with qonnx's own executor where float32 cannot round, is exact by construction
on integer-valued Quant graphs, refuses what it cannot evaluate by op and node, and says why a value is inexact."""

import re

import numpy as np
import pytest

from edgenn.errors import UnsupportedModelError
from edgenn.qonnx.brevitas_graphs import GraphWriter, conv_graph, mlp_graph, residual_graph
from edgenn.qonnx.evaluate import EXACT_KIND, evaluate_qonnx


def _qonnx_exec(model, x):
    import qonnx.core.onnx_exec as oxe
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.infer_shapes import InferShapes

    wrapped = ModelWrapper(model).transform(InferShapes())
    out = model.graph.output[0].name
    return np.concatenate([oxe.execute_onnx(wrapped, {"global_in": row[None].astype(np.float32)})[out] for row in x])


def _graphs():
    rng = np.random.default_rng(3)
    mlp = mlp_graph([rng.normal(0, 0.5, (16, 32)), rng.normal(0, 0.5, (32, 5))],
                    [rng.normal(0, 0.2, 32), rng.normal(0, 0.2, 5)])
    return {"mlp": (mlp, (16,)), "conv2d": (conv_graph(rng), (2, 8, 8)),
            "conv1d": (conv_graph(rng, spatial=1), (2, 8)), "residual": (residual_graph(rng), (8,))}


@pytest.mark.parametrize("name", ["mlp", "conv2d", "conv1d", "residual"])
def test_brevitas_shaped_graphs_match_qonnx_execution_and_are_exact(name):
    model, shape = _graphs()[name]
    x = np.random.default_rng(1).normal(0, 1.5, (12, *shape))
    result = evaluate_qonnx(model, x)
    out = result.output_names[0]
    # these graphs' sums stay below 2**24, so qonnx's float32 executor cannot round: both must agree exactly
    np.testing.assert_array_equal(result.values[out], _qonnx_exec(model, x).astype(np.float64))
    assert result.is_exact(out) and result.kind() == EXACT_KIND
    assert len(np.unique(result.values[out])) > 3  # not a degenerate (all-clipped) network


def test_float32_rounds_where_the_exact_evaluator_does_not():
    # a 24-bit input code times a 24-bit weight code: float32 keeps 24 of the 48 product bits, float64 all
    g = GraphWriter()
    x = g.quant("global_in", 2.0 ** -23, 24, stem="QuantIdentity")
    w = g.quant(g.const(np.array([[1 - 2.0 ** -22]]), "w"), 2.0 ** -23, 24, narrow=True)
    model = g.model([("global_in", (1, 1))], g.node("MatMul", [x, w]), (1, 1))
    v = np.array([[1 - 2.0 ** -21]])
    result = evaluate_qonnx(model, v)
    got = result.values[result.output_names[0]]
    assert got[0, 0] == (1 - 2.0 ** -21) * (1 - 2.0 ** -22) and result.is_exact(result.output_names[0])
    assert _qonnx_exec(model, v)[0, 0] != got[0, 0]


def test_non_power_of_two_scale_is_evaluated_but_marked_inexact_by_node():
    g = GraphWriter()
    out = g.quant("global_in", 0.3, 6, stem="odd")
    model = g.model([("global_in", (1, 4))], out, (1, 4))
    result = evaluate_qonnx(model, np.linspace(-2, 2, 8).reshape(2, 4))
    assert not result.is_exact(out)
    assert re.search(r"node 'odd_\d+' \(Quant\): scale \[0\.3", result.kind())


def test_unsupported_op_is_refused_naming_op_and_node():
    g = GraphWriter()
    out = g.node("Erf", [g.quant("global_in", 2.0 ** -3, 6)], "mystery")
    model = g.model([("global_in", (1, 4))], out, (1, 4))
    with pytest.raises(UnsupportedModelError, match=r"'mystery_\d+' \(Erf\)"):
        evaluate_qonnx(model, np.zeros((1, 4)))


def test_trunc_and_bipolar_follow_qonnx_definitions():
    from qonnx.custom_op.general.bipolar_quant import binary_quant
    from qonnx.custom_op.general.trunc import trunc_v1

    g = GraphWriter()
    q = g.quant("global_in", 2.0 ** -4, 10)
    t = g.node("Trunc", [q, g.const(2.0 ** -4), g.const(0.0), g.const(10.0), g.const(6.0)], "Trunc",
               "qonnx.custom_op.general", rounding_mode="FLOOR")
    b = g.node("BipolarQuant", [t, g.const(0.5)], "Bipolar", "qonnx.custom_op.general")
    model = g.model([("global_in", (1, 16))], b, (1, 16))
    x = np.random.default_rng(2).normal(0, 4, (3, 16))
    r = evaluate_qonnx(model, x)
    q_ref = np.clip(np.round(x * 16), -512, 511) / 16
    t_ref = trunc_v1(q_ref, 2.0 ** -4, 0.0, 10.0, 6.0, "FLOOR")
    np.testing.assert_array_equal(r.values[t], t_ref)
    np.testing.assert_array_equal(r.values[b], binary_quant(t_ref, 0.5))


@pytest.mark.parametrize("name", ["conv2d", "conv1d"])
def test_channels_last_graph_hls4ml_converts_computes_the_same_outputs(name):
    from edgenn.exporters.qonnx_hls import prepare_qonnx

    model, shape = _graphs()[name]
    prepared = prepare_qonnx(model)
    assert any(n.domain == "qonnx.custom_op.channels_last" for n in prepared.hls_ready.graph.node)
    x = np.random.default_rng(5).normal(0, 1.5, (20, *shape))
    a, b = evaluate_qonnx(prepared.clean, x), evaluate_qonnx(prepared.hls_ready, x)
    np.testing.assert_array_equal(a.values[a.output_names[0]], b.values[b.output_names[0]])
