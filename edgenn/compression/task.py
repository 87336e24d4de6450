"""What "fine-tune" and "measure" mean for the task of a model family: the one place compression dispatches on it.

- ``classify`` (the jet taggers): the fine-tune run trains the sub-model ending at the ``logits`` layer with
  cross-entropy on integer labels (or the distillation loss); a pass is measured by validation accuracy and AUC.
- ``regress`` (the anomaly families, ``Family.task == "anomaly"``): the fine-tune run trains the sub-model ending at
  ``trained_layer`` with mean squared error against the regression targets carried in ``data.train.y`` /
  ``data.val.y`` (ae_student: log of the teacher's reconstruction error; vae: the float model's mu, so the quantized
  encoder keeps the latent space the score sum(mu^2) was calibrated on); a pass is measured by validation MSE and the
  correlation of the trained output with its target. There is no softmax and no label.

Passes read the plan from ``CompressionState.task``; the stage that builds the state chooses it from the family.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from edgenn.errors import InvalidInputError
from edgenn.training.inputs import PreparedData

LOGITS_LAYER = "logits"


@dataclass(frozen=True)
class TaskPlan:
    kind: Literal["classify", "regress"] = "classify"
    trained_layer: str = LOGITS_LAYER  # the fine-tune run trains the sub-model from the inputs to this layer

    def __post_init__(self) -> None:
        if self.kind not in ("classify", "regress"):
            raise ValueError(f"unknown task kind {self.kind!r}")


CLASSIFY = TaskPlan()


def regression_plan(trained_layer: str) -> TaskPlan:
    return TaskPlan("regress", trained_layer)


def trainable_model(model, plan: TaskPlan):
    """Sub-model from the inputs to ``plan.trained_layer`` (pruning wrappers looked through); shares its layers."""
    import tensorflow as tf

    from edgenn.compression.layers import unwrap

    for layer in model.layers:
        if unwrap(layer).name == plan.trained_layer:
            return tf.keras.Model(model.inputs, layer.output, name=f"{model.name}_{plan.trained_layer}")
    what = "the pre-softmax layer" if plan.kind == "classify" else "the regressed output"
    raise InvalidInputError(f"compress: the model has no layer named {plan.trained_layer!r} ({what}), so it cannot "
                            "be fine-tuned.", fix=f"name {what} {plan.trained_layer!r} in the family's build.")


def task_loss(plan: TaskPlan):
    """The fine-tune loss when no distillation replaces it."""
    import tensorflow as tf

    if plan.kind == "classify":
        return tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return tf.keras.losses.MeanSquaredError()


def validation_metrics(model, data: PreparedData, plan: TaskPlan = CLASSIFY) -> dict:
    """Validation-split quality of ``model`` as the task defines it (what each ``PassRecord`` reports)."""
    from edgenn.compression.predict import predict_eager

    if plan.kind == "classify":
        from edgenn.training.metrics import accuracy, per_class_auc

        probs = predict_eager(model, data.val.x)
        auc = per_class_auc(probs, data.val.y, data.class_names)
        finite = [v for v in auc.values() if np.isfinite(v)]
        return {"val_accuracy": accuracy(probs, data.val.y),
                "val_auc_mean": float(np.mean(finite)) if finite else None}
    out = predict_eager(trainable_model(model, plan), data.val.x).reshape(len(data.val.x), -1)
    target = np.asarray(data.val.y, dtype=np.float64).reshape(len(out), -1)
    corr = np.corrcoef(out.ravel(), target.ravel())[0, 1] if out.size > 1 and np.std(out) > 0 else float("nan")
    return {"val_mse": float(np.mean((out - target) ** 2)), "val_correlation": float(corr)}
