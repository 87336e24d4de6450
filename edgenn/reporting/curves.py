"""Curves the report draws from scores a stage or export saved (it never re-runs a model to get them)."""

from __future__ import annotations

import numpy as np

from edgenn.training.anomaly_scores import AnomalyScores


def efficiency_vs_fpr(scores: AnomalyScores) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """signal -> (background FPR, signal efficiency) at every background score taken as threshold (score > t passes).

    Thresholds are the background scores themselves, so every FPR from 1/N_bkg to 1 is a point of the curve; a rate
    below 1/N_bkg cannot be resolved with this sample and is not drawn.
    """
    bkg = np.sort(scores.scores[scores.background])[::-1]
    n = bkg.size
    if n == 0:
        return {}
    # threshold = bkg[k]: the accepted background is the fraction scoring strictly above it (ties counted right)
    fpr = (n - np.searchsorted(bkg[::-1], bkg, side="right")) / n
    thresholds = bkg
    out = {}
    for name in scores.signals:
        if name not in scores.process_names:
            continue
        sig = np.sort(scores.scores[scores.process == scores.process_names.index(name)])
        if sig.size == 0:
            continue
        eff = (sig.size - np.searchsorted(sig, thresholds, side="right")) / sig.size
        keep = fpr > 0
        out[name] = (fpr[keep], eff[keep])
    return out
