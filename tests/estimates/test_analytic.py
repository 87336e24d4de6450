"""The counting parts of the analytic model: exact where they count, monotone where they scale."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from edgenn.errors import InvalidInputError
from edgenn.estimates.analytic import (
    DSP_MIN_WEIGHT_WIDTH,
    csd_digits,
    dsp_per_product,
    estimate,
    estimate_layer,
    significant_bits,
    weight_statistics,
)
from edgenn.estimates.resources import DesignSpec, LayerSpec


def dense(**kw) -> LayerSpec:
    base = dict(name="fc", kind="dense", n_in=16, n_out=8, weight_width=16, input_width=16, accum_width=24,
                result_width=16, num_nonzero_weights=128)
    base.update(kw)
    return LayerSpec(**base)


def layer_est(layer: LayerSpec, clock: float = 5.0):
    return estimate_layer(layer, clock)


def test_csd_digits_match_a_brute_force_minimum_signed_digit_count():
    # brute force: fewest +-2^k terms that sum to q, searched over small digit sets
    def min_terms(q: int) -> int:
        best = {0: 0}
        frontier = {0}
        for n in range(1, 8):
            nxt = set()
            for v in frontier:
                for k in range(9):
                    for s in (1, -1):
                        w = v + s * (1 << k)
                        if w not in best:
                            best[w] = n
                            nxt.add(w)
            frontier = nxt
            if q in best:
                return best[q]
        raise AssertionError
    for q in range(-100, 101):
        assert csd_digits(q) == min_terms(q), q


def test_significant_bits_ignores_trailing_zeros_and_sign():
    assert [significant_bits(q) for q in (0, 1, -1, 2, 8, -16, 3, 12, -12, 5, 255)] == [0, 1, 1, 1, 1, 1, 2, 2, 2, 3, 8]


def test_weight_statistics_counts_zeros_shifts_and_multipliers_exactly():
    codes = np.array([[0, 1, -2, 3], [4, 0, 5, -255]])
    nonzero, pow2, hist, lut_digits = weight_statistics(codes, signed=True)
    assert nonzero == 6 and pow2 == 3
    assert sum(hist) == 3 and hist[2] == 1 and hist[3] == 1 and hist[8] == 1
    # -255 needs 8 mantissa bits + sign = 9 -> DSP, so it is not in the LUT digit sum
    assert lut_digits == csd_digits(3) + csd_digits(5)


def test_pruning_removes_multipliers_exactly():
    full = layer_est(dense(num_nonzero_weights=128))
    pruned = layer_est(dense(num_nonzero_weights=40))
    assert full.dsp.value == 128 and pruned.dsp.value == 40
    assert pruned.lut.value < full.lut.value


def test_power_of_two_weights_cost_no_multiplier():
    e = layer_est(dense(num_nonzero_weights=128, num_power_of_two_weights=50))
    assert e.dsp.value == 78


@pytest.mark.parametrize("rf", [2, 4, 8, 16])
def test_reuse_factor_divides_multipliers_and_sets_ii(rf):
    e = layer_est(dense(reuse_factor=rf))
    assert e.dsp.value == math.ceil(128 / rf)
    assert e.ii_cycles.value == rf
    # Resource: a ReuseLoop of RF iterations. Latency strategy: one pipeline at II = RF whose depth does not grow
    # with RF (csynth: the tutorial MLP at RF 2 takes 12 cycles, at RF 1 13; at RF 64 about 12 per layer, < II)
    assert layer_est(dense(reuse_factor=rf, strategy="Resource")).latency_cycles.value >= rf
    assert e.latency_cycles.value == layer_est(dense(reuse_factor=2)).latency_cycles.value


def test_resource_strategy_puts_weights_in_bram_with_hls4ml_count():
    e = layer_est(dense(reuse_factor=4, strategy="Resource", weight_width=16))
    # hls4ml VivadoMultiObjectiveEstimator: ceil(n_weights * width / (RF * 36))
    assert e.bram.value == math.ceil(128 * 16 / (4 * 36))
    assert layer_est(dense(reuse_factor=4, strategy="Latency")).bram.value == 0
    assert layer_est(dense(reuse_factor=1, strategy="Resource")).bram.value == 0


def test_dsp_appears_only_at_or_above_the_width_threshold():
    for w in range(2, 20):
        dsp = layer_est(dense(weight_width=w)).dsp.value
        assert (dsp > 0) == (w >= DSP_MIN_WEIGHT_WIDTH), w


def test_doubling_widths_raises_lut_and_dsp():
    narrow = layer_est(dense(weight_width=6, input_width=8, accum_width=16))
    wide = layer_est(dense(weight_width=12, input_width=16, accum_width=32))
    assert wide.dsp.value > narrow.dsp.value
    narrow_lut = layer_est(dense(weight_width=4, input_width=8, accum_width=16))
    wide_lut = layer_est(dense(weight_width=8, input_width=16, accum_width=32))
    assert wide_lut.lut.value > narrow_lut.lut.value and wide_lut.dsp.value == narrow_lut.dsp.value == 0
    # beyond the DSP48E2's 27x18 ports a product cascades slices
    assert dsp_per_product(16, 16) == 1 and dsp_per_product(32, 16) == 2 and dsp_per_product(32, 32) == 4


def test_lut_grows_with_the_csd_digits_of_lut_mapped_weights():
    few = layer_est(dense(weight_width=8, mult_sig_bits_hist=(0, 0, 0, 128), lut_mult_csd_digits=256))
    many = layer_est(dense(weight_width=8, mult_sig_bits_hist=(0, 0, 0, 128), lut_mult_csd_digits=384))
    assert many.lut.value > few.lut.value and few.dsp.value == many.dsp.value == 0


def test_latency_grows_with_adder_depth_and_shrinks_with_slower_clock():
    shallow = layer_est(dense(n_in=4, num_nonzero_weights=32), clock=2.0)
    deep = layer_est(dense(n_in=512, num_nonzero_weights=4096), clock=2.0)
    assert deep.latency_cycles.value > shallow.latency_cycles.value
    assert layer_est(dense(n_in=512, num_nonzero_weights=4096), clock=10.0).latency_cycles.value <= \
        deep.latency_cycles.value


def test_design_total_adds_latency_takes_max_ii_and_labels_every_figure():
    design = DesignSpec((LayerSpec("in", "input", 16, 16, result_width=16), dense(name="a", n_in=16),
                         LayerSpec("r", "relu", 8, 8, input_width=24, result_width=16),
                         dense(name="b", n_in=8, n_out=4, num_nonzero_weights=32, reuse_factor=4)), 4.0)
    rep = estimate(design)
    assert rep.total.latency_cycles.value == sum(e.latency_cycles.value for e in rep.layers)
    assert rep.total.ii_cycles.value == 4
    assert rep.total.dsp.value == sum(e.dsp.value for e in rep.layers)
    assert rep.total.latency_ns.value == rep.total.latency_cycles.value * 4.0
    assert "timing not verified" in rep.total.latency_ns.note
    for e in (*rep.layers, rep.total):
        assert all(f.method == "analytic" for f in e.figures().values())


def test_unmodelled_layers_are_flagged_not_silently_dropped():
    design = DesignSpec((dense(name="a"), LayerSpec("bn", "other", 8, 8)), 5.0)
    rep = estimate(design)
    assert "bn" in rep.total.notes[0]


@pytest.mark.parametrize("bad", [dict(num_nonzero_weights=999), dict(strategy="latency"), dict(reuse_factor=0),
                                 dict(num_power_of_two_weights=200), dict(mult_sig_bits_hist=(0, 5))])
def test_invalid_layer_specs_are_rejected_with_the_layer_name(bad):
    with pytest.raises(InvalidInputError, match="'fc'"):
        dense(**bad)


def test_invalid_design_is_rejected():
    with pytest.raises(InvalidInputError):
        DesignSpec((dense(),), clock_period_ns=0)
    with pytest.raises(InvalidInputError):
        DesignSpec((dense(), dense()), clock_period_ns=5)
    with pytest.raises(InvalidInputError):
        DesignSpec((dense(),), clock_period_ns=5, io_type="io_serial")  # io_stream is modelled (estimates/conv.py)


def test_frozen_specs():
    layer = dense()
    with pytest.raises(Exception):
        layer.n_in = 3  # type: ignore[misc]
    assert replace(layer, n_in=16) == layer


def test_io_parallel_latency_follows_the_longest_branch_not_the_sum():
    inp = LayerSpec("in", "input", 16, 16, result_width=16)
    deep = dense(name="deep", n_in=16, n_out=16, num_nonzero_weights=256, inputs=("in",))
    deep2 = dense(name="deep2", n_in=16, n_out=16, num_nonzero_weights=256, inputs=("deep",))
    shallow = dense(name="shallow", n_in=16, n_out=16, num_nonzero_weights=256, inputs=("in",))
    join = LayerSpec("join", "merge", 16, 16, input_width=24, input2_width=24, result_width=24, op="add",
                     inputs=("deep2", "shallow"))
    branched = estimate(DesignSpec((inp, deep, deep2, shallow, join), 5.0))
    per = {e.name: int(e.latency_cycles.value) for e in branched.layers}
    assert per["shallow"] > 0
    assert branched.total.latency_cycles.value == per["deep"] + per["deep2"] + per["join"]
    # the same layers with no inputs recorded run one after the other
    chain = estimate(DesignSpec(tuple(replace(x, inputs=()) for x in (inp, deep, deep2, shallow, join)), 5.0))
    assert chain.total.latency_cycles.value == sum(per.values())


def test_latency_reuse_with_scarce_multipliers_runs_its_multiplier_steps():
    # 64 constants of 3 CSD digits, 64 of 5: at RF 8 the multiplier limit is 16, so the 64 heavy constants take
    # 4 steps; the II is below the reuse factor and one above the latency, as csynth reports such layers
    hist = (0, 0, 0, 64, 0, 64)
    e = layer_est(dense(reuse_factor=8, csd_digits_hist=hist, csd_mantissa_bits=(0, 0, 0, 64 * 5, 0, 64 * 9)))
    assert e.ii_cycles.value == 4 < 8
    wider = layer_est(dense(reuse_factor=16, csd_digits_hist=hist, csd_mantissa_bits=(0, 0, 0, 64 * 5, 0, 64 * 9)))
    assert wider.ii_cycles.value == 8 and wider.dsp.value < e.dsp.value
