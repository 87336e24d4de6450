"""Precision derivation: quantizer -> ap_fixed mapping equals QKeras, accumulators are exact and tight."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import InvalidInputError, UnsupportedModelError
from edgenn.exporters.fixed_point import FixedPoint
from edgenn.exporters.precision import derive_precisions, quantizer_type


def _values() -> np.ndarray:
    # every 1/64 step in [-20, 20]: on-grid values, exact ties for the coarser grids below, and overflow
    return np.arange(-20.0, 20.0, 1 / 64).astype(np.float32)


@pytest.mark.parametrize(
    "make",
    [
        lambda q: q.quantized_bits(6, 2, alpha=1),
        lambda q: q.quantized_bits(8, 3, alpha=1),
        lambda q: q.quantized_bits(6, 2, alpha=1, symmetric=1),
        lambda q: q.quantized_bits(6, 2, alpha=1, keep_negative=False),
        lambda q: q.quantized_bits(4, 0, alpha=1),
        lambda q: q.quantized_relu(6, 2),
        lambda q: q.quantized_relu(8, 4),
        lambda q: q.quantized_relu(4, 0),
    ],
)
def test_quantizer_type_reproduces_qkeras(make):
    import qkeras

    quantizer = make(qkeras)
    fp = quantizer_type(quantizer, layer=None)
    x = _values()
    expected = quantizer(x).numpy().astype(np.float64)
    np.testing.assert_array_equal(fp.quantize(x), expected)
    assert fp.rounding == "RND_CONV"  # tf.round rounds half to even


def test_qkeras_rounds_half_to_even():
    """Why RND_CONV and not RND: QKeras maps 0.5 lsb to 0 and 1.5 lsb to 2."""
    import qkeras

    q = qkeras.quantized_bits(4, 3, alpha=1)  # step 1
    assert q(np.array([0.5, 1.5, 2.5, -0.5], np.float32)).numpy().tolist() == [0.0, 2.0, 2.0, -0.0]


def _tiny_model():
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits

    inp = tf.keras.Input(shape=(2,), name="input")
    x = QActivation(quantized_bits(4, 1, alpha=1), name="input_quant")(inp)  # ap_fixed<4,2>: [-2, 1.75], step 1/4
    layer = QDense(2, kernel_quantizer=quantized_bits(4, 1, alpha=1), bias_quantizer=quantized_bits(4, 1, alpha=1),
                   name="dense")
    out = layer(x)
    model = tf.keras.Model(inp, out)
    layer.set_weights([np.array([[0.5, -1.0], [1.5, 0.25]], np.float32), np.array([0.25, -0.5], np.float32)])
    return model


def test_accumulator_is_exact_and_tight_by_hand():
    model = _tiny_model()
    prec = derive_precisions(model)
    dense = prec.layer("dense")
    # By hand, inputs in [-2, 1.75]:
    #   unit 0 = 0.25 + 0.5 x0 + 1.5 x1  : max at (1.75, 1.75) = 3.75, min at (-2, -2) = -3.75
    #   unit 1 = -0.5 - 1.0 x0 + 0.25 x1 : max at (-2, 1.75) = 1.9375, min at (1.75, -2) = -2.75
    # step: input 1/4 x weight step 1/4 = 1/16, bias step 1/4 -> 4 fraction bits;
    # [-3.75, 3.75] needs 3 integer bits with sign ([-4, 3.9375]) -> ap_fixed<7,3>.
    assert (dense.output_min, dense.output_max) == (-3.75, 3.75)
    assert dense.accum == FixedPoint(7, 3, True, "TRN", "WRAP")
    assert dense.result == dense.accum
    assert dense.weight == FixedPoint(4, 2, True)  # values {-1, 0.25, 0.5, 1.5}: step 1/4, [-2, 1.75]
    assert dense.bias == FixedPoint(2, 0, True)  # values {-0.5, 0.25}: step 1/4, [-0.5, 0.25]

    corners = np.array([[1.75, 1.75], [-2.0, -2.0], [-2.0, 1.75], [1.75, -2.0]], np.float32)
    y = model.predict(corners, verbose=0).astype(np.float64)
    assert y[0, 0] == 3.75 and y[1, 0] == -3.75  # the bound is attained by real inputs
    np.testing.assert_array_equal(dense.accum.quantize(y), y)  # exact in the derived type
    one_less = FixedPoint(dense.accum.width - 1, dense.accum.integer - 1)
    assert not np.array_equal(one_less.quantize(y), y)  # one integer bit less wraps: tight
    one_coarser = FixedPoint(dense.accum.width - 1, dense.accum.integer)
    grid = np.array([[0.25, 0.25]], np.float32)  # 0.25 + 0.125 + 0.375 = 0.75; unit 1: -0.5 - 0.25 + 0.0625
    y_grid = model.predict(grid, verbose=0).astype(np.float64)
    assert not np.array_equal(one_coarser.quantize(y_grid), y_grid)  # one fraction bit less rounds


def test_jet_mlp_precisions_are_exact_and_tight(qmlp):
    prec = derive_precisions(qmlp)
    assert prec.bit_exact and prec.input == FixedPoint(8, 4, True, "RND_CONV", "SAT")
    assert prec.input_source == "quantizer:input_quant"
    assert prec.logits_layer == "logits" and prec.output_layer == "softmax"
    dense = [layer for layer in prec.layers if layer.accum is not None]
    assert [d.name for d in dense] == ["dense_0", "dense_1", "dense_2", "logits"]
    for d in dense:
        tighter = FixedPoint(d.accum.width - 1, d.accum.integer - 1)
        assert not (tighter.min <= d.output_min and d.output_max <= tighter.max), d.name
        assert d.accum.min <= d.output_min and d.output_max <= d.accum.max
    assert prec.layer("relu_0").result == FixedPoint(8, 4, False, "RND_CONV", "SAT")
    hls = prec.to_hls_config()["LayerName"]
    assert hls["input"]["Precision"]["result"] == "ap_fixed<8,4,AP_RND_CONV,AP_SAT>"
    assert hls["softmax"]["exp_table_t"].startswith("ap_ufixed<18,1")


def test_unsupported_layer_is_named():
    import tensorflow as tf

    inp = tf.keras.Input(shape=(4, 4, 1), name="img")
    x = tf.keras.layers.Conv2D(2, 3, name="conv")(inp)
    model = tf.keras.Model(inp, tf.keras.layers.Flatten(name="flat")(x))
    with pytest.raises(UnsupportedModelError, match=r"'conv' \(Conv2D\)"):
        derive_precisions(model, x_calibration=np.zeros((2, 4, 4, 1)))


def test_inexact_quantizer_is_named():
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits

    inp = tf.keras.Input(shape=(4,), name="x")
    x = QActivation(quantized_bits(8, 3, alpha=1), name="q_in")(inp)
    x = QDense(3, kernel_quantizer=quantized_bits(6, 0, alpha="auto_po2"),
               bias_quantizer=quantized_bits(8, 3, alpha=1), name="scaled")(x)
    with pytest.raises(UnsupportedModelError, match=r"'scaled' \(QDense\).*alpha"):
        derive_precisions(tf.keras.Model(inp, x))


def test_no_input_quantizer_needs_calibration(qmlp_builder):
    model = qmlp_builder(hidden=(8,), input_quantizer=None)
    with pytest.raises(InvalidInputError, match="input quantizer"):
        derive_precisions(model)
    x_cal = np.random.default_rng(1).normal(0, 1.5, (500, 16))
    prec = derive_precisions(model, x_calibration=x_cal, input_fraction_bits=10)
    assert prec.input_source == "calibration"
    assert prec.input.fraction == 10 and prec.input.rounding == "RND_CONV" and prec.input.saturation == "SAT"
    assert prec.input.min <= x_cal.min() and x_cal.max() <= prec.input.max
    assert FixedPoint(prec.input.width - 1, prec.input.integer - 1).max < np.abs(x_cal).max()
    assert prec.bit_exact  # exact given the host-quantized inputs


def test_float_dense_is_profiled_not_exact():
    import tensorflow as tf

    inp = tf.keras.Input(shape=(16,), name="x")
    x = tf.keras.layers.Dense(8, name="fc")(inp)
    x = tf.keras.layers.Activation("relu", name="act")(x)
    x = tf.keras.layers.Dense(3, name="out")(x)
    model = tf.keras.Model(inp, tf.keras.layers.Activation("softmax", name="sm")(x))
    x_cal = np.random.default_rng(2).normal(0, 1, (256, 16)).astype(np.float32)
    prec = derive_precisions(model, x_calibration=x_cal)
    assert not prec.bit_exact and not prec.layer("fc").exact
    assert any("not bit-exact by construction" in note for note in prec.notes)
    y_max = np.abs(model.get_layer("fc")(x_cal).numpy()).max()
    assert prec.layer("fc").result.max >= y_max  # profiled range holds the calibration data


def _qdense_float_bias(bias):
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits

    inp = tf.keras.Input((3,), name="x")
    h = QActivation(quantized_bits(6, 2, alpha=1), name="q")(inp)
    dense = QDense(2, kernel_quantizer=quantized_bits(6, 0, alpha=1), name="dense")  # no bias_quantizer
    model = tf.keras.Model(inp, dense(h))
    dense.set_weights([np.full((3, 2), 0.25, np.float32), np.asarray(bias, np.float32)])
    return model


def test_qdense_without_bias_quantizer_holds_its_float32_bias_exactly():
    """QKeras adds the stored float32 bias unquantized; a float32 value is a binary fraction, so the type holding it
    keeps the layer exact (users often set only kernel_quantizer)."""
    bias = np.float32([0.1234567, -1.5])  # 0.1234567 in float32: 24 significant bits
    prec = derive_precisions(_qdense_float_bias(bias))
    dense = prec.layer("dense")
    # exact against the exact reference; float32 Keras itself rounds a 30-bit sum, so it is not the judge here
    assert dense.exact and not dense.float32_exact
    assert np.array_equal(dense.bias.quantize(bias.astype(np.float64)), bias.astype(np.float64))
    assert dense.bias.fraction > 20  # the float32 value's own grid, not a quantizer's


def test_a_bias_too_wide_to_hold_is_rounded_and_measured():
    prec = derive_precisions(_qdense_float_bias([3.0, 2.0 ** -40]))  # 43 bits to hold both
    dense = prec.layer("dense")
    assert not dense.exact and not prec.bit_exact
    assert any("float bias (no bias_quantizer)" in n and "measured" in n for n in dense.notes)


def _after_inexact(middle):
    import tensorflow as tf
    from qkeras import QActivation, QConv1D, QDense, quantized_bits, quantized_relu

    q = dict(kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1))
    inp = tf.keras.Input((6, 2), name="x")
    h = QActivation(quantized_relu(6, 2), name="relu")(QConv1D(4, 1, name="fc1", **q)(inp))
    h = tf.keras.layers.Flatten(name="flat")(middle(h))
    model = tf.keras.Model(inp, QDense(3, name="out", **q)(h))
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if layer.get_weights() and type(layer).__name__ == "BatchNormalization":
            n = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.3, n), rng.normal(0, 0.5, n),
                               rng.uniform(0.5, 2.0, n)])
    return model


@pytest.mark.parametrize("middle", [
    lambda tf: tf.keras.layers.BatchNormalization(name="bn"),          # float BatchNorm after the activation
    lambda tf: tf.keras.layers.AveragePooling1D(3, name="avg"),        # an average over 3 values
])
def test_dense_after_an_inexact_layer_is_typed_not_a_traceback(middle):
    """A QDense whose input is rounded (float BatchNorm, average over 3) has input bounds off the grid; the
    accumulator holds them widened to it (both crashed with 'not on the grid' before) and is measured."""
    import tensorflow as tf

    model = _after_inexact(lambda h: middle(tf)(h))
    prec = derive_precisions(model, x_calibration=np.zeros((1, 6, 2), np.float32))
    out = prec.layer("out")
    assert not prec.bit_exact
    x = np.random.default_rng(1).uniform(-4, 4, (300, 6, 2)).astype(np.float32)
    y = model.predict(prec.input.quantize(x).astype(np.float32), verbose=0)
    assert out.accum.min <= y.min() and y.max() <= out.accum.max


def test_variable_length_input_is_refused_in_one_line():
    import tensorflow as tf
    from qkeras import QDense, quantized_bits

    inp = tf.keras.Input((None, 4), name="seq")
    h = tf.keras.layers.GlobalMaxPooling1D(name="pool")(inp)
    model = tf.keras.Model(inp, QDense(2, kernel_quantizer=quantized_bits(6, 0, alpha=1),
                                       bias_quantizer=quantized_bits(6, 0, alpha=1), name="out")(h))
    with pytest.raises(UnsupportedModelError, match=r"'seq' .*no fixed size.* Fix: give the Input a fixed shape"):
        derive_precisions(model, x_calibration=np.zeros((1, 8, 4), np.float32))


def test_relu_with_a_ceiling_is_refused_with_the_way_to_write_it():
    import tensorflow as tf
    from qkeras import QActivation, quantized_bits

    inp = tf.keras.Input((4,), name="x")
    model = tf.keras.Model(inp, tf.keras.layers.ReLU(6.0, name="relu6")(QActivation(quantized_bits(8, 3, alpha=1),
                                                                                    name="q")(inp)))
    with pytest.raises(UnsupportedModelError, match=r"'relu6' \(ReLU\): .*plain ReLU\. Fix: .*quantized_relu"):
        derive_precisions(model)
