"""Calibration: the shipped constants are the fit, and the measured error stays within the documented bounds."""

from __future__ import annotations

import math

from edgenn.estimates.analytic import DEFAULT_CONSTANTS, estimate
from edgenn.estimates.calibration import (
    ERROR_BOUNDS,
    REFERENCE_POINTS,
    compare,
    comparison_markdown,
    corpus_design,
    fit_constants,
    max_abs_error,
    tutorial_design,
)


def test_shipped_constants_equal_the_fit_on_the_reference_reports():
    fitted = fit_constants()
    for name in ("lut_per_adder_bit", "ff_per_register_bit", "relu_lut_per_bit", "softmax_lut_per_table_bit",
                 "ff_per_dsp_vivado", "ff_per_dsp_vitis"):
        assert math.isclose(getattr(fitted, name), getattr(DEFAULT_CONSTANTS, name), rel_tol=0.01), name


def test_computed_error_on_fit_points_is_within_documented_bounds():
    errors = max_abs_error(compare())
    assert set(errors) == set(ERROR_BOUNDS)
    for figure, err in errors.items():
        assert err <= ERROR_BOUNDS[figure], (figure, err)


def test_fit_runs_on_the_weight_aware_designs_and_declared_widths_only_bound_the_dsp():
    for point in REFERENCE_POINTS:
        if point.role != "fit":
            continue
        with_weights = estimate(corpus_design(point.corpus_design)).total
        declared = estimate(tutorial_design()).total  # every 16-bit product on a DSP: the upper bound
        assert all(layer.csd_digits_hist for layer in corpus_design(point.corpus_design).layers
                   if layer.kind == "dense")
        assert with_weights.dsp.value < declared.dsp.value
        assert with_weights.dsp.value >= point.components["dense_dsp"]


def test_every_reference_point_names_its_source_and_unusable_ones_are_not_compared():
    for p in REFERENCE_POINTS:
        assert p.source and p.tool and p.role in ("fit", "compare", "recorded")
    keys = {r.key for r in compare()}
    assert all(p.key not in keys for p in REFERENCE_POINTS if not p.usable)
    assert "| rel. error |" in comparison_markdown(compare())
