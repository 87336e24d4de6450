"""``edgenn compare``: re-train two models over folds or seeds and print the paired test, or draw training-set-size
curves of one or more models (``--train-sizes``). No logic here."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from edgenn.cli.common import Verb


def compare(ctx: typer.Context,
            runs: list[Path] = typer.Argument(..., help="Recipe YAMLs or run directories: A and B, or (with "
                                                        "--train-sizes) one or more."),
            folds: Optional[int] = typer.Option(None, help="Stratified K-fold re-training; with --train-sizes, K "
                                                           "training subsets per size (default 3)."),
            seeds: Optional[int] = typer.Option(None, help="Re-training with K seeds instead."),
            train_sizes: Optional[str] = typer.Option(None, help="Training-set-size curves: training jets per cell, "
                                                                 "comma-separated (e.g. 1000,3000,10000)."),
            metric: str = typer.Option("accuracy", help="Metric the verdict (or the curves) are about (e.g. accuracy, "
                                                        "auc.t; curves also mean_auc)."),
            test: str = typer.Option("t", help="t (corrected t-test for folds, paired t for seeds) or wilcoxon."),
            alpha: float = typer.Option(0.05, help="Significance level of the verdict."),
            out: Optional[Path] = typer.Option(None, help="Output directory (default runs/compare_<A>_vs_<B>, or "
                                                          "runs/curves_<names> for curves; curves resume there)."),
            workers: Optional[int] = typer.Option(None, min=1, help="Parallel re-trainings (default: every core; "
                                                                    "curves: 1)."),
            ray_address: Optional[str] = typer.Option(None, help="Run the re-trainings on Ray ('local', 'auto', ...)."),
            data: Optional[Path] = typer.Option(None, help="Dataset for every recipe (replaces data.path)."),
            max_epochs: Optional[int] = typer.Option(None, help="Curves: epoch ceiling above early stopping "
                                                                "(default 300)."),
            patience: Optional[int] = typer.Option(None, help="Curves: early-stopping patience (default: the "
                                                              "recipe's)."),
            json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
            ) -> dict:
    """Re-train A and B over K folds or seeds (mean ± std of every metric and a paired test), or draw accuracy vs
    training jets for each model with --train-sizes."""
    from edgenn.api import compare as api_compare
    from edgenn.cli.common import settings

    result = api_compare(*runs, folds=folds, seeds=seeds, train_sizes=train_sizes, metric=metric, test=test,
                         alpha=alpha, out=out, workers=workers, ray_address=ray_address, data=data,
                         max_epochs=max_epochs, patience=patience, progress=settings(ctx).progress)
    if train_sizes is not None:
        return _curves(result)
    return _paired(result)


def _paired(result) -> dict:
    from rich.table import Table

    from edgenn.cli.common import console

    table = Table(title=f"A = {result.name_a}, B = {result.name_b}: {result.k} {result.mode}")
    for col in ("metric", "A mean ± std", "B mean ± std", "A - B", "p"):
        table.add_column(col, justify="right", overflow="fold")
    for m in result.metrics:
        table.add_row(m.name, f"{m.mean_a:.4g} ± {m.std_a:.2g}", f"{m.mean_b:.4g} ± {m.std_b:.2g}",
                      f"{m.mean_diff:+.3g}", f"{m.p_value:.3g}")
    console.print(table)
    console.print(f"[bold]{result.verdict}[/]")
    console.print(f"written: [bold]{result.directory}[/]", soft_wrap=True)
    return {"paths": {"directory": result.directory}, "verdict": result.verdict, "mode": result.mode, "k": result.k,
            "metric": result.metric, "alpha": result.alpha, "a": result.name_a, "b": result.name_b,
            "metrics": [{"name": m.name, "mean_a": m.mean_a, "std_a": m.std_a, "mean_b": m.mean_b, "std_b": m.std_b,
                         "mean_diff": m.mean_diff, "p_value": m.p_value} for m in result.metrics]}


def _curves(result) -> dict:
    from rich.table import Table

    from edgenn.cli.common import console
    from edgenn.reporting.curve_tables import cell_text, metric_label, overlap_text

    c = result.curves
    table = Table(title=f"{metric_label(c.metric)} vs training jets: {c.folds} folds, "
                        f"{c.split_sizes.get('test', 0):,} test jets")
    for col in ("training jets", *c.families, "folds' subsets"):
        table.add_column(col, justify="right", overflow="fold")
    for size in c.train_sizes:
        table.add_row(f"{size:,}", *(cell_text(c.point(n, size), c.metric, c.folds) for n in c.families),
                      overlap_text(c, size))
    console.print(table)
    verdict = (f"{result.trained} cell(s) trained, {result.reused} reused"
               + (f"; {c.pending_cells} still pending" if c.pending_cells else ""))
    console.print(f"[bold]{verdict}[/]")
    for label, path in result.files.items():
        console.print(f"{label}: [bold]{path}[/]", soft_wrap=True)
    return {"paths": {"directory": result.directory, **result.files}, "verdict": verdict, "mode": "train_sizes",
            "k": c.folds, "metric": c.metric, "metrics": [],
            "curves": [{"family": p.family, "model_family": c.families[p.family], "train_jets": p.train_size,
                        "mean": p.mean(c.metric), "std": p.std(c.metric), "folds": len(p.folds),
                        "max_shared_rows": p.max_shared_rows} for p in c.points if p.folds]}


VERB = Verb("compare", compare, panel="Tools",
            epilog="Example: edgenn compare models/jet_mlp.yml models/deepsets.yml --folds 5\n\n"
                   "Example: edgenn compare runs/a runs/b --seeds 3 --metric auc.t --json\n\n"
                   "Example: edgenn compare models/jet_mlp.yml models/deepsets.yml models/jedi_linear.yml "
                   "--train-sizes 1000,3000,10000 --folds 3")
