"""Magnitude pruning of Dense/QDense and Conv2D/QConv2D kernels with tfmot's ``prune_low_magnitude`` and a
polynomial sparsity schedule.

The pass plans the pruning (schedule in optimizer steps, layers that qualify by ``layers.is_prunable``); the
``fine_tune`` run wraps those layers with ``wrap_for_pruning``, trains with tfmot's ``UpdatePruningStep`` callback and
strips the wrappers afterwards. QKeras'
QDense and QConv2D are tfmot ``PrunableLayer``s whose ``get_prunable_weights`` returns only the kernel, so biases stay
dense for float and quantized layers alike; the wrapper masks the float kernel and the layer quantizes the masked
kernel (zero stays zero).

Reaching the target: tfmot keeps ``round(n * (1 - s))`` weights of an ``n``-weight kernel, so a layer's final sparsity
lies within ``0.5 / n`` of the target (``SPARSITY_TOLERANCE`` documents the per-layer bound). The schedule's last mask
update must fall on ``end_step`` for the polynomial to reach ``final_sparsity``, so ``pruning_steps`` aligns
``end_step`` to ``begin_step + k * frequency`` and keeps it inside the run.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from edgenn.compression.base import CompressionState, Pass, PassRecord, register_pass
from edgenn.config.recipe import PruneSpec
from edgenn.errors import InvalidInputError


def sparsity_tolerance(num_weights: int) -> float:
    """How far tfmot's per-layer rounding may put a layer of ``num_weights`` kernel weights from the target."""
    return 0.5 / num_weights + 1e-9


@dataclass(frozen=True)
class PruningSteps:
    begin_step: int
    end_step: int
    frequency: int
    total_steps: int


def pruning_steps(spec: PruneSpec, *, num_train: int, batch_size: int, epochs: int) -> PruningSteps:
    """Optimizer steps of the polynomial schedule, from the run length and the spec's begin/end fractions."""
    steps_per_epoch = math.ceil(num_train / batch_size)
    total = steps_per_epoch * epochs
    if total < 2:
        raise InvalidInputError(
            f"compress.prune: the fine-tuning run has only {total} optimizer step(s) ({num_train} training rows, "
            f"batch size {batch_size}, {epochs} epoch(s)); pruning needs at least 2.",
            fix="raise compress.epochs or lower train.batch_size.")
    # tfmot counts steps from 1 in the wrapper; keep the last mask update strictly inside the run.
    begin = min(int(spec.begin_fraction * total), total - 2)
    end = max(min(int(round(spec.end_fraction * total)), total - 1), begin + 1)
    frequency = max(1, min(spec.frequency_steps, end - begin))
    end = begin + frequency * ((end - begin) // frequency)
    return PruningSteps(begin, end, frequency, total)


@dataclass(frozen=True)
class PruningPlan:
    """What the ``fine_tune`` run applies: the spec, its schedule in optimizer steps, and the layers to wrap."""

    spec: PruneSpec
    steps: PruningSteps
    layers: tuple[str, ...]


def wrap_for_pruning(model, plan: PruningPlan):
    """A new model whose prunable layers are tfmot-wrapped with ``plan``'s schedule; weights copied, input untouched.

    Only the layers that qualify (``layers.is_prunable``) are wrapped: wrapping the whole model with
    ``prune_low_magnitude(model)`` would also wrap activations and the input quantizer for nothing.
    """
    import tensorflow as tf
    import tensorflow_model_optimization as tfmot

    from edgenn.compression.layers import is_prunable, unwrap
    from edgenn.modelio import known_objects

    spec, steps = plan.spec, plan.steps
    schedule = tfmot.sparsity.keras.PolynomialDecay(
        initial_sparsity=spec.initial_sparsity, final_sparsity=spec.final_sparsity,
        begin_step=steps.begin_step, end_step=steps.end_step, frequency=steps.frequency)

    def rewrite(layer):
        fresh = layer.__class__.from_config(layer.get_config())
        return tfmot.sparsity.keras.prune_low_magnitude(fresh, pruning_schedule=schedule) if is_prunable(layer) else fresh

    with tf.keras.utils.custom_object_scope(known_objects()):
        wrapped = tf.keras.models.clone_model(model, clone_function=rewrite)
    source = {unwrap(layer).name: unwrap(layer) for layer in model.layers}
    for layer in wrapped.layers:
        inner = unwrap(layer)
        if inner.weights:
            inner.set_weights(source[inner.name].get_weights())
    return wrapped


@register_pass
class PruneWeights(Pass):
    """Plan magnitude pruning of every Dense/QDense and Conv2D/QConv2D kernel towards ``final_sparsity`` during the fine-tuning run."""

    name = "prune_weights"
    params_model = PruneSpec

    def apply(self, state: CompressionState) -> tuple[CompressionState, PassRecord]:
        from edgenn.compression.layers import is_prunable, unwrap

        t0 = time.perf_counter()
        spec: PruneSpec = self.params
        layers = tuple(unwrap(layer).name for layer in state.model.layers if is_prunable(layer))
        if not layers:
            raise InvalidInputError("compress.prune: the model has no Dense/QDense or Conv2D/QConv2D layer to prune.",
                                    fix="remove compress.prune for this model family.")
        steps = pruning_steps(spec, num_train=len(state.data.train.y), batch_size=state.fine_tune.batch_size,
                              epochs=state.fine_tune.epochs)
        new_state = state.evolve(pruning=PruningPlan(spec, steps, layers))
        return new_state, self.record(state, new_state, changed=True, started=t0, details={
            "schedule": {"kind": "polynomial_decay", "power": 3, "begin_step": steps.begin_step,
                         "end_step": steps.end_step, "frequency": steps.frequency, "total_steps": steps.total_steps},
            "layers": list(layers)})
