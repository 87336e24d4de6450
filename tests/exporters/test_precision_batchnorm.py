"""BatchNormalization after QDense: exact types when its affine map is a short binary fraction, rounded otherwise."""

import numpy as np
import pytest


def _model(gamma, beta, mean, var, epsilon):
    import tensorflow as tf
    from qkeras import QDense, quantized_bits

    tf.keras.utils.set_random_seed(2)
    q = quantized_bits(6, 0, alpha=1)
    inp = tf.keras.Input((8,), name="x")
    h = QDense(4, kernel_quantizer=q, bias_quantizer=q, name="fc")(inp)
    bn = tf.keras.layers.BatchNormalization(epsilon=epsilon, name="bn")
    model = tf.keras.Model(inp, bn(h))
    bn.set_weights([np.asarray(v, np.float32) for v in (gamma, beta, mean, var)])
    return model


def test_power_of_two_statistics_fold_exactly():
    from edgenn.exporters.precision import derive_precisions

    # scale = 1/sqrt(4) = 0.5, shift = 0.375 - 0.5 * 0.25 = 0.25: short binary fractions
    model = _model([1.0] * 4, [0.375] * 4, [0.25] * 4, [4.0] * 4, epsilon=0.0)
    x = np.random.default_rng(0).uniform(-1, 1, (500, 8)).astype(np.float32)
    bn = derive_precisions(model, x_calibration=x).layer("bn")
    assert bn.exact
    result = bn.result
    y = model.predict(result_inputs(x, model), verbose=0)
    # every model output is a value of the derived result type and inside its derived interval
    np.testing.assert_array_equal(result.quantize(y), y)
    assert bn.output_min <= y.min() and y.max() <= bn.output_max


def result_inputs(x, model):
    from edgenn.exporters.precision import derive_precisions

    return derive_precisions(model, x_calibration=x).input.quantize(x).astype(np.float32)


def test_trained_statistics_are_rounded_and_not_claimed_exact():
    from edgenn.exporters.precision import derive_precisions
    from edgenn.exporters.precision_batchnorm import SCALE_BITS

    r = np.random.default_rng(1)
    model = _model(r.uniform(0.5, 2, 4), r.normal(size=4), r.normal(size=4) * 0.1, r.uniform(0.2, 3, 4),
                   epsilon=1e-3)
    x = r.uniform(-1, 1, (500, 8)).astype(np.float32)
    prec = derive_precisions(model, x_calibration=x)
    bn = prec.layer("bn")
    assert not bn.exact and not prec.bit_exact
    types = bn.types()
    assert types["scale"].width == SCALE_BITS and types["bias"].width == SCALE_BITS
    y = model.predict(result_inputs(x, model), verbose=0)
    assert bn.output_min <= y.min() and y.max() <= bn.output_max
    assert "scale" in prec.to_hls_config()["LayerName"]["bn"]["Precision"]


def test_batchnorm_over_a_non_channel_axis_is_refused():
    import tensorflow as tf

    from edgenn.errors import UnsupportedModelError
    from edgenn.exporters.precision import derive_precisions

    inp = tf.keras.Input((3, 4), name="x")
    model = tf.keras.Model(inp, tf.keras.layers.BatchNormalization(axis=1, name="bn")(inp))
    with pytest.raises(UnsupportedModelError, match="'bn'.*axis"):
        derive_precisions(model, x_calibration=np.zeros((4, 3, 4), np.float32))
