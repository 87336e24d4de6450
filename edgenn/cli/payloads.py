"""``--json`` payloads of the commands whose results are not already figure reports (train, compress).

A model's metrics.json holds plain numbers; here each becomes a figure with its unit and how it was measured, so a CI
script reads ``figures["accuracy"]["value"]`` the same way it reads an export's ``figures["lut"]``.
"""

from __future__ import annotations

from typing import Any

import edgenn.filenames as filenames

# metric name (first dotted part) -> unit; a metric not listed here is a dimensionless number ("1")
_UNITS = {"accuracy": "fraction", "auc": "fraction", "num_params": "count", "num_samples": "count",
          "rejection_at_50": "1/eps_B", "loss": "1", "val_loss": "1", "epochs": "count",
          "efficiency": "fraction", "teacher_correlation": "1", "fpr": "fraction", "tpr": "fraction",
          "seconds": "s", "train_seconds": "s", "num_nonzero": "count", "sparsity": "fraction", "bops": "count",
          "bits": "bits"}


def _flatten(metrics: dict, prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = value
    return out


def metric_figures(metrics: dict, *, method: str) -> dict[str, dict[str, Any]]:
    return {name: {"value": value, "unit": _UNITS.get(name.split(".")[0], "1"), "method": method}
            for name, value in _flatten(metrics).items()}


def model_payload(artifact) -> dict[str, Any]:
    """Paths and figures of a trained or compressed model; compress reports the compressed model's figures."""
    metrics = dict(artifact.metrics)
    compression = metrics.pop("compression", None)
    n = metrics.get("num_samples")
    method = f"test split ({n} samples)" if n else "test split"
    shown = compression["after"] if isinstance(compression, dict) and "after" in compression else metrics
    payload: dict[str, Any] = {
        "paths": {"directory": artifact.directory, "model": artifact.model_path,
                  "report": artifact.directory / filenames.REPORT_HTML},
        "figures": metric_figures(shown, method=method), "stage": artifact.stage, "recipe": artifact.recipe.name}
    if compression is not None:
        payload["compression"] = compression
    return payload
