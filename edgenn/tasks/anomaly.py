"""Anomaly detection (the trigger families): trained on background only, scored without labels.

Data: the event stream of ``data.path`` (``training.anomaly.prepare_events``: per-process split, background mixture,
per-object standardisation). How a family is trained is its ``objective``: ``reconstruct`` its inputs (masked MSE),
the ``vae`` objective (masked MSE + beta KL; the saved model is the family's ``deploy`` scoring network, the training
model kept beside it), or ``regress_teacher``: regress log(reconstruction error) of the trained ``Family.teacher`` on
the training events plus noisy copies. The score is the family's output, or the masked reconstruction error
(``Family.score``); metrics are per-signal AUC and efficiency at the recipe's background rate.

Compression fine-tunes the sub-model ending at the family's ``fine_tune_layer`` as a regression (MSE): onto the
teacher's score when the family has a teacher, else onto the trained model's own output at that layer (the VAE's mu,
so the quantized encoder keeps the latent space its score was calibrated on). Distillation by class probabilities
does not apply (there are none).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import edgenn.filenames as filenames
from edgenn.errors import InvalidInputError
from edgenn.task_protocol import Fitted
from edgenn.tasks.registry import register_task
from edgenn.architectures.registry import family_params


@register_task
class AnomalyTask:
    name = "anomaly"
    data_kind = "events"
    firmware_output = "anomaly score"
    has_classes = False

    def load_teacher(self, recipe, family):
        from edgenn.training.anomaly import load_teacher

        return load_teacher(recipe, family) if family.teacher else None

    def prepare(self, recipe, family, *, standardizer=None, split=None):
        from edgenn.training.anomaly import prepare_events

        return prepare_events(recipe, standardizer=standardizer, split=split)

    def build(self, family, params, data):
        return family.build(params, data.x_train.shape[1:], 0, None)

    def fit(self, model, data, recipe, family, *, teacher, seed: int, progress: bool) -> Fitted:
        import time

        from edgenn.seeding import stage_seed
        from edgenn.training.anomaly import (distillation_inputs, fit_plain, fit_vae, reconstruction_error,
                                             student_target)
        from edgenn.training.anomaly_mask import reconstruction_loss_tf

        t0 = time.perf_counter()
        params = family_params(recipe)
        if family.objective == "vae":
            history = fit_vae(model, data, recipe, params.beta, params.latent, seed)
            return Fitted(family.deploy(model, params), history, time.perf_counter() - t0,
                          training_model=model)
        if family.objective == "regress_teacher":
            teacher_model = teacher.load_model()
            x_tr = distillation_inputs(data.x_train, recipe.anomaly.student_augment, stage_seed(recipe.seed, "augment"))
            y_tr, y_va = (student_target(reconstruction_error(teacher_model, x)) for x in (x_tr, data.x_val))
            history = fit_plain(model, x_tr, y_tr, data.x_val, y_va, recipe, progress)
        elif family.objective == "reconstruct":
            history = fit_plain(model, data.x_train, data.x_train, data.x_val, data.x_val, recipe, progress,
                                loss=reconstruction_loss_tf)
        else:
            raise InvalidInputError(f"model family {family.name!r}: objective {family.objective!r} is not an anomaly "
                                    "objective.", fix="register the family with objective reconstruct, vae or "
                                                      "regress_teacher.")
        return Fitted(model, history, time.perf_counter() - t0)

    def evaluate(self, model, data, recipe, family, out: Path, *, label: str, teacher, history: dict | None,
                 stage: str) -> dict:
        from edgenn.io import atomic_write_json
        from edgenn.training.anomaly import log_error, reconstruction_error, scores
        from edgenn.training.anomaly_metrics import anomaly_metrics, plot_score_distributions
        from edgenn.training.anomaly_scores import SCORES_FILE, AnomalyScores
        from edgenn.training.layer_outputs import save_stage_outputs
        from edgenn.training.plots import plot_history

        fpr = recipe.anomaly.fpr if recipe.anomaly else 1e-5
        s = scores(family, model, data.x_test)
        metrics = {"task": self.name, "family": family.name,
                   **anomaly_metrics(s, data.test_process, data.process_names, data.test_background, data.signals,
                                     fpr=fpr)}
        t = None
        if teacher is not None:
            t = log_error(reconstruction_error(teacher.load_model(), data.x_test))
            metrics["teacher_correlation"] = float(np.corrcoef(s, t)[0, 1])
            if stage == "train":
                metrics["teacher"] = anomaly_metrics(t, data.test_process, data.process_names, data.test_background,
                                                     data.signals, fpr=fpr)
        AnomalyScores(s, data.test_process, data.test_background, data.process_names, data.signals,
                      f"{recipe.name} {stage} stage, test events", t).save(out / SCORES_FILE)
        groups = {"background": data.test_background,
                  **{n: data.test_process == data.process_names.index(n) for n in data.signals}}
        plot_score_distributions(s, groups, out / "scores.png", title=f"{label}: anomaly score",
                                 threshold=metrics["threshold"])
        if history:
            plot_history(history, out / "history.png")
            atomic_write_json(out / filenames.HISTORY, history)
        save_stage_outputs(out, model, data.x_test, data.test_process, data.process_names, stage=stage)
        return metrics

    def split_sizes(self, data) -> dict[str, int]:
        return {"train": len(data.x_train), "val": len(data.x_val), "test": len(data.x_test)}

    def check_compressible(self, recipe, family) -> None:
        if family.compress_refusal is not None:
            why, fix = family.compress_refusal
            raise InvalidInputError(f"compress: {why}", fix=fix)
        if recipe.compress is not None and recipe.compress.distill is not None:
            raise InvalidInputError(
                f"compress.distill: the anomaly family {family.name!r} has no class probabilities to distill.",
                fix="remove compress.distill (a family with a teacher already regresses the teacher's score: "
                    "anomaly.teacher).")

    def compression_data(self, recipe, family, model, data, teacher):
        from edgenn.compression.anomaly import regression_targets
        from edgenn.training.inputs import PreparedData, Split

        plan, x_train, y_train, y_val = regression_targets(recipe, family, model, data.x_train, data.x_val,
                                                           teacher.load_model() if teacher else None)
        # the passes read inputs and regression targets from PreparedData; the test split carries process codes
        prepared = PreparedData(Split(x_train, y_train), Split(data.x_val, y_val),
                                Split(data.x_test, data.test_process), (), data.standardizer.feature_names,
                                data.standardizer,
                                data.source)
        return plan, prepared

    def compression_summary(self, model, data, recipe, family, metrics: dict | None = None) -> dict:
        from edgenn.compression.anomaly import anomaly_summary, heldout_metrics

        if metrics is None:
            metrics = heldout_metrics(family, model, data, recipe.anomaly.fpr if recipe.anomaly else 1e-5)[1]
        return anomaly_summary(model, metrics)
