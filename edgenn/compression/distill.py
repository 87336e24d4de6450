"""Knowledge distillation: train a student against a teacher's softened outputs as well as the labels.

Loss (Hinton et al. 2015), per sample, with student logits ``s``, teacher logits ``t``, temperature ``T``:

    alpha * CE(y, softmax(s)) + (1 - alpha) * T^2 * KL(softmax(t / T) || softmax(s / T))

The teacher's logits are computed once over the training and validation splits (the data are not augmented, so they
would be the same every epoch) and travel to Keras as extra target columns: ``y = [label, t_1 .. t_C]``. The model
being trained is the student's sub-model ending at its ``logits`` layer, which shares its layers with the student; so
the saved student stays a plain Keras/QKeras model with a softmax output and no wrapper class.

Teacher logits come from the layer named ``logits``; a teacher without one gives ``log(p)``, which differs from its
logits only by a per-sample constant, which softmax ignores.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.compression.base import CompressionState, LossPlan, Pass, PassRecord, register_pass
from edgenn.config.recipe import DistillSpec, Recipe
from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.training.inputs import PreparedData, Standardizer
from edgenn.architectures.registry import family_params, standardizer_of

LOGITS_LAYER = "logits"


def distillation_loss(alpha: float, temperature: float):
    """Keras loss on ``y_true = [label, teacher logits...]`` and ``y_pred`` = student logits (per-sample values)."""
    import tensorflow as tf

    def distillation_loss(y_true, y_pred):
        labels = tf.cast(y_true[:, 0], tf.int32)
        teacher = tf.cast(y_true[:, 1:], y_pred.dtype)
        ce = tf.keras.losses.sparse_categorical_crossentropy(labels, y_pred, from_logits=True)
        log_p_teacher = tf.nn.log_softmax(teacher / temperature, axis=-1)
        log_p_student = tf.nn.log_softmax(y_pred / temperature, axis=-1)
        kl = tf.reduce_sum(tf.exp(log_p_teacher) * (log_p_teacher - log_p_student), axis=-1)
        return alpha * ce + (1.0 - alpha) * temperature**2 * kl

    return distillation_loss


def logits_model(model):
    """Sub-model from the inputs to the output of the layer named ``logits`` (pruning wrappers looked through)."""
    import tensorflow as tf

    from edgenn.compression.layers import unwrap

    for layer in model.layers:
        if unwrap(layer).name == LOGITS_LAYER:
            return tf.keras.Model(model.inputs, layer.output, name=f"{model.name}_logits")
    return None


def model_logits(model, x: np.ndarray) -> np.ndarray:
    """Logits of ``model`` on ``x``: the ``logits`` layer's output, else log of the (clipped) probabilities."""
    from edgenn.compression.predict import predict_eager

    sub = logits_model(model)
    if sub is not None:
        return predict_eager(sub, x).astype(np.float32)
    return np.log(np.clip(predict_eager(model, x), 1e-7, 1.0)).astype(np.float32)


def distill_targets(labels: np.ndarray, teacher_logits: np.ndarray) -> np.ndarray:
    return np.concatenate([labels.reshape(-1, 1).astype(np.float32), teacher_logits.astype(np.float32)], axis=1)


