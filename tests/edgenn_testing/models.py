"""Small seeded QKeras models: a family build on its quantizer grids, and an MLP saved as a user model file with its
validation data for tests that need a user export."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def build_small_qmlp(directory: Path, *, seed: int = 0) -> tuple[Path, Path]:
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    rng = np.random.default_rng(seed)
    inp = tf.keras.Input(shape=(8,), name="input")
    x = QActivation(quantized_bits(8, 3, alpha=1), name="input_quant")(inp)
    x = QDense(16, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(8, 3, alpha=1),
               name="dense_0")(x)
    x = QActivation(quantized_relu(8, 4), name="relu_0")(x)
    x = QDense(3, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(8, 3, alpha=1),
               name="logits")(x)
    model = tf.keras.Model(inp, x, name="small_qmlp")
    for layer in model.layers:
        if isinstance(layer, QDense):
            kernel, bias = (rng.normal(0, 0.5, w.shape).astype(np.float32) for w in layer.get_weights())
            layer.set_weights([layer.kernel_quantizer_internal(kernel).numpy(),
                               layer.bias_quantizer_internal(bias).numpy()])
    model_path, data_path = Path(directory) / "small_qmlp.h5", Path(directory) / "val.npz"
    model.save(model_path)
    np.savez(data_path, x=rng.normal(0, 1, (256, 8)).astype(np.float32), y=rng.integers(0, 3, 256))
    return model_path, data_path


def quantized_family_model(family: str, params: dict, input_shape: tuple[int, ...], num_classes: int, qat,
                           seed: int = 0):
    """A family's QKeras build with random weights stored on their quantizer grids (as the QAT pass leaves them)."""
    from edgenn.architectures.registry import get_family

    fam = get_family(family)
    model = fam.build(fam.params_model(**params), input_shape, num_classes, qat)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.trainable and layer.get_weights():
            layer.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in layer.get_weights()])
            layer.kernel.assign(layer.kernel_quantizer_internal(layer.kernel))
            if layer.bias is not None:
                layer.bias.assign(layer.bias_quantizer_internal(layer.bias))
    return model
