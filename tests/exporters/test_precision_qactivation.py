"""Activations that are not a plain fixed-point cast (binary, binary_tanh, ternary, hard quantized_sigmoid/tanh,
quantized_relu with a negative slope, LeakyReLU, PReLU, ELU) and weight quantizers that are not one (binary, ternary,
quantized_po2, quantized_bits(alpha='auto_po2')): one model holding all of them, flattened as ``edgenn export`` does
(weight-quantized layers become the float layers holding QKeras's quantized weights) and run through hls4ml's C
simulation once (slow). Layers edgenn types as exact equal the exact reference on every value; the others are never
claimed exact and their measured agreement is asserted. The cheap checks (types, reference vs QKeras) run by default.
"""

from __future__ import annotations

import numpy as np
import pytest

# tern_q25 / tern_q50: thresholds on the input grid, where hls4ml's comparison differs from QKeras's unless edgenn
# places the threshold (precision_qactivation._ternary); at 0.5 hls4ml would drop the layer's call entirely
EXACT = ("bin", "tern", "tern_q25", "tern_q50", "hsig", "htanh", "qleaky", "leaky_po2", "prelu", "d_bin", "d_po2",
         "d_apo2")
MEASURED = ("bint", "leaky_03", "elu")


def build_activation_zoo(seed: int = 0):
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_po2

    L = tf.keras.layers
    rng = np.random.default_rng(seed)
    inp = tf.keras.Input((8,), name="x")
    h = QActivation(quantized_bits(8, 2, alpha=1), name="in_q")(inp)
    parts = [QActivation(q, name=name)(h) for name, q in (
        ("bin", "binary()"), ("bint", "binary_tanh"), ("tern", "ternary()"), ("tern_q25", "ternary(threshold=0.25)"),
        ("tern_q50", "ternary(threshold=0.5)"), ("hsig", "quantized_sigmoid(5)"),
        ("htanh", "quantized_tanh(8)"), ("qleaky", "quantized_relu(6, 2, negative_slope=0.5)"))]
    parts += [L.LeakyReLU(0.25, name="leaky_po2")(h), L.LeakyReLU(0.3, name="leaky_03")(h),
              L.PReLU(name="prelu")(h), L.ELU(name="elu")(h)]
    bias_q = quantized_bits(5, 2, alpha=1)
    for name, kernel_q in (("d_bin", "binary()"), ("d_tern", "ternary(alpha='auto')"),
                           ("d_po2", quantized_po2(6, max_value=2)),
                           ("d_apo2", quantized_bits(4, 0, alpha="auto_po2"))):
        parts.append(QDense(4, kernel_quantizer=kernel_q, bias_quantizer=bias_q, name=name)(h))
    k = 0
    while len(parts) > 1:  # hls4ml merges two tensors at a time
        merged = [L.Concatenate(name=f"cat_{k}_{i}")([parts[i], parts[i + 1]]) for i in range(0, len(parts) - 1, 2)]
        parts, k = merged + parts[len(merged) * 2:], k + 1
    model = tf.keras.Model(inp, parts[0], name="activation_zoo")
    for layer in model.layers:
        if layer.name.startswith("d_"):
            layer.set_weights([rng.normal(0.0, 0.5, w.shape) for w in layer.get_weights()])
        if layer.name == "prelu":
            layer.set_weights([np.round(rng.uniform(0.0, 1.0, (8,)) * 8) / 8])  # short binary fractions
    return model


def _inputs(n: int, seed: int) -> np.ndarray:
    # the input quantizer's grid (step 1/32) with values past its range and exact zeros (binary's edge case)
    x = np.round(np.random.default_rng(seed).uniform(-4.5, 4.5, (n, 8)) * 32) / 32
    x[::7, 0] = 0.0
    return x


@pytest.fixture(scope="module")
def zoo():
    from edgenn.flatten import flatten_model

    model = build_activation_zoo()
    return model, flatten_model(model)


def test_types_and_exactness_claims(zoo):
    from edgenn.exporters import derive_precisions

    _, flat = zoo
    prec = derive_precisions(flat, x_calibration=_inputs(500, 1))
    for name in EXACT:
        assert prec.layer(name).exact, name
    for name in (*MEASURED, "d_tern"):
        assert not prec.layer(name).exact, name
    assert not prec.bit_exact
    # weight quantizers that are no cast: the layers hold QKeras's quantized values as numbers
    assert {type(flat.get_layer(n)).__name__ for n in ("d_bin", "d_po2", "d_apo2")} == {"Dense"}
    kernel = flat.get_layer("d_bin").get_weights()[0]  # binary on weights: +-scale, a power of two per output
    for column in np.abs(kernel).T:
        assert len(set(column)) == 1 and np.frexp(column[0])[0] == 0.5


def test_exact_reference_equals_qkeras_where_it_claims_exactness(zoo):
    import tensorflow as tf

    from edgenn.reference import evaluate

    model, flat = zoo
    x = _inputs(400, 2)
    ref = evaluate(flat, x)
    names = ["bin", "bint", "tern", "tern_q25", "tern_q50", "hsig", "htanh", "qleaky", "leaky_po2", "prelu", "d_bin", "d_po2", "d_apo2"]
    keras = tf.keras.Model(model.inputs, [model.get_layer(n).output for n in names]).predict(x, verbose=0)
    for name, values in zip(names, keras):
        assert ref.is_exact(name), name
        if name.startswith("tern"):  # QKeras returns tanh(x) + (q - tanh(x)) in float32: q up to one rounding
            np.testing.assert_allclose(ref.outputs[name], values, rtol=0, atol=2.0 ** -23, err_msg=name)
            assert set(np.unique(ref.outputs[name])) <= {-1.0, 0.0, 1.0}
        else:
            np.testing.assert_array_equal(ref.outputs[name], values, err_msg=name)


@pytest.mark.slow  # one hls4ml conversion and g++ build of a 30-layer project
def test_c_simulation_equals_the_reference_where_exact_and_agreement_is_measured(zoo, tmp_path):
    from edgenn.exporters import HlsSettings, export_hls, simulate_csim

    _, flat = zoo
    x = _inputs(3000, 3)
    project = export_hls(flat, tmp_path / "hls", HlsSettings(), x_calibration=x)
    result = simulate_csim(project, flat, x)
    agreement = {n: float(np.mean(result.firmware[n] == result.reference[n])) for n in result.layer_names}
    for name in EXACT:
        assert agreement[name] == 1.0, (name, agreement[name])
    # binary_tanh differs only where the input is exactly 0 (one input in 7 of column 0 here)
    assert 0.95 < agreement["bint"] < 1.0
    diff = {n: float(np.max(np.abs(result.firmware[n] - result.reference[n]))) for n in MEASURED}
    # the rounded slope 0.3 (18 bits) and the result 10 bits finer than the input: off by well under a step 2**-5;
    # the positive half passes through unchanged
    assert diff["leaky_03"] < 2.0 ** -12 and agreement["leaky_03"] >= 0.45
    assert diff["elu"] < 0.02  # the exp table's resolution over [-8, 0)
    assert not result.bit_exact_expected
