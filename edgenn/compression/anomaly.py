"""The compress stage for anomaly families: QAT and pruning of the firmware scoring networks, as regressions.

``run_compression`` hands anomaly families here (``Family.task == "anomaly"``), as ``run_training`` does.
The passes are the classifier's (``quantize_layers``, ``prune_weights``, ``fine_tune``, ``snap_weights_to_grid``);
only the training plan differs (``task.py``): the fine-tune run regresses, with MSE,

- ``ae_student``: its ``score`` output onto log(teacher reconstruction error), the target it was trained on;
- ``vae``: its ``mu`` layer onto the float model's mu (the firmware model in ``model.h5`` is encoder + sum(mu^2); the
  family's ``deploy`` makes the quantized build the same firmware model, with a ``mu_quant`` quantizer and an exact
  all-ones sum), so the quantized encoder keeps the latent space the score was calibrated on.

The plain ``autoencoder`` is not compressed: its score needs the decoder and a 57-term squared error, which belongs
on the host; its firmware route is the ``ae_student`` (see models/ae.yml). Distillation is refused too: there are no
class probabilities, and the student already learns from the teacher's score.

Writes what the classifier stage writes, with anomaly metrics: ``model.h5``, ``standardizer.json``, ``recipe.yml``,
``metrics.json`` (test AUC / efficiency per signal of the compressed model, ``compression`` before/after summaries,
pass records, markdown table), ``scores.npz`` (per-event test scores), ``scores.png``, ``weights.png``,
``history.png``/``history.json``, ``manifest.json``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from edgenn.artifacts import METRICS_FILE, ModelArtifact, write_compressed_files
from edgenn.compression.task import TaskPlan, regression_plan
from edgenn.config.recipe import Recipe
from edgenn.errors import InvalidInputError
from edgenn.io import atomic_dir, atomic_write_json
from edgenn.manifest import file_hash, write_manifest
from edgenn.seeding import stage_seed


def check_compressible(recipe: Recipe) -> None:
    family = recipe.model.family
    if family == "autoencoder":
        raise InvalidInputError(
            "compress: the autoencoder is scored on the host (decoder + 57-input squared error); it has no firmware "
            "form to compress.", fix="compress its distilled student instead (models/ae_student.yml), or remove the "
                                     "compress section.")
    if recipe.compress is not None and recipe.compress.distill is not None:
        raise InvalidInputError(
            f"compress.distill: the anomaly family {family!r} has no class probabilities to distill.",
            fix="remove compress.distill (ae_student already regresses the teacher's score: anomaly.teacher).")


def regression_targets(recipe: Recipe, model, x_train: np.ndarray, x_val: np.ndarray, teacher=None
                       ) -> tuple[TaskPlan, np.ndarray, np.ndarray, np.ndarray]:
    """The fine-tune plan, training inputs and train/val targets for ``recipe``'s family (see the module docstring).

    The student (``teacher``: the loaded teacher model) fine-tunes on the same teacher-labelled inputs it was
    trained on (real plus noisy copies)."""
    from edgenn.compression.predict import predict_eager
    from edgenn.compression.task import trainable_model
    from edgenn.training.anomaly import distillation_inputs, reconstruction_error, student_target

    if recipe.model.family == "ae_student":
        x_train = distillation_inputs(x_train, recipe.anomaly.student_augment, stage_seed(recipe.seed, "augment"))
        return (regression_plan("score"), x_train, student_target(reconstruction_error(teacher, x_train)),
                student_target(reconstruction_error(teacher, x_val)))
    plan = regression_plan("mu")
    mu = trainable_model(model, plan)
    return plan, x_train, predict_eager(mu, x_train).astype(np.float32), predict_eager(mu, x_val).astype(np.float32)


def heldout_metrics(family: str, model, data, fpr: float) -> tuple[np.ndarray, dict]:
    """(scores, ``anomaly_metrics``) of ``model`` on the test events."""
    from edgenn.training.anomaly import scores
    from edgenn.training.anomaly_metrics import anomaly_metrics

    s = scores(family, model, data.x_test)
    return s, anomaly_metrics(s, data.test_process, data.process_names, data.test_background, data.signals, fpr=fpr)


def anomaly_summary(model, m: dict) -> dict:
    """The before/after row of one model: its test metrics ``m`` (``heldout_metrics``) and its cost figures."""
    from edgenn.compression.bops import bops_summary
    from edgenn.compression.layers import kernel_sparsity, layer_bits, overall_sparsity, weight_counts

    num_params, num_nonzero = weight_counts(model)
    return {"auc": m["auc"], "efficiency": m["efficiency"], "fpr": m["fpr"], "fpr_resolved": m["fpr_resolved"],
            "num_params": num_params, "num_nonzero": num_nonzero, "sparsity": overall_sparsity(model),
            "sparsity_per_layer": kernel_sparsity(model), "bits": layer_bits(model), "bops": bops_summary(model)}


def run_anomaly_compression(recipe: Recipe, trained: ModelArtifact, out_dir: Path, *,
                            progress: bool = True) -> ModelArtifact:
    """Compress an anomaly family's trained model as ``recipe.compress`` says; write the result to ``out_dir``.

    Raises ``InvalidInputError`` before any work for the autoencoder, for compress.distill, and for everything
    ``pipeline.build_passes`` checks (recipe/model mismatch, QAT without quantizable layers).
    """
    from edgenn.compression.base import CompressionState
    from edgenn.compression.pipeline import build_passes, fine_tune_spec, run_passes
    from edgenn.compression.plots import plot_weight_histograms
    from edgenn.compression.summary import kernel_sizes, markdown_table, pruning_check
    from edgenn.seeding import seed_everything
    from edgenn.training.anomaly import feature_names, load_teacher, log_error, prepare_events, reconstruction_error
    from edgenn.training.anomaly_metrics import plot_score_distributions
    from edgenn.training.anomaly_scores import SCORES_FILE, AnomalyScores
    from edgenn.training.inputs import PreparedData, Split
    from edgenn.training.plots import plot_history

    t0 = time.perf_counter()
    check_compressible(recipe)
    passes = build_passes(recipe, trained, progress=progress)
    seed = stage_seed(recipe.seed, "compress")
    seed_everything(seed)
    data = prepare_events(recipe, standardizer=trained.standardizer(), split=trained.split())
    model = trained.load_model()
    teacher = load_teacher(recipe).load_model() if recipe.model.family == "ae_student" else None
    plan, x_train, y_train, y_val = regression_targets(recipe, model, data.x_train, data.x_val, teacher)
    # the passes read inputs and regression targets from PreparedData; the test split carries process codes
    prepared = PreparedData(Split(x_train, y_train), Split(data.x_val, y_val),
                            Split(data.x_test, data.test_process), (), feature_names(), data.standardizer,
                            data.source)
    state = CompressionState(model=model, data=prepared, fine_tune=fine_tune_spec(recipe), task=plan)
    family = recipe.model.family
    fpr = recipe.anomaly.fpr if recipe.anomaly else 1e-5
    with atomic_dir(out_dir) as staging:
        final, records = run_passes(state, passes)
        compressed = final.model
        write_compressed_files(staging, compressed, trained, recipe)
        s, compressed_metrics = heldout_metrics(family, compressed, data, fpr)
        metrics = {"task": "anomaly", "family": family, **compressed_metrics}
        t = None
        if teacher is not None:
            t = log_error(reconstruction_error(teacher, data.x_test))
            metrics["teacher_correlation"] = float(np.corrcoef(s, t)[0, 1])
        AnomalyScores(s, data.test_process, data.test_background, data.process_names, data.signals,
                      f"{recipe.name} compress stage, test events", t).save(staging / SCORES_FILE)
        groups = {"background": data.test_background,
                  **{n: data.test_process == data.process_names.index(n) for n in data.signals}}
        plot_score_distributions(s, groups, staging / "scores.png", title=f"{recipe.name} (compressed): anomaly score",
                                 threshold=metrics["threshold"])
        fine_tune = next(r for r in records if r.name == "fine_tune")
        history = fine_tune.details.get("history") or {}
        if history:
            plot_history(history, staging / "history.png")
            atomic_write_json(staging / "history.json", history)
        plot_weight_histograms(model, compressed, staging / "weights.png")
        before = anomaly_summary(model, heldout_metrics(family, model, data, fpr)[1])
        after = anomaly_summary(compressed, compressed_metrics)
        compression = {"before": before, "after": after, "passes": [r.to_dict() for r in records],
                       "table_markdown": markdown_table(before, after), "fine_tune_target": plan.trained_layer}
        pruning = fine_tune.details.get("pruning")
        if pruning is not None:
            compression["pruning"] = pruning_check(pruning["target_sparsity"], pruning["mask_sparsity_per_layer"],
                                                   kernel_sizes(compressed))
        metrics.update(num_params=int(compressed.count_params()), compression=compression,
                       split_sizes={"train": len(data.x_train), "val": len(data.x_val), "test": len(data.x_test)})
        atomic_write_json(staging / METRICS_FILE, metrics)
        write_manifest(staging, stage="compress", recipe=recipe.model_dump(mode="json"),
                       inputs={"trained_model": str(trained.model_path),
                               "trained_model_hash": file_hash(trained.model_path), "dataset": str(data.source)},
                       seeds={"root": recipe.seed, "compress": seed, "split": stage_seed(recipe.seed, "split")},
                       metrics={k: v for k, v in metrics.items() if k != "compression"},
                       passes=[r.to_dict() for r in records],
                       timings_s={"total": time.perf_counter() - t0, **{r.name: r.seconds for r in records}})
    return ModelArtifact(Path(out_dir), "compress", recipe, metrics)
