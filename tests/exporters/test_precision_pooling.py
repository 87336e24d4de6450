"""Conv1D/Conv2D (quantized, and float with stored fixed-point weights), pooling 1-D/2-D with 'valid' and 'same'
padding, global pooling, zero padding and Dropout: one model holding all of them is saved as a user's .h5 file and
exported through ``edgenn export`` (hls4ml C simulation compiled once); the C simulation equals the exact reference
on every layer. Cheaper checks of the refusals and of the derived bounds run without hls4ml."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import UnsupportedModelError


def _dyadic(rng, shape, bits=6):
    return np.round(rng.normal(0.0, 0.5, shape) * 2 ** (bits - 1)) / 2 ** (bits - 1)


def build_layer_zoo(seed: int = 0):
    """img (6, 6, 2) -> quantizer -> ZeroPadding2D -> float Conv2D (stored 6-bit weights, 'same') -> AveragePooling2D
    'same' (border windows of 2 and 1 cells) -> MaxPooling2D 3x3/2 'same' -> three branches: GlobalAveragePooling2D,
    GlobalMaxPooling2D, and Reshape to (4, 3) -> ZeroPadding1D -> QConv1D 'same' -> MaxPooling1D 3/2 'same' ->
    quantized_relu -> AveragePooling1D 2/1 'same' -> float Conv1D -> Dropout -> Global{Average,Max}Pooling1D;
    concatenated -> QDense logits."""
    import tensorflow as tf
    from qkeras import QActivation, QConv1D, QDense, quantized_bits, quantized_relu

    L = tf.keras.layers
    rng = np.random.default_rng(seed)
    wq, bq = quantized_bits(6, 0, alpha=1), quantized_bits(6, 2, alpha=1)
    inp = tf.keras.Input((6, 6, 2), name="img")
    x = QActivation(quantized_bits(8, 2, alpha=1), name="in_q")(inp)
    x = L.ZeroPadding2D(((1, 0), (0, 1)), name="pad2")(x)
    x = L.Conv2D(3, 3, padding="same", name="fconv2")(x)
    x = L.AveragePooling2D(2, padding="same", name="avgp2")(x)
    x = L.MaxPooling2D(3, strides=2, padding="same", name="maxp2")(x)
    a = L.GlobalAveragePooling2D(name="gap2")(x)
    b = L.GlobalMaxPooling2D(name="gmp2")(x)
    s = L.Reshape((4, 3), name="to_seq")(x)
    s = L.ZeroPadding1D((1, 2), name="pad1")(s)
    s = QConv1D(4, 3, padding="same", kernel_quantizer=wq, bias_quantizer=bq, name="qconv1")(s)
    s = L.MaxPooling1D(3, strides=2, padding="same", name="maxp1")(s)
    s = QActivation(quantized_relu(6, 2), name="relu1")(s)
    s = L.AveragePooling1D(2, strides=1, padding="same", name="avgp1")(s)
    s = L.Conv1D(4, 1, name="fconv1")(s)
    s = L.Dropout(0.25, name="drop")(s)
    c = L.GlobalAveragePooling1D(name="gap1")(s)
    d = L.GlobalMaxPooling1D(name="gmp1")(s)
    x = L.Concatenate(name="cat_2d")([a, b])
    y = L.Concatenate(name="cat_1d")([c, d])
    x = L.Concatenate(name="cat")([x, y])
    out = QDense(3, kernel_quantizer=wq, bias_quantizer=bq, name="logits")(x)
    model = tf.keras.Model(inp, out, name="layer_zoo")
    for name in ("fconv2", "fconv1"):  # float layers holding already-quantized weights, as --ptq writes them
        layer = model.get_layer(name)
        layer.set_weights([_dyadic(rng, w.shape) for w in layer.get_weights()])
    for name in ("qconv1", "logits"):
        layer = model.get_layer(name)
        layer.set_weights([rng.normal(0.0, 0.5, w.shape) for w in layer.get_weights()])
    return model


@pytest.fixture(scope="module")
def zoo_export(tmp_path_factory):
    from edgenn.runners.export import ExportRequest, run_export

    tmp = tmp_path_factory.mktemp("layer_zoo")
    model = build_layer_zoo()
    model.save(tmp / "zoo.h5")
    # beyond the input quantizer's range [-4, 4) on purpose: saturation is part of the model
    x = np.random.default_rng(1).uniform(-5.0, 5.0, (3000, 6, 6, 2)).astype(np.float32)
    np.savez(tmp / "val.npz", x=x)
    result = run_export(ExportRequest(source=tmp / "zoo.h5", target="fpga", out=tmp / "fpga", data=tmp / "val.npz"),
                        progress=False)
    return result.report, model


def test_every_layer_is_typed_exactly(zoo_export):
    report, _ = zoo_export
    layers = {p["name"]: p for p in report["precision"]["layers"]}
    for name in ("pad2", "fconv2", "avgp2", "maxp2", "gap2", "gmp2", "pad1", "qconv1", "maxp1", "avgp1", "fconv1",
                 "gap1", "gmp1", "logits"):
        assert layers[name]["exact"], name


def test_c_simulation_equals_the_exact_reference_on_every_layer(zoo_export):
    from edgenn.reference import EXACT_KIND

    report, _ = zoo_export
    bitexact = report["bitexact"]
    assert bitexact["reference_kind"] == EXACT_KIND
    assert bitexact["num_samples"] == 3000
    assert bitexact["exact_fraction"] == 1.0
    assert bitexact["first_diverging_layer"] is None  # every traced layer, not only the logits


def test_exact_reference_equals_float32_keras_on_this_model(zoo_export):
    # every sum here fits float32's significand, so Keras itself computes the exact values too
    from edgenn.reference import evaluate

    _, model = zoo_export
    x = np.round(np.random.default_rng(2).uniform(-4, 4, (200, 6, 6, 2)) * 32) / 32
    ref = evaluate(model, x)
    keras = model.predict(x.astype(np.float32), verbose=0)
    assert ref.is_exact("logits")
    np.testing.assert_array_equal(ref.outputs["logits"], keras)


def _bounds_hold(model, names, x):
    import tensorflow as tf

    from edgenn.exporters import derive_precisions

    prec = derive_precisions(model)
    probe = tf.keras.Model(model.inputs, [model.get_layer(n).output for n in names])
    outs = probe.predict(prec.input.quantize(x).astype(np.float32), verbose=0)
    for name, y in zip(names, outs):
        p = prec.layer(name)
        assert p.output_min <= y.min() and y.max() <= p.output_max, name
        assert np.array_equal(p.result.quantize(y), y), name  # on the type's grid and in its range
    return prec


def test_derived_types_hold_every_keras_value():
    model = build_layer_zoo(seed=3)
    x = np.random.default_rng(4).choice([-4.0, 3.96875, 0.0, 1.5, -2.25], (500, 6, 6, 2))  # range ends included
    prec = _bounds_hold(model, ["fconv2", "avgp2", "maxp2", "gap2", "qconv1", "maxp1", "avgp1", "gap1"], x)
    # a 'same' 2x2 average over a 7x7 map divides by 4, 2 and 1: two extra fraction bits, exact
    assert prec.layer("avgp2").result.fraction == prec.layer("fconv2").result.fraction + 2


def _seq_model(layer):
    import tensorflow as tf
    from qkeras import QActivation, quantized_bits, quantized_relu

    inp = tf.keras.Input((8, 3), name="seq")
    x = QActivation(quantized_bits(8, 2, alpha=1), name="in_q")(inp)
    x = QActivation(quantized_relu(6, 2), name="relu")(x)
    return tf.keras.Model(inp, layer(x))


def test_float_conv_with_float_weights_is_refused_with_the_way_out():
    import tensorflow as tf

    from edgenn.exporters import derive_precisions

    tf.keras.utils.set_random_seed(0)
    model = _seq_model(tf.keras.layers.Conv1D(2, 3, name="conv"))
    with pytest.raises(UnsupportedModelError, match=r"'conv' \(Conv1D\): float weights that are not fixed-point") \
            as err:
        derive_precisions(model)
    assert "--ptq" in str(err.value) and "QConv1D" in str(err.value)


def test_same_max_pooling_of_unsigned_values_is_refused_and_odd_averages_are_measured():
    import tensorflow as tf

    from edgenn.exporters import derive_precisions

    with pytest.raises(UnsupportedModelError, match=r"'pool' \(MaxPooling1D\): 'same' max pooling of unsigned"):
        derive_precisions(_seq_model(tf.keras.layers.MaxPooling1D(2, padding="same", name="pool")))
    # valid max pooling of the same unsigned values is fine
    derive_precisions(_seq_model(tf.keras.layers.MaxPooling1D(2, name="pool")))
    # hls4ml 1.3 converts a window of 3: converted, typed from the windows' sums, never called exact
    prec = derive_precisions(_seq_model(tf.keras.layers.AveragePooling1D(3, name="pool")))
    pool, relu = prec.layer("pool"), prec.layer("relu")
    assert not pool.exact and not prec.bit_exact and "average over 3 values" in pool.notes[0]
    assert pool.result.fraction == relu.result.fraction + 10 == dict(pool.tables)["accum"].fraction


def _odd_windows_model():
    """A 3x3 'same' average (windows of 9, 6 and 4 cells) and a 3-wide 1-D one (3 and 2 cells) on signed inputs."""
    import tensorflow as tf
    from qkeras import QActivation, quantized_bits

    L = tf.keras.layers
    inp = tf.keras.Input((6, 6, 1), name="img")
    q = QActivation(quantized_bits(8, 2, alpha=1), name="q")(inp)
    a = L.Flatten(name="flat2")(L.AveragePooling2D(3, strides=2, padding="same", name="avg3x3")(q))
    b = L.AveragePooling1D(3, strides=2, padding="same", name="avg3")(L.Reshape((36, 1), name="seq")(q))
    return tf.keras.Model(inp, L.Concatenate(name="cat")([a, L.Flatten(name="flat1")(b)]))


def _truncated_means(xq, pool, strides, fraction):
    """What hls4ml's avg() computes: the exact window sum divided by the number of real cells in ap_fixed, which
    keeps the dividend's fraction bits and truncates toward zero."""
    from edgenn.exporters.precision_conv import windows

    rows = len(xq)
    stacked = np.moveaxis(xq, 0, -1).reshape(*xq.shape[1:-1], -1)  # the batch as channels
    axes = tuple(range(len(pool), 2 * len(pool)))
    sums = windows(stacked, pool, strides, "same").sum(axis=axes)
    counts = windows(np.ones_like(stacked), pool, strides, "same").sum(axis=axes)
    scaled = sums * 2.0 ** fraction
    codes = np.trunc(scaled / counts)  # integers below 2**53: exact in float64
    out = codes * 2.0 ** -fraction
    return np.moveaxis(out.reshape(*out.shape[:-1], -1, rows), -1, 0).reshape(rows, -1), \
        np.moveaxis((sums / counts).reshape(*out.shape[:-1], -1, rows), -1, 0).reshape(rows, -1)


