"""The train stage: recipe -> trained float model in ``<out>/`` with metrics, plots and a manifest.

One stage for every task: what differs between tagging jets and scoring trigger events (data, loss, metrics, scores,
teacher) is asked of the family's task (``edgenn.task_protocol``). Writes (atomically, ``manifest.json`` last)
the task's plots and score files, ``outputs.npz`` (per-layer outputs and test scores for the report:
``records.stage_outputs``) and ``history.json``, then the model directory itself through ``ModelArtifact.save`` (model,
standardiser, split, recipe, ``metrics.json``, ``manifest.json``).
"""

from __future__ import annotations

import time
from pathlib import Path

from edgenn.artifacts import ModelArtifact, ModelFiles
from edgenn.config.recipe import Recipe
from edgenn.io import atomic_dir
from edgenn.seeding import stage_seed
from edgenn.task_protocol import Task
from edgenn.training.inputs import PreparedData


def prepared_data(recipe: Recipe, *, standardizer=None, split=None) -> PreparedData:
    """The recipe's jets, split and standardised as the train stage did (classifier families)."""
    from edgenn.architectures.registry import get_family
    from edgenn.training.inputs import prepare

    family = get_family(recipe.model.family)
    return prepare(recipe.data, family.input_kind, stage_seed(recipe.seed, "split"), standardizer=standardizer,
                   split=split)


def run_training(recipe: Recipe, out_dir: Path, *, task: Task, progress: bool = True) -> ModelArtifact:
    """``task``: the family's task (``edgenn.tasks.registry.task_of``), looked up by the caller above the stages."""
    from edgenn.architectures.registry import family_params, get_family
    from edgenn.seeding import seed_everything

    t0 = time.perf_counter()
    family = get_family(recipe.model.family)
    teacher = task.load_teacher(recipe, family)
    # a distilled family reads its inputs as its teacher saw them
    data = task.prepare(recipe, family, standardizer=teacher.standardizer() if teacher else None)
    seed = stage_seed(recipe.seed, "train")
    seed_everything(seed)
    model = task.build(family, family_params(recipe), data)
    with atomic_dir(out_dir) as staging:
        fitted = task.fit(model, data, recipe, family, teacher=teacher, seed=seed, progress=progress)
        metrics = task.evaluate(fitted.model, data, recipe, family, staging, label=recipe.name, teacher=teacher,
                                history=fitted.history, stage="train")
        metrics.update(num_params=int(fitted.model.count_params()),
                       epochs_run=len(next(iter(fitted.history.values()), [])), split_sizes=task.split_sizes(data))
        inputs = {"dataset": str(data.source)}
        if teacher is not None:
            inputs["teacher"] = str(teacher.directory)
        seeds = {"root": recipe.seed, "train": seed, "split": stage_seed(recipe.seed, "split")}
        files = ModelFiles(fitted.model, data.standardizer, data.split, fitted.training_model)
        artifact = ModelArtifact(Path(out_dir), "train", recipe, metrics).save(
            staging, files, inputs=inputs, seeds=seeds,
            timings_s={"fit": fitted.seconds, "total": time.perf_counter() - t0})
    return artifact
