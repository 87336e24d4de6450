"""--ptq: a float Keras model is quantized after training (ranges profiled on --data, BatchNorm folded) and the
firmware is checked bit for bit against that fixed-point model; the float model's accuracy is reported beside it as
the cost of quantizing (issue 13 item 6). One C simulation is compiled and shared."""

from __future__ import annotations

import json

import numpy as np
import pytest


def _cli(args):
    from typer.testing import CliRunner

    from edgenn.cli.app import app

    return CliRunner().invoke(app, ["--no-progress", *args])


@pytest.fixture(scope="module")
def float_model(tmp_path_factory):
    import tensorflow as tf

    tmp = tmp_path_factory.mktemp("ptq")
    rng = np.random.default_rng(3)
    centres = rng.normal(0, 1.5, (4, 10))
    y = rng.integers(0, 4, 3000)
    x = (centres[y] + rng.normal(0, 1.0, (3000, 10))).astype(np.float32)
    tf.keras.utils.set_random_seed(3)
    model = tf.keras.Sequential([
        tf.keras.layers.Dense(24, input_shape=(10,), name="fc1"),
        tf.keras.layers.BatchNormalization(name="bn1"),
        tf.keras.layers.Activation("relu", name="relu1"),
        tf.keras.layers.Dropout(0.1, name="drop"),
        tf.keras.layers.Dense(12, activation="relu", name="fc2"),
        tf.keras.layers.Dense(4, name="logits"),
        tf.keras.layers.Activation("softmax", name="softmax")], name="float_tagger")
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x[1000:], y[1000:], epochs=8, batch_size=64, verbose=0)
    model.save(tmp / "float.h5")
    np.savez(tmp / "val.npz", x=x[:1000], y=y[:1000])
    float_acc = float(np.mean(model.predict(x[:1000], verbose=0).argmax(1) == y[:1000]))
    return tmp, float_acc


@pytest.fixture(scope="module")
def exported(float_model):
    tmp, float_acc = float_model
    res = _cli(["export", str(tmp / "float.h5"), "--data", str(tmp / "val.npz"), "--ptq", "--out", str(tmp / "fpga"),
                "--no-report"])
    assert res.exit_code == 0, res.output[-3000:]
    return json.loads((tmp / "fpga" / "report.json").read_text()), float_acc


def test_firmware_equals_the_quantized_model_exactly(exported):
    report, _ = exported
    b = report["bitexact"]
    assert b["exact_fraction"] == 1.0 and b["outputs"][0]["bit_exact_expected"]
    assert report["bitexact"]["reference_kind"].startswith("exact reference")
    layers = {layer["name"]: layer for layer in report["precision"]["layers"]}
    assert layers["fc1"]["class_name"] == "QDense" and "bn1" not in layers  # BatchNorm folded into fc1
    assert "drop" not in layers and layers["ptq_input"]["class_name"] == "QActivation"


def test_accuracy_cost_against_the_float_model_is_reported(exported):
    report, float_acc = exported
    figs = report["figures"]
    assert figs["ptq.float_accuracy"]["value"] == pytest.approx(float_acc, abs=1e-9)
    cost = figs["ptq.accuracy_cost"]["value"]
    assert cost == pytest.approx(float_acc - figs["accuracy"]["value"], abs=1e-9)
    assert abs(cost) < 0.03  # 8-bit weights and activations keep a small MLP's decisions
    assert figs["ptq.float_argmax_agreement"]["value"] > 0.95


def test_export_says_in_one_line_what_ptq_did(exported):
    report, _ = exported
    lines = [n for n in report["notes"] if n.startswith("--ptq:")]
    assert len(lines) == 1 and "8-bit" in lines[0] and "bn1" in lines[0] and "1000" in lines[0]


@pytest.mark.slow  # tf2onnx on the QKeras model takes ~50 s on 2 cores; the default suite keeps the fpga check
def test_onnx_export_of_the_quantized_model(float_model):
    tmp, _ = float_model
    res = _cli(["export", str(tmp / "float.h5"), "--data", str(tmp / "val.npz"), "--ptq", "--target", "onnx",
                "--out", str(tmp / "onnx"), "--no-report"])
    assert res.exit_code == 0, res.output[-3000:]
    figs = json.loads((tmp / "onnx" / "report.json").read_text())["figures"]
    assert figs["onnx_argmax_agreement"]["value"] > 0.99


def test_ptq_of_a_quantized_model_is_refused(tmp_path):
    import tensorflow as tf
    from qkeras import QDense, quantized_bits

    q = quantized_bits(6, 0, alpha=1)
    tf.keras.Sequential([QDense(3, input_shape=(4,), kernel_quantizer=q, bias_quantizer=q)]).save(tmp_path / "q.h5")
    np.savez(tmp_path / "v.npz", x=np.zeros((10, 4), np.float32))
    res = _cli(["export", str(tmp_path / "q.h5"), "--data", str(tmp_path / "v.npz"), "--ptq", "--target", "onnx",
                "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "already has QKeras layers" in res.output and "Traceback" not in res.output
