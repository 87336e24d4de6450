"""One cell of a training-set-size curve: train a recipe's float model on one training subset, score the test split.

The cell gets its rows as a split record (training subset, validation subset, the split's whole test part), so its
data is prepared exactly as the train stage prepares a run's, with the standardiser fitted on the subset's own
training jets: a model trained on 1,000 jets never sees statistics of the other training jets. Training runs to early
stopping under ``max_epochs``; the initial weights depend on the recipe seed and the fold, not on the size, so along
one fold the curve moves by the added jets. Runs in this process or in a spawned worker (``init_worker``).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

import numpy as np

from edgenn.records.curves import CurveCell, FoldResult


@dataclass(frozen=True, eq=False)
class CurveJob:
    key: str
    recipe: dict  # Recipe.model_dump(mode="json"): plain data crosses process boundaries
    train_size: int
    fold: int
    folds: int
    train_rows: np.ndarray
    val_rows: np.ndarray
    test_rows: np.ndarray
    num_rows: int
    labels_hash: str
    split_seed: int
    max_epochs: int
    patience: int


def init_worker(threads: int, library_log_level: int = logging.ERROR) -> None:
    """Spawned worker set-up: the thread count is fixed per worker (it decides the float summation order), and
    TensorFlow logs at the parent's level (a spawned process does not inherit the CLI's quiet setting)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("tensorflow").setLevel(library_log_level)
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # TF already initialised in this process: keep its setting
        pass


def fold_seed(root_seed: int, fold: int) -> int:
    from edgenn.seeding import stage_seed

    return stage_seed(root_seed, f"train-size-curve/fold{fold}")


def train_cell(job: CurveJob) -> CurveCell:
    import tensorflow as tf

    from edgenn.architectures.registry import family_params, get_family
    from edgenn.config.recipe import EarlyStopping, Recipe
    from edgenn.seeding import seed_everything
    from edgenn.splits import SplitRecord
    from edgenn.training.fit import fit, predict
    from edgenn.training.metrics import classifier_metrics
    from edgenn.training.stage import prepared_data

    t0 = time.perf_counter()
    recipe = Recipe.model_validate(job.recipe)  # checked once by the driver; this only rebuilds the object
    split = SplitRecord(np.asarray(job.train_rows), np.asarray(job.val_rows), np.asarray(job.test_rows),
                        job.num_rows, job.labels_hash, job.split_seed)
    data = prepared_data(recipe, split=split)
    tf.keras.backend.clear_session()  # a worker trains many cells: drop the previous graphs
    seed_everything(fold_seed(recipe.seed, job.fold))
    family = get_family(recipe.model.family)
    model = family.build(family_params(recipe), data.train.x.shape[1:], len(data.class_names), None)
    min_delta = recipe.train.early_stopping.min_delta if recipe.train.early_stopping else 0.0
    spec = recipe.train.model_copy(update={"epochs": job.max_epochs,
                                           "early_stopping": EarlyStopping(patience=job.patience, min_delta=min_delta)})
    fitted = fit(model, data, spec, progress=False, description=f"{recipe.name} n={job.train_size}")
    metrics = classifier_metrics(predict(model, data.test.x), data.test.y, data.class_names)
    result = FoldResult(job.fold, len(data.train.y), len(data.val.y), float(metrics["accuracy"]),
                        {k: float(v) for k, v in metrics["auc"].items()}, fitted.epochs_run,
                        fitted.epochs_run < job.max_epochs, time.perf_counter() - t0)
    return CurveCell(job.key, recipe.name, job.train_size, job.folds, result)
