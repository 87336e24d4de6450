"""Trigger metrics on a weighted background: the rate threshold from event weights, the effective number of
background events, and the statistical uncertainty of the efficiency including the threshold's own fluctuation.

``anomaly_metrics`` counts background test events as equals, which is right for a mixture drawn in proportion to the
processes' accepted cross-sections. A weighted stream (QCD generated in slices past a 1e-5 filter) is not such a
mixture: one QCD event can stand for a large share of the rate. Here each background test event of process p gets
w_p = (accepted sigma_p) / (test events of p), so the weights of a process add up to its share whatever the test
mixture drew; the FPR threshold is where the weight above it reaches ``fpr``; the effective count
(sum w)^2 / sum w^2 says how many equal-weight events the sample is worth; and a bootstrap over the background
events (drawn with replacement, weights attached) gives the spread of the efficiency that comes from where the
threshold falls, which at FPR 1e-5 usually dominates the binomial error of the signal count.
"""

from __future__ import annotations

import numpy as np

from edgenn.errors import InvalidInputError


def process_weights(process: np.ndarray, background: np.ndarray, process_names: tuple[str, ...],
                    accepted_sigma_pb: dict[str, float]) -> np.ndarray:
    """Per-event weight of the background rows: accepted sigma of the event's process / its rows (pb); 0 elsewhere."""
    weights = np.zeros(process.shape[0], dtype=np.float64)
    for code, name in enumerate(process_names):
        rows = background & (process == code)
        if rows.any():
            weights[rows] = accepted_sigma_pb.get(name, 0.0) / rows.sum()
    return weights


def effective_events(weights: np.ndarray) -> float:
    """(sum w)^2 / sum w^2: the number of equal-weight events with the same statistical power."""
    w = np.asarray(weights, dtype=np.float64)
    return float(w.sum() ** 2 / (w**2).sum()) if w.size and (w**2).sum() > 0 else 0.0


def weighted_threshold(scores: np.ndarray, weights: np.ndarray, fpr: float) -> tuple[float, bool, float]:
    """(threshold, resolved, smallest resolvable fpr): events scoring above the threshold are accepted, and their
    weight is at most ``fpr`` of the total. Unresolved (not even the top event fits under ``fpr``): the threshold
    is the highest score, so no background passes, and the third value is the top event's weight share."""
    order = np.argsort(scores)[::-1]
    s, w = np.asarray(scores, np.float64)[order], np.asarray(weights, np.float64)[order]
    total = w.sum()
    if s.size == 0 or total <= 0:
        raise InvalidInputError("no weighted background scores to set a threshold on.",
                                fix="evaluate on background events with positive weights.")
    passing = np.cumsum(w) / total
    k = int(np.searchsorted(passing, fpr, side="right"))  # the top k events weigh at most fpr together
    resolved = k >= 1
    threshold = float(s[k]) if k < s.size else float(s[-1] - 1.0)
    return threshold, resolved, float(w[0] / total)


def weighted_trigger_metrics(scores: np.ndarray, process: np.ndarray, background: np.ndarray,
                             process_names: tuple[str, ...], signals: tuple[str, ...],
                             accepted_sigma_pb: dict[str, float], *, fpr: float = 1e-5, bootstrap: int = 200,
                             seed: int = 0) -> dict:
    """AUC (background weighted) and efficiency at ``fpr`` per signal, with the binomial error of the signal count,
    the bootstrap spread from the threshold, and their quadrature sum; plus the background counts behind them."""
    from sklearn.metrics import roc_auc_score

    scores = np.asarray(scores, np.float64).reshape(-1)
    weights = process_weights(process, background, process_names, accepted_sigma_pb)
    b_scores, b_weights = scores[background], weights[background]
    threshold, resolved, min_fpr = weighted_threshold(b_scores, b_weights, fpr)
    rng = np.random.default_rng(seed)
    draws = [rng.integers(0, b_scores.size, b_scores.size) for _ in range(bootstrap)]
    boot_thresholds = np.array([weighted_threshold(b_scores[d], b_weights[d], fpr)[0] for d in draws])
    above = b_scores > threshold
    out = {"fpr": fpr, "threshold": threshold, "fpr_resolved": resolved, "min_resolvable_fpr": min_fpr,
           "num_background": int(b_scores.size), "effective_background": round(effective_events(b_weights), 1),
           "background_above_threshold": int(above.sum()),
           "weight_fraction_above_threshold": float(b_weights[above].sum() / b_weights.sum()),
           "largest_weight_fraction": float(b_weights.max() / b_weights.sum()), "signals": {}}
    for name in signals:
        sig = scores[process == process_names.index(name)]
        if sig.size == 0:
            continue
        y = np.r_[np.zeros(b_scores.size), np.ones(sig.size)]
        sample_weight = np.r_[b_weights / b_weights.sum() * b_scores.size, np.ones(sig.size)]
        eff = float(np.mean(sig > threshold))
        binomial = float(np.sqrt(max(eff * (1 - eff), 1.0 / sig.size) / sig.size))  # never 0 at eff 0 or 1
        spread = float(np.std([np.mean(sig > t) for t in boot_thresholds]))
        out["signals"][name] = {
            "auc": float(roc_auc_score(y, np.r_[b_scores, sig], sample_weight=sample_weight)),
            "auc_unweighted": float(roc_auc_score(y, np.r_[b_scores, sig])),
            "efficiency": eff, "err_signal": binomial, "err_threshold": spread,
            "err_total": float(np.hypot(binomial, spread)), "num_signal": int(sig.size)}
    return out
