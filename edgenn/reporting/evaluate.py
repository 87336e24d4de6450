"""Run a stage's model on a sample of its own held-out test split, keeping every layer's output.

The report needs numbers no stage stores: activations per layer (for the numerical profile) and scores of several
models on the same jets (for the ROC overlay). The inputs are prepared exactly as the stage prepared them (same split
seed, the stage's own standardiser), via ``edgenn.training.stage.prepared_data``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import edgenn.filenames as filenames
from edgenn.training.anomaly_scores import SCORES_FILE, AnomalyScores, load_anomaly_scores
from edgenn.architectures.registry import standardizer_of


@dataclass(frozen=True)
class StageOutputs:
    """``layers``: Keras layer name -> outputs (samples, ...), in model order; ``probs``: the model's final output."""

    x: np.ndarray
    y: np.ndarray
    class_names: tuple[str, ...]
    layers: dict[str, np.ndarray]
    probs: np.ndarray
    weights: dict[str, dict[str, np.ndarray]]  # layer -> {"weight": kernel as used, "bias": bias as used}


def _effective(layer) -> dict[str, np.ndarray]:
    """Kernel and bias as the layer computes with them: through its QKeras quantizers when it has them."""
    out = {}
    for attr, quant_attr, key in (("kernel", "kernel_quantizer_internal", "weight"),
                                  ("bias", "bias_quantizer_internal", "bias")):
        var = getattr(layer, attr, None)
        if var is None:
            continue
        value = np.asarray(var.numpy())
        quantizer = getattr(layer, quant_attr, None)
        if quantizer is not None:
            value = np.asarray(quantizer(value))
        out[key] = value
    return out


def run_stage_model(stage_dir: Path, *, max_samples: int = 2000) -> StageOutputs:
    """Load the model of ``stage_dir`` and run it on at most ``max_samples`` samples of its test split (jets, or
    events for anomaly models: then ``y`` holds process codes and ``class_names`` the process names)."""
    import tensorflow as tf

    from edgenn.artifacts import ModelArtifact
    from edgenn.training.stage import prepared_data

    artifact = ModelArtifact.load(Path(stage_dir))
    if artifact.recipe.data.kind == "events":  # anomaly models: labels are process codes, names the processes
        from edgenn.training.anomaly import prepare_events

        events = prepare_events(artifact.recipe, standardizer=artifact.standardizer(), split=artifact.split())
        x, y, names = events.x_test[:max_samples], events.test_process[:max_samples], events.process_names
    else:
        data = prepared_data(artifact.recipe, standardizer=standardizer_of(artifact), split=artifact.split())
        x, y, names = data.test.x[:max_samples], data.test.y[:max_samples], data.class_names
    model = artifact.load_model()
    layers = [l for l in model.layers if not isinstance(l, tf.keras.layers.InputLayer)]
    probe = tf.keras.Model(model.inputs, [l.output for l in layers])
    from edgenn.architectures.extra_inputs import feed

    outs = probe(feed(model, x), training=False)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    per_layer = {l.name: np.asarray(o) for l, o in zip(layers, outs)}
    weights = {l.name: w for l in layers if (w := _effective(l))}
    return StageOutputs(x, y, tuple(names), per_layer, np.asarray(outs[-1]), weights)


# ----- anomaly detection -------------------------------------------------------------------------------------------
def anomaly_stage_scores(stage_dir: Path) -> AnomalyScores:
    """The test-event scores of an anomaly stage: its ``scores.npz`` if saved, else its model re-run on the test split.

    Re-running reproduces the stage exactly (same split and mixture seeds, the stage's own standardiser), as
    ``run_stage_model`` does for classifiers; it needs the model and the event dataset where the recipe names it.
    """
    stage_dir = Path(stage_dir)
    if (stage_dir / SCORES_FILE).is_file():
        return load_anomaly_scores(stage_dir / SCORES_FILE)
    from edgenn.artifacts import ModelArtifact
    from edgenn.training.anomaly import prepare_events, scores

    artifact = ModelArtifact.load(stage_dir)
    data = prepare_events(artifact.recipe, standardizer=artifact.standardizer(), split=artifact.split())
    from edgenn.architectures.registry import get_family

    s = scores(get_family(artifact.recipe.model.family), artifact.load_model(), data.x_test)
    return AnomalyScores(np.asarray(s, np.float64).reshape(-1), np.asarray(data.test_process).astype(int),
                         np.asarray(data.test_background, bool), tuple(data.process_names), tuple(data.signals),
                         f"{stage_dir / filenames.MODEL} re-run on the test events of {data.source}")


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
