"""hls4ml export (settings are validated at the edge: tests/runners/test_export_settings.py): C simulation bit-exact with QKeras on the logits.

Compiles cost 15-30 s each on the shared 2-core machine: the default suite compiles twice (the jet MLP, and the same
MLP with one deliberately broken accumulator); model variants are @pytest.mark.slow.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from edgenn.errors import UnsupportedModelError
from edgenn.exporters import FixedPoint, HlsSettings, SoftmaxSettings, derive_precisions, export_hls
from edgenn.verification import validate_csim

NUM_SAMPLES = 10_000


def test_unsupported_layer_named_before_any_hls_work(tmp_path):
    import tensorflow as tf

    inp = tf.keras.Input(shape=(16,), name="x")
    x = tf.keras.layers.Dense(4, name="fc")(inp)
    x = tf.keras.layers.RepeatVector(2, name="norm")(x)  # no hls4ml 1.3 handler (LayerNormalization has one)
    with pytest.raises(UnsupportedModelError, match=r"'norm' \(RepeatVector\)"):
        export_hls(tf.keras.Model(inp, x), tmp_path / "prj", HlsSettings())
    assert not (tmp_path / "prj").exists()


def _inputs(fp: FixedPoint, n: int, seed: int) -> np.ndarray:
    """Uniform over the input type's range (float, off-grid): validate_csim quantizes on the host."""
    return np.random.default_rng(seed).uniform(fp.min, fp.max + fp.lsb, size=(n, 16))


@pytest.fixture(scope="module")
def jet_project(qmlp, tmp_path_factory):
    return export_hls(qmlp, tmp_path_factory.mktemp("hls") / "jet_mlp", HlsSettings())


def test_jet_mlp_logits_bit_exact(jet_project, qmlp):
    project = jet_project
    assert (project.out_dir / "firmware" / "myproject.cpp").is_file()
    assert (project.out_dir / "precision.json").is_file()
    assert project.compile_seconds > 0 and project.convert_seconds > 0

    x = _inputs(project.input_type, NUM_SAMPLES, seed=11)
    y = np.random.default_rng(12).integers(0, 5, NUM_SAMPLES)
    report = validate_csim(project, qmlp, x, y)

    from edgenn.exporters import simulate_csim

    result = simulate_csim(project, qmlp, x)
    assert np.array_equal(result.firmware["logits"], result.reference["logits"])  # exact, every value
    assert report.num_values == NUM_SAMPLES * 5 and report.exact_fraction == 1.0 and report.bit_exact
    assert report.first_diverging_layer is None
    for name in ("dense_0", "relu_0", "dense_1", "relu_1", "dense_2", "relu_2"):
        assert np.array_equal(result.firmware[name], result.reference[name]), name

    # Softmax is a lookup table. hls4ml's stable softmax truncates (max - x_i) to inp_norm's step before the table,
    # so two logits closer than that step can get the same probability; at a larger gap the table entries differ
    # by far more than the output step and the order is kept. Hence: every argmax disagreement must be a near-tie.
    fw_p, ref_p = result.firmware["softmax"], result.reference["softmax"]
    logits = np.sort(result.reference["logits"], axis=1)
    gap = logits[:, -1] - logits[:, -2]
    disagree = fw_p.argmax(axis=1) != ref_p.argmax(axis=1)
    step = SoftmaxSettings().inp_norm.lsb
    assert np.all(gap[disagree] < step), gap[disagree].max()
    softmax_stats = report.outputs[1]
    assert softmax_stats.name == "softmax" and not softmax_stats.bit_exact_expected
    assert softmax_stats.argmax_agreement >= 1.0 - np.mean(gap < step)
    assert softmax_stats.max_abs_diff < 0.05
    assert report.firmware_accuracy is not None and 0.0 <= report.firmware_accuracy <= 1.0


def test_first_diverging_layer_names_the_broken_layer(qmlp_builder, tmp_path):
    qmlp = qmlp_builder(hidden=(8, 8), seed=3)  # small: compiles in about half the jet MLP's time
    precision = derive_precisions(qmlp)
    good = precision.layer("dense_1")
    # three integer bits fewer than the interval bound: pre-activations near the bound wrap around
    narrow = FixedPoint(good.accum.width - 3, good.accum.integer - 3)
    broken = precision.replace_layer(replace(good, accum=narrow, result=narrow))
    project = export_hls(qmlp, tmp_path / "broken", HlsSettings(), precision=broken)
    report = validate_csim(project, qmlp, _inputs(project.input_type, 3000, seed=5))
    assert report.exact_fraction < 1.0
    assert report.first_diverging_layer == "dense_1"