@pytest.fixture(scope="module")
def odd_windows(tmp_path_factory):
    from edgenn.exporters import HlsSettings, export_hls

    model = _odd_windows_model()
    project = export_hls(model, tmp_path_factory.mktemp("odd_windows") / "hls", HlsSettings())
    return model, project


def test_odd_average_windows_compute_what_the_precision_rule_says(odd_windows):
    """The C simulation of a 3x3 and a 3-wide average equals the truncated quotient the rule types (so the rule
    models hls4ml's arithmetic exactly), stays within 2**-(f + 10) of the mean, and is measured, not exact."""
    from edgenn.exporters import simulate_csim

    model, project = odd_windows
    prec = project.precision
    assert not prec.bit_exact and not prec.layer("avg3x3").exact and not prec.layer("avg3").exact
    q = prec.layer("q").result
    xq = q.quantize(np.random.default_rng(5).uniform(-5.0, 5.0, (1500, 6, 6, 1)))  # beyond the range: saturates
    result = simulate_csim(project, model, xq)
    for name, pool, rank in (("avg3x3", (3, 3), 2), ("avg3", (3,), 1)):
        fraction = prec.layer(name).result.fraction
        x = xq if rank == 2 else xq.reshape(-1, 36, 1)
        expected, mean = _truncated_means(x, pool, (2,) * rank, fraction)
        firmware = result.firmware[name].reshape(len(xq), -1)
        assert np.array_equal(firmware, expected), name
        assert np.abs(firmware - mean).max() < 2.0 ** -fraction
        assert np.any(firmware != mean) and np.any(firmware < 0) and np.any(firmware > 0)  # rounding really happens
    assert not result.bit_exact_expected and "division by" in (result.reference_label or "")
