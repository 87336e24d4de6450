"""ONNX export: round trip against Keras, QKeras quantizers carried into the graph, metadata, clear errors."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from edgenn.errors import InvalidInputError, UnsupportedModelError
from edgenn.exporters.onnx_export import OnnxReport, export_onnx

tf = pytest.importorskip("tensorflow")
onnx = pytest.importorskip("onnx")
qkeras = pytest.importorskip("qkeras")

# Few timed runs: model.predict costs tens of milliseconds per call on the shared CI machine.
FAST = {"benchmark_runs": 3}


def _float_model() -> tf.keras.Model:
    tf.keras.utils.set_random_seed(11)
    inputs = tf.keras.Input((16,), name="features")
    hidden = tf.keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
    outputs = tf.keras.layers.Dense(5, activation="softmax", name="probs")(hidden)
    return tf.keras.Model(inputs, outputs, name="tiny_float")


def _qkeras_logits_model() -> tf.keras.Model:
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    tf.keras.utils.set_random_seed(12)
    inputs = tf.keras.Input((16,), name="features")
    x = QDense(8, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1),
               name="q_hidden")(inputs)
    x = QActivation(quantized_relu(8, 3), name="q_relu")(x)
    x = QDense(5, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1),
               name="q_logits")(x)
    return tf.keras.Model(inputs, x, name="tiny_qkeras")


def _samples(num: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(scale=2.0, size=(num, 16)).astype(np.float32)


@pytest.fixture(scope="module")
def float_export(tmp_path_factory):
    out = tmp_path_factory.mktemp("float") / "model.onnx"
    meta = {"edgenn_recipe_hash": "3f2a9c", "edgenn_version": "0.1.0"}
    report = export_onnx(_float_model(), out, x_check=_samples(512, 0), metadata=meta, **FAST)
    return out, report, meta


def test_float_round_trip_agrees_within_tolerance(float_export):
    out, report, _ = float_export
    assert isinstance(report, OnnxReport)
    assert report.passed
    assert report.max_abs_diff <= 1e-5
    assert report.argmax_agreement == 1.0
    assert report.num_samples == 512
    assert not report.is_quantized_graph
    onnx.checker.check_model(onnx.load(str(out)))


def test_written_file_carries_metadata_and_its_hash(float_export):
    import hashlib

    out, report, meta = float_export
    props = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert props == meta
    assert report.onnx_sha256 == hashlib.sha256(out.read_bytes()).hexdigest()


def test_latencies_are_positive_median_below_p90(float_export):
    _, report, _ = float_export
    for median, p90 in (report.ort_latency_us_batch1, report.keras_latency_us_batch1,
                        report.keras_call_latency_us_batch1):
        assert 0 < median <= p90
    assert report.to_dict()["ort_latency_us_batch1"] == list(report.ort_latency_us_batch1)


def test_a_slow_engine_stops_timing_after_its_budget_once_it_has_enough_runs(monkeypatch):
    import time

    from edgenn.exporters import onnx_export

    monkeypatch.setattr(onnx_export, "_LATENCY_BUDGET_S", 0.05)
    calls = []

    def slow():  # a Keras-like engine: milliseconds a call
        calls.append(1)
        time.sleep(0.005)

    median, p90 = onnx_export._latency_us(slow, 200)
    assert len(calls) == onnx_export._NUM_WARMUP_RUNS + onnx_export._MIN_TIMED_RUNS and 5000 <= median <= p90
    calls.clear()
    onnx_export._latency_us(lambda: calls.append(1), 200)  # an onnxruntime-like engine makes every run
    assert len(calls) == onnx_export._NUM_WARMUP_RUNS + 200


def test_same_model_gives_identical_bytes(tmp_path):
    model = _float_model()
    first, second = tmp_path / "a.onnx", tmp_path / "b.onnx"
    export_onnx(model, first, x_check=_samples(4, 1), **FAST)
    export_onnx(model, second, x_check=_samples(4, 1), **FAST)
    assert first.read_bytes() == second.read_bytes()


_EXPORT_IN_FRESH_PROCESS = """
import sys
from pathlib import Path
import numpy as np
sys.path.insert(0, sys.argv[2])
from test_onnx_export import _qkeras_logits_model
from edgenn.exporters.onnx_export import export_onnx
report = export_onnx(_qkeras_logits_model(), Path(sys.argv[1]), x_check=np.zeros((2, 16), np.float32),
                     benchmark_runs=1)
