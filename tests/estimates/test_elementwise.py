"""Layers that used to make the Deep Sets / interaction-network / VAE totals lower bounds (global pooling, merges,
Transpose, Concatenate, BatchNormalization, the re-quantizing linear cast, PointwiseConv1D with PF > 1) get
analytic figures: converted from small real hls4ml 1.3 models (convert only), estimated through the export path."""

from __future__ import annotations

import contextlib
import functools
import io
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from edgenn.config.recipe import FpgaSpec, QatSpec, QuantBits

QAT = QatSpec(input=QuantBits(bits=10, integer=3), weight=QuantBits(bits=6, integer=1),
              activation=QuantBits(bits=8, integer=3))


@functools.lru_cache(maxsize=None)  # each conversion is shared by the tests that read it
def _family_report(family_name: str, input_shape: tuple[int, ...], ii_target: int | None, num_classes: int,
                   deploy: bool, params: tuple):
    return _build_and_estimate(family_name, input_shape, FpgaSpec(ii_target=ii_target), num_classes, deploy,
                               **{k: list(v) if isinstance(v, tuple) else v for k, v in params})


def family_report(family_name, input_shape, ii_target=None, num_classes=5, deploy=False, **params):
    frozen = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(params.items()))
    return _family_report(family_name, input_shape, ii_target, num_classes, deploy, frozen)


def _build_and_estimate(family_name: str, input_shape: tuple[int, ...], fpga: FpgaSpec | None, num_classes: int,
                        deploy: bool, **params):
    from edgenn.architectures.registry import get_family
    from edgenn.scan.estimate import design_estimate

    family = get_family(family_name)
    p = family.params_model(**params)
    model = family.build(p, input_shape, num_classes, QAT)
    if deploy:
        model = family.deploy(model, p)
    rng = np.random.default_rng(0)
    for layer in model.layers:  # weights on the 6-bit grid, none zero, so no multiplier is dropped
        if layer.trainable and layer.get_weights():
            layer.set_weights([rng.choice([-0.5, 0.25, 0.5, 0.375], size=w.shape).astype(np.float32)
                               for w in layer.get_weights()])
    report, _ = design_estimate(model, fpga or FpgaSpec(), x_calibration=None)
    return {e.name: e for e in report.layers}, report.total


def convert(model, tmp_path, precision: dict[str, dict] | None = None):
    import hls4ml

    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
    for name, prec in (precision or {}).items():
        cfg["LayerName"][name]["Precision"].update(prec)
    with contextlib.redirect_stdout(io.StringIO()):
        return hls4ml.converters.convert_from_keras_model(model, hls_config=cfg, output_dir=str(tmp_path),
                                                          backend="Vitis", io_type="io_parallel",
                                                          part="xcvu13p-flga2577-2-e", clock_period=5)


@pytest.mark.parametrize("pool", ["mean", "max"])
def test_deepsets_total_is_a_point_estimate_with_an_interval(pool):
    layers, total = family_report("deepsets", (8, 3), phi=[4], head=[4], l1=0.0, pooling=pool)
    assert not total.lut.bound and not total.latency_cycles.bound
    assert total.lut.interval is not None and total.latency_cycles.interval is not None
    assert layers["pool"].lut.value > 0 and not any(n.startswith("not modelled") for n in layers["pool"].notes)


def test_global_max_pooling_costs_comparators_and_a_chain_deeper_than_the_mean():
    mean_layers, _ = family_report("deepsets", (8, 3), phi=[4], head=[4], l1=0.0, pooling="mean")
    max_layers, _ = family_report("deepsets", (8, 3), phi=[4], head=[4], l1=0.0, pooling="max")
    # 8 particles: the max is a chain of 7 comparator + mux levels (past one 5 ns clock), the mean a 3-level tree
    assert max_layers["pool"].latency_cycles.value > mean_layers["pool"].latency_cycles.value
    assert max_layers["pool"].lut.value > 0 and mean_layers["pool"].lut.value > 0


def test_interaction_net_permutes_and_concatenations_are_wiring():
    layers, total = family_report("interaction_net", (4, 3), edge=[4], node=[4], head=[4], l1=0.0)
    assert not total.lut.bound
    for name in ("to_features", "receivers_to_edges", "edge_inputs", "node_inputs"):
        assert layers[name].lut.value == 0 and layers[name].latency_cycles.value == 0
        assert layers[name].notes == ("shape only: wiring",)
    assert layers["pool"].lut.value > 0


def test_vae_score_model_multiply_is_modelled():
    layers, total = family_report("vae", (8,), num_classes=0, deploy=True)
    assert not total.lut.bound and total.lut.interval is not None
    square = layers["mu_squared"]
    # mu is quantized to 8 bits: an 8 x 8 product per latent dimension stays in LUTs
    assert square.dsp.value == 0 and square.lut.value > 0
    assert layers["mu_quant"].notes == ("re-quantizing cast (rounding/saturation)",)


def test_pointwise_parallelization_factor_unrolls_the_particles():
    pf1, total1 = family_report("deepsets", (8, 3), phi=[4], head=[4], l1=0.0, pooling="mean")
    pf8, total8 = family_report("deepsets", (8, 3), 1, phi=[4], head=[4], l1=0.0,
                                pooling="mean")
    assert pf1["phi_0"].ii_cycles.value == 8 and pf8["phi_0"].ii_cycles.value == 1
    assert pf8["phi_0"].lut.value == pytest.approx(8 * pf1["phi_0"].lut.value)
    assert total8.ii_cycles.value == 1 and total8.latency_cycles.value < total1.latency_cycles.value


def test_wide_multiply_uses_one_dsp_per_element(tmp_path):
    tf = pytest.importorskip("tensorflow")
    from edgenn.estimates import design_from_hls_model, estimate

    a = tf.keras.layers.Input((6,), name="a")
    b = tf.keras.layers.Input((6,), name="b")
    out = tf.keras.layers.Multiply(name="prod")([a, b])
    report = estimate(design_from_hls_model(convert(tf.keras.Model([a, b], out), tmp_path)))
    prod = next(e for e in report.layers if e.name == "prod")
    assert prod.dsp.value == 6 and not report.total.lut.bound  # 16 x 16 bits (hls4ml default ap_fixed<16,6>)


def test_standalone_batchnorm_puts_only_multi_digit_scales_on_dsps(tmp_path):
    tf = pytest.importorskip("tensorflow")
    from edgenn.estimates import design_from_hls_model, estimate
    from edgenn.estimates.analytic import csd_digits

    inp = tf.keras.layers.Input((4,), name="inp")
    out = tf.keras.layers.BatchNormalization(name="bn", epsilon=0.0)(inp)
    model = tf.keras.Model(inp, out)
    gamma = np.array([0.5, 2.0, 0.7109375, 1.3359375])  # two powers of two, two with several CSD digits
    model.get_layer("bn").set_weights([gamma, np.zeros(4), np.zeros(4), np.ones(4)])
    hm = convert(model, tmp_path, {"bn": {"scale": "ap_fixed<16,6>", "bias": "ap_fixed<16,6>"}})
    report = estimate(design_from_hls_model(hm))
    bn = next(e for e in report.layers if e.name == "bn")
    expected = sum(csd_digits(int(round(g * 2**10))) >= 3 for g in gamma)  # ap_fixed<16,6>: 10 fraction bits
    assert expected == 2 and bn.dsp.value == expected
    assert not report.total.lut.bound
