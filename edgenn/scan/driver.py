"""The scan driver: ask the study for trials, run them on an executor, tell the results, write the tables.

Contract of ``run_scan``: after it returns, ``<out>/study.db`` holds at least ``trials`` finished trials (complete,
pruned before training, or failed with an error) and ``trials.csv``, ``pareto.csv``, ``pareto.png``, ``scan.json``
describe them. Re-running with the same files resumes: finished trials are kept, interrupted ones re-run first, and
a larger ``trials`` adds trials to the same study.

Trials run in batches of ``workers``: the driver asks for a whole batch, in trial-number order, before any of it runs,
and tells the results once the batch is done. So every suggestion depends only on the sampler seed and on the
results of earlier batches, never on which worker finished first: with a fixed seed the local and the Ray path give
the same trials, hence the same Pareto front (for the same worker count, which fixes the TF threads per trial). The
price is that a batch waits for its slowest trial; docs/scan_benchmarks.md measures it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import edgenn.filenames as filenames
from edgenn.config.budget import Budget
from edgenn.config.recipe import Recipe
from edgenn.config.scan import ScanSpace
from edgenn.errors import EdgennError
from edgenn.io import atomic_write_json, output_lock, read_json
from edgenn.records.scan import ScanSummary
from edgenn.scan.objectives import ConstraintCheck, check_budget, objective_values
from edgenn.scan.space import check_space, suggest, variant
from edgenn.scan.study import STUDY_FILE, count_finished, open_study, recover_interrupted
from edgenn.scan.tables import (PARETO_CSV, PARETO_PNG, TRIALS_CSV, TRIALS_PARQUET, pareto_markdown, pareto_rows,
                                plot_pareto, trial_rows, write_csv, write_parquet)
from edgenn.scan.trial import TrialJob

EXPORTS_FILE = "exports.json"
SUMMARY_FILE = filenames.SCAN_SUMMARY


@dataclass(frozen=True)
class ScanResult:
    directory: Path
    num_trials: int
    num_complete: int
    pareto: tuple[dict[str, Any], ...]
    objectives: tuple[str, ...]
    unchecked_budget_lines: tuple[str, ...] = ()
    exported: tuple[Path, ...] = ()
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0


def _prior_check(recipe: Recipe, space: ScanSpace, budget: Budget | None) -> tuple[dict, ConstraintCheck | None]:
    """Pre-training estimate and its check against the budget loosened by ``pretrain_slack``."""
    from edgenn.estimates import estimate
    from edgenn.scan.estimate import figures_of, prior_design

    design = prior_design(recipe)
    if design is None:
        return {}, None
    figures = figures_of(estimate(design))
    return figures, (check_budget(figures, budget, slack=space.pretrain_slack) if budget else None)


def _tell(study, trial, result: dict[str, Any], space: ScanSpace, budget: Budget | None, prior: dict) -> None:
    from optuna.trial import TrialState

    trial.set_user_attr("prior_figures", prior)
    if "error" in result:
        trial.set_user_attr("error", result["error"])
        study.tell(trial, state=TrialState.FAIL)
        return
    figures = result["figures"]
    check = check_budget(figures, budget)
    for key in ("figures", "seconds", "run_dir", "bit_exact_expected"):
        trial.set_user_attr(key, result[key])
    trial.set_user_attr("constraints", list(check.values))
    trial.set_user_attr("feasible", check.feasible)
    trial.set_user_attr("violated", check.violated())
    study.tell(trial, objective_values(figures, space))


def _ask_batch(study, recipe: Recipe, space: ScanSpace, budget: Budget | None, size: int, out_dir: Path,
               constraint_names: list[str] | None):
    """Up to ``size`` trials to run; trials whose pre-training estimate breaks the budget are told PRUNED here."""
    from optuna.trial import TrialState

    batch, pruned = [], 0
    while len(batch) + pruned < size:
        trial = study.ask()
        params = suggest(trial, space, recipe)
        v = variant(recipe, params, space, name=f"{recipe.name}_t{trial.number:04d}")
        prior, check = _prior_check(v, space, budget)
        if check is not None and not check.feasible:
            trial.set_user_attr("prior_figures", prior)
            trial.set_user_attr("pruned_reason", "pre-training estimate breaks the budget by more than "
                                f"{space.pretrain_slack:g}x: {', '.join(check.violated())}")
            trial.set_user_attr("feasible", False)
            trial.set_user_attr("violated", check.violated())
            # samplers read constraints of pruned trials too; same length as a complete trial's, all violated
            n = len(constraint_names) if constraint_names else len(check.values)
            trial.set_user_attr("constraints", [1.0] * max(1, n))
            study.tell(trial, state=TrialState.PRUNED)
            pruned += 1
            continue
        job = TrialJob(key=str(trial.number), recipe=v.model_dump(mode="json"),
                       trial_dir=str((out_dir / "trials" / f"{trial.number:04d}").resolve()))
        batch.append((trial, job, prior))
    return batch, pruned


def _constraint_names(study) -> list[str] | None:
    for t in study.get_trials(deepcopy=False):
        if t.state.name == "COMPLETE" and "constraints" in t.user_attrs:
            return [None] * len(t.user_attrs["constraints"])  # only the length matters
    return None


def _progress(enabled: bool, total: int, done: int):
    from contextlib import nullcontext

    if not enabled:
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    class _Bar:
        def __enter__(self):
            self.p = Progress(TextColumn("scan"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                              console=Console(stderr=True))
            self.p.start()
            self.task = self.p.add_task("trials", total=total, completed=done)
            return self

        def __exit__(self, *exc):
            self.p.stop()

        def advance(self, n: int) -> None:
            self.p.advance(self.task, n)

    return _Bar()


def run_scan(recipe: Recipe, space: ScanSpace, out_dir: Path, *, trials: int = 20, budget: Budget | None = None,
             workers: int | None = None, ray_address: str | None = None, export_best: int = 0,
             progress: bool = True, source: str = "scan space") -> ScanResult:
    """Run (or resume) a scan until the study holds ``trials`` finished trials; write tables, plot, exports.

    Raises ConfigError (space does not fit the recipe) before any work, InvalidInputError if ``out_dir`` holds a
    scan of other files, LockedError if another scan writes it, EdgennError if every trial failed.
    """
    from edgenn.scan.executors import make_executor

    check_space(space, recipe, source=source)
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    with output_lock(out_dir / STUDY_FILE):
        study = open_study(out_dir, recipe, space, budget)
        recover_interrupted(study)
        done = count_finished(study)
        executor = make_executor(workers, ray_address) if done < trials else None  # a finished scan starts none
        try:
            with _progress(progress, trials, min(done, trials)) as bar:
                while done < trials:
                    size = min(trials - done, executor.workers)
                    batch, pruned = _ask_batch(study, recipe, space, budget, size, out_dir, _constraint_names(study))
                    if batch:
                        results = executor.run_batch([job for _, job, _ in batch])
                        for (trial, _, prior), result in zip(batch, results):
                            _tell(study, trial, result, space, budget, prior)
                    done = count_finished(study)
                    if bar is not None:
                        bar.advance(len(batch) + pruned)
                    _write_outputs(study, space, out_dir)  # after every batch: an interrupted scan keeps them
        finally:
            if executor is not None:
                executor.close()
        exported = _export_best(study, space, out_dir, export_best, progress) if export_best else ()
        rows, front = _write_outputs(study, space, out_dir)
        complete = [r for r in rows if r["state"] == "COMPLETE"]
        if not complete and rows:
            first = next((r["note"] for r in rows if r["note"]), "unknown reason")
            raise EdgennError(f"no scan trial completed in {out_dir}; first problem: {first}",
                              fix="fix the recipe or space (or loosen the budget) and re-run.")
        unchecked: tuple[str, ...] = ()
        if complete and budget:
            unchecked = check_budget(study.trials[complete[0]["trial"]].user_attrs["figures"], budget).unchecked
        result = ScanResult(out_dir, len(rows), len(complete), tuple(front), tuple(space.objectives),
                            tuple(unchecked), tuple(exported),
                            {"study": out_dir / STUDY_FILE, "trials": out_dir / TRIALS_CSV,
                             "pareto": out_dir / PARETO_CSV, "plot": out_dir / PARETO_PNG},
                            time.perf_counter() - t0)
        ScanSummary(recipe.model_dump(mode="json"), space.model_dump(mode="json"),
                    budget.model_dump(mode="json") if budget else None, len(rows), len(complete),
                    tuple(r["trial"] for r in front), tuple(unchecked), tuple(space.objectives),
                    result.seconds).save(out_dir)
    return result


def _exports(out_dir: Path) -> dict[int, dict]:
    path = out_dir / EXPORTS_FILE
    return {int(k): v for k, v in read_json(path).items()} if path.is_file() else {}


def _write_outputs(study, space: ScanSpace, out_dir: Path):
    rows = trial_rows(study, space, _exports(out_dir))
    front = pareto_rows(rows, space)
    write_csv(out_dir / TRIALS_CSV, rows)
    write_parquet(out_dir / TRIALS_PARQUET, rows)
    write_csv(out_dir / PARETO_CSV, front)
    from edgenn.io import atomic_write_text

    atomic_write_text(out_dir / "pareto.md", pareto_markdown(front, space))
    plot_pareto(out_dir / PARETO_PNG, rows, front, space)
    return rows, front


def _export_best(study, space: ScanSpace, out_dir: Path, n: int, progress: bool) -> tuple[Path, ...]:
    """Export the ``n`` best Pareto trials to firmware (C simulation checked bit for bit); record the outcome."""
    from edgenn.runners.export import ExportRequest, run_export

    front = pareto_rows(trial_rows(study, space), space)[:n]
    exports = _exports(out_dir)
    done = []
    for row in front:
        target = out_dir / "best" / f"trial_{row['trial']:04d}"
        try:
            result = run_export(ExportRequest(source=Path(row["run_dir"]), target="fpga", out=target),
                                progress=progress)
            frac = result.record.figures["bit_exact_fraction"].value
            exports[row["trial"]] = {"dir": str(target), "bit_exact": bool(frac == 1.0), "bit_exact_fraction": frac}
            done.append(target)
        except EdgennError as exc:
            exports[row["trial"]] = {"dir": None, "bit_exact": None, "error": str(exc)}
        atomic_write_json(out_dir / EXPORTS_FILE, {str(k): v for k, v in exports.items()})
    return tuple(done)
