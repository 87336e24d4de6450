"""User models as users save them: Sequential, nested, .h5 / .keras / SavedModel directory (issue 13, loading)."""

import numpy as np
import pytest

from edgenn.errors import InvalidInputError
from edgenn.runners.export import ExportRequest, resolve_source


def _qkeras_sequential():
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    tf.keras.utils.set_random_seed(3)
    q = quantized_bits(6, 0, alpha=1)
    return tf.keras.Sequential([
        QDense(8, input_shape=(16,), kernel_quantizer=q, bias_quantizer=q, name="fc1"),
        QActivation(quantized_relu(6), name="relu1"),
        QDense(5, kernel_quantizer=q, bias_quantizer=q, name="output"),
    ], name="seq_tagger")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """One Sequential QKeras model in the three formats Keras 2 saves, plus validation data."""
    tmp = tmp_path_factory.mktemp("seq")
    model = _qkeras_sequential()
    paths = {"h5": tmp / "m.h5", "keras": tmp / "m.keras", "savedmodel": tmp / "m_dir"}
    model.save(paths["h5"])
    model.save(paths["keras"])
    model.save(paths["savedmodel"], save_format="tf")
    x = np.random.default_rng(0).normal(size=(64, 16)).astype(np.float32)
    np.savez(tmp / "val.npz", x=x)
    return model, paths, tmp / "val.npz", x


@pytest.mark.parametrize("fmt", ["h5", "keras", "savedmodel"])
def test_sequential_loads_flat_with_same_outputs(saved, fmt):
    import tensorflow as tf

    model, paths, data, x = saved
    src = resolve_source(ExportRequest(source=paths[fmt], data=data))
    flat = src.model
    assert not isinstance(flat, tf.keras.Sequential)
    assert isinstance(flat.layers[0], tf.keras.layers.InputLayer)
    assert [lay.name for lay in flat.layers[1:]] == ["fc1", "relu1", "output"]
    assert flat.input_names == ["fc1_input"]  # the name Keras gives a Sequential model's input
    np.testing.assert_array_equal(flat.predict(x, verbose=0), model.predict(x, verbose=0))
    assert all(len(lay.inbound_nodes) == 1 for lay in flat.layers)  # layer.output is defined for the trace


def test_nested_models_are_flattened_with_unique_names(tmp_path):
    import tensorflow as tf

    from edgenn.flatten import flatten_model

    tf.keras.utils.set_random_seed(1)
    block = tf.keras.Sequential([tf.keras.layers.Dense(6, name="dense"), tf.keras.layers.ReLU(name="relu")],
                                name="block")
    inp = tf.keras.Input((4,), name="x")
    h = tf.keras.layers.Dense(6, name="dense")(inp)  # same name as the block's layer
    out = tf.keras.layers.Dense(2, name="head")(block(h))
    model = tf.keras.Model(inp, out)
    model.save(tmp_path / "nested.h5")
    loaded = tf.keras.models.load_model(tmp_path / "nested.h5", compile=False)
    flat = flatten_model(loaded)
    names = [lay.name for lay in flat.layers]
    assert names == ["x", "dense", "block_dense", "relu", "head"]
    assert not any(isinstance(lay, tf.keras.Model) for lay in flat.layers)
    xs = np.random.default_rng(2).normal(size=(32, 4)).astype(np.float32)
    np.testing.assert_array_equal(flat.predict(xs, verbose=0), model.predict(xs, verbose=0))


def test_functional_model_is_kept_as_is(saved):
    import tensorflow as tf

    from edgenn.flatten import flatten_model

    inp = tf.keras.Input((3,))
    model = tf.keras.Model(inp, tf.keras.layers.Dense(2)(inp))
    assert flatten_model(model) is model


