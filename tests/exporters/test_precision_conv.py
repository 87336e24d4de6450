"""Precision rules for QConv2D, pooling and Flatten: exact (every Keras value fits the derived type), minimal (the
bound is reached, so one bit less overflows) and bit-exact in the hls4ml C simulation (one tiny model compiled once,
io_parallel; io_stream is in test_hls_conv_stream.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.exporters import FixedPoint, HlsSettings, derive_precisions, export_hls, simulate_csim

NUM_SAMPLES = 10_000


def _set_random_weights(model, seed: int, sparsity: float = 0.3) -> None:
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if getattr(layer, "kernel_quantizer_internal", None) is not None:
            kernel, bias = layer.get_weights()
            kernel = rng.normal(0.0, 0.5, kernel.shape) * (rng.random(kernel.shape) >= sparsity)
            bias = rng.normal(0.0, 0.5, bias.shape)
            layer.set_weights([layer.kernel_quantizer_internal(kernel.astype(np.float32)).numpy(),
                               layer.bias_quantizer_internal(bias.astype(np.float32)).numpy()])


def build_tiny_cnn(*, size=8, padding="same", first_pool="average", pool_size=2, seed=0):
    """input_quant -> QConv2D(2, 3x3) -> relu -> pool_0 -> QConv2D(4, 3x3 valid) -> relu -> MaxPool -> Flatten -> logits."""
    import tensorflow as tf
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    layers = tf.keras.layers
    inp = tf.keras.Input((size, size, 1), name="image")
    x = QActivation(quantized_bits(8, 0, alpha=1), name="input_quant")(inp)
    x = QConv2D(2, 3, padding=padding, kernel_quantizer=quantized_bits(6, 0, alpha=1),
                bias_quantizer=quantized_bits(8, 3, alpha=1), name="conv_0")(x)
    x = QActivation(quantized_relu(8, 3), name="conv_relu_0")(x)
    pool = layers.AveragePooling2D if first_pool == "average" else layers.MaxPooling2D
    x = pool(pool_size, name="pool_0")(x)
    x = QConv2D(4, 3, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(8, 3, alpha=1),
                name="conv_1")(x)
    x = QActivation(quantized_relu(8, 3), name="conv_relu_1")(x)
    x = layers.MaxPooling2D(2, name="pool_1")(x)
    x = layers.Flatten(name="flatten")(x)
    x = QDense(5, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(8, 3, alpha=1),
               name="logits")(x)
    model = tf.keras.Model(inp, x, name="tiny_cnn")
    _set_random_weights(model, seed)
    return model


@pytest.fixture(scope="module")
def tiny_cnn():
    return build_tiny_cnn()


def _layer_outputs(model, names, x):
    import tensorflow as tf

    probe = tf.keras.Model(model.inputs, [model.get_layer(n).output for n in names])
    outs = probe.predict(x.astype(np.float32), verbose=0)
    return [np.asarray(o, np.float64) for o in (outs if isinstance(outs, list) else [outs])]


def _images(fp: FixedPoint, n: int, seed: int, size: int = 8) -> np.ndarray:
    """Values on the input grid, half of them at the range ends (where the interval bounds are reached)."""
    rng = np.random.default_rng(seed)
    x = fp.quantize(rng.uniform(fp.min, fp.max, (n, size, size, 1)))
    ends = rng.random(x.shape) < 0.5
    return np.where(ends, np.where(rng.random(x.shape) < 0.5, fp.min, fp.max), x)


def test_conv_accumulator_holds_every_value_and_its_bound_is_reached(tiny_cnn):
    prec = derive_precisions(tiny_cnn)
    conv = prec.layer("conv_0")
    assert conv.exact and conv.float32_exact and conv.accum == conv.result
    # the step: input 2**-7 times the finest weight step 2**-5 (a bias step 2**-4 is coarser)
    assert conv.accum.fraction == prec.input.fraction + conv.weight.fraction == 12

    kernel = tiny_cnn.get_layer("conv_0").kernel_quantizer_internal(tiny_cnn.get_layer("conv_0").kernel).numpy()
    x = _images(prec.input, 2000, seed=1)
    (y,) = _layer_outputs(tiny_cnn, ["conv_0"], x)
    assert y.min() >= conv.accum.min and y.max() <= conv.accum.max
    assert np.array_equal(conv.accum.quantize(y), y)  # on the accumulator grid: no rounding anywhere

    # The input maximising filter f at an interior pixel: max where its weight is positive, min where negative.
    best = np.where(kernel > 0, prec.input.max, prec.input.min)  # (3, 3, 1, F)
    peaks = []
    for f in range(kernel.shape[-1]):
        img = np.zeros((1, 8, 8, 1))
        img[0, 3:6, 3:6, 0] = best[..., 0, f]  # an interior pixel sees the whole kernel
        (out,) = _layer_outputs(tiny_cnn, ["conv_0"], img)
        peaks.append(out[0, 4, 4, f])
    assert max(peaks) == pytest.approx(conv.output_max, abs=0)  # the bound is reached exactly
    narrower = FixedPoint(conv.accum.width - 1, conv.accum.integer - 1, True)
    assert not (narrower.min <= min(conv.output_min, 0) and conv.output_max <= narrower.max), \
        "one integer bit less would still hold the reached bound: the type is not minimal"


def test_same_padding_shrinks_the_border_bounds():
    model = build_tiny_cnn(padding="same")
    from edgenn.exporters.precision_rules import Tensor
    from edgenn.exporters.precision_conv import _qconv

    layer = model.get_layer("conv_0")
    fp = FixedPoint(8, 1, True)
    t = Tensor(np.full((8, 8, 1), fp.min), np.full((8, 8, 1), fp.max), fp)
    _, out = _qconv(layer, t, None)
    assert out.lo.shape == (8, 8, 2)
    assert (out.hi[0, 0] <= out.hi[4, 4]).all() and (out.hi[0, 0] < out.hi[4, 4]).any()  # corner sees 4 of 9 pixels


def test_max_pooling_passes_the_type_and_average_pooling_adds_fraction_bits(tiny_cnn):
    prec = derive_precisions(build_tiny_cnn(first_pool="max"))
    assert prec.layer("pool_0").result == prec.layer("conv_relu_0").result
    assert prec.layer("flatten").result == prec.layer("pool_1").result == prec.layer("conv_relu_1").result

    prec = derive_precisions(tiny_cnn)
    relu, avg = prec.layer("conv_relu_0"), prec.layer("pool_0")
    assert avg.result.fraction == relu.result.fraction + 2  # mean of 4 = 2**2 values
    accum = dict(avg.tables)["accum"]
    assert accum.fraction == avg.result.fraction and accum.max >= 4 * relu.output_max
    x = _images(prec.input, 2000, seed=2)
    (y,) = _layer_outputs(tiny_cnn, ["pool_0"], x)
    assert np.array_equal(avg.result.quantize(y), y) and y.max() <= avg.result.max
    # minimal: some mean really uses the last fraction bit (an odd multiple of the step)
    assert np.any(np.mod(y / avg.result.lsb, 2) == 1)


def test_average_pooling_over_a_non_power_of_two_window_is_converted_and_measured():
    model = build_tiny_cnn(size=12, pool_size=3)
    prec = derive_precisions(model)
    pool = prec.layer("pool_0")
    assert not pool.exact and not prec.bit_exact and "average over 9 values" in pool.notes[0]
    x = _images(prec.input, 500, seed=4, size=12)
    (y,) = _layer_outputs(model, ["pool_0"], x)
    assert pool.output_min <= y.min() and y.max() <= pool.output_max  # the result type holds every mean


@pytest.fixture(scope="module")
def tiny_project(tiny_cnn, tmp_path_factory):
    return export_hls(tiny_cnn, tmp_path_factory.mktemp("hls_conv") / "tiny_cnn", HlsSettings())


def test_tiny_cnn_io_parallel_is_bit_exact_on_every_layer(tiny_project, tiny_cnn):
    project = tiny_project
    fp = project.input_type
    x = np.random.default_rng(3).uniform(fp.min, fp.max + fp.lsb, (NUM_SAMPLES, 8, 8, 1))
    result = simulate_csim(project, tiny_cnn, x)
    for name in ("conv_0", "conv_relu_0", "pool_0", "conv_1", "conv_relu_1", "pool_1", "logits"):
        assert name in result.layer_names, name
        assert np.array_equal(result.firmware[name], result.reference[name]), name
    assert result.firmware["logits"].shape == (NUM_SAMPLES, 5)
    assert project.precision.bit_exact
