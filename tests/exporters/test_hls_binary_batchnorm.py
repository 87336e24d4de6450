"""A BatchNorm followed by a binary activation keeps edgenn's types in hls4ml (exporters/hls.py BINARY_FUSION_PASS):
hls4ml's fusion of the two into one uint<1> layer is off during the conversion, and back on afterwards."""

from __future__ import annotations

import numpy as np


def test_batchnorm_and_binary_activation_stay_two_typed_layers(tmp_path):
    import tensorflow as tf
    from hls4ml.model.optimizer import get_optimizer
    from qkeras import QActivation, QBatchNormalization, QDense, quantized_bits

    from edgenn.exporters.hls import BINARY_FUSION_PASS, HlsSettings, export_hls
    from edgenn.flatten import flatten_model

    tf.keras.utils.set_random_seed(0)
    inp = tf.keras.Input((8,), name="x")
    h = QActivation(quantized_bits(6, 2, alpha=1), name="q_in")(inp)
    h = QDense(6, kernel_quantizer="binary", use_bias=False, name="fc1")(h)
    h = QBatchNormalization(name="bn")(h)
    h = QActivation("binary", name="act")(h)
    out = QDense(3, kernel_quantizer="binary", use_bias=False, name="fc2")(h)
    model = flatten_model(tf.keras.Model(inp, out))
    bn = model.get_layer("bn")
    bn.set_weights([np.full(6, 1.5), np.linspace(-1, 1, 6), np.linspace(-2, 2, 6), np.full(6, 2.0)])
    project = export_hls(model, tmp_path / "hls", HlsSettings(), compile=False)  # raises if a type was changed
    classes = {layer.name: layer.class_name for layer in project.hls_model.get_layers()}
    assert "BatchNormalizationQuantizedTanh" not in classes.values()
    assert classes["bn"] == "BatchNormalization" and "act" in classes
    act_type = project.hls_model.graph["act"].get_output_variable().type.precision
    assert act_type.width == project.precision.layer("act").result.width  # edgenn's type, not hls4ml's uint<1>
    assert "match" not in vars(get_optimizer(BINARY_FUSION_PASS))  # switched off for that conversion only
