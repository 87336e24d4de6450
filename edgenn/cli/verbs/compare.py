"""``edgenn compare A B``: re-train two models over folds or seeds and print the paired test. No logic here."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from edgenn.cli.common import Verb


def compare(ctx: typer.Context,
            run_a: Path = typer.Argument(..., help="Recipe YAML or run directory of model A."),
            run_b: Path = typer.Argument(..., help="Recipe YAML or run directory of model B."),
            folds: Optional[int] = typer.Option(None, min=2, help="Stratified K-fold re-training."),
            seeds: Optional[int] = typer.Option(None, min=2, help="Re-training with K seeds instead."),
            metric: str = typer.Option("accuracy", help="Metric the verdict is about (e.g. accuracy, auc.t)."),
            test: str = typer.Option("t", help="t (corrected t-test for folds, paired t for seeds) or wilcoxon."),
            alpha: float = typer.Option(0.05, help="Significance level of the verdict."),
            out: Optional[Path] = typer.Option(None, help="Output directory (default runs/compare_<A>_vs_<B>)."),
            workers: Optional[int] = typer.Option(None, min=1, help="Parallel re-trainings (default: every core)."),
            ray_address: Optional[str] = typer.Option(None, help="Run the re-trainings on Ray ('local', 'auto', ...)."),
            json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
            ) -> dict:
    """Re-train A and B over K folds or seeds: mean ± std of every metric and a paired test."""
    from rich.table import Table

    from edgenn.api import compare as api_compare
    from edgenn.cli.common import console

    result = api_compare(run_a, run_b, folds=folds, seeds=seeds, metric=metric, test=test, alpha=alpha, out=out,
                         workers=workers, ray_address=ray_address)
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


VERB = Verb("compare", compare, panel="Tools",
            epilog="Example: edgenn compare models/jet_mlp.yml models/deepsets.yml --folds 5\n\n"
                   "Example: edgenn compare runs/a runs/b --seeds 3 --metric auc.t --json")
