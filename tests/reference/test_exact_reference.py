"""The exact reference against independent integer arithmetic, float32 Keras where float32 is exact, and a case
where float32 Keras rounds and the reference does not."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
qkeras = pytest.importorskip("qkeras")
from qkeras import QActivation, QConv1D, QDense, quantized_bits, quantized_relu  # noqa: E402

from edgenn.errors import UnsupportedModelError  # noqa: E402
from edgenn.reference import EXACT_KIND, evaluate  # noqa: E402


def _probe(model, names, x):
    outs = tf.keras.Model(model.inputs, [model.get_layer(n).output for n in names]).predict(
        np.asarray(x, np.float32), verbose=0)
    return dict(zip(names, outs if isinstance(outs, list) else [outs]))


def _narrow_mlp():
    tf.keras.utils.set_random_seed(1)
    inp = tf.keras.Input((8,), name="x")
    h = QActivation(quantized_bits(8, 2, alpha=1), name="q_in")(inp)
    h = QDense(6, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1),
               name="fc1")(h)
    h = QActivation(quantized_relu(6, 2), name="relu1")(h)
    h = QDense(3, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1),
               name="fc2")(h)
    return tf.keras.Model(inp, tf.keras.layers.Activation("softmax", name="sm")(h))


def test_equals_float32_keras_where_float32_is_exact():
    model = _narrow_mlp()
    x = np.random.default_rng(0).normal(0, 2, (2000, 8))
    ref = evaluate(model, x)
    keras = _probe(model, ["q_in", "fc1", "relu1", "fc2", "sm"], x)
    for name in ("q_in", "fc1", "relu1", "fc2"):  # <= 24-bit sums: float32 is exact, so both must agree everywhere
        assert ref.is_exact(name)
        np.testing.assert_array_equal(ref.outputs[name], keras[name])
    assert ref.kind("fc2") == EXACT_KIND
    # the softmax is a real function: evaluated in float64, close to float32, never called exact
    assert not ref.is_exact("sm") and "softmax" in ref.kind("sm")
    assert np.abs(ref.outputs["sm"] - keras["sm"]).max() < 1e-6


def _wide_dense():
    """16-bit inputs times 16-bit weights summed over 64 features: ~37-bit sums, beyond float32's 24 bits."""
    tf.keras.utils.set_random_seed(2)
    inp = tf.keras.Input((64,), name="x")
    h = QActivation(quantized_bits(16, 7, alpha=1), name="q_in")(inp)
    h = QDense(4, kernel_quantizer=quantized_bits(16, 3, alpha=1), bias_quantizer=quantized_bits(16, 3, alpha=1),
               kernel_initializer=tf.keras.initializers.RandomUniform(-8, 8), name="fc")(h)
    return tf.keras.Model(inp, h)


def test_float32_keras_rounds_wide_sums_and_the_reference_does_not():
    model = _wide_dense()
    x = np.random.default_rng(3).uniform(-128, 128, (300, 64))
    ref = evaluate(model, x)
    assert ref.is_exact("fc")
    # independent exact arithmetic: rational numbers, from the quantized weights and inputs
    layer = model.get_layer("fc")
    w = layer.kernel_quantizer_internal(layer.kernel).numpy().astype(np.float64)
    b = layer.bias_quantizer_internal(layer.bias).numpy().astype(np.float64)
    xq = ref.outputs["q_in"]
    for i in range(0, 300, 37):
        for j in range(4):
            exact = sum(Fraction(xq[i, k]) * Fraction(w[k, j]) for k in range(64)) + Fraction(b[j])
            assert Fraction(ref.outputs["fc"][i, j]) == exact
    keras = _probe(model, ["fc"], x)["fc"]
    wrong = keras != ref.outputs["fc"]
    assert wrong.mean() > 0.1  # float32 Keras rounds most of these sums; the reference keeps every bit


def test_float32_keras_loses_a_saturated_quantizer_and_the_reference_does_not():
    """QKeras returns ``x + (q(x) - x)`` in float32: for a large x, q(x) - x rounds and the saturation is lost."""
    inp = tf.keras.Input((1,))
    model = tf.keras.Model(inp, QActivation(quantized_bits(4, 0, alpha=1), name="q")(inp))
    x = np.array([[1.0e8 + 3.0], [0.3], [-5.0]])
    ref = evaluate(model, x)
    np.testing.assert_array_equal(ref.outputs["q"][:, 0], [0.875, 0.25, -1.0])
    keras = _probe(model, ["q"], x)["q"][:, 0]
    assert keras[0] != 0.875


def test_sequential_conv_and_relu_quantizer_match_integer_arithmetic():
    tf.keras.utils.set_random_seed(5)
    model = tf.keras.Sequential([
        tf.keras.Input((12, 2)),
        QConv1D(3, 3, strides=2, padding="same", kernel_quantizer=quantized_bits(5, 0, alpha=1),
                bias_quantizer=quantized_bits(5, 0, alpha=1), name="conv"),
        QActivation(quantized_relu(4, 1), name="act"),
        tf.keras.layers.Flatten(name="flat"),
    ])
    rng = np.random.default_rng(6)
    x = rng.integers(-64, 64, (50, 12, 2)) / 16.0
    ref = evaluate(model, x)
    conv = model.get_layer("conv")
    w = conv.kernel_quantizer_internal(conv.kernel).numpy().astype(np.float64)
    b = conv.bias_quantizer_internal(conv.bias).numpy().astype(np.float64)
    xp = np.pad(x, ((0, 0), (0, 1), (0, 0)))  # 'same', stride 2, kernel 3 on 12: one zero at the end
    direct = np.stack([np.einsum("nkc,kcf->nf", xp[:, 2 * t: 2 * t + 3], w) + b for t in range(6)], axis=1)
    np.testing.assert_array_equal(ref.outputs["conv"], direct)
    codes = np.clip(np.rint(direct * 8), 0, 15)  # quantized_relu(4, 1): step 2**-3, 16 levels
    np.testing.assert_array_equal(ref.outputs["act"], codes / 8)
    assert ref.is_exact("flat")
    np.testing.assert_array_equal(ref.outputs["flat"], _probe(model, ["flat"], x)["flat"])


def test_batchnorm_is_evaluated_but_never_called_exact():
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.BatchNormalization(name="bn")])
    model.get_layer("bn").moving_variance.assign(np.array([0.5, 2.0, 3.0, 1.0], np.float32))
    x = np.random.default_rng(7).normal(size=(20, 4))
    ref = evaluate(model, x)
    assert not ref.is_exact("bn") and "BatchNormalization" in ref.kind()
    assert np.abs(ref.outputs["bn"] - _probe(model, ["bn"], x)["bn"]).max() < 1e-5


def test_layer_without_rule_is_named():
    inp = tf.keras.Input((4, 3))
    model = tf.keras.Model(inp, tf.keras.layers.LSTM(2, name="rnn")(inp))
    with pytest.raises(UnsupportedModelError, match="'rnn' \\(LSTM\\)"):
        evaluate(model, np.zeros((1, 4, 3)))
