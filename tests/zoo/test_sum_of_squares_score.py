"""A trigger encoder's score written with TF ops, ``tf.reduce_sum(tf.square(mu), axis=-1)``, exports to fpga: the
ops become Multiply + a QDense of ones, and the firmware equals the model on every value (issue 13)."""

import json

import numpy as np
import pytest


@pytest.mark.slow  # one hls4ml conversion and C-simulation compile (~40 s on 2 cores)
def test_sum_of_squares_score_exports_exactly(tmp_path):
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits
    from typer.testing import CliRunner

    from edgenn.cli.app import app

    tf.keras.utils.set_random_seed(4)
    q = quantized_bits(6, 0, alpha=1)
    inp = tf.keras.Input((8,), name="x")
    h = QActivation(quantized_bits(8, 3, alpha=1), name="inq")(inp)
    mu = QDense(4, kernel_quantizer=q, bias_quantizer=q, name="mu")(h)
    tf.keras.Model(inp, tf.reduce_sum(tf.square(mu), axis=-1, keepdims=True)).save(tmp_path / "score.h5")
    np.savez(tmp_path / "v.npz", x=np.random.default_rng(0).normal(size=(400, 8)).astype(np.float32))
    res = CliRunner().invoke(app, ["--no-progress", "export", str(tmp_path / "score.h5"), "--data",
                                   str(tmp_path / "v.npz"), "--out", str(tmp_path / "fpga"), "--no-report"])
    assert res.exit_code == 0, res.output[-3000:]
    report = json.loads((tmp_path / "fpga" / "report.json").read_text())
    layers = {layer["name"]: layer for layer in report["precision"]["layers"]}
    assert layers["tf_math_square"]["class_name"] == "Multiply"
    assert layers["tf_math_reduce_sum"]["class_name"] == "QDense"
    assert all(layer["exact"] for layer in layers.values())
    assert report["bitexact"]["exact_fraction"] == 1.0
    assert report["bitexact"]["num_samples"] == 400
