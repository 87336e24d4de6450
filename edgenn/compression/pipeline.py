"""From a recipe's ``compress`` section to an ordered list of passes, checked before anything runs.

Order: ``quantize_layers`` (or ``learned_precision``) -> ``prune_weights`` -> ``distill_from_teacher`` -> ``fine_tune``
-> ``snap_weights_to_grid`` (or ``fix_learned_precision``: trace HGQ's ranges, hand on its proxy model).
QAT comes first because it rebuilds the model from the family (a later rebuild would drop pruning wrappers); pruning
then wraps the QDense kernels, so the masks are learned through the quantizers (quantization-aware pruning, arXiv
2103.05579); distillation only swaps the loss; one ``fine_tune`` run trains the composed plan (see ``base.py`` for why
one run rather than one per pass); snapping to the grid comes last, after the weights stopped moving.

``build_passes`` checks every prerequisite first (the trained model matches the recipe, QAT has quantizable layers,
the teacher exists and predicts the same classes) and raises before any model or dataset is loaded.
"""

from __future__ import annotations

from edgenn.compression.base import CompressionState, Pass, PassRecord
from edgenn.config.recipe import Recipe, TrainSpec
from edgenn.errors import InvalidInputError
from edgenn.architectures.registry import family_params


def fine_tune_spec(recipe: Recipe) -> TrainSpec:
    """The fine-tuning run: compress.epochs and compress.learning_rate, the training batch size, no early stopping."""
    return TrainSpec(epochs=recipe.compress.epochs, batch_size=recipe.train.batch_size,
                     learning_rate=recipe.compress.learning_rate, early_stopping=None)


def check_compatible(recipe: Recipe, trained) -> None:
    """The trained model must come from the same model and data settings as the recipe compressing it."""
    problems = []
    mine, theirs = recipe, trained.recipe
    pairs = [("model.family", mine.model.family, theirs.model.family),
             ("model.params", family_params(mine), family_params(theirs))]
    # every data setting that shapes the inputs, labels or split; where the files live may differ
    located = {"path", "format", "generate"}
    mine_data, their_data = mine.data.model_dump(exclude=located), theirs.data.model_dump(exclude=located)
    pairs += [(f"data.{key}", mine_data[key], their_data.get(key)) for key in mine_data]
    for field, a, b in pairs:
        if a != b:
            problems.append(f"{field}: recipe has {a!r}, the trained model in {trained.directory} has {b!r}")
    if problems:
        raise InvalidInputError("recipe does not match the trained model: " + "; ".join(problems) + ".",
                                fix="compress with the recipe the model was trained with (plus its compress section), "
                                    "or retrain.")


def build_passes(recipe: Recipe, trained, *, progress: bool = True) -> list[Pass]:
    """The ordered passes for ``recipe.compress``; raises (naming the field and the fix) before any work is done."""
    from edgenn.architectures.registry import get_family
    from edgenn.compression.distill import DistillFromTeacher, resolve_teacher
    from edgenn.compression.fine_tune import FineTune
    from edgenn.compression.prune import PruneWeights
    from edgenn.compression.qat import QuantizeLayers, SnapWeightsToGrid, SnapParams, check_quantizable

    spec = recipe.compress
    if spec is None:
        raise InvalidInputError(f"recipe {recipe.name!r} has no compress section, so there is nothing to compress.",
                                fix="add compress: with at least one of prune, qat, distill (see models/jet_mlp.yml).")
    check_compatible(recipe, trained)
    family = get_family(recipe.model.family)
    params = family_params(recipe)
    passes: list[Pass] = []
    if spec.learned_precision is not None:
        from edgenn.compression.learned_precision import LearnedPrecision, check_learned_precision

        check_learned_precision(family.name, spec)
        passes.append(LearnedPrecision(spec.learned_precision, family_params=params, target=spec.target,
                                       epochs=spec.epochs, family_name=family.name))
    if spec.qat is not None:
        check_quantizable(family, params)
        passes.append(QuantizeLayers(spec.qat, family=family, family_params=params))
    if spec.prune is not None:
        passes.append(PruneWeights(spec.prune))
    if spec.distill is not None:
        if family.objective != "classify":
            raise InvalidInputError(f"compress.distill: the {family.task} family {family.name!r} has no class "
                                    "probabilities to distill.", fix="remove compress.distill.")
        passes.append(DistillFromTeacher(spec.distill, teacher=resolve_teacher(spec.distill, recipe, trained)))
    passes.append(FineTune(fine_tune_spec(recipe), progress=progress, description=f"compress {recipe.name}"))
    if spec.qat is not None:
        passes.append(SnapWeightsToGrid(SnapParams()))
    if spec.learned_precision is not None:
        from edgenn.compression.learned_precision import FixLearnedPrecision, FixParams

        lp = spec.learned_precision
        passes.append(FixLearnedPrecision(FixParams(cover_factor=lp.cover_factor, overflow=lp.overflow,
                                                      target=spec.target)))
    return passes


def run_passes(state: CompressionState, passes: list[Pass]) -> tuple[CompressionState, list[PassRecord]]:
    records = []
    for p in passes:
        state, record = p.apply(state)
        records.append(record)
    return state, records
