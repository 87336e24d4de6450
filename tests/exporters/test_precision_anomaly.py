"""The Multiply rule and the VAE firmware score: derived types hold every value QKeras computes, exactly.

A fast stand-in for the slow e2e export (tests/e2e/test_anomaly_export.py): no hls4ml, no training. The quantized
VAE's firmware model (encoder -> mu_quant -> mu * mu -> all-ones QDense) gets random weights; on random inputs the
values Keras computes for mu_squared and sum_squares must lie inside the derived bounds and on the derived grid
(``FixedPoint.quantize`` is the identity on them), which is what makes the C simulation equal QKeras.
"""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.exporters.fixed_point import FixedPoint
from edgenn.exporters.precision_rules import Tensor
from edgenn.exporters.precision_anomaly import product_bounds


def test_square_bounds_are_tight_and_non_negative():
    t = Tensor(np.array([-3.0, 1.0, -4.0]), np.array([2.0, 5.0, -1.0]), FixedPoint(8, 4, True))
    lo, hi = product_bounds([t, t])
    assert lo.tolist() == [0.0, 1.0, 1.0] and hi.tolist() == [9.0, 25.0, 16.0]
    other = Tensor(t.lo.copy(), t.hi.copy(), t.fp)  # same bounds, another tensor: a general product may be < 0
    lo2, hi2 = product_bounds([t, other])
    assert lo2.tolist() == [-6.0, 1.0, 1.0] and hi2.tolist() == [9.0, 25.0, 16.0]


@pytest.fixture(scope="module")
def score_model():
    import tensorflow as tf

    from edgenn.architectures.registry import get_family
    from edgenn.config.recipe import QatSpec

    tf.keras.utils.set_random_seed(0)
    family = get_family("vae")
    params = family.params_model(hidden=[16, 8], latent=3)
    qat = QatSpec(input={"bits": 14, "integer": 6}, weight={"bits": 8, "integer": 1})
    return family.deploy(family.build(params, (57,), 0, qat), params)


def test_vae_score_types_hold_every_keras_value_exactly(score_model):
    import tensorflow as tf

    from edgenn.exporters.precision import derive_precisions

    precision = derive_precisions(score_model)
    assert precision.bit_exact and precision.output_layer == "sum_squares"
    square = precision.layer("mu_squared")
    assert square.class_name == "Multiply" and not square.result.signed and square.exact and square.float32_exact
    x = precision.input.quantize(np.random.default_rng(1).normal(0, 8, size=(5000, 57)))
    probe = tf.keras.Model(score_model.inputs, [score_model.get_layer(n).output for n in ("mu_squared", "sum_squares")])
    for name, values in zip(("mu_squared", "sum_squares"), probe.predict(x.astype(np.float32), verbose=0)):
        layer, v = precision.layer(name), np.asarray(values, np.float64)
        assert layer.output_min <= v.min() and v.max() <= layer.output_max
        assert np.array_equal(layer.result.quantize(v), v), name  # on the grid and in range: no rounding anywhere
    mu = score_model.get_layer("mu_quant").output
    mu_values = tf.keras.Model(score_model.inputs, mu).predict(x.astype(np.float32), verbose=0).astype(np.float64)
    score = score_model.predict(x.astype(np.float32), verbose=0).ravel()
    assert np.array_equal(score, np.sum(mu_values**2, axis=1))  # the all-ones sum is the exact sum of squares


def test_too_wide_factors_are_refused_with_the_fix():
    import tensorflow as tf
    from qkeras import QActivation, quantized_bits

    from edgenn.errors import UnsupportedModelError
    from edgenn.exporters.precision import derive_precisions

    inp = tf.keras.Input((3,), name="input")
    q = QActivation(quantized_bits(30, 10, alpha=1), name="input_quant")(inp)
    out = tf.keras.layers.Multiply(name="sq")([q, q])
    with pytest.raises(UnsupportedModelError, match="sq.*needs .* bits.*quantize the factors"):
        derive_precisions(tf.keras.Model(inp, out))