"""


def test_initializer_names_do_not_depend_on_which_duplicate_tf2onnx_kept():
    # tf2onnx merges equal constants and which name survives varies between processes; simulate that by renaming
    # one initializer and reversing their order, then check both protos serialise identically after the rewrite.
    from edgenn.exporters.onnx_export import _convert, _make_names_reproducible

    proto = _convert(_qkeras_logits_model(), 13)
    other = type(proto)()
    other.CopyFrom(proto)
    old = other.graph.initializer[0].name
    other.graph.initializer[0].name = "some/other/duplicate:0"
    for node in other.graph.node:
        node.input[:] = ["some/other/duplicate:0" if name == old else name for name in node.input]
    reversed_tensors = [type(t)() for t in other.graph.initializer]
    for copy, tensor in zip(reversed_tensors, other.graph.initializer):
        copy.CopyFrom(tensor)
    del other.graph.initializer[:]
    other.graph.initializer.extend(reversed(reversed_tensors))
    assert proto.SerializeToString() != other.SerializeToString()

    for p in (proto, other):
        _make_names_reproducible(p)
    assert proto.SerializeToString() == other.SerializeToString()
    onnx.checker.check_model(proto)


@pytest.mark.slow
def test_same_model_gives_identical_bytes_across_processes(tmp_path):
    # End-to-end version of the test above; without the renaming it failed about one run in three (with two
    # processes), so three processes are compared.
    import subprocess
    import sys
    from pathlib import Path

    paths = [tmp_path / "a.onnx", tmp_path / "b.onnx", tmp_path / "c.onnx"]
    for path in paths:
        subprocess.run([sys.executable, "-c", _EXPORT_IN_FRESH_PROCESS, str(path), str(Path(__file__).parent)],
                       check=True, capture_output=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert paths[0].read_bytes() == paths[1].read_bytes() == paths[2].read_bytes()


def test_qkeras_logits_are_bit_identical_on_fixed_point_inputs(tmp_path):
    # Bound: exactly 0. Inputs on a 2^-6 grid, weights and biases on the 2^-5 grid of quantized_bits(6, 0), and
    # activations on the 2^-5 grid of quantized_relu(8, 3) make every product and partial sum exactly representable
    # in float32, so TF and onnxruntime agree whatever their summation order; both Round ops round half to even.
    # (Gaussian float inputs also gave 0 over 120k samples, but there a rounding tie could in principle flip.)
    x_check = np.round(_samples(2048, 2) * 64) / 64
    out = tmp_path / "q.onnx"
    report = export_onnx(_qkeras_logits_model(), out, x_check=x_check, tolerance=0.0, **FAST)
    assert report.is_quantized_graph
    assert report.passed and report.max_abs_diff == 0.0
    assert report.argmax_agreement == 1.0


def test_qkeras_quantizers_are_in_the_graph(tmp_path):
    from onnx import numpy_helper

    model = _qkeras_logits_model()
    relu_only = tf.keras.Model(model.input, model.get_layer("q_relu").output)
    out = tmp_path / "q_relu.onnx"
    report = export_onnx(relu_only, out, x_check=_samples(256, 3), tolerance=0.0, **FAST)
    assert report.passed

    graph = onnx.load(str(out)).graph
    assert "Round" in {node.op_type for node in graph.node}
    # Weights were folded already quantized: every initializer feeding MatMul sits on the 2^-5 grid.
    matmul_inputs = {name for node in graph.node if node.op_type == "MatMul" for name in node.input}
    weights = [numpy_helper.to_array(t) for t in graph.initializer if t.name in matmul_inputs]
    assert weights and all(np.array_equal(w * 32, np.round(w * 32)) for w in weights)

    import onnxruntime as ort

    session = ort.InferenceSession(out.read_bytes(), providers=["CPUExecutionProvider"])
    y = session.run(None, {session.get_inputs()[0].name: _samples(256, 4)})[0]
    assert np.array_equal(y * 32, np.round(y * 32)) and y.min() >= 0 and y.max() <= 8 - 1 / 32
    assert len(np.unique(y)) > 10  # not trivially all zero


def test_lambda_with_onnx_ops_is_converted(tmp_path):
    # tf2onnx traces through Lambda layers, so a Lambda made of mappable ops is not an error. tanh keeps outputs in
    # [1, 2]: the tolerance is absolute, and near 100 one float32 step alone is already ~1e-5.
    inputs = tf.keras.Input((16,))
    x = tf.keras.layers.Dense(4, activation="tanh")(inputs)
    x = tf.keras.layers.Lambda(lambda t: tf.square(t) + 1.0, name="square_plus_one")(x)
    report = export_onnx(tf.keras.Model(inputs, x), tmp_path / "m.onnx", x_check=_samples(64, 5), **FAST)
    assert report.passed


def test_unmappable_op_names_the_layer_and_writes_nothing(tmp_path):
    inputs = tf.keras.Input((16,))
    x = tf.keras.layers.Dense(4)(inputs)
    x = tf.keras.layers.Lambda(tf.math.special.bessel_i0e, name="bessel_layer")(x)
    out = tmp_path / "m.onnx"
    with pytest.raises(UnsupportedModelError, match="'bessel_layer'.*BesselI0e"):
        export_onnx(tf.keras.Model(inputs, x), out, x_check=_samples(4, 6), **FAST)
    assert not out.exists()


def test_every_output_of_a_two_output_model_is_checked(tmp_path):
    import onnxruntime as ort

    inputs = tf.keras.Input((16,))
    model = tf.keras.Model(inputs, [tf.keras.layers.Dense(2)(inputs), tf.keras.layers.Dense(3)(inputs)],
                           name="two_heads")
    x = _samples(8, 7)
    report = export_onnx(model, tmp_path / "m.onnx", x_check=x, **FAST)
    assert report.passed
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})
    for onnx_out, keras_out in zip(got, model(x)):  # both heads, in the model's output order
        np.testing.assert_allclose(onnx_out, np.asarray(keras_out), atol=1e-5)
    assert [g.shape for g in got] == [(8, 2), (8, 3)]
    # the check covers every output: a second head that onnxruntime got wrong would fail it (both are compared)
    assert report.max_abs_diff <= report.tolerance


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"x_check": np.zeros((4, 15), np.float32)}, "x_check"),
        ({"x_check": np.zeros((0, 16), np.float32)}, "x_check"),
        ({"x_check": np.full((2, 16), np.nan, np.float32)}, "x_check"),
        ({"x_check": np.zeros((2, 16), np.float32), "opset": 3}, "opset"),
        ({"x_check": np.zeros((2, 16), np.float32), "benchmark_runs": 0}, "benchmark_runs"),
        ({"x_check": np.zeros((2, 16), np.float32), "metadata": {"hash": 5}}, "metadata"),
    ],
)
def test_bad_arguments_name_the_field(tmp_path, kwargs, field):
    with pytest.raises(InvalidInputError, match=f"^{field}:"):
        export_onnx(_float_model(), tmp_path / "m.onnx", **kwargs)
    assert not (tmp_path / "m.onnx").exists()
