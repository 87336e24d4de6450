"""The per-constant DSP rule (>= 3 CSD digits on a wide input), DSP48E1 vs E2 by part, and lower-bound totals."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.config.budget import Budget
from edgenn.estimates.analytic import csd_digits, csd_histogram, estimate, estimate_layer, weight_statistics
from edgenn.estimates.resources import DesignSpec, LayerSpec
from edgenn.verification.budget import check_figures


def layer_from_codes(codes: np.ndarray, *, input_width: int, weight_width: int = 16) -> LayerSpec:
    nonzero, pow2, hist, digits = weight_statistics(codes, True)
    return LayerSpec("fc", "dense", codes.shape[0], codes.shape[1], weight_width=weight_width, input_width=input_width,
                     accum_width=32, result_width=16, num_nonzero_weights=nonzero, num_power_of_two_weights=pow2,
                     mult_sig_bits_hist=hist, lut_mult_csd_digits=digits, csd_digits_hist=csd_histogram(codes))


def test_constant_goes_to_a_dsp_exactly_when_it_has_three_csd_digits():
    rng = np.random.default_rng(3)
    codes = rng.integers(-2**15, 2**15, (16, 32))
    codes[0, :] = [3, 6, -7, 12, 96, 1 << 10, 5, 0] * 4  # 2-digit and shift constants among them
    expected = sum(csd_digits(int(c)) >= 3 for c in codes.ravel())
    est = estimate_layer(layer_from_codes(codes, input_width=16), 5.0)
    assert est.dsp.value == expected
    assert 0 < expected < codes.size  # the rule discriminates: neither all nor none


def test_narrow_input_puts_every_product_in_luts():
    codes = np.random.default_rng(4).integers(-2**15, 2**15, (16, 32))
    wide = estimate_layer(layer_from_codes(codes, input_width=16), 5.0)
    narrow = estimate_layer(layer_from_codes(codes, input_width=6), 5.0)
    assert wide.dsp.value > 0 and narrow.dsp.value == 0 and narrow.lut.value > wide.lut.value


def test_seven_series_part_uses_dsp48e1_ports():
    # a 26 x 16-bit product fits one DSP48E2 (27 x 18) but needs two DSP48E1 (25 x 18)
    codes = np.full((4, 4), (1 << 25) - 1 - (1 << 12) - (1 << 6), dtype=np.int64)  # many CSD digits
    layer = layer_from_codes(codes, input_width=16, weight_width=26)
    e2 = estimate(DesignSpec((layer,), 5.0, part="xcvu13p-flga2577-2-e")).total
    e1 = estimate(DesignSpec((layer,), 5.0, part="xc7z020clg400-1")).total
    assert e2.dsp.value == 16 and e1.dsp.value == 32
    assert "DSP48E1" in e1.dsp.note and "DSP48E2" in e2.dsp.note


def test_unmodelled_layer_makes_the_total_a_lower_bound_that_fails_a_max_budget():
    codes = np.random.default_rng(5).integers(-2**15, 2**15, (8, 4))
    layers = (layer_from_codes(codes, input_width=16), LayerSpec("elu", "other", 4, 4, result_width=16))
    report = estimate(DesignSpec(layers, 5.0, part="xcvu13p-flga2577-2-e"))
    assert report.total.lut.bound == "lower" and "elu" in report.total.lut.note
    assert "≥" in report.to_markdown().splitlines()[-1 - len(report.assumptions) - 2]  # the total row
    figures = {k: f.to_dict() for k, f in report.total.figures().items()}
    generous = Budget(name="b", lut={"max": 1e9}, ii_cycles={"max": 1})
    check = check_figures(figures, generous)
    lut = next(line for line in check.lines if line.figure == "lut")
    assert not lut.passed and "lower bound" in lut.reason
    assert next(line for line in check.lines if line.figure == "ii_cycles").passed  # II is not a bound
    modelled = estimate(DesignSpec(layers[:1], 5.0)).total
    assert modelled.lut.bound == "" and "bound" not in modelled.lut.to_dict()


def test_total_carries_the_measured_interval_and_check_compares_its_upper_end():
    from edgenn.estimates.intervals import error_row, interval_class

    codes = np.random.default_rng(6).integers(-2**15, 2**15, (16, 16))
    total = estimate(DesignSpec((layer_from_codes(codes, input_width=16),), 5.0)).total
    cls = interval_class("lut", total.lut.value, "io_parallel", [1])  # a LUT total takes its size class's spread
    row = error_row("lut", cls)
    lo, hi = total.lut.interval
    assert lo == total.lut.value / (1 + row["q95"]) and hi == total.lut.value / (1 + row["q5"])
    assert f"90 % over {row['designs']} designs ({cls})" in total.lut.interval_note
    ff = error_row("ff", "parallel_rf1")  # FF: an io_parallel RF-1 design takes its design class's spread
    assert total.ff.interval[0] == pytest.approx(total.ff.value / (1 + ff["q95"]))
    assert total.ii_cycles.interval is None  # no measured error for II: no interval claimed
    figures = {k: f.to_dict() for k, f in total.figures().items()}
    between = Budget(name="b", lut={"max": (total.lut.value + hi) / 2})  # point fits, upper end does not
    upper = check_figures(figures, between).lines[0]
    point = check_figures(figures, between, compare="point").lines[0]
    assert not upper.passed and "interval upper end" in upper.reason and upper.upper == hi
    assert point.passed
