"""Builders of the QKeras models edgenn's QAT pass produces, with seeded random (pruned) quantized weights."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def build_qmlp(
    hidden=(64, 32, 32),
    num_classes=5,
    *,
    seed=0,
    sparsity=0.8,
    input_quantizer=(8, 3),
    weight_bits=(6, 0),
    bias_bits=(8, 3),
    relu_bits=(8, 4),
    mid_bits_layer: int | None = None,
    final_qactivation: tuple[int, int] | None = None,
    softmax=True,
):
    """Input -> [QActivation(quantized_bits)] -> (QDense -> QActivation(quantized_relu))* -> QDense 'logits'
    [-> QActivation(quantized_bits)] -> [softmax]. ``mid_bits_layer`` swaps that hidden activation for quantized_bits.
    """
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    rng = np.random.default_rng(seed)
    inp = tf.keras.Input(shape=(16,), name="input")
    x = inp
    if input_quantizer is not None:
        x = QActivation(quantized_bits(*input_quantizer, alpha=1), name="input_quant")(x)

    def qdense(units, name):
        return QDense(units, kernel_quantizer=quantized_bits(*weight_bits, alpha=1),
                      bias_quantizer=quantized_bits(*bias_bits, alpha=1), name=name)

    for k, units in enumerate(hidden):
        x = qdense(units, f"dense_{k}")(x)
        act = quantized_bits(8, 3, alpha=1) if k == mid_bits_layer else quantized_relu(*relu_bits)
        x = QActivation(act, name=f"relu_{k}")(x)
    x = qdense(num_classes, "logits")(x)
    if final_qactivation is not None:
        x = QActivation(quantized_bits(*final_qactivation, alpha=1), name="logits_quant")(x)
    if softmax:
        x = tf.keras.layers.Activation("softmax", name="softmax")(x)
    model = tf.keras.Model(inp, x, name="qmlp")
    for layer in model.layers:
        if isinstance(layer, QDense):
            kernel, bias = layer.get_weights()
            kernel = rng.normal(0.0, 0.5, kernel.shape) * (rng.random(kernel.shape) >= sparsity)
            bias = rng.normal(0.0, 1.0, bias.shape)
            kernel = layer.kernel_quantizer_internal(kernel.astype(np.float32)).numpy()
            bias = layer.bias_quantizer_internal(bias.astype(np.float32)).numpy()
            layer.set_weights([kernel, bias])
    return model


@pytest.fixture(scope="session")
def qmlp():
    """The 16-64-32-32-5 jet-tagger shape: 8-bit input quantizer, 6-bit weights, 80 % pruned."""
    return build_qmlp()


@pytest.fixture(scope="session")
def qmlp_builder():
    return build_qmlp
