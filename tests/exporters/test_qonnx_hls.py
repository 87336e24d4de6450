"""QONNX graphs in Brevitas' shapes (Conv1D / Conv2D with pooling, a residual add) through hls4ml's ONNX front end
with edgenn's types: the conversion (default suite, no g++) puts edgenn's derived type on every layer; the C
simulations (@slow: one g++ compile each) equal the exact QONNX evaluation on every output value."""

import numpy as np
import pytest

from edgenn.exporters.csim import quantize_inputs
from edgenn.exporters.hls import HlsSettings
from edgenn.exporters.qonnx_hls import export_qonnx_hls, prepare_qonnx
from edgenn.qonnx.brevitas_graphs import conv_graph, residual_graph
from edgenn.qonnx.evaluate import evaluate_qonnx

GRAPHS = {
    "conv2d": (lambda rng: conv_graph(rng, spatial=2), (2, 8, 8)),
    "conv1d": (lambda rng: conv_graph(rng, spatial=1, size=16, pool=False), (2, 16)),
    "residual": (lambda rng: residual_graph(rng), (8,)),
}


@pytest.mark.parametrize("name", ["conv1d"])  # Conv2D and the residual add: the real Brevitas files (tests/qonnx)
def test_conversion_carries_edgenn_types_on_every_layer(name, tmp_path):
    build, _ = GRAPHS[name]
    project = export_qonnx_hls(prepare_qonnx(build(np.random.default_rng(4))), tmp_path, HlsSettings(), compile=False)
    by_name = {layer.name: layer for layer in project.hls_model.get_layers()}
    classes = {p.class_name for p in project.precision.layers}
    assert classes & {"Conv1D", "Conv2D", "Merge", "Dense"}
    for p in project.precision.layers:
        got = by_name[p.name].get_output_variable().type.precision
        assert (got.width, got.integer, bool(got.signed)) == (p.result.width, p.result.integer, p.result.signed)
        if p.accum is not None:
            acc = by_name[p.name].types["accum_t"].precision
            assert (acc.width, acc.integer) == (p.accum.width, p.accum.integer)
            assert p.accum.width < 16  # derived from the Quant nodes, not hls4ml's fixed<16,6> default


def test_one_dimensional_pooling_is_refused_naming_the_node(tmp_path):
    from edgenn.errors import UnsupportedModelError

    prepared = prepare_qonnx(conv_graph(np.random.default_rng(4), spatial=1, size=16))
    with pytest.raises(UnsupportedModelError, match=r"node 'MaxPool_\d+' \(MaxPool, 1-D\): hls4ml 1.3"):
        export_qonnx_hls(prepared, tmp_path, HlsSettings(), compile=False)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_c_simulation_equals_the_exact_qonnx_evaluation(name, tmp_path):
    build, shape = GRAPHS[name]
    rng = np.random.default_rng(4)
    prepared = prepare_qonnx(build(rng))
    project = export_qonnx_hls(prepared, tmp_path, HlsSettings())
    x = np.random.default_rng(9).normal(0, 2.0, (2000, *shape))
    ref = evaluate_qonnx(prepared.clean, x)
    want = ref.values[ref.output_names[0]].reshape(len(x), -1)
    xq = np.ascontiguousarray(quantize_inputs(project, x))
    got = project.hls_model.predict(xq).reshape(len(x), -1)
    assert ref.is_exact(ref.output_names[0]) and len(np.unique(want)) > 20
    np.testing.assert_array_equal(got, want)
    # every traced layer equals the exact evaluation of the (channels-last) graph hls4ml converted, at its tensor
    from edgenn.exporters.csim import trace_layers
    from edgenn.exporters.qonnx_hls import layer_value_tensors

    _, traced = trace_layers(project.hls_model, xq)
    ready = evaluate_qonnx(prepared.hls_ready, xq)
    tensors = layer_value_tensors(project.hls_model, prepared.hls_ready)
    compared = [layer for layer in traced if tensors.get(layer) in ready.values]
    assert len(compared) >= 3
    for layer in compared:
        np.testing.assert_array_equal(traced[layer].reshape(len(x), -1),
                                      ready.values[tensors[layer]].reshape(len(x), -1), err_msg=layer)


def test_qcdq_graph_becomes_quant_nodes_with_the_same_values(tmp_path):
    import sys

    from onnx import TensorProto, helper, numpy_helper

    w = np.random.default_rng(0).normal(0, 0.5, (4, 3)).astype(np.float32)
    inits = [numpy_helper.from_array(np.array(2.0 ** -4, np.float32), "s"),
             numpy_helper.from_array(np.array(0, np.int8), "z"), numpy_helper.from_array(w, "W")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"], name="ql"),
             helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"], name="dq"),
             helper.make_node("MatMul", ["xd", "W"], ["y"], name="mm")]
    graph = helper.make_graph(nodes, "qcdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])], initializer=inits)
    prepared = prepare_qonnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    assert [n.op_type for n in prepared.clean.graph.node] == ["Quant", "MatMul"] and prepared.notes
    assert "onnxscript" not in sys.modules  # the QONNX -> QCDQ direction (onnxscript) is never imported
    x = np.random.default_rng(1).normal(0, 4, (50, 4))
    ref = evaluate_qonnx(prepared.clean, x)
    # ONNX QuantizeLinear: round half to even, saturate to int8; DequantizeLinear rescales
    np.testing.assert_array_equal(ref.values[ref.output_names[0]],
                                  (np.clip(np.round(x * 16), -128, 127) / 16) @ w.astype(np.float64))


def test_per_layer_settings_name_hls4ml_onnx_layers(tmp_path):
    from edgenn.errors import InvalidInputError

    prepared = prepare_qonnx(residual_graph(np.random.default_rng(4)))
    with pytest.raises(InvalidInputError, match=r"unknown layer\(s\) \['nosuch'\].*'MatMul_0'"):
        export_qonnx_hls(prepared, tmp_path, HlsSettings(layers={"nosuch": {"reuse_factor": 2}}), compile=False)
    project = export_qonnx_hls(prepared, tmp_path / "rf", HlsSettings(layers={"MatMul_0": {"reuse_factor": 2}}),
                               compile=False)
    dense = {layer.name: layer for layer in project.hls_model.get_layers()}["Dense_MatMul_0"]
    assert dense.get_attr("reuse_factor") == 2
