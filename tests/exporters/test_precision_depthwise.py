"""QConv2DBatchnorm, QDepthwiseConv2DBatchnorm, QDepthwiseConv2D, QBatchNormalization, float DepthwiseConv2D and
SeparableConv2D (stored fixed-point weights): one model holding all of them is saved as a user's .h5 file and exported
through ``edgenn export`` (one C simulation); it equals the exact reference on every layer. The QKeras layers are
replaced by the layers they compute at inference (``edgenn.qkeras_inference``), checked here against QKeras itself."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import UnsupportedModelError


def build_depthwise_zoo(seed: int = 0):
    import tensorflow as tf
    from qkeras import (QActivation, QBatchNormalization, QConv2DBatchnorm, QDense, QDepthwiseConv2D,
                        QDepthwiseConv2DBatchnorm, quantized_bits, quantized_relu)

    L = tf.keras.layers
    rng = np.random.default_rng(seed)
    wq, bq = quantized_bits(6, 0, alpha=1), quantized_bits(6, 2, alpha=1)
    inp = tf.keras.Input((6, 6, 2), name="img")
    x = QActivation(quantized_bits(8, 2, alpha=1), name="in_q")(inp)
    x = QConv2DBatchnorm(3, 3, padding="same", kernel_quantizer=wq, bias_quantizer=bq,
                         activation=quantized_relu(6, 2), name="cbn")(x)
    x = QDepthwiseConv2DBatchnorm(3, padding="same", depthwise_quantizer=wq, bias_quantizer=bq, name="dwbn")(x)
    x = QDepthwiseConv2D(3, depthwise_quantizer=wq, bias_quantizer=bq, name="qdw")(x)
    # QKeras' default quantizers make the statistics powers of two (the variance an even one): with epsilon 0 the
    # normalisation is a dyadic affine map, so it is exact although the stored statistics are arbitrary floats
    x = QBatchNormalization(epsilon=0.0, name="qbn")(x)
    x = L.DepthwiseConv2D(2, name="fdw")(x)
    x = L.SeparableConv2D(2, 2, padding="same", name="fsep")(x)
    x = QActivation(quantized_relu(6, 3), name="relu")(x)
    x = L.Flatten(name="flat")(x)
    out = QDense(3, kernel_quantizer=wq, bias_quantizer=bq, name="logits")(x)
    model = tf.keras.Model(inp, out, name="depthwise_zoo")
    for layer in model.layers:
        weights = layer.get_weights()
        if layer.name in ("cbn", "dwbn"):  # kernel, bias, gamma, beta, iteration, moving mean, moving variance
            layer.set_weights([w if i == 4 else rng.uniform(0.5, 2.0, w.shape) if i in (2, 6)
                               else rng.normal(0.0, 0.5, w.shape) for i, w in enumerate(weights)])
        elif layer.name == "qbn":
            layer.set_weights([rng.uniform(0.5, 2.0, weights[0].shape), rng.normal(0.0, 0.5, weights[1].shape),
                               rng.normal(0.0, 0.5, weights[2].shape), rng.uniform(0.5, 4.0, weights[3].shape)])
        elif layer.name in ("fdw", "fsep"):  # float layers holding 5-bit values, as a quantization step writes them
            layer.set_weights([np.round(rng.normal(0.0, 0.5, w.shape) * 16) / 16 for w in weights])
        elif layer.name in ("qdw", "logits"):
            layer.set_weights([rng.normal(0.0, 0.5, w.shape) for w in weights])
    return model


@pytest.fixture(scope="module")
def depthwise_export(tmp_path_factory):
    from edgenn.runners.export import ExportRequest, run_export

    tmp = tmp_path_factory.mktemp("depthwise_zoo")
    model = build_depthwise_zoo()
    model.save(tmp / "zoo.h5")
    x = np.random.default_rng(1).uniform(-5.0, 5.0, (2000, 6, 6, 2)).astype(np.float32)
    np.savez(tmp / "val.npz", x=x)
    result = run_export(ExportRequest(source=tmp / "zoo.h5", target="fpga", out=tmp / "fpga", data=tmp / "val.npz"),
                        progress=False)
    return result.report, model


def test_c_simulation_equals_the_exact_reference_on_every_layer(depthwise_export):
    from edgenn.reference import EXACT_KIND

    report, _ = depthwise_export
    layers = {p["name"]: p for p in report["precision"]["layers"]}
    assert layers["cbn"]["class_name"] == "QConv2D" and layers["qbn"]["class_name"] == "BatchNormalization"
    for name in ("cbn", "dwbn", "qdw", "qbn", "fdw", "fsep", "logits"):
        assert layers[name]["exact"], name
    bitexact = report["bitexact"]
    assert bitexact["reference_kind"] == EXACT_KIND
    assert bitexact["exact_fraction"] == 1.0 and bitexact["num_samples"] == 2000
    assert bitexact["first_diverging_layer"] is None


def test_inference_rewrite_computes_what_qkeras_computes():
    import tensorflow as tf

    from edgenn.flatten import flatten_model

    model = build_depthwise_zoo(seed=5)
    flat = flatten_model(model)
    assert {type(layer).__name__ for layer in flat.layers} >= {"QConv2D", "QDepthwiseConv2D", "BatchNormalization"}
    assert not {"QConv2DBatchnorm", "QDepthwiseConv2DBatchnorm", "QBatchNormalization"} & \
        {type(layer).__name__ for layer in flat.layers}
    x = np.random.default_rng(6).uniform(-4, 4, (300, 6, 6, 2)).astype(np.float32)
    for name in ("cbn_quantized_relu", "dwbn", "qbn"):
        src = "cbn" if name == "cbn_quantized_relu" else name
        ours = tf.keras.Model(flat.inputs, flat.get_layer(name).output).predict(x, verbose=0)
        theirs = tf.keras.Model(model.inputs, model.get_layer(src).output).predict(x, verbose=0)
        np.testing.assert_array_equal(ours, theirs, err_msg=name)


def _map_model(*layers):
    import tensorflow as tf
    from qkeras import QActivation, quantized_bits

    inp = tf.keras.Input((6, 6, 2), name="img")
    x = QActivation(quantized_bits(8, 2, alpha=1), name="in_q")(inp)
    for layer in layers:
        x = layer(x)
    return tf.keras.Model(inp, x)


def test_what_hls4ml_cannot_compile_is_refused_in_one_line():
    import tensorflow as tf

    from edgenn.exporters import derive_precisions

    L = tf.keras.layers
    with pytest.raises(UnsupportedModelError, match=r"'dw' \(DepthwiseConv2D\): depth_multiplier 2"):
        derive_precisions(_map_model(L.DepthwiseConv2D(3, depth_multiplier=2, name="dw")))
    mixed = _map_model(L.DepthwiseConv2D(3, name="dw", depthwise_initializer="zeros"), L.Reshape((16, 2)),
                       L.SeparableConv1D(2, 3, name="sep", depthwise_initializer="zeros",
                                         pointwise_initializer="zeros"))
    with pytest.raises(UnsupportedModelError, match="mixes 1-D and 2-D depthwise/separable"):
        derive_precisions(mixed)
