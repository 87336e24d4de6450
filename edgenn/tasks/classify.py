"""Classification (the jet taggers): integer labels, softmax head, cross-entropy, accuracy/AUC/ROC/confusion.

The firmware computes the logits (or their argmax / softmax, ``export.softmax``); compression fine-tunes the sub-model
ending at the family's ``fine_tune_layer`` (``logits``) and judges a pass by validation accuracy and AUC; a student
is distilled from a teacher's class probabilities (``compress.distill``).
"""

from __future__ import annotations

from pathlib import Path

import edgenn.filenames as filenames
from edgenn.task_protocol import Fitted
from edgenn.tasks.registry import register_task


@register_task
class ClassifyTask:
    name = "classify"
    data_kind = "jets"
    firmware_output = "logits"
    has_classes = True

    def load_teacher(self, recipe, family):
        return None  # a classifier's teacher is a compression pass (compress.distill), not a training input

    def prepare(self, recipe, family, *, standardizer=None, split=None):
        from edgenn.training.stage import prepared_data

        return prepared_data(recipe, standardizer=standardizer, split=split)

    def build(self, family, params, data):
        return family.build(params, data.train.x.shape[1:], len(data.class_names), None)

    def fit(self, model, data, recipe, family, *, teacher, seed: int, progress: bool) -> Fitted:
        from edgenn.training.fit import fit

        result = fit(model, data, recipe.train, progress=progress, description=f"train {recipe.name}")
        return Fitted(model, result.history, result.seconds)

    def evaluate(self, model, data, recipe, family, out: Path, *, label: str, teacher, history: dict | None,
                 stage: str) -> dict:
        from edgenn.io import atomic_write_json
        from edgenn.training.fit import predict
        from edgenn.training.layer_outputs import save_stage_outputs
        from edgenn.training.metrics import classifier_metrics
        from edgenn.training.plots import plot_confusion, plot_history, plot_roc, roc_curves

        probs = predict(model, data.test.x)
        metrics = {"task": self.name, **classifier_metrics(probs, data.test.y, data.class_names)}
        plot_roc(roc_curves(probs, data.test.y, data.class_names), out / "roc.png", title=f"{label}: ROC on test split")
        plot_confusion(probs, data.test.y, data.class_names, out / "confusion.png")
        if history:
            plot_history(history, out / "history.png")
            atomic_write_json(out / filenames.HISTORY, history)
        metrics["class_names"] = list(data.class_names)
        save_stage_outputs(out, model, data.test.x, data.test.y, data.class_names, stage=stage, test_scores=probs)
        return metrics

    def split_sizes(self, data) -> dict[str, int]:
        return {"train": len(data.train.y), "val": len(data.val.y), "test": len(data.test.y)}

    def check_compressible(self, recipe, family) -> None:
        return None

    def compression_data(self, recipe, family, model, data, teacher):
        from edgenn.compression.task import TaskPlan

        return TaskPlan("classify", family.fine_tune_layer), data

    def compression_summary(self, model, data, recipe, family, metrics: dict | None = None) -> dict:
        from edgenn.compression.summary import model_summary

        return model_summary(model, data.test, data.class_names)