@pytest.mark.slow
def test_variants_bit_exact_without_input_quantizer(qmlp_builder, tmp_path):
    """No input quantizer (type from data), quantized_bits mid-network, a final QActivation instead of plain logits."""
    model = qmlp_builder(hidden=(32, 16), input_quantizer=None, mid_bits_layer=1, final_qactivation=(10, 4))
    x = np.random.default_rng(21).normal(0.0, 2.0, size=(NUM_SAMPLES, 16))
    precision = derive_precisions(model, x_calibration=x[:2000])
    assert precision.input_source == "calibration" and precision.bit_exact
    project = export_hls(model, tmp_path / "variant", HlsSettings(), precision=precision)
    report = validate_csim(project, model, x)
    assert report.bit_exact and report.first_diverging_layer is None
    assert any("host-quantized" in note for note in report.notes)


@pytest.mark.slow
def test_float_model_reports_fidelity_not_exactness(tmp_path):
    import tensorflow as tf

    tf.keras.utils.set_random_seed(4)
    inp = tf.keras.Input(shape=(16,), name="x")
    x = tf.keras.layers.Dense(16, name="fc0")(inp)
    x = tf.keras.layers.Activation("relu", name="act0")(x)
    x = tf.keras.layers.Dense(5, name="fc1")(x)
    model = tf.keras.Model(inp, tf.keras.layers.Activation("softmax", name="sm")(x))
    data = np.random.default_rng(3).normal(0.0, 1.0, size=(4000, 16))
    project = export_hls(model, tmp_path / "float", HlsSettings(), x_calibration=data[:1000])
    report = validate_csim(project, model, data)
    assert report.claim.startswith("not bit-exact by construction") and "float64 reference" in report.claim
    assert report.max_abs_diff < 0.05 and report.argmax_agreement > 0.98


def test_an_input_name_that_is_no_cpp_identifier_is_renamed_for_hls4ml():
    """hls4ml declares the input array under the input layer's name, so an input named 'jets-in' made g++ fail
    (exit 3, 'external tool'); it is renamed for hls4ml only."""
    import tensorflow as tf
    from qkeras import QDense, quantized_bits

    from edgenn.exporters.hls import hls_compatible, hls_name

    assert hls_name("fc-1_input") == "fc_1_input" and hls_name("jets.pt") == "jets_pt"
    assert hls_name("input") == "input_features" and hls_name("x") == "x" and hls_name("1st") == "_1st"
    q = quantized_bits(6, 0, alpha=1)
    inp = tf.keras.Input((4,), name="jets-in")
    model = tf.keras.Model(inp, QDense(2, kernel_quantizer=q, bias_quantizer=q, name="fc1")(inp))
    clone = hls_compatible(model)
    assert clone.layers[0].name == "jets_in" and [lay.name for lay in clone.layers[1:]] == ["fc1"]
    np.testing.assert_array_equal(clone.get_weights()[0], model.get_weights()[0])


def test_a_layer_name_that_is_no_cpp_identifier_is_refused_in_one_line(tmp_path):
    """hls4ml names each layer's C++ types after it (typedef ... fc-1_accum_t): g++ failed with exit 3 before."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits
    from typer.testing import CliRunner

    from edgenn.cli.app import app

    q = quantized_bits(6, 0, alpha=1)
    model = tf.keras.Sequential([QDense(8, input_shape=(8,), name="fc-1", kernel_quantizer=q, bias_quantizer=q),
                                 QActivation("quantized_relu(6)", name="act-1"),
                                 QDense(2, name="out", kernel_quantizer=q, bias_quantizer=q)], name="my-model")
    model.save(tmp_path / "m.h5")
    np.savez(tmp_path / "d.npz", x=np.random.default_rng(0).uniform(-2, 2, (50, 8)).astype(np.float32))
    res = CliRunner().invoke(app, ["--no-progress", "export", str(tmp_path / "m.h5"), "--data", str(tmp_path / "d.npz"),
                                   "--target", "fpga", "--out", str(tmp_path / "f")])
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert res.exit_code == 2 and len(lines) == 1, res.output
    assert "'fc-1' (QDense): the name is no C++ identifier" in lines[0] and "Fix: rename the layer" in lines[0]