def test_tf_saved_model_without_keras_metadata_is_refused(tmp_path):
    import tensorflow as tf

    class Plain(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
        def __call__(self, x):
            return x * 2.0

    tf.saved_model.save(Plain(), str(tmp_path / "plain"))
    np.savez(tmp_path / "v.npz", x=np.zeros((3, 4), np.float32))
    with pytest.raises(InvalidInputError, match="without Keras metadata"):
        resolve_source(ExportRequest(source=tmp_path / "plain", data=tmp_path / "v.npz"))


def test_sequential_exports_to_onnx_via_cli(saved, tmp_path):
    import json

    from typer.testing import CliRunner

    from edgenn.cli.app import app

    _, paths, data, _ = saved
    res = CliRunner().invoke(app, ["--no-progress", "export", str(paths["h5"]), "--data", str(data), "--target",
                                   "onnx", "--out", str(tmp_path / "onnx")])
    assert res.exit_code == 0, res.output[-2000:]
    report = json.loads((tmp_path / "onnx" / "report.json").read_text())
    assert report["figures"]["onnx_max_abs_diff"]["value"] == 0.0
    assert f"validation inputs: all 64 rows of {data}" in report["notes"]
    assert (tmp_path / "onnx" / "model.onnx").is_file()


def test_fused_activations_are_split_and_derive_exact_types():
    """Dense(activation='relu') and QDense(activation=quantized_relu) become layer + activation with equal outputs;
    the quantized chain then derives exact firmware types (it was refused as 'fused activation')."""
    import tensorflow as tf
    from qkeras import QDense, quantized_bits, quantized_relu

    from edgenn.exporters.precision import derive_precisions
    from edgenn.flatten import flatten_model

    tf.keras.utils.set_random_seed(5)
    q = quantized_bits(6, 0, alpha=1)
    inp = tf.keras.Input((16,), name="x")
    h = QDense(8, kernel_quantizer=q, bias_quantizer=q, activation=quantized_relu(6), name="q1")(inp)
    out = QDense(5, kernel_quantizer=q, bias_quantizer=q, name="out")(h)
    model = tf.keras.Model(inp, out)
    flat = flatten_model(model)
    assert [(lay.name, type(lay).__name__) for lay in flat.layers[1:]] == [
        ("q1", "QDense"), ("q1_quantized_relu", "QActivation"), ("out", "QDense")]
    x = np.random.default_rng(4).normal(size=(200, 16)).astype(np.float32)
    np.testing.assert_array_equal(flat.predict(x, verbose=0), model.predict(x, verbose=0))
    prec = derive_precisions(flat, x_calibration=x)
    assert prec.layer("q1").exact and prec.layer("out").exact

    float_model = tf.keras.Sequential([tf.keras.layers.Dense(4, activation="tanh", input_shape=(3,), name="d")])
    flat_float = flatten_model(float_model)
    assert [(lay.name, type(lay).__name__) for lay in flat_float.layers[1:]] == [("d", "Dense"), ("d_tanh", "Activation")]
    xf = x[:, :3]
    np.testing.assert_array_equal(flat_float.predict(xf, verbose=0), float_model.predict(xf, verbose=0))


def test_time_distributed_per_step_layers_are_unwrapped_with_the_same_outputs():
    """TimeDistributed(QDense) is the QDense on the sequence (stored quantized weights) and derives exact types;
    TimeDistributed around a layer that does not compute on the last axis alone is refused, naming the wrapper."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    from edgenn.errors import UnsupportedModelError
    from edgenn.exporters.precision import derive_precisions
    from edgenn.flatten import flatten_model

    tf.keras.utils.set_random_seed(6)
    q = quantized_bits(6, 0, alpha=1)
    inp = tf.keras.Input((5, 3), name="x")
    h = QActivation(quantized_bits(8, 3, alpha=1), name="q_in")(inp)
    h = tf.keras.layers.TimeDistributed(QDense(4, kernel_quantizer=q, bias_quantizer=q,
                                               activation=quantized_relu(6, 2)), name="td")(h)
    model = tf.keras.Model(inp, h)
    flat = flatten_model(model)
    assert [(lay.name, type(lay).__name__) for lay in flat.layers[2:]] == [("td", "Dense"),
                                                                           ("td_quantized_relu", "QActivation")]
    x = np.random.default_rng(6).normal(0, 2, size=(100, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(flat.predict(x, verbose=0), model.predict(x, verbose=0))
    prec = derive_precisions(flat, x_calibration=x)
    assert prec.bit_exact and prec.layer("td").exact

    conv = tf.keras.layers.TimeDistributed(tf.keras.layers.Conv1D(2, 2), name="td_conv")
    seq = tf.keras.Input((4, 6, 2), name="s")
    with pytest.raises(UnsupportedModelError, match=r"'td_conv' \(TimeDistributed\).*Fix: wrap only"):
        derive_precisions(flatten_model(tf.keras.Model(seq, conv(seq))),
                          x_calibration=np.zeros((4, 4, 6, 2), np.float32))


def test_qdense_applied_straight_to_a_sequence_gets_its_stored_quantized_weights():
    """A QDense on an (N, F) tensor without TimeDistributed (hls4ml 1.3 drops its quantizers when it makes it a
    pointwise convolution) is flattened like TimeDistributed(QDense): same outputs, exact types (was refused)."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    from edgenn.exporters.precision import derive_precisions
    from edgenn.flatten import flatten_model

    tf.keras.utils.set_random_seed(7)
    q = quantized_bits(6, 0, alpha=1)
    inp = tf.keras.Input((5, 3), name="x")
    h = QActivation(quantized_relu(6, 2), name="relu")(QDense(4, kernel_quantizer=q, bias_quantizer=q,
                                                              name="per_particle")(inp))
    model = tf.keras.Model(inp, tf.keras.layers.GlobalMaxPooling1D(name="pool")(h))
    flat = flatten_model(model)
    assert type(flat.get_layer("per_particle")).__name__ == "Dense"
    x = np.random.default_rng(7).normal(0, 2, size=(100, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(flat.predict(x, verbose=0), model.predict(x, verbose=0))
    prec = derive_precisions(flat, x_calibration=x)
    assert prec.layer("per_particle").exact and prec.bit_exact


@pytest.mark.parametrize("cap,used,needle", [
    (None, 250, "all 250 rows of"),
    (100, 100, "the first 100 of the 250 rows of"),
    (1000, 250, "all 250 rows of"),
])
def test_validation_uses_every_row_up_to_the_cap(saved, tmp_path, cap, used, needle):
    _, paths, _, _ = saved
    np.savez(tmp_path / "big.npz", x=np.random.default_rng(9).normal(size=(250, 16)).astype(np.float32))
    src = resolve_source(ExportRequest(source=paths["h5"], data=tmp_path / "big.npz", validation_samples=cap))
    assert src.validation_samples == used
    assert src.lineage["validation_rows"] == f"{used} of 250"
    note = next(n for n in src.notes if n.startswith("validation inputs"))
    assert needle in note and str(tmp_path / "big.npz") in note
    assert len(src.x_calibration) == 250  # the input range is taken from every row


def test_whitelisted_tf_ops_become_layers_with_the_same_outputs(tmp_path):
    """A sum-of-squares score, concat, reshape and transpose written with TF ops load without --trust-model and are
    rewritten into Keras layers (Multiply, QDense of ones, Concatenate, Reshape, Permute) computing the same."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(8)
    inp = tf.keras.Input((4,), name="x")
    h = tf.keras.layers.Dense(4, name="d")(inp)
    score = tf.reduce_sum(tf.square(h), axis=-1, keepdims=True)
    both = tf.concat([h, h - inp, h * inp], axis=-1)
    turned = tf.transpose(tf.reshape(both, (-1, 4, 3)), perm=[0, 2, 1])  # (3, 4): a mean over 4
    mean = tf.reduce_mean(turned, axis=-1)
    model = tf.keras.Model(inp, tf.keras.layers.Concatenate(name="out")([score, tf.keras.layers.Flatten()(mean)]))
    model.save(tmp_path / "ops.h5")
    x = np.random.default_rng(3).normal(size=(50, 4)).astype(np.float32)
    np.savez(tmp_path / "v.npz", x=x)
    src = resolve_source(ExportRequest(source=tmp_path / "ops.h5", data=tmp_path / "v.npz"))
    classes = {type(lay).__name__ for lay in src.model.layers}
    assert "TFOpLambda" not in classes
    assert {"Multiply", "QDense", "Subtract", "Concatenate", "Reshape", "Permute"} <= classes
    np.testing.assert_allclose(src.model.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)


def test_other_tf_ops_are_refused_in_one_line(tmp_path):
    import tensorflow as tf

    inp = tf.keras.Input((4,), name="x")
    tf.keras.Model(inp, tf.math.exp(inp)).save(tmp_path / "exp.h5")
    np.savez(tmp_path / "v.npz", x=np.zeros((3, 4), np.float32))
    with pytest.raises(InvalidInputError, match=r"TF op tf\.math\.exp.*--trust-model"):
        resolve_source(ExportRequest(source=tmp_path / "exp.h5", data=tmp_path / "v.npz"))


@pytest.mark.parametrize("act,low", [("sigmoid", 0.0), ("tanh", -1.0)])
def test_table_activations_are_converted_and_never_claimed_exact(act, low):
    """QDense(activation='sigmoid') splits into QDense + Activation('sigmoid'); hls4ml's lookup table for it is
    typed over the function's range and marked not exact, so the export reports the measured agreement."""
    import tensorflow as tf
    from qkeras import QDense, quantized_bits

    from edgenn.exporters.precision import derive_precisions
    from edgenn.flatten import flatten_model

    q = quantized_bits(6, 0, alpha=1)
    inp = tf.keras.Input((6,), name="x")
    model = tf.keras.Model(inp, QDense(2, kernel_quantizer=q, bias_quantizer=q, activation=act, name="out")(inp))
    flat = flatten_model(model)
    assert [(lay.name, type(lay).__name__) for lay in flat.layers[1:]] == [("out", "QDense"), (f"out_{act}",
                                                                                             "Activation")]
    x = np.random.default_rng(0).normal(size=(100, 6)).astype(np.float32)
    prec = derive_precisions(flat, x_calibration=x)
    layer = prec.layer(f"out_{act}")
    assert not layer.exact and not prec.bit_exact
    assert (layer.output_min, layer.output_max) == (low, 1.0)
    assert layer.result.min <= low and layer.result.max >= 1.0 - layer.result.lsb


def test_variable_length_input_is_refused_in_one_line_naming_the_fix(tmp_path):
    """Input((None, 4)) with --data rows of 8 steps: one line saying the input has no fixed size and how to give it
    one (was: 'rows have shape (8, 4), the model expects (None, 4)', which the data could not fix)."""
    import tensorflow as tf
    from qkeras import QDense, quantized_bits
    from typer.testing import CliRunner

    from edgenn.cli.app import app

    inp = tf.keras.Input((None, 4), name="seq")
    h = tf.keras.layers.GlobalMaxPooling1D(name="pool")(inp)
    model = tf.keras.Model(inp, QDense(2, kernel_quantizer=quantized_bits(6, 0, alpha=1),
                                       bias_quantizer=quantized_bits(6, 0, alpha=1), name="out")(h))
    model.save(tmp_path / "m.h5")
    np.savez(tmp_path / "d.npz", x=np.zeros((10, 8, 4), np.float32))
    res = CliRunner().invoke(app, ["--no-progress", "export", str(tmp_path / "m.h5"), "--data",
                                   str(tmp_path / "d.npz"), "--target", "onnx", "--out", str(tmp_path / "o")])
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert res.exit_code == 2 and len(lines) == 1, res.output
    assert "'seq' has shape (None, 4), with no fixed size" in lines[0] and "Fix: give the Input a fixed" in lines[0]
