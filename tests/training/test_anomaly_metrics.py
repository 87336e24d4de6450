"""Threshold at a background rate, per-signal AUC and efficiency, rate -> FPR."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import InvalidInputError
from edgenn.training.anomaly_metrics import anomaly_metrics, fpr_from_rate, threshold_at


def test_threshold_passes_exactly_the_allowed_background():
    b = np.arange(1000, dtype=float)
    t, resolved = threshold_at(b, 0.01)
    assert resolved and np.sum(b > t) == 10
    t, resolved = threshold_at(b, 1e-5)  # below 1/N: nothing may pass, and we say it is unresolved
    assert not resolved and np.sum(b > t) == 0


def test_auc_and_efficiency_per_signal():
    rng = np.random.default_rng(0)
    bkg, good, bad = rng.normal(0, 1, 2000), rng.normal(4, 1, 300), rng.normal(0, 1, 300)
    scores = np.r_[bkg, good, bad]
    process = np.r_[np.zeros(2000), np.ones(300), np.full(300, 2)].astype(int)
    m = anomaly_metrics(scores, process, ("bkg", "good", "bad"), process == 0, ("good", "bad"), fpr=0.01)
    assert m["auc"]["good"] > 0.99 and abs(m["auc"]["bad"] - 0.5) < 0.06
    assert m["efficiency"]["good"] > 0.5 and m["efficiency"]["bad"] < 0.05
    assert fpr_from_rate(1.0) == pytest.approx(2.5e-5)
    with pytest.raises(InvalidInputError, match="trigger rate"):
        fpr_from_rate(50_000)
    with pytest.raises(InvalidInputError, match="1 anomaly scores are NaN"):
        anomaly_metrics(np.r_[scores[:-1], np.nan], process, ("bkg", "good", "bad"), process == 0, ("good",))
