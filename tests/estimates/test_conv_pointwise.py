"""Per-particle and per-edge Dense layers (hls4ml PointwiseConv1D) get analytic figures instead of counting zero."""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from edgenn.config.recipe import FpgaSpec, QatSpec, QuantBits

QAT = QatSpec(input=QuantBits(bits=10, integer=3), weight=QuantBits(bits=6, integer=1),
              activation=QuantBits(bits=8, integer=3))


def analytic_report(family_name: str, input_shape: tuple[int, int], **params):
    from edgenn.architectures.registry import get_family
    from edgenn.scan.estimate import design_estimate

    family = get_family(family_name)
    model = family.build(family.params_model(**params), input_shape, 5, QAT)
    rng = np.random.default_rng(0)
    for layer in model.layers:  # non-zero weights on the quantizer grid, so no multiplier is dropped as zero
        if layer.trainable and layer.get_weights():
            layer.set_weights([rng.choice([-0.5, 0.25, 0.5], size=w.shape).astype(np.float32)
                               for w in layer.get_weights()])
    report, _ = design_estimate(model, FpgaSpec(), x_calibration=None)
    return {e.name: e for e in report.layers}, report.total


def test_per_particle_dense_is_a_pointwise_convolution_over_the_particles():
    layers, total = analytic_report("deepsets", (8, 3), phi=[4, 4], head=[4], l1=0.0)
    phi0 = layers["phi_0"]
    # hls4ml's default ParallelizationFactor 1: one partition per particle, pipelined at II = RF = 1
    assert phi0.ii_cycles.value == 8
    assert phi0.latency_cycles.value >= 8
    assert phi0.lut.value > 0 and any("pointwise" in n for n in phi0.notes)
    assert not any(n.startswith("not modelled") for n in phi0.notes)
    assert total.ii_cycles.value >= 8


def test_edge_network_runs_over_every_ordered_pair():
    layers, total = analytic_report("interaction_net", (4, 3), edge=[4], node=[4], head=[4], l1=0.0)
    assert layers["edge_0"].ii_cycles.value == 4 * 3  # N(N-1) edges
    assert layers["node_0"].ii_cycles.value == 4
    assert total.ii_cycles.value == 12


def test_total_names_no_pointwise_layer_as_unmodelled():
    _, total = analytic_report("deepsets", (4, 3), phi=[4], head=[4], l1=0.0)
    unmodelled = " ".join(n for n in total.notes if n.startswith("layers not modelled"))
    assert "phi_0" not in unmodelled
