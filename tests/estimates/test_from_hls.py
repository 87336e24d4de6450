"""design_from_hls_model on a tiny Keras model converted by hls4ml (convert only, no compile)."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    tf = pytest.importorskip("tensorflow")
    hls4ml = pytest.importorskip("hls4ml")
    from edgenn.seeding import rng

    gen = rng(0, "estimates-test")
    inp = tf.keras.layers.Input((6,), name="inp")
    x = tf.keras.layers.Dense(5, name="fc1")(inp)
    x = tf.keras.layers.Activation("relu", name="relu1")(x)
    x = tf.keras.layers.Dense(3, name="fc2")(x)
    out = tf.keras.layers.Activation("softmax", name="sm")(x)
    model = tf.keras.Model(inp, out)
    # weights chosen so that ap_fixed<8,3> (TRN) gives known zeros and powers of two
    w1 = gen.integers(-60, 60, (6, 5)) / 32.0
    w1[0, :] = 0.0            # 5 pruned weights
    w1[1, :] = [0.5, -1.0, 2.0, 0.25, -0.125]  # 5 powers of two
    model.get_layer("fc1").set_weights([w1, np.zeros(5)])
    w2 = gen.normal(0, 1, (5, 3))
    model.get_layer("fc2").set_weights([w2, np.zeros(3)])
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
    cfg["LayerName"]["fc1"]["Precision"]["weight"] = "ap_fixed<8,3>"
    cfg["LayerName"]["fc2"]["Precision"]["weight"] = "ap_fixed<16,6>"
    cfg["LayerName"]["fc2"]["ReuseFactor"] = 5  # hls4ml accepts 1, 5, 15 here
    cfg["LayerName"]["fc2"]["Strategy"] = "Resource"
    hm = hls4ml.converters.convert_from_keras_model(
        model, hls_config=cfg, output_dir=str(tmp_path_factory.mktemp("hls")), backend="Vitis",
        io_type="io_parallel", part="xcvu13p-flga2577-2-e", clock_period=4)
    return hm, w1, w2


def test_design_from_hls_model_reads_layers_types_weights_and_config(converted):
    from edgenn.estimates import design_from_hls_model, estimate
    from edgenn.estimates.analytic import weight_statistics

    hm, w1, w2 = converted
    design = design_from_hls_model(hm)
    assert design.clock_period_ns == 4.0 and design.part == "xcvu13p-flga2577-2-e"
    kinds = {layer.name: layer.kind for layer in design.layers}
    assert kinds == {"inp": "input", "fc1": "dense", "relu1": "relu", "fc2": "dense", "sm": "softmax"}
    fc1 = next(layer for layer in design.layers if layer.name == "fc1")
    fc2 = next(layer for layer in design.layers if layer.name == "fc2")
    assert (fc1.n_in, fc1.n_out, fc1.weight_width, fc1.input_width) == (6, 5, 8, 16)
    assert fc1.reuse_factor == 1 and fc1.strategy == "Latency"
    assert fc2.reuse_factor == 5 and fc2.strategy == "Resource" and fc2.weight_width == 16
    # independent count: ap_fixed<8,3> has 5 fractional bits, TRN = floor
    codes = np.floor(w1 * 32).astype(int)
    codes = ((codes + 128) % 256) - 128
    expected = weight_statistics(codes, True)
    assert (fc1.num_nonzero_weights, fc1.num_power_of_two_weights, fc1.mult_sig_bits_hist,
            fc1.lut_mult_csd_digits) == expected
    assert fc1.num_nonzero_weights <= 25 and fc1.num_power_of_two_weights >= 5
    accum = hm.graph["fc1"].get_attr("accum_t").precision.width
    assert fc1.accum_width == accum
    rep = estimate(design)
    by_name = {e.name: e for e in rep.layers}
    # the CSD rule looks at the constant, not its type: an 8-bit weight of >= 3 digits times the 16-bit input is a DSP
    # product (csynth: QKeras 6-bit weights on 16-bit inputs, PokerML's RF-1 CNN and the QKeras tutorial MLP)
    assert sum(fc1.csd_digits_hist[3:]) > 0 and by_name["fc1"].dsp.value == sum(fc1.csd_digits_hist[3:])
    assert by_name["fc2"].ii_cycles.value == 5    # reuse factor read from the layer
    assert rep.total.ii_cycles.value == 5
