"""Element-wise merges of two tensors (exporters/precision_merge.py): the derived result type holds the exact value
of Add, Subtract, Average, Maximum and Minimum for every input on the input grids, and no bit less would."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import UnsupportedModelError
from edgenn.exporters.fixed_point import FixedPoint
from edgenn.exporters.precision import derive_precisions

MERGES = ("Add", "Subtract", "Average", "Maximum", "Minimum")


def _two_input_model(merge: str, shape_b=(5,)):
    import tensorflow as tf
    from qkeras import QActivation, quantized_bits

    a, b = tf.keras.Input((5,), name="a"), tf.keras.Input(shape_b, name="b")
    qa = QActivation(quantized_bits(8, 2, alpha=1), name="qa")(a)  # step 1/32, [-4, 4)
    qb = QActivation(quantized_bits(6, 3, alpha=1), name="qb")(b)  # step 1/4, [-8, 8)
    return tf.keras.Model([a, b], getattr(tf.keras.layers, merge)(name="m")([qa, qb]))


@pytest.mark.parametrize("merge", MERGES)
def test_result_type_holds_the_exact_merge(merge):
    model = _two_input_model(merge)
    rng = np.random.default_rng(0)
    xa, xb = rng.uniform(-6, 6, (4000, 5)), rng.uniform(-12, 12, (4000, 5))
    prec = derive_precisions(model, x_calibration=[xa, xb])
    assert prec.bit_exact and prec.layer("m").exact
    assert [name for name in prec.input_types()] == ["a", "b"]
    fp = prec.layer("m").result
    qa, qb = prec.layer("qa").result.quantize(xa), prec.layer("qb").result.quantize(xb)
    exact = {"Add": qa + qb, "Subtract": qa - qb, "Average": (qa + qb) / 2, "Maximum": np.maximum(qa, qb),
             "Minimum": np.minimum(qa, qb)}[merge]
    assert np.array_equal(fp.quantize(exact), exact)  # the cast to the result type loses nothing
    lo, hi = prec.layer("m").output_min, prec.layer("m").output_max
    assert exact.min() >= lo and exact.max() <= hi
    narrower = FixedPoint(fp.width - 1, fp.integer - 1, fp.signed)  # one integer bit less cannot hold the interval
    assert narrower.min > lo or narrower.max < hi
    assert fp.fraction == (6 if merge == "Average" else 5)


def test_different_shapes_and_three_tensors_are_refused_by_name():
    import tensorflow as tf
    from qkeras import QActivation, quantized_bits

    with pytest.raises(UnsupportedModelError, match="'m' \\(Add\\).*same-shape"):
        derive_precisions(_two_input_model("Add", shape_b=(1,)), x_calibration=[np.ones((2, 5)), np.ones((2, 1))])
    x = tf.keras.Input((3,), name="x")
    q = [QActivation(quantized_bits(6, 2, alpha=1), name=f"q{i}")(x) for i in range(3)]
    with pytest.raises(UnsupportedModelError, match="'sum3' \\(Add\\).*two at a time"):
        derive_precisions(tf.keras.Model(x, tf.keras.layers.Add(name="sum3")(q)))
