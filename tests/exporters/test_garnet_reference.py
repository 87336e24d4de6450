"""edgenn's numpy model of hls4ml's GarNet firmware (exporters/garnet_reference.py) and its precision rule.

Default suite: the exp(-d^2) table and the weight casts against a small g++ program built on hls4ml's own ap_fixed
headers (seconds), Keras-side shuffle invariance, the vertex count, the derived types and the refused variants.
Slow (one hls4ml compile, ~100 s on a loaded machine): the C simulation equals the numpy model bit for bit on 10,000
random graphs, invariantly to the order of the real vertices.
"""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

N, P, CLASSES = 16, 5, 5
HLS4ML_TEMPLATES = Path(__import__("hls4ml").__file__).parent / "templates" / "vivado"


def garnet_model(qat: bool = True, seed: int = 3, **params):
    import tensorflow as tf

    from edgenn.architectures.garnet import GarNetParams, build_garnet
    from edgenn.config.recipe import QatSpec

    tf.keras.utils.set_random_seed(seed)
    spec = QatSpec(input={"bits": 12, "integer": 3}, activation={"bits": 12, "integer": 4}) if qat else None
    model = build_garnet(GarNetParams(head=[8], **params), (N, P), CLASSES, spec)
    # spread the distances over the table: the default initialisation keeps d near 0
    garnet = model.get_layer("garnet")
    garnet.set_weights([w * 3.0 for w in garnet.get_weights()])
    return model