@dataclass(frozen=True)
class Teacher:
    """A resolved teacher: where it comes from, its classes and input standardisation, and how to load it."""

    source: str  # "float" or the run directory
    model_path: Path
    class_names: tuple[str, ...]
    standardizer: Standardizer | None
    # Set when the teacher reads another input kind than the student (e.g. constituents vs features): it is then
    # evaluated on its own inputs of the same jets, prepared from this recipe (see compression.teacher_inputs).
    own_inputs_recipe: Recipe | None = None

    def load_model(self):
        from edgenn.modelio import load_model

        return load_model(self.model_path, trust_model=True)  # written by edgenn itself

    def split_inputs(self, data: PreparedData) -> tuple[np.ndarray, np.ndarray]:
        """The teacher's inputs for the student's train and val rows."""
        if self.own_inputs_recipe is not None:
            from edgenn.compression.teacher_inputs import aligned_teacher_inputs

            return aligned_teacher_inputs(self.own_inputs_recipe, data, standardizer=self.standardizer)
        return self.inputs_for(data.train.x, data), self.inputs_for(data.val.x, data)

    def inputs_for(self, x: np.ndarray, data: PreparedData) -> np.ndarray:
        """``x`` (standardised for the student) re-standardised the way the teacher was trained."""
        mine, theirs = data.standardizer, self.standardizer
        if mine is None or theirs is None:
            if (mine is None) != (theirs is None):
                raise InvalidInputError(
                    f"compress.distill.teacher: {self.source} was trained on "
                    f"{'standardised' if theirs is not None else 'raw'} inputs, the student on "
                    f"{'standardised' if mine is not None else 'raw'} ones.",
                    fix="distill from a teacher trained on the same kind of inputs.")
            return x
        if tuple(theirs.feature_names) != tuple(mine.feature_names):
            raise InvalidInputError(
                f"compress.distill.teacher: {self.source} uses features {list(theirs.feature_names)}, the student "
                f"{list(mine.feature_names)}.", fix="distill from a teacher trained on the same features, in order.")
        if np.array_equal(mine.mean, theirs.mean) and np.array_equal(mine.scale, theirs.scale):
            return x
        return theirs.apply(mine.invert(x))  # invert keeps constituent padding at zero


def resolve_teacher(spec: DistillSpec, recipe: Recipe, trained) -> Teacher:
    """Find and check the teacher before any work: it must exist and predict the recipe's classes, in order."""
    from edgenn.artifacts import ModelArtifact, resolve_model_dir

    classes = tuple(recipe.data.classes)
    if spec.teacher == "float":
        return Teacher("float", trained.model_path, tuple(trained.recipe.data.classes), standardizer_of(trained))
    path = Path(spec.teacher)
    try:
        artifact = ModelArtifact.load(resolve_model_dir(path))
    except MissingArtifactError as exc:
        raise MissingArtifactError(
            f"compress.distill.teacher: no trained teacher at {path} ({exc.message})",
            fix=f"train the teacher first with `edgenn train <teacher recipe>` writing to {path}, "
                "or set compress.distill.teacher: float to distil from this run's float model.") from None
    theirs = tuple(artifact.metrics.get("class_names") or artifact.recipe.data.classes)
    if theirs != classes:
        raise InvalidInputError(
            f"compress.distill.teacher: {path} predicts classes {list(theirs)}, this recipe {list(classes)}.",
            fix="distill from a teacher trained on the same data.classes, in the same order.")
    return teacher_from_artifact(artifact, recipe, source=str(path))


def teacher_from_artifact(artifact, student: Recipe, *, source: str | None = None) -> Teacher:
    """A run directory's model as teacher; a teacher on another input kind is checked to split the same jets."""
    from edgenn.architectures.registry import get_family

    own = None
    if get_family(artifact.recipe.model.family).input_kind != get_family(student.model.family).input_kind:
        from edgenn.compression.teacher_inputs import check_aligned

        check_aligned(artifact.recipe, student)
        own = artifact.recipe
    classes = tuple(artifact.metrics.get("class_names") or artifact.recipe.data.classes)
    return Teacher(source or str(artifact.directory), artifact.model_path, classes, standardizer_of(artifact), own)


