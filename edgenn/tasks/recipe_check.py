"""The recipe checks that need the registered families and tasks, run once where a recipe enters for use.

``config.load`` validates a recipe's schema; it sits below the families and tasks and so cannot ask them whether
``model.params`` fit the family or whether ``data.kind`` is what the family's task reads. ``check_recipe`` does, and
the entry points call it (``api``, the scan's base recipe, variants and trials), so a stage receives a recipe that
passed both. Every problem is reported at once, one line each, like a schema error.
"""

from __future__ import annotations

from edgenn.architectures.registry import family_problems, get_family
from edgenn.config.recipe import Recipe
from edgenn.errors import ConfigError
from edgenn.tasks.registry import task_of


def task_problems(recipe: Recipe) -> list[str]:
    """Whether the recipe's data is what its family's task reads (an unknown family is family_problems' line)."""
    family = get_family(recipe.model.family)
    data_kind = task_of(family).data_kind
    if recipe.data.kind == data_kind:
        return []
    if data_kind == "events":
        return [f"model.family {recipe.model.family!r} detects anomalies in trigger events: set data.kind: events "
                "(and data.path to `edgenn data generate events` output)"]
    return [f"data.kind {recipe.data.kind} needs a family that reads {recipe.data.kind}, not "
            f"{recipe.model.family!r} (which reads {data_kind})"]


def check_recipe(recipe: Recipe, *, source: str = "") -> Recipe:
    """``recipe`` if its family and task accept it; else one ``ConfigError`` with every problem, each prefixed by
    ``source`` (the file or what made the recipe)."""
    problems = family_problems(recipe)
    if not problems:
        problems = task_problems(recipe)
    if problems:
        raise ConfigError([f"{source}: {p}" if source else p for p in problems])
    return recipe
