"""Precision walk over branching graphs: exact pooling types, Concatenate, and refusals that name the layer."""

import numpy as np
import pytest

from edgenn.errors import UnsupportedModelError
from edgenn.exporters.precision import derive_precisions


def _qmodel(n: int, pooling: str = "mean"):
    import tensorflow as tf
    from qkeras import QActivation, quantized_bits

    inp = tf.keras.Input((n, 2), name="x")
    q = QActivation(quantized_bits(8, 2, alpha=1), name="q")(inp)
    pool = tf.keras.layers.GlobalAveragePooling1D(name="pool") if pooling == "mean" else \
        tf.keras.layers.GlobalMaxPooling1D(name="pool")
    return tf.keras.Model(inp, pool(q))


def test_mean_pooling_over_power_of_two_adds_log2_fraction_bits_and_is_exact():
    model = _qmodel(16)
    prec = derive_precisions(model).layer("pool")
    q = derive_precisions(model).layer("q").result
    assert prec.result.fraction == q.fraction + 4 and prec.accum.fraction == q.fraction + 4
    x = np.random.default_rng(0).uniform(-4, 4, (500, 16, 2))
    xq = q.quantize(x)
    y = model.predict(xq.astype(np.float32), verbose=0).astype(np.float64)
    assert np.array_equal(prec.result.quantize(y), y)  # every mean is representable: no rounding in firmware
    assert np.array_equal(y, xq.mean(axis=1))


def test_mean_pooling_over_non_power_of_two_is_converted_measured_and_holds_every_mean():
    """hls4ml converts it (its division truncates in accum_t): typed with 10 extra fraction bits, never called exact;
    the result type holds every mean within one step of it (an L1 jet tagger pools 10 particles)."""
    model = _qmodel(12)
    precision = derive_precisions(model)
    prec, q = precision.layer("pool"), precision.layer("q").result
    assert not prec.exact and not precision.bit_exact and "not a power of two" in prec.notes[0]
    xq = q.quantize(np.random.default_rng(1).uniform(-4, 4, (500, 12, 2)))
    mean = xq.mean(axis=1)
    truncated = np.floor(mean / prec.result.lsb) * prec.result.lsb
    assert np.array_equal(prec.result.quantize(truncated), truncated) and np.abs(truncated - mean).max() < 2.0 ** -10


def test_max_pooling_keeps_the_input_type():
    prec = derive_precisions(_qmodel(12, "max"))
    assert prec.layer("pool").result == prec.layer("q").result


def test_concatenate_holds_both_inputs_and_unknown_merge_is_refused():
    import tensorflow as tf
    from qkeras import QActivation, quantized_bits

    inp = tf.keras.Input((4,), name="x")
    a = QActivation(quantized_bits(8, 2, alpha=1), name="a")(inp)
    b = QActivation(quantized_bits(6, 4, alpha=1), name="b")(inp)
    cat = tf.keras.Model(inp, tf.keras.layers.Concatenate(name="cat")([a, b]))
    prec = derive_precisions(cat)
    fp = prec.layer("cat").result
    x = prec.input.quantize(np.random.default_rng(0).uniform(-6, 6, (1000, 4)))
    y = cat.predict(x.astype(np.float32), verbose=0).astype(np.float64)
    assert np.array_equal(fp.quantize(y), y)  # every concatenated value fits the type exactly
    assert fp.fraction == max(prec.layer("a").result.fraction, prec.layer("b").result.fraction)
    # Dot converts since hls4ml 1.3's dot1d has a rule; its normalised form (a cosine) does not
    cosine = tf.keras.Model(inp, tf.keras.layers.Dot(axes=1, normalize=True, name="dot")([a, b]))
    with pytest.raises(UnsupportedModelError, match="'dot' \\(Dot\\).*normalize=True"):
        derive_precisions(cosine)
