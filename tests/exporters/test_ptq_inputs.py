"""--ptq on a float model with several inputs: one input quantizer per input, each from its own array's range, and
the quantized model close to the float one (no C++ compile; tests/zoo exports one to fpga, slow)."""

import numpy as np
import pytest


def _two_input_model():
    import tensorflow as tf

    a, b = tf.keras.Input((6,), name="a"), tf.keras.Input((3,), name="b")
    h = tf.keras.layers.Concatenate(name="join")([tf.keras.layers.Dense(5, activation="relu", name="fa")(a),
                                                  tf.keras.layers.Dense(4, name="fb")(b)])
    return tf.keras.Model([a, b], tf.keras.layers.Dense(2, name="out")(h))


def test_each_input_gets_its_own_quantizer_from_its_own_range():
    import tensorflow as tf

    from edgenn.exporters.precision import derive_precisions
    from edgenn.exporters.ptq import quantize_float_model

    tf.keras.utils.set_random_seed(3)
    model = _two_input_model()
    rng = np.random.default_rng(3)
    x = [rng.normal(0, 0.4, (300, 6)).astype(np.float32), rng.normal(0, 9.0, (300, 3)).astype(np.float32)]
    qmodel, record = quantize_float_model(model, x, bits=8)
    assert record.quantized[:2] == ("ptq_a", "ptq_b") and qmodel.input_names == ["a", "b"]
    ints = [int(qmodel.get_layer(f"ptq_{n}").quantizer.get_config()["integer"]) for n in ("a", "b")]
    assert ints == [int(np.ceil(np.log2(np.abs(v).max()))) for v in x]  # each from its own array
    y, yq = model.predict(x, verbose=0), qmodel.predict(x, verbose=0)
    assert np.abs(y - yq).max() < 0.1 * np.abs(y).max()
    precision = derive_precisions(qmodel, x_calibration=x)
    assert precision.bit_exact and list(precision.input_types()) == ["a", "b"]


def test_a_missing_input_array_is_refused_in_one_line():
    from edgenn.errors import InvalidInputError
    from edgenn.exporters.ptq import quantize_float_model

    with pytest.raises(InvalidInputError, match="has 2 inputs but 1 input array"):
        quantize_float_model(_two_input_model(), np.zeros((4, 6), np.float32))
