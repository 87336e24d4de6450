"""The pass contract for model compression, and the state passes hand to one another.

A pass is a class with a unique snake_case ``name``, a pydantic ``params`` model, and
``apply(state) -> (new_state, PassRecord)``. It never changes its input: a pass that rewrites the Keras model clones it
and copies its weights first (``clone_with_weights``); a pass that leaves the model alone hands the same object on.
Nobody mutates a model once it is inside a state, so sharing it is safe.

How passes compose (and why)
----------------------------
Pruning, QAT and distillation are not three fine-tunes in a row. Pruned weights would grow back during a later QAT
fine-tune unless the pruning mask stayed active, and three runs would cost three times the epochs on a two-core
machine. Ps and Qs (arXiv 2103.05579) also shows that pruning *during* quantization-aware training beats doing one after
the other. So each compression pass rewrites one part of a training plan carried by ``CompressionState``:

- ``quantize_layers``  (qat.py)      model    -> QKeras model with the same layer names and weights;
- ``prune_weights``    (prune.py)    schedule -> a pruning plan (target, tfmot polynomial schedule in optimizer steps);
- ``distill_from_teacher`` (distill.py) loss  -> distillation loss against precomputed teacher logits;

and one ``fine_tune`` pass (fine_tune.py) then runs the plan once: it wraps the Dense/QDense kernels of (a copy of) the
model for pruning, trains with the planned loss, and strips the wrappers again, so models inside a state are always
plain Keras/QKeras models (tfmot wrappers are slow to clone and exist only for the duration of the run).
``snap_weights_to_grid`` (qat.py) finally stores the quantized values themselves. The records of the rewrite passes
therefore show their immediate effect (for QAT: the accuracy of the quantized model before fine-tuning, i.e.
post-training quantization; for pruning and distillation: the plan, with the model unchanged); the ``fine_tune`` record
shows what the training run did (accuracy, sparsity reached). ``pipeline.py`` orders the passes and checks their
prerequisites.
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel

from edgenn.compression.task import CLASSIFY, TaskPlan
from edgenn.config.recipe import QatSpec, TrainSpec
from edgenn.plugins import Registry
from edgenn.training.inputs import PreparedData


@dataclass(frozen=True)
class PassRecord:
    """What one pass did: whether it changed anything, by how much, and how long it took.

    ``metrics_*`` are validation-split metrics (the test split is kept for the stage's final table);
    ``num_nonzero_*`` count weights whose *effective* value (after the layer's quantizer) is not zero.
    """

    name: str
    changed: bool
    params: dict
    metrics_before: dict
    metrics_after: dict
    num_params_before: int
    num_params_after: int
    num_nonzero_before: int
    num_nonzero_after: int
    seconds: float
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LossPlan:
    """The loss of the fine-tuning run: cross-entropy, or distillation against precomputed teacher logits."""

    kind: Literal["cross_entropy", "distill"] = "cross_entropy"
    alpha: float = 1.0
    temperature: float = 1.0
    teacher_logits_train: Any = None  # np.ndarray (num_train, num_classes) when kind == "distill"
    teacher_logits_val: Any = None


@dataclass(frozen=True)
class CompressionState:
    """A model on its way through the passes, with the plan of the one training run that will fine-tune it."""

    model: Any
    data: PreparedData
    fine_tune: TrainSpec
    qat: QatSpec | None = None
    loss: LossPlan = LossPlan()
    pruning: Any = None  # prune.PruningPlan, applied by the fine_tune run
    task: TaskPlan = CLASSIFY  # classify (logits, cross-entropy) or regress (a score, MSE): see task.py
    learned_precision: Any = None  # LearnedPrecisionSpec while an HGQ model awaits its run (learned_precision.py)
    beta_control: Any = None  # beta_control.BetaController steering that run to compress.target, if one is set

    def evolve(self, **changes) -> CompressionState:
        return replace(self, **changes)


class Pass(ABC):
    """Base class of all compression passes; see the module docstring for the contract."""

    name: ClassVar[str]
    params_model: ClassVar[type[BaseModel]]

    def __init__(self, params: BaseModel) -> None:
        if not isinstance(params, self.params_model):
            raise TypeError(f"{self.name} takes {self.params_model.__name__} params, got {type(params).__name__}")
        self.params = params

    @abstractmethod
    def apply(self, state: CompressionState) -> tuple[CompressionState, PassRecord]: ...

    def record(self, before: CompressionState, after: CompressionState, *, changed: bool, started: float,
               details: dict | None = None, metrics_before: dict | None = None) -> PassRecord:
        """Measure ``before`` and ``after`` and build this pass's record (``started``: ``time.perf_counter()``)."""
        from edgenn.compression.layers import weight_counts

        seconds = time.perf_counter() - started  # the pass's own work, not the measuring below
        n_before, nz_before = weight_counts(before.model)
        n_after, nz_after = weight_counts(after.model)
        m_before = metrics_before if metrics_before is not None else \
            validation_metrics(before.model, before.data, before.task)
        m_after = validation_metrics(after.model, after.data, after.task) if after.model is not before.model \
            else m_before
        return PassRecord(self.name, changed, self.params.model_dump(mode="json"), m_before, m_after,
                          n_before, n_after, nz_before, nz_after, round(seconds, 3), details or {})


def validation_metrics(model, data: PreparedData, task: TaskPlan = CLASSIFY) -> dict:
    from edgenn.compression.task import validation_metrics as task_metrics

    return task_metrics(model, data, task)


def clone_with_weights(model):
    """A new model with the same graph and copies of all weights (QKeras layers and pruning wrappers included)."""
    import tensorflow as tf

    from edgenn.modelio import known_objects

    # Cloning a PruneLowMagnitude wrapper deserialises the wrapped layer by class name, so QKeras classes must be known.
    with tf.keras.utils.custom_object_scope(known_objects()):
        clone = tf.keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


# every pass module registers its passes with @register_pass; the other modules of the package are light too
_PASSES: Registry[type[Pass]] = Registry(__package__, Path(__file__).parent, skip=("base",),
                                         duplicate="compression pass {name!r} is registered twice")
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def register_pass(cls: type[Pass]) -> type[Pass]:
    """Class decorator: add a pass to the registry under its ``name`` (snake_case, unique)."""
    if not _SNAKE.match(getattr(cls, "name", "")):
        raise ValueError(f"pass {cls.__name__} needs a snake_case `name`, got {getattr(cls, 'name', None)!r}")
    _PASSES.add(cls.name, cls)
    return cls


def get_pass(name: str) -> type[Pass]:
    try:
        return _PASSES[name]
    except KeyError:
        raise _PASSES.unknown(name, "compression pass", "passes") from None


def pass_names() -> list[str]:
    return sorted(_PASSES)
