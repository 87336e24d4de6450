"""The one training run of a compression pipeline: fine-tune the rewritten model with the planned loss and callbacks.

The model trained is the sub-model ending at the task's trained layer (``task.py``: ``logits`` for classifiers, so
cross-entropy and distillation both work on logits and the full softmax model is what comes out; the score or latent
layer for anomaly families, trained with MSE against regression targets). It shares its layers with the full model. No early stopping:
restoring "best" weights from an earlier epoch would undo pruning steps taken since. Pruning wrappers are stripped at
the end, so the model handed on is a plain Keras/QKeras model. The pruning wrappers are added here, on this pass's
own copy of the model (``prune.wrap_for_pruning``), when the state carries a pruning plan.
"""

from __future__ import annotations

import time

from edgenn.compression.base import CompressionState, Pass, PassRecord, clone_with_weights, register_pass
from edgenn.config.recipe import TrainSpec


@register_pass
class FineTune(Pass):
    """Train the state's model once with its loss plan and callbacks, then strip pruning wrappers."""

    name = "fine_tune"
    params_model = TrainSpec

    def __init__(self, params: TrainSpec, *, progress: bool = True, description: str = "compress") -> None:
        super().__init__(params)
        self.progress = progress
        self.description = description

    def apply(self, state: CompressionState) -> tuple[CompressionState, PassRecord]:
        import tensorflow_model_optimization as tfmot

        from edgenn.compression.distill import distill_targets, distillation_loss
        from edgenn.compression.layers import kernel_sparsity, overall_sparsity
        from edgenn.compression.prune import wrap_for_pruning
        from edgenn.compression.task import task_loss, trainable_model
        from edgenn.training.fit import fit

        t0 = time.perf_counter()
        spec: TrainSpec = self.params
        plan_prune = state.pruning
        model = wrap_for_pruning(state.model, plan_prune) if plan_prune is not None else clone_with_weights(state.model)
        callbacks = [tfmot.sparsity.keras.UpdatePruningStep()] if plan_prune is not None else []
        if state.learned_precision is not None:
            from edgenn.compression.hgq_model import hgq_layers, reset_minmax_callback

            if state.beta_control is not None:  # before ResetMinMax: it traces, then ResetMinMax clears the ranges
                from edgenn.compression.beta_control import beta_control_callback

                callbacks.append(beta_control_callback(state.beta_control, hgq_layers(model), state.data.train.x,
                                                       state.learned_precision.cover_factor))
            callbacks.append(reset_minmax_callback())
        trainable = trainable_model(model, state.task)
        data, plan = state.data, state.loss
        if plan.kind == "distill":
            loss = distillation_loss(plan.alpha, plan.temperature)
            y_train = distill_targets(data.train.y, plan.teacher_logits_train)
            y_val = distill_targets(data.val.y, plan.teacher_logits_val)
        else:
            loss = task_loss(state.task)
            y_train = y_val = None  # data.train.y / data.val.y: labels, or regression targets
        result = fit(trainable, data, spec, extra_callbacks=callbacks,
                     progress=self.progress, description=self.description, loss=loss, y_train=y_train, y_val=y_val)
        details: dict = {"epochs_run": result.epochs_run, "fit_seconds": round(result.seconds, 3),
                         "loss": plan.kind if state.task.kind == "classify" else "mse", "final_loss": result.history.get("loss", [None])[-1],
                         "final_val_loss": result.history.get("val_loss", [None])[-1]}
        if state.beta_control is not None:
            details["beta_control"] = state.beta_control.history
        if plan_prune is not None:
            # measured on the float kernels (the mask), before quantization can add zeros of its own
            details["pruning"] = {"target_sparsity": plan_prune.spec.final_sparsity,
                                  "mask_sparsity": overall_sparsity(model, effective=False),
                                  "mask_sparsity_per_layer": kernel_sparsity(model, effective=False)}
        # strip_pruning re-calls unwrapped layers in a new graph; HGQ layers refuse a second call (their EBOPs follow
        # one input), so a run without pruning hands its model on as it is
        stripped = tfmot.sparsity.keras.strip_pruning(model) if plan_prune is not None else model
        new_state = state.evolve(model=stripped, loss=type(plan)(), pruning=None)
        details["history"] = result.history
        return new_state, self.record(state, new_state, changed=True, started=t0, details=details)