def graphs(num: int, seed: int = 0):
    """Random constituents on the 12-bit input grid (+-8, step 2^-8) with 1..N real particles, zero padding after."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(0, 2.0, (num, N, P)) * 256) / 256
    x = np.clip(x, -8, 8 - 2**-8).astype(np.float32)
    n = rng.integers(1, N + 1, num)
    real = np.arange(N)[None] < n[:, None]
    x[~real] = 0.0
    x[real & ~x.any(axis=2), 0] = 2**-8  # every real particle non-zero, so the padding marks n in any order
    return x, n


def permute_real(x, n, seed=1):
    rng = np.random.default_rng(seed)
    out = x.copy()
    for i, k in enumerate(n):
        out[i, :k] = x[i, rng.permutation(k)]
    return out


def test_vertex_count_reads_the_padding_and_feed_orders_inputs():
    from edgenn.architectures.extra_inputs import feed, vertex_count

    x, n = graphs(50)
    assert np.array_equal(vertex_count(x)[:, 0], n)
    x[0] = 0.0
    assert vertex_count(x)[0, 0] == 0
    model = garnet_model()
    fed = feed(model, x)
    assert [a.dtype for a in fed] == [np.float32, np.float32] and fed[1].shape == (50, 1)
    assert np.array_equal(fed[0], x)


def test_keras_output_is_invariant_to_the_order_of_real_particles():
    from edgenn.architectures.extra_inputs import feed

    model = garnet_model(qat=False)
    x, n = graphs(200)
    y = model.predict(feed(model, x), verbose=0)
    y_shuffled = model.predict(feed(model, permute_real(x, n)), verbose=0)
    assert np.max(np.abs(y - y_shuffled)) < 1e-5
    assert np.array_equal(y.argmax(1), y_shuffled.argmax(1))


def test_precision_rule_types_and_hls_config():
    from edgenn.exporters.precision import derive_precisions

    model = garnet_model()
    p = derive_precisions(model)
    cfg = p.to_hls_config()["LayerName"]
    assert cfg["n_vertices"]["Precision"]["result"] == "ap_ufixed<5,5>"  # 0..16
    g = cfg["garnet"]["Precision"]
    assert g["edge_weight"] == "ap_ufixed<10,0,AP_TRN,AP_SAT>"
    assert g["edge_weight_aggr"] == "ap_ufixed<18,4,AP_TRN,AP_SAT>"  # sums of 16 weights, shifts by 4 are exact
    aggr = p.layer("garnet").types()["aggr"]
    assert aggr.fraction == 8 + 4  # input quantizer's 8 fraction bits + log2 N
    assert p.layer("garnet").result.fraction == aggr.fraction + 10
    assert p.bit_exact and p.logits_layer == "logits"


@pytest.mark.parametrize("kwargs, needle", [
    ({"collapse": "max"}, "collapse='mean'"),
    ({"mean_by_nvert": True}, "mean_by_nvert=False"),
    ({"quantize_transforms": True, "total_bits": 8, "int_bits": 2}, "quantize_transforms=False"),
    ({"output_activation": "tanh"}, "output_activation=None"),
])
def test_unsupported_garnet_variants_name_the_layer_and_the_alternative(kwargs, needle):
    import tensorflow as tf
    from hls4ml.contrib.garnet import GarNet

    from edgenn.errors import UnsupportedModelError
    from edgenn.exporters.precision import derive_precisions

    x_in = tf.keras.Input((N, P), name="constituents")
    n_in = tf.keras.Input((1,), name="n_vertices")
    x = __import__("qkeras").QActivation("quantized_bits(12, 3, alpha=1)", name="input_quant")(x_in)
    args = dict(simplified=True, collapse="mean", input_format="xn", output_activation=None, name="garnet")
    args.update(kwargs)
    h = GarNet(4, 8, 4, **args)([x, n_in])
    model = tf.keras.Model([x_in, n_in], tf.keras.layers.Dense(CLASSES, name="logits")(h))
    with pytest.raises(UnsupportedModelError) as err:
        derive_precisions(model, x_calibration=np.zeros((4, N, P), np.float32))
    assert "'garnet'" in str(err.value) and needle in str(err.value) + str(getattr(err.value, "fix", ""))


def test_non_power_of_two_particles_is_refused_at_build():
    from edgenn.architectures.garnet import GarNetParams, build_garnet
    from edgenn.errors import UnsupportedModelError

    with pytest.raises(UnsupportedModelError, match="'garnet'.*power-of-two"):
        build_garnet(GarNetParams(), (12, P), CLASSES, None)


CPP_PROBE = r"""
#include <cstdio>
#include "ap_fixed.h"
#include "hls_math.h"
typedef ap_fixed<12, 4, AP_TRN, AP_SAT> distance_t;
typedef ap_ufixed<10, 0, AP_TRN, AP_SAT> edge_weight_t;
typedef ap_fixed<15, 5, AP_RND, AP_SAT> weight_t;
int main() {
    // nnet_garnet.h initialize_edge_weights_table and its lookup by the distance bits
    for (int iw = 0; iw < 4096; ++iw) {
        edge_weight_t w;
        if (iw == 0) { w = ap_ufixed<10, 0, AP_TRN, AP_SAT>(1.); }
        else { distance_t d; ap_uint<12> index = iw; d.range(11, 0) = index.range(11, 0); w = hls::exp(-d * d); }
        printf("%.17g\n", w.to_double());
    }
    double literals[] = {LITERALS};
    for (double v : literals) { weight_t w = v; printf("%.17g\n", w.to_double()); }
    return 0;
}
"""


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_table_and_weight_casts_equal_the_firmware_headers(tmp_path):
    """The numpy table (indexed by the distance's bits) and the printed-then-cast weights equal what g++ computes
    with hls4ml's own ap_fixed/hls_math headers."""
    from edgenn.exporters.fixed_point import FixedPoint
    from edgenn.exporters.garnet_reference import DISTANCE_T, edge_weight_table, firmware_values

    rng = np.random.default_rng(0)
    data = np.concatenate([rng.normal(0, 3, 200), np.arange(-40, 40) / 2048 + 2**-11]).astype(np.float32)
    weight_t = FixedPoint(15, 5, True, "RND", "SAT")
    literals = ", ".join(f"{v:.10f}" for v in data)  # what hls4ml's WeightVariable writes
    src = tmp_path / "probe.cpp"
    src.write_text(CPP_PROBE.replace("LITERALS", literals))
    subprocess.run(["g++", "-O0", "-std=c++14", "-I", str(HLS4ML_TEMPLATES / "ap_types"), str(src), "-o",
                    str(tmp_path / "probe")], check=True, capture_output=True, timeout=240)
    out = np.array(subprocess.run([str(tmp_path / "probe")], check=True, capture_output=True, text=True)
                   .stdout.split(), dtype=np.float64)
    table = edge_weight_table(FixedPoint(10, 0, False, "TRN", "SAT"))
    codes = np.arange(4096)
    signed = np.where(codes >= 2048, codes - 4096, codes)  # the table index is the distance's raw bits
    assert np.array_equal(out[:4096], table[signed + 2048])
    assert np.array_equal(out[4096:], firmware_values(data, weight_t))
    assert DISTANCE_T.to_hls() == "ap_fixed<12,4,AP_TRN,AP_SAT>"


@pytest.mark.slow  # one hls4ml compile: about 100 s on the shared 2-core machine
def test_csim_equals_numpy_model_on_10000_graphs_and_ignores_vertex_order(tmp_path):
    from edgenn.exporters.csim import simulate_csim
    from edgenn.exporters.garnet_reference import firmware_weights
    from edgenn.exporters.hls import HlsSettings, export_hls

    model = garnet_model()
    project = export_hls(model, tmp_path / "hls", HlsSettings())
    node = {layer.name: layer for layer in project.hls_model.get_layers()}["garnet"]
    ours = firmware_weights(model.get_layer("garnet"))
    for name, fp in ours.types.items():  # hls4ml's weight types are the ones the numpy model assumes
        got = node.weights[name].type.precision
        assert (got.width, got.integer, bool(got.signed)) == (fp.width, fp.integer, fp.signed), name
    x, n = graphs(10000)
    result = simulate_csim(project, model, x)
    assert result.reference_label and "garnet" in result.reference_label
    for name in ("garnet", "garnet_quant", "logits"):
        assert np.array_equal(result.firmware[name], result.reference[name]), name
    # the table on an 8-fraction-bit distance and the 10-bit weights keep the firmware near, not equal to, the float
    # layer: on this model, whose distances are spread over the steep part of exp(-d^2), the numpy model (== the C
    # simulation) agrees with the float model's class on 94 % of the graphs (measured), with max |logit diff| 2.2
    float_logits = result.float_reference["logits"]
    assert not np.array_equal(float_logits, result.firmware["logits"])
    assert np.mean(float_logits.argmax(1) == result.firmware["logits"].argmax(1)) > 0.9
    shuffled = simulate_csim(project, model, permute_real(x, n))
    assert np.array_equal(shuffled.firmware["logits"], result.firmware["logits"])


def test_the_reference_computes_garnet_by_its_registered_software_model():
    """GarNet's class is registered with a software model, so the bit-exactness reference evaluates the numpy firmware
    (values on the result type's grid, not the float layer's) and feeds it to the Keras layers after it."""
    import tensorflow as tf

    from edgenn.exporters.precision import derive_precisions
    from edgenn.exporters.software_model import reference_outputs, software_layers, software_model_classes

    assert "GarNet" in software_model_classes()
    model = garnet_model()
    precision = derive_precisions(model)
    assert software_layers(model) == ["garnet"]
    x, n = graphs(300)
    inputs = {"constituents": precision.input.quantize(x), "n_vertices": n[:, None].astype(np.float64)}
    values = reference_outputs(model, inputs, precision, reuse_factor=1)
    garnet = values["garnet"]
    result_t = precision.layer("garnet").result
    assert np.array_equal(result_t.quantize(garnet), garnet)
    keras_garnet = tf.keras.Model(model.inputs, model.get_layer("garnet").output).predict(
        [inputs["constituents"].astype(np.float32), inputs["n_vertices"].astype(np.float32)], verbose=0)
    assert not np.allclose(keras_garnet, garnet, atol=1e-6)
    assert values["logits"].shape == (300, CLASSES)
