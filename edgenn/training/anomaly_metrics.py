"""Trigger-style metrics for anomaly scores (higher score = more anomalous).

- ROC AUC per signal against the background test mixture.
- Signal efficiency at a fixed background acceptance: the threshold is the (1 - fpr) quantile of the background
  scores; ``fpr`` comes from a false-positive rate (default 1e-5) or from a trigger rate in kHz out of the 40 MHz
  bunch-crossing rate (``fpr_from_rate``). With N background events the smallest resolvable rate is 1 / N: below
  it the threshold is the highest background score and the result says ``resolved: False`` rather than pretending.
- Score distributions per process (``plot_score_distributions``, log y).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgenn.errors import InvalidInputError

BUNCH_CROSSING_KHZ = 40_000.0


def fpr_from_rate(rate_khz: float) -> float:
    """Background acceptance giving ``rate_khz`` out of 40 MHz (e.g. 1 kHz -> 2.5e-5)."""
    if not 0 < rate_khz < BUNCH_CROSSING_KHZ:
        raise InvalidInputError(f"trigger rate must be in (0, 40000) kHz (got {rate_khz}).",
                                fix="give the rate in kHz, e.g. 1.0.")
    return rate_khz / BUNCH_CROSSING_KHZ


def threshold_at(background_scores: np.ndarray, fpr: float) -> tuple[float, bool]:
    """(threshold, resolved): events with score > threshold are accepted; a fraction <= fpr of background passes."""
    b = np.sort(np.asarray(background_scores, dtype=np.float64))
    if b.size == 0:
        raise InvalidInputError("no background scores to set a threshold on.", fix="evaluate on background events.")
    allowed = int(np.floor(fpr * b.size))  # background events that may pass
    resolved = allowed >= 1
    return float(b[b.size - 1 - allowed]) if allowed < b.size else float(b[0] - 1), resolved


def anomaly_metrics(scores: np.ndarray, process: np.ndarray, process_names: tuple[str, ...],
                    background: np.ndarray, signals: tuple[str, ...], *, fpr: float = 1e-5) -> dict:
    """AUC and efficiency at ``fpr`` per signal; ``background`` is a boolean mask of the background mixture rows."""
    from sklearn.metrics import roc_auc_score

    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if not np.isfinite(scores).all():
        raise InvalidInputError(f"{int((~np.isfinite(scores)).sum())} anomaly scores are NaN or Inf.",
                                fix="check the model's inputs and training (a diverged model?).")
    bkg = scores[background]
    threshold, resolved = threshold_at(bkg, fpr)
    out = {"fpr": fpr, "threshold": threshold, "fpr_resolved": resolved, "num_background": int(bkg.size),
           "min_resolvable_fpr": 1.0 / bkg.size, "auc": {}, "efficiency": {}, "efficiency_err": {},
           "num_signal": {}}
    for name in signals:
        sig = scores[process == process_names.index(name)]
        out["num_signal"][name] = int(sig.size)
        if sig.size == 0:
            out["auc"][name] = out["efficiency"][name] = out["efficiency_err"][name] = float("nan")
            continue
        y = np.r_[np.zeros(bkg.size), np.ones(sig.size)]
        out["auc"][name] = float(roc_auc_score(y, np.r_[bkg, sig]))
        eff = float(np.mean(sig > threshold))
        out["efficiency"][name] = eff
        # binomial error of the signal count only; the threshold's own fluctuation (few background events above
        # it at a small FPR) is not included and usually dominates: quote the background count beside it
        out["efficiency_err"][name] = float(np.sqrt(eff * (1 - eff) / sig.size))
    return out


def plot_score_distributions(scores: np.ndarray, groups: dict[str, np.ndarray], path: Path, *,
                             title: str = "", threshold: float | None = None) -> Path:
    """Histogram of the score per process (``groups``: name -> boolean mask), log y; writes ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    finite = scores[np.isfinite(scores)]
    bins = np.linspace(finite.min(), finite.max(), 60) if finite.size and finite.min() < finite.max() else 10
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, mask in groups.items():
        if mask.any():
            ax.hist(scores[mask], bins=bins, histtype="step", density=True, label=f"{name} ({int(mask.sum())})")
    if threshold is not None:
        ax.axvline(threshold, color="k", linestyle="--", linewidth=1, label="threshold")
    ax.set_yscale("log")
    ax.set_xlabel("anomaly score")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
