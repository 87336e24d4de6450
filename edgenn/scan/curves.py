"""Data efficiency: how each family's test accuracy grows with the number of training jets, with K-fold error bars.

Contract of ``run_train_size_curves(recipes, settings, out)``:

- The recipes must read the same jets with the same classes, fractions and seed, so they share one split: the one
  their train stage draws (``training.stage.prepared_data``), saved as ``<out>/splits.npz``. Its test rows are the
  test split of every cell, for every size, fold and family.
- For each size and fold, a stratified training subset is taken from the split's training rows and a validation
  subset (the recipe's validation-to-training proportion, at least ``min_val_jets``) from its validation rows, by
  ``scan.subsets`` with a generator from the first recipe's seed: disjoint across folds where the split holds K
  times the size, otherwise overlapping as little as it allows (the table says how much). Every family gets the same
  subsets.
- One cell per family x size x fold (``scan.curve_cell``): float training to early stopping, test-split figures,
  written atomically to ``<out>/curve_cells/<name>/`` when it ends. Re-running resumes: a cell whose key (recipe, split,
  size, fold, K, training settings) matches is reused, one made under another key is refused.
- After every cell, ``curves.json`` (``records.curves.LearningCurves``), ``curves.md`` and ``curves.png`` are rewritten
  from the cells, so an interrupted run still leaves a readable, labelled-incomplete summary.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import edgenn.filenames as filenames
from edgenn.config.train_sizes import TrainSizeCurves
from edgenn.config.recipe import Recipe
from edgenn.errors import InvalidInputError
from edgenn.records.curves import CurveCell, CurvePoint, LearningCurves
from edgenn.scan.curve_cell import CurveJob
from edgenn.scan.subsets import FoldSubsets, fold_subsets, permuted_by_class

PAIRED_FIELDS = ("path", "format", "classes", "val_fraction", "test_fraction")


@dataclass(frozen=True)
class CurveResult:
    directory: Path
    curves: LearningCurves
    trained: int  # cells trained by this call
    reused: int  # cells found finished
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0


def check_recipes(recipes: list[Recipe]) -> None:
    from edgenn.architectures.registry import get_family
    from edgenn.tasks.registry import task_of

    names = [r.name for r in recipes]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InvalidInputError(f"recipes named {', '.join(dup)} more than once: each name is one curve.",
                                fix="give each recipe its own name.")
    for r in recipes:
        if not task_of(get_family(r.model.family)).has_classes:
            raise InvalidInputError(f"{r.name}: family {r.model.family!r} is not a classifier; training-set-size "
                                    "curves measure accuracy.", fix="compare classifier recipes (e.g. models/jet_mlp.yml).")
    first = recipes[0]
    for r in recipes[1:]:
        diff = [f"data.{f}" for f in PAIRED_FIELDS if getattr(r.data, f) != getattr(first.data, f)]
        diff += ["seed"] if r.seed != first.seed else []
        if diff:
            raise InvalidInputError(f"{r.name} and {first.name} draw different test jets ({', '.join(diff)} differ).",
                                    fix="give the recipes the same seed and data settings (or --data for all).")


def _val_size(settings: TrainSizeCurves, size: int, n_train: int, n_val: int) -> int:
    return min(n_val, max(settings.min_val_jets, math.ceil(size * n_val / n_train)))


def _digest(a: np.ndarray) -> str:
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(a, dtype=np.int64).tobytes()).hexdigest()[:16]


def _patience(recipe: Recipe, settings: TrainSizeCurves) -> int:
    if settings.patience is not None:
        return settings.patience
    return recipe.train.early_stopping.patience if recipe.train.early_stopping else 5


def _cell_path(out: Path, name: str, size: int, fold: int, folds: int) -> Path:
    return out / filenames.CURVE_CELLS / name / f"n{size}_fold{fold + 1}of{folds}.json"


def plan(recipes: list[Recipe], settings: TrainSizeCurves, split, train_y, val_y):
    """Every cell's job and the subsets of every size: ``(jobs, {size: (train FoldSubsets, val FoldSubsets)})``."""
    from edgenn.manifest import content_hash
    from edgenn.seeding import rng

    gen = rng(recipes[0].seed, "train-size-curve")
    order_train = permuted_by_class(np.asarray(split.train), np.asarray(train_y), gen)
    order_val = permuted_by_class(np.asarray(split.val), np.asarray(val_y), gen)
    n_train, n_val, k = len(split.train), len(split.val), settings.folds
    subsets: dict[int, tuple[FoldSubsets, FoldSubsets]] = {}
    for size in settings.train_sizes:
        subsets[size] = (fold_subsets(order_train, size, k),
                         fold_subsets(order_val, _val_size(settings, size, n_train, n_val), k,
                                      what="validation split"))
    jobs = []
    # small sizes first, every family at each: an interrupted run still has comparable points
    for size, (tr, va) in subsets.items():
        for fold in range(k):
            for r in recipes:
                recipe_json = r.model_dump(mode="json")
                identity = {"recipe": recipe_json, "labels_hash": split.labels_hash, "split_seed": split.seed,
                            "test": _digest(split.test), "train": _digest(tr.rows[fold]), "val": _digest(va.rows[fold]),
                            "size": size, "fold": fold, "folds": k, "max_epochs": settings.max_epochs,
                            "patience": _patience(r, settings)}
                jobs.append(CurveJob(content_hash(identity), recipe_json, size, fold, k, tr.rows[fold], va.rows[fold],
                                     np.asarray(split.test), split.num_rows, split.labels_hash, split.seed,
                                     settings.max_epochs, _patience(r, settings)))
    return jobs, subsets


