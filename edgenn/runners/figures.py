"""Figures every export target reports, as ``edgenn.records.Figure`` records (report.json's ``figures``)."""

from __future__ import annotations

from pathlib import Path
import numpy as np

from edgenn.records.figures import Figure, figure
from edgenn.runners.export import AnomalyEval


def fig(value, unit: str, method: str, note: str = "", **extra) -> Figure:
    return figure(value, unit, method, note, **extra)


def estimate_figures(figures: dict) -> dict[str, Figure]:
    """An estimator's figures (``estimates.resources.Figure``) as records, keeping bound and interval."""
    return {key: Figure.from_dict(f.to_dict(), key) for key, f in figures.items()}


def anomaly_score(score: str, output: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The anomaly score from a network output (``score``: ``Family.score``): a reconstruction error is computed here,
    on the host (see models/ae.yml); the VAE and the student output their score themselves."""
    output = np.asarray(output, dtype=np.float64).reshape(len(output), -1)
    if score == "reconstruction":
        from edgenn.training.anomaly_mask import reconstruction_error

        return reconstruction_error(x, output, np.float64)  # absent objects masked (images: none), as in training
    return output[:, 0]


def anomaly_figures(a: AnomalyEval, score: np.ndarray, method: str, note: str, save_to: Path | None = None) -> dict:
    """AUC and efficiency at the recipe's background rate per signal, from ``score`` of the test rows; for a student
    also its correlation with the teacher. ``save_to``: directory to write the per-event scores to (scores.npz)."""
    from edgenn.training.anomaly_metrics import anomaly_metrics
    from edgenn.training.anomaly_scores import SCORES_FILE, AnomalyScores

    test = np.asarray(score[: a.num_test], np.float64)
    m = anomaly_metrics(test, a.process, a.process_names, a.background, a.signals, fpr=a.fpr)
    resolution = "" if m["fpr_resolved"] else (f"; NOT resolved: {m['num_background']} background events resolve "
                                               f"FPR >= {m['min_resolvable_fpr']:.2g}")
    figs = {}
    for name in a.signals:
        figs[f"auc.{name}"] = fig(m["auc"][name], "fraction", method, f"{note}, vs the SM background mixture")
        # an efficiency at an unresolved rate is not a measurement: `edgenn check` fails it instead of comparing it
        figs[f"efficiency.{name}"] = fig(m["efficiency"][name], "fraction", method,
                                         f"{note}, signal efficiency at background FPR {a.fpr:g}{resolution}",
                                         uncertainty=float(m["efficiency_err"][name]),
                                         resolved=bool(m["fpr_resolved"]))
    if a.teacher is not None:
        figs["teacher_correlation"] = fig(float(np.corrcoef(test, a.teacher)[0, 1]), "ratio", method,
                                           f"{note}: Pearson r with the teacher's log reconstruction error, "
                                           f"{a.num_test} test events")
    if save_to is not None:
        AnomalyScores(test, a.process, a.background, a.process_names, a.signals, f"{note} ({method})",
                      a.teacher).save(Path(save_to) / SCORES_FILE)
    return figs
