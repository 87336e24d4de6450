"""Registry of model families.

A family is registered by the ``@register_family`` decorator in its own module. Built-ins are the modules of this
package, imported by one scan of the package directory (a new family is one new module, no list to edit), and
third-party families come from the ``edgenn.architectures`` entry-point group; both load on first lookup, never at
import, and a module that fails to import is an error, not a skipped family. Duplicate names raise; unknown names raise an error listing the known names and
the closest match. Family modules must not import TensorFlow at module level (``edgenn --help`` stays fast).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from edgenn.errors import InvalidInputError
from edgenn.plugins import Registry

InputKind = Literal["features", "constituents", "images", "events", "regions"]  # regions: calorimeter-region images of events
# What the model is trained to do: the name of a registered task (edgenn.task_protocol; "classify", "anomaly").
Task = str
# How an anomaly family is trained: reconstruct its inputs, the VAE objective, or regress its teacher's score.
Objective = Literal["classify", "reconstruct", "vae", "regress_teacher"]


@dataclass(frozen=True)
class Family:
    name: str
    params_model: type[BaseModel]
    input_kind: InputKind
    build: Callable[..., Any]  # (params, input_shape, num_classes, qat: QatSpec | None) -> keras.Model
    quantizable_layers: Callable[[BaseModel], list[str]]
    description: str = ""
    task: Task = "classify"
    # The part of a built model that runs in firmware, when it is not the whole training model (the VAE's encoder +
    # sum(mu^2)): (built model, params) -> model. Compression quantizes the family's build, then takes this part.
    deploy: Callable[[Any, BaseModel], Any] | None = None
    objective: Objective = "classify"
    score: Literal["output", "reconstruction"] = "output"  # the anomaly score: the output, or the masked input MSE
    teacher: str | None = None  # the family this one is distilled from (the recipe's anomaly.teacher run)
    fine_tune_layer: str = "logits"  # compression fine-tunes the sub-model ending here
    compress_refusal: tuple[str, str] | None = None  # (why, fix) when the family has no firmware form to compress


_FAMILIES: Registry[Family] = Registry(__package__, Path(__file__).parent, skip=("registry",),
                                       entry_points="edgenn.architectures",
                                       duplicate="model family {name!r} is registered twice")


def register_family(name: str, *, params_model: type[BaseModel], input_kind: InputKind,
                    quantizable_layers: Callable[[BaseModel], list[str]], description: str = "",
                    task: Task = "classify", deploy: Callable[[Any, BaseModel], Any] | None = None,
                    **behaviour: Any):
    """``behaviour``: the optional ``Family`` fields after ``deploy`` (objective, score, teacher, ...)."""
    def decorator(build: Callable[..., Any]) -> Callable[..., Any]:
        _FAMILIES.add(name, Family(name, params_model, input_kind, build, quantizable_layers, description, task,
                                   deploy, **behaviour))
        return build

    return decorator


def get_family(name: str) -> Family:
    try:
        return _FAMILIES[name]
    except KeyError:
        raise _FAMILIES.unknown(name, "model family", "families") from None


def families() -> dict[str, Family]:
    return dict(_FAMILIES)


def family_params(recipe) -> BaseModel:
    """The recipe's ``model.params`` as its family's params model (checked once by ``tasks.check_recipe``)."""
    return get_family(recipe.model.family).params_model.model_validate(recipe.model.params)


def family_problems(recipe) -> list[str]:
    """What the recipe gets wrong about its model family, one line each: an unknown family, ``model.params`` its
    params model refuses, QAT layer overrides naming no layer of the model, a missing ``anomaly.teacher``.

    The recipe schema (``config``) sits below the families, so these checks run where a recipe enters (API, scan),
    not inside the schema."""
    from pydantic import ValidationError

    from edgenn.config.errors import format_pydantic_errors

    try:
        family = get_family(recipe.model.family)
    except InvalidInputError as exc:
        return [str(exc)]
    try:
        params = family.params_model.model_validate(recipe.model.params)
    except ValidationError as exc:
        return format_pydantic_errors(exc, prefix="model.params")
    problems = []
    if recipe.compress and recipe.compress.qat:
        layer_names = family.quantizable_layers(params)
        unknown = sorted(set(recipe.compress.qat.layers) - set(layer_names))
        if unknown:
            problems.append(f"compress.qat.layers names unknown layer(s) {unknown}; this {recipe.model.family} "
                            f"model has {layer_names}")
    if family.teacher and (recipe.anomaly is None or recipe.anomaly.teacher is None):
        problems.append(f"model.family {recipe.model.family} needs anomaly.teacher: the trained {family.teacher} "
                        "run to distill")
    return problems


def standardizer_of(artifact):
    """The model directory's standardiser (None for a family that reads unstandardised inputs), refusing a constituent
    model trained before constituents were standardised: preparing its data now would fit a fresh standardiser and
    feed the model inputs it was never trained on, so it is refused instead of exported or measured wrong."""
    from edgenn.errors import MissingArtifactError
    from edgenn.filenames import RECIPE, STANDARDIZER

    found = artifact.standardizer()
    if found is None and artifact.recipe.data.kind == "jets" and \
            get_family(artifact.recipe.model.family).input_kind == "constituents":
        raise MissingArtifactError(
            f"{artifact.directory}: no {STANDARDIZER}; this constituent model was trained before constituents were "
            "standardised.", fix=f"retrain it with `edgenn train` on its recipe ({RECIPE} here).")
    return found
