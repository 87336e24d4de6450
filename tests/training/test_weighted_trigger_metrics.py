"""Weighted trigger metrics: thresholds from event weights, effective counts, and the threshold's uncertainty."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.training.anomaly_metrics import threshold_at
from edgenn.training.weighted_trigger_metrics import (
    effective_events,
    process_weights,
    weighted_threshold,
    weighted_trigger_metrics,
)


def test_equal_weights_give_the_counting_threshold():
    scores = np.random.default_rng(0).normal(size=1000)
    for fpr in (0.01, 0.003, 0.1):
        threshold, resolved, _ = weighted_threshold(scores, np.ones(1000), fpr)
        assert resolved and (scores > threshold).sum() == int(np.floor(fpr * 1000))
        assert threshold == threshold_at(scores, fpr)[0]


def test_a_heavy_top_event_leaves_the_rate_unresolved():
    scores = np.arange(100.0)
    weights = np.ones(100)
    weights[-1] = 99.0  # the highest-scoring event carries half of the rate
    threshold, resolved, smallest = weighted_threshold(scores, weights, 0.1)
    assert not resolved and threshold == 99.0 and smallest == pytest.approx(0.5)
    threshold, resolved, _ = weighted_threshold(scores, weights, 0.6)  # the top (0.5) + 19 x 1/198 = 0.596
    assert resolved and (scores > threshold).sum() == 1 + 19


def test_process_weights_add_up_to_each_processes_share_and_effective_count():
    process = np.array([0, 0, 0, 1, 2, 2])
    background = np.array([True, True, True, True, False, False])
    w = process_weights(process, background, ("wlnu", "qcd", "sig"), {"wlnu": 30.0, "qcd": 10.0})
    assert w[:3].sum() == pytest.approx(30.0) and w[3] == pytest.approx(10.0) and (w[4:] == 0).all()
    assert effective_events(np.ones(50)) == pytest.approx(50.0)
    assert effective_events(w[:4]) == pytest.approx(40.0**2 / (3 * 10.0**2 + 10.0**2))


def test_metrics_carry_the_threshold_spread_and_the_background_counts():
    rng = np.random.default_rng(1)
    bkg, near, far = rng.normal(size=2000), rng.normal(2.0, 1.0, 500), rng.normal(50.0, 1.0, 500)
    scores = np.r_[bkg, near, far]
    process = np.r_[np.zeros(2000, int), np.ones(500, int), np.full(500, 2)]
    m = weighted_trigger_metrics(scores, process, process == 0, ("sm", "near", "far"), ("near", "far"),
                                 {"sm": 1.0}, fpr=0.01, bootstrap=100)
    assert m["fpr_resolved"] and m["background_above_threshold"] == 20 and m["effective_background"] == 2000.0
    assert m["weight_fraction_above_threshold"] == pytest.approx(0.01)
    assert m["largest_weight_fraction"] == pytest.approx(1 / 2000)
    heavy = weighted_trigger_metrics(np.r_[scores, -5.0], np.r_[process, 3], np.r_[process == 0, True],
                                     ("sm", "near", "far", "qcd"), ("far",), {"sm": 1.0, "qcd": 1.0}, bootstrap=5)
    # one low-scoring event carrying half the rate: it does not resolve the top, but it dominates the count
    assert heavy["largest_weight_fraction"] == pytest.approx(0.5) and heavy["min_resolvable_fpr"] < 0.001
    assert heavy["effective_background"] == pytest.approx(1 / (0.5**2 + 2000 * (0.5 / 2000) ** 2), rel=1e-3)
    far_m, near_m = m["signals"]["far"], m["signals"]["near"]
    assert far_m["auc"] == pytest.approx(1.0) and far_m["efficiency"] == 1.0 and far_m["err_threshold"] == 0.0
    assert 0.5 < near_m["auc"] < 1.0 and near_m["auc"] == pytest.approx(near_m["auc_unweighted"])
    # a threshold inside the signal's distribution moves its efficiency from one bootstrap draw to the next
    assert near_m["err_threshold"] > 0.005 and near_m["err_total"] >= near_m["err_threshold"]
