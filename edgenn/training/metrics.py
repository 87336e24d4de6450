"""Classifier metrics in the conventions of jet tagging.

Background rejection is 1/eps_B at a fixed signal efficiency eps_S (default 50 %), signal = one of t, W, Z, background
= q + g, using the signal-class score p_signal as discriminant (as in the hls4ml jet-tagging papers).
"""

from __future__ import annotations

import numpy as np

SIGNAL_CLASSES = ("t", "W", "Z")
BACKGROUND_CLASSES = ("q", "g")


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(probs, axis=1) == labels))


def roc_curve(scores: np.ndarray, is_signal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(signal efficiency, background efficiency) for every threshold, from high score to low."""
    from sklearn.metrics import roc_curve as _roc

    eps_b, eps_s, _ = _roc(is_signal.astype(int), scores)
    return eps_s, eps_b


def per_class_auc(probs: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...]) -> dict[str, float]:
    """One-vs-rest ROC AUC per class; a class absent from ``labels`` gets NaN, not a made-up number."""
    from sklearn.metrics import roc_auc_score

    out = {}
    for k, name in enumerate(class_names):
        is_k = labels == k
        out[name] = float(roc_auc_score(is_k, probs[:, k])) if 0 < is_k.sum() < len(labels) else float("nan")
    return out


def rejection_at(probs: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...], *,
                 signal_efficiency: float = 0.5) -> dict[str, float]:
    """1/eps_B at eps_S for each signal class present (t, W, Z) against q+g; inf if no background passes."""
    bkg = [class_names.index(c) for c in BACKGROUND_CLASSES if c in class_names]
    out: dict[str, float] = {}
    if not bkg:
        return out
    is_bkg = np.isin(labels, bkg)
    for name in SIGNAL_CLASSES:
        if name not in class_names:
            continue
        k = class_names.index(name)
        sel = is_bkg | (labels == k)
        if (labels == k).sum() == 0 or is_bkg.sum() == 0:
            continue
        eps_s, eps_b = roc_curve(probs[sel, k], labels[sel] == k)
        eb = float(np.interp(signal_efficiency, eps_s, eps_b))
        out[name] = float("inf") if eb == 0 else 1.0 / eb
    return out


def classifier_metrics(probs: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...]) -> dict:
    return {
        "accuracy": accuracy(probs, labels),
        "auc": per_class_auc(probs, labels, class_names),
        "rejection_at_50": rejection_at(probs, labels, class_names, signal_efficiency=0.5),
        "num_samples": int(len(labels)),
    }
