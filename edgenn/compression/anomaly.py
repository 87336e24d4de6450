"""The anomaly task's compression pieces (used by ``edgenn.tasks.anomaly``): regression targets and table rows.

The passes are the classifier's (``quantize_layers``, ``prune_weights``, ``fine_tune``, ``snap_weights_to_grid``);
only the training plan differs (``task.py``): the fine-tune run regresses, with MSE, the family's ``fine_tune_layer``
onto

- its teacher's score (``Family.teacher``; the student: log(teacher reconstruction error), the target it was trained
  on, on the same teacher-labelled inputs: real plus noisy copies);
- else the trained model's own output at that layer (the VAE's ``mu``: the firmware model in ``model.h5`` is encoder +
  sum(mu^2), and the family's ``deploy`` makes the quantized build the same firmware model, with a ``mu_quant``
  quantizer and an exact all-ones sum), so the quantized network keeps what its score was calibrated on.
"""

from __future__ import annotations

import numpy as np

from edgenn.compression.task import TaskPlan, regression_plan
from edgenn.config.recipe import Recipe
from edgenn.seeding import stage_seed


def regression_targets(recipe: Recipe, family, model, x_train: np.ndarray, x_val: np.ndarray, teacher=None
                       ) -> tuple[TaskPlan, np.ndarray, np.ndarray, np.ndarray]:
    """The fine-tune plan, training inputs and train/val targets for ``recipe``'s family (see the module docstring).

    The student (``teacher``: the loaded teacher model) fine-tunes on the same teacher-labelled inputs it was
    trained on (real plus noisy copies)."""
    from edgenn.compression.predict import predict_eager
    from edgenn.compression.task import trainable_model
    from edgenn.training.anomaly import distillation_inputs, reconstruction_error, student_target

    plan = regression_plan(family.fine_tune_layer)
    if teacher is not None:
        x_train = distillation_inputs(x_train, recipe.anomaly.student_augment, stage_seed(recipe.seed, "augment"))
        return (plan, x_train, student_target(reconstruction_error(teacher, x_train)),
                student_target(reconstruction_error(teacher, x_val)))
    mu = trainable_model(model, plan)
    return plan, x_train, predict_eager(mu, x_train).astype(np.float32), predict_eager(mu, x_val).astype(np.float32)


def heldout_metrics(family, model, data, fpr: float) -> tuple[np.ndarray, dict]:
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
