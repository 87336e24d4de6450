"""--ptq for Conv1D and depthwise convolutions (exporters/ptq.py): their weights are stored as quantized_bits values,
so the quantized model is exact by construction and the exact reference proves it; the float model's outputs stay
close (no C simulation here: the firmware side is the shared precision/C-simulation machinery tested elsewhere)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("depthwise", ["DepthwiseConv1D", "DepthwiseConv2D"])
def test_conv_and_depthwise_layers_are_quantized_exactly(depthwise):
    import tensorflow as tf
    from qkeras import quantized_bits

    from edgenn.exporters.precision import derive_precisions
    from edgenn.exporters.ptq import integer_bits, quantize_float_model
    from edgenn.flatten import flatten_model
    from edgenn.reference import evaluate

    tf.keras.utils.set_random_seed(0)
    L = tf.keras.layers
    if depthwise == "DepthwiseConv1D":
        body = [L.Conv1D(4, 3, activation="relu", input_shape=(16, 3), name="conv"), L.DepthwiseConv1D(3, name="dw")]
        x = np.random.default_rng(0).normal(0, 1, (300, 16, 3)).astype(np.float32)
    else:
        body = [L.DepthwiseConv2D((3, 3), input_shape=(8, 8, 2), name="dw"), L.Activation("relu", name="r")]
        x = np.random.default_rng(0).normal(0, 1, (300, 8, 8, 2)).astype(np.float32)
    model = flatten_model(tf.keras.Sequential([*body, L.Flatten(name="flat"), L.Dense(3, name="out")]))
    qmodel, record = quantize_float_model(model, x, bits=8)
    assert "dw" in record.quantized
    dw = qmodel.get_layer("dw")
    for w in dw.get_weights():  # every stored weight is its own 8-bit quantized value
        q = quantized_bits(8, integer_bits(float(np.max(np.abs(w)))), alpha=1)
        assert np.array_equal(np.asarray(q(tf.constant(w)).numpy()), w)
    precision = derive_precisions(qmodel, x_calibration=x)
    assert precision.bit_exact and precision.layer("dw").exact
    ref = evaluate(qmodel, x)
    assert ref.is_exact("out")
    fl = model.predict(x, verbose=0)
    assert np.mean(ref.outputs["out"].argmax(1) == fl.argmax(1)) > 0.9  # 8 bits cost little on these inputs
