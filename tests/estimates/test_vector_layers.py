"""The estimator's Dot, Embedding and LayerNormalization models: each follows its template's arithmetic (DSP products
only for wide operands, a BRAM table only when it outgrows LUT ROM, one row per cycle for the layer norm) and states
the range it cannot decide as an interval; a design with them is a point estimate, not a lower bound."""

from __future__ import annotations

from edgenn.estimates import estimate
from edgenn.estimates.analytic import DEFAULT_CONSTANTS, estimate_layer
from edgenn.estimates.resources import DesignSpec, LayerSpec


def test_dot_products_go_to_dsps_only_for_wide_operands():
    narrow = estimate_layer(LayerSpec("dot", "dot", 8, 1, input_width=6, input2_width=6, accum_width=14,
                                      result_width=14), 5.0)
    wide = estimate_layer(LayerSpec("dot", "dot", 8, 1, input_width=16, input2_width=16, accum_width=33,
                                    result_width=33), 5.0)
    assert narrow.dsp.value == 0 and narrow.lut.value > 0
    assert wide.dsp.value == 8  # one 27x18 DSP per 16x16 product
    low, high = narrow.lut.interval
    assert low < narrow.lut.value < high and "not fitted" in narrow.lut.interval_note


def test_embedding_table_is_lut_rom_when_small_and_bram_when_large():
    small = estimate_layer(LayerSpec("emb", "embedding", 6, 24, weight_width=8, result_width=8, table_size=12), 5.0)
    large = estimate_layer(LayerSpec("emb", "embedding", 6, 6 * 64, weight_width=16, result_width=16,
                                     table_size=1000), 5.0)
    assert small.bram.value == 0 and small.lut.value == 24 * 8  # 12 entries: one LUT6 per bit per read port
    assert large.bram.value > 0 and large.lut.value == 0
    assert small.ii_cycles.value == 1 and small.ii_cycles.interval == (1, 12)  # 24 reads on one two-port ROM


def test_layer_norm_runs_one_row_per_cycle_and_states_the_unrolled_range():
    est = estimate_layer(LayerSpec("ln", "layernorm", 4 * 6, 6, weight_width=18, input_width=10, accum_width=18,
                                   result_width=16, table_size=1024), 5.0)
    assert est.ii_cycles.value == 4 and est.ii_cycles.interval == (1, 4)
    assert est.latency_cycles.value > 4
    assert est.dsp.value == 6 + 2 + 6 + 6  # squares, mean and variance, normalise, scale: 18-bit operands
    assert est.dsp.interval == (est.dsp.value, 4 * est.dsp.value)
    assert est.bram.value == 1  # 1024 x 18 bits


def test_a_design_with_them_is_not_a_lower_bound():
    layers = (LayerSpec("x", "input", 10, 10, result_width=8),
              LayerSpec("emb", "embedding", 10, 40, weight_width=8, result_width=8, table_size=16),
              LayerSpec("ln", "layernorm", 40, 4, weight_width=18, accum_width=18, result_width=16),
              LayerSpec("dot", "dot", 40, 1, input_width=16, input2_width=8, accum_width=24, result_width=24))
    report = estimate(DesignSpec(layers, clock_period_ns=5.0))
    assert not any(f.bound for f in report.total.figures().values())
    assert report.total.lut.value == sum(estimate_layer(layer, 5.0, DEFAULT_CONSTANTS).lut.value
                                         for layer in layers)
