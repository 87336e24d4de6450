"""The public 6-bit QKeras jet-tagging baseline, written as its users write it (Sequential, QDense 6 bits,
BatchNormalization after each hidden QDense, quantized_relu 6 bits, softmax head), trained a few epochs on the repo's
jets, exports to fpga and onnx with no change to the model (issue 13). One fpga export (one C simulation) is shared
by the assertions."""

import json

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # trains, converts and compiles one C simulation (~1 min on 2 cores)


def _baseline(n_features: int = 16):
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = quantized_bits(6, 0, alpha=1)
    layers = []
    for i, width in enumerate((64, 32, 32)):
        kw = {"input_shape": (n_features,)} if i == 0 else {}
        layers += [QDense(width, kernel_quantizer=q, bias_quantizer=q, name=f"fc{i + 1}", **kw),
                   tf.keras.layers.BatchNormalization(name=f"bn{i + 1}"),
                   QActivation(quantized_relu(6), name=f"relu{i + 1}")]
    layers += [QDense(5, kernel_quantizer=q, bias_quantizer=q, name="output"),
               tf.keras.layers.Activation("softmax", name="softmax")]
    return tf.keras.Sequential(layers, name="jet_tagger_6bit")


@pytest.fixture(scope="module")
def exported(tiny_jets, tmp_path_factory):
    import tensorflow as tf
    from typer.testing import CliRunner

    from edgenn.cli.app import app
    from edgenn.datasets.jet_data import load_jets

    tmp = tmp_path_factory.mktemp("tagger")
    jets = load_jets(tiny_jets / "jets.h5")
    x = (jets.features - jets.features.mean(0)) / (jets.features.std(0) + 1e-6)
    x, y = x.astype(np.float32), jets.labels.astype(np.int64)
    tf.keras.utils.set_random_seed(0)
    model = _baseline(x.shape[1])  # the baseline takes 16 features; the repo's jets carry more
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=5, batch_size=64, verbose=0)
    model.save(tmp / "tagger.h5")
    np.savez(tmp / "val.npz", x=x, y=y)
    runner = CliRunner()
    out = {}
    for target in ("fpga", "onnx"):
        res = runner.invoke(app, ["--no-progress", "export", str(tmp / "tagger.h5"), "--data", str(tmp / "val.npz"),
                                  "--target", target, "--out", str(tmp / target), "--no-report"])
        assert res.exit_code == 0, res.output[-3000:]
        out[target] = json.loads((tmp / target / "report.json").read_text())
    return out, model, x


def test_batchnorm_layers_are_converted_and_typed(exported):
    report, _, _ = exported
    layers = {layer["name"]: layer for layer in report["fpga"]["precision"]["layers"]}
    for bn in ("bn1", "bn2", "bn3"):
        assert layers[bn]["class_name"] == "BatchNormalization"
        assert {"scale", "bias", "result"} <= set(layers[bn]["types"])
        # trained statistics are not short binary fractions: converted, not claimed exact
        assert layers[bn]["exact"] is False


def test_fpga_agreement_is_measured_on_every_validation_row(exported):
    report, _, x = exported
    bitexact = report["fpga"]["bitexact"]
    assert bitexact["num_samples"] == len(x)
    assert bitexact["bit_exact"] is False  # BatchNorm coefficients are rounded: never claimed exact
    # 18-bit BatchNorm coefficients and 8 extra fraction bits: the firmware disagrees with the model only where a
    # quantized_relu input lies within the rounding error of one of its steps
    assert bitexact["exact_fraction"] > 0.9
    assert bitexact["argmax_agreement"] > 0.98
    assert bitexact["first_diverging_layer"] == "bn1"


def test_onnx_export_of_the_same_file_agrees(exported):
    report, _, _ = exported
    figures = report["onnx"]["figures"]
    assert figures["onnx_argmax_agreement"]["value"] > 0.99
    assert figures["onnx_max_abs_diff"]["value"] < 1e-4