@register_pass
class DistillFromTeacher(Pass):
    """Replace the fine-tuning loss by the distillation loss against the teacher's logits (the model is unchanged)."""

    name = "distill_from_teacher"
    params_model = DistillSpec

    def __init__(self, params: DistillSpec, *, teacher: Teacher) -> None:
        super().__init__(params)
        self.teacher = teacher

    def apply(self, state: CompressionState) -> tuple[CompressionState, PassRecord]:
        from edgenn.compression.base import validation_metrics

        t0 = time.perf_counter()
        data = state.data
        teacher_model = self.teacher.load_model()
        if tuple(teacher_model.output_shape[1:]) != (len(data.class_names),):
            raise InvalidInputError(f"compress.distill.teacher: {self.teacher.source} outputs shape "
                                    f"{teacher_model.output_shape[1:]}, the student {len(data.class_names)} classes.",
                                    fix="distill from a classifier over the same classes.")
        teacher_train_x, teacher_val_x = self.teacher.split_inputs(data)
        train_logits = model_logits(teacher_model, teacher_train_x)
        val_logits = model_logits(teacher_model, teacher_val_x)
        teacher_val_accuracy = float(np.mean(np.argmax(val_logits, axis=1) == data.val.y))
        plan = LossPlan("distill", self.params.alpha, self.params.temperature, train_logits, val_logits)
        new_state = state.evolve(loss=plan)
        return new_state, self.record(state, new_state, changed=True, started=t0,
                                      metrics_before=validation_metrics(state.model, data),
                                      details={"teacher": self.teacher.source,
                                               "teacher_val_accuracy": teacher_val_accuracy,
                                               "loss": "alpha*CE + (1-alpha)*T^2*KL(teacher_T || student_T)"})


def train_student(recipe: Recipe, data: PreparedData, *, teacher: Any = None, seed: int,
                  progress: bool = False) -> dict:
    """Train ``recipe``'s model from scratch, with distillation from ``teacher`` if given; return test metrics.

    For benchmarks of distillation against plain training (same seed, same data, same epochs):
    ``teacher`` is a Keras model taking ``data``'s inputs, a ``Teacher`` or ``ModelArtifact``, or None for
    cross-entropy only. The student is the recipe's family, quantized if ``recipe.compress.qat`` is set; training
    uses ``recipe.train`` (with its early stopping on the validation loss) and ``recipe.compress.distill`` (or
    ``DistillSpec()`` defaults) for alpha and temperature.

    Returns ``classifier_metrics`` on the test split plus ``seed``, ``distilled`` and ``epochs_run``.
    """
    import tensorflow as tf

    from edgenn.architectures.registry import get_family
    from edgenn.artifacts import ModelArtifact
    from edgenn.seeding import seed_everything
    from edgenn.training.fit import fit, predict
    from edgenn.training.metrics import classifier_metrics

    qat = recipe.compress.qat if recipe.compress else None
    spec = (recipe.compress.distill if recipe.compress and recipe.compress.distill else None) or DistillSpec()
    if isinstance(teacher, ModelArtifact):
        teacher = teacher_from_artifact(teacher, recipe)
    seed_everything(seed)
    family = get_family(recipe.model.family)
    student = family.build(family_params(recipe), data.train.x.shape[1:], len(data.class_names), qat)
    trainable = logits_model(student)
    if trainable is None:
        raise InvalidInputError(f"model family {recipe.model.family!r} has no layer named 'logits' to distil into.",
                                fix="name the pre-softmax layer 'logits' in the family's build function.")
    if teacher is None:
        result = fit(trainable, data, recipe.train, progress=progress, description=f"student seed {seed}",
                     loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    else:
        if isinstance(teacher, Teacher):
            teacher_model = teacher.load_model()
            teacher_train_x, teacher_val_x = teacher.split_inputs(data)
            t_train, t_val = model_logits(teacher_model, teacher_train_x), model_logits(teacher_model, teacher_val_x)
        else:
            t_train, t_val = model_logits(teacher, data.train.x), model_logits(teacher, data.val.x)
        result = fit(trainable, data, recipe.train, progress=progress, description=f"student seed {seed} (KD)",
                     loss=distillation_loss(spec.alpha, spec.temperature),
                     y_train=distill_targets(data.train.y, t_train), y_val=distill_targets(data.val.y, t_val))
    metrics = classifier_metrics(predict(student, data.test.x), data.test.y, data.class_names)
    metrics.update(seed=seed, distilled=teacher is not None, epochs_run=result.epochs_run)
    return metrics