def _cached(out: Path, job: CurveJob) -> CurveCell | None:
    path = _cell_path(out, job.recipe["name"], job.train_size, job.fold, job.folds)
    if not path.is_file():
        return None
    cell = CurveCell.load(path)
    if cell.key != job.key:
        raise InvalidInputError(f"{path}: this cell was trained with other settings (recipe, dataset, split, K or "
                                "training settings differ), so its result does not belong to this curve.",
                                fix=f"use another --out, or delete {path.parent} to re-train that family.")
    return cell


def summary(recipes: list[Recipe], settings: TrainSizeCurves, split, subsets, cells: dict[str, CurveCell],
            jobs: list[CurveJob]) -> LearningCurves:
    points = []
    for r in recipes:
        for size, (tr, _) in subsets.items():
            done = [cells[j.key].result for j in jobs if j.recipe["name"] == r.name and j.train_size == size
                    and j.key in cells]
            points.append(CurvePoint(r.name, size, tuple(sorted(done, key=lambda f: f.fold)), tr.max_shared))
    patience = sorted({_patience(r, settings) for r in recipes})
    return LearningCurves({r.name: r.model.family for r in recipes}, settings.train_sizes, settings.folds,
                          settings.metric, str(recipes[0].data.path), split.seed, split.sizes(),
                          {"max_epochs": settings.max_epochs, "patience": patience[0] if len(patience) == 1
                           else patience, "min_val_jets": settings.min_val_jets},
                          tuple(points), sum(j.key not in cells for j in jobs))


def write_summary(out: Path, curves: LearningCurves) -> dict[str, Path]:
    from edgenn.io import atomic_write_text
    from edgenn.reporting.curve_tables import markdown, plot

    curves.save(out)
    atomic_write_text(out / filenames.CURVES_MD, markdown(curves))
    plot(curves, out / filenames.CURVES_PNG)
    return {"summary": out / filenames.CURVES, "table": out / filenames.CURVES_MD, "plot": out / filenames.CURVES_PNG}


def _run(pending: list[CurveJob], workers: int, on_done) -> None:
    from edgenn.scan.curve_cell import init_worker, train_cell
    from edgenn.scan.executors import threads_per_worker

    if workers == 1:  # this process, with its own TensorFlow threads
        for job in pending:
            on_done(train_cell(job))
        return
    import logging
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=init_worker,
                             initargs=(threads_per_worker(workers), logging.getLogger("tensorflow").getEffectiveLevel())
                             ) as pool:
        futures = [pool.submit(train_cell, job) for job in pending]
        try:
            for fut in as_completed(futures):
                on_done(fut.result())
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def run_train_size_curves(recipes: list[Recipe], settings: TrainSizeCurves, out: Path, *, workers: int = 1,
                          progress: bool = True) -> CurveResult:
    from edgenn.io import output_lock
    from edgenn.manifest import write_manifest
    from edgenn.training.stage import prepared_data

    t0 = time.perf_counter()
    check_recipes(recipes)
    cls = settings.metric.removeprefix("auc.")
    if settings.metric.startswith("auc.") and cls not in recipes[0].data.classes:
        raise InvalidInputError(f"--metric {settings.metric}: the recipes have no class {cls!r}.",
                                fix=f"use accuracy, mean_auc or auc.<one of {', '.join(recipes[0].data.classes)}>.")
    out = Path(out)
    with output_lock(out):
        # no manifest while cells are being added: the directory is complete again only when this call finishes
        (out / filenames.MANIFEST).unlink(missing_ok=True)
        base = prepared_data(recipes[0])  # draws the split exactly as the recipe's train stage does
        split = base.split
        split.save(out / filenames.SPLITS)
        jobs, subsets = plan(recipes, settings, split, base.train.y, base.val.y)
        del base
        cells = {j.key: c for j in jobs if (c := _cached(out, j)) is not None}
        pending = [j for j in jobs if j.key not in cells]
        reused = len(cells)
        bar = _progress(progress, len(jobs), reused)
        files: dict[str, Path] = {}

        def on_done(cell: CurveCell) -> None:
            job = next(j for j in pending if j.key == cell.key)
            cell.save_to(_cell_path(out, cell.family, cell.train_size, job.fold, job.folds))
            cells[cell.key] = cell
            files.update(write_summary(out, summary(recipes, settings, split, subsets, cells, jobs)))
            bar.advance(f"{cell.family} n={cell.train_size:,} fold {job.fold + 1}: "
                        f"{cell.result.value(settings.metric):.4f}")

        try:
            _run(pending, max(1, workers), on_done)
        finally:
            bar.close()
        curves = summary(recipes, settings, split, subsets, cells, jobs)
        files.update(write_summary(out, curves))
        write_manifest(out, stage="compare-train-sizes", inputs={"dataset": str(recipes[0].data.path)},
                       seeds={"root": recipes[0].seed, "split": split.seed},
                       extra={"recipes": {r.name: r.model_dump(mode="json") for r in recipes},
                              "settings": settings.model_dump(mode="json"), "cells": len(jobs)},
                       timings_s={"total": time.perf_counter() - t0})
    return CurveResult(out, curves, len(pending), reused, files, time.perf_counter() - t0)


class _Bar:
    def __init__(self, progress, task) -> None:
        self._progress, self._task = progress, task

    def advance(self, status: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, status=status)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _progress(enabled: bool, total: int, done: int) -> _Bar:
    if not enabled:
        return _Bar(None, None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # stderr, like every edgenn progress display: stdout carries results (and the --json document)
    bar = Progress(TextColumn("curve cells"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[status]}"),
                   TimeElapsedColumn(), console=Console(stderr=True))
    bar.start()
    return _Bar(bar, bar.add_task("cells", total=total, completed=done, status=f"{done} reused" if done else ""))
