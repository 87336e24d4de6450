"""The Optuna study of a scan: created in ``<out>/study.db`` (SQLite) or resumed from it.

A study remembers the recipe, space and budget it was made for (content hashes in its user attributes); resuming it
with different files is refused, because old and new trials would not be comparable. Trials a killed scan left in
state RUNNING are marked FAIL (with no ``error`` attribute, which is how they are recognised as interrupted) and
their parameters are enqueued, so the resumed scan runs them first.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from edgenn.config.budget import Budget
from edgenn.config.recipe import Recipe
from edgenn.config.scan import ScanSpace
from edgenn.errors import InvalidInputError
from edgenn.scan.objectives import directions

STUDY_FILE = "study.db"
STUDY_NAME = "edgenn-scan"


def storage_url(out_dir: Path) -> str:
    return f"sqlite:///{(Path(out_dir) / STUDY_FILE).resolve()}"


def _constraints(trial: Any) -> list[float]:
    return list(trial.user_attrs.get("constraints", ()))


def make_sampler(space: ScanSpace, with_constraints: bool):
    import optuna

    s = space.sampler
    constraints = _constraints if with_constraints else None
    if s.kind == "gp":
        from edgenn.scan.gp_sampler import SklearnGPSampler

        return SklearnGPSampler(seed=s.seed, startup_trials=s.startup_trials, constraints_func=constraints)
    if s.kind == "nsga2":
        return optuna.samplers.NSGAIISampler(population_size=s.population_size, seed=s.seed,
                                             constraints_func=constraints)
    with warnings.catch_warnings():  # multivariate/constraints are flagged experimental by Optuna
        warnings.simplefilter("ignore")
        return optuna.samplers.TPESampler(seed=s.seed, n_startup_trials=s.startup_trials, multivariate=True,
                                          constraints_func=constraints)


def identity(recipe: Recipe, space: ScanSpace, budget: Budget | None) -> dict[str, str]:
    from edgenn.manifest import content_hash

    return {"recipe_hash": content_hash(recipe.model_dump(mode="json")),
            "space_hash": content_hash(space.model_dump(mode="json")),
            "budget_hash": content_hash(budget.model_dump(mode="json")) if budget else "none"}


def open_study(out_dir: Path, recipe: Recipe, space: ScanSpace, budget: Budget | None):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    existed = (Path(out_dir) / STUDY_FILE).is_file()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.create_study(storage=storage_url(out_dir), study_name=STUDY_NAME, load_if_exists=True,
                                    directions=directions(space), sampler=make_sampler(space, budget is not None))
    ident = identity(recipe, space, budget)
    if existed and study.user_attrs:
        changed = [k.removesuffix("_hash") for k, v in ident.items() if study.user_attrs.get(k) != v]
        if changed:
            raise InvalidInputError(
                f"{out_dir}: holds a scan made with a different {', '.join(changed)}; its trials would not compare "
                "with new ones.", fix="use the same files to resume it, or choose another --out.")
    else:
        for k, v in ident.items():
            study.set_user_attr(k, v)
        study.set_user_attr("objectives", list(space.objectives))
    return study


def recover_interrupted(study) -> int:
    """FAIL every RUNNING trial (its process is gone: the scan holds the output lock) and re-enqueue its params."""
    from optuna.trial import TrialState

    stale = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    for t in stale:
        study.tell(t.number, state=TrialState.FAIL)
        study.enqueue_trial(dict(t.params), skip_if_exists=False)
    return len(stale)


def is_finished(trial) -> bool:
    """Counts towards ``--trials``: complete, pruned, or failed with an error (interrupted ones are re-run)."""
    from optuna.trial import TrialState

    return trial.state in (TrialState.COMPLETE, TrialState.PRUNED) or \
        (trial.state == TrialState.FAIL and "error" in trial.user_attrs)


def count_finished(study) -> int:
    return sum(is_finished(t) for t in study.get_trials(deepcopy=False))
