"""``edgenn scan`` and ``edgenn compare``: arguments -> one ``edgenn.api`` call -> rich tables. No logic here."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def scan(ctx: typer.Context,
         recipe: Path = typer.Argument(..., help="Base recipe YAML, e.g. models/jet_mlp.yml."),
         space: Path = typer.Option(..., help="Scan space YAML (dimensions, objectives, sampler)."),
         trials: int = typer.Option(20, min=1, help="Finished trials the study should hold (resumes add to it)."),
         out: Optional[Path] = typer.Option(None, help="Output directory (default scans/<recipe name>)."),
         budget: Optional[Path] = typer.Option(None, help="Budget YAML: trials breaking it are infeasible."),
         workers: Optional[int] = typer.Option(None, min=1, help="Parallel trials (default: every core, or every "
                                                                 "CPU of the Ray cluster)."),
         ray_address: Optional[str] = typer.Option(None, help="Run trials on Ray: 'local' starts a local cluster, "
                                                              "'auto' or ray://HOST:10001 joins one."),
         export_best: int = typer.Option(0, min=0, help="Export the N best Pareto trials to firmware "
                                                        "(bit-exact C simulation checked)."),
         json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
         ) -> dict:
    """Multi-objective search over bits, sparsity, widths, reuse factor and strategy (Optuna; resumable)."""
    from edgenn.api import scan as api_scan
    from edgenn.cli import render
    from edgenn.cli.common import console, settings

    result = api_scan(recipe, space, trials=trials, out=out, budget=budget, workers=workers,
                      ray_address=ray_address, export_best=export_best, progress=settings(ctx).progress)
    render.pareto_tables(console, result)
    for line in result.unchecked_budget_lines:
        console.print(f"[yellow]budget line not checked by the scan:[/] {line}")
    console.print(f"written: [bold]{result.directory}[/] (trials.csv, pareto.csv, pareto.png, study.db)")
    d = result.directory
    return {"paths": {"directory": d, **{f.split(".")[0]: d / f for f in ("trials.csv", "pareto.csv", "pareto.png",
                                                                          "study.db")}},
            "objectives": list(result.objectives), "num_trials": result.num_trials,
            "num_complete": result.num_complete, "pareto": [dict(r) for r in result.pareto],
            "unchecked_budget_lines": list(result.unchecked_budget_lines)}


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
    console.print(f"written: [bold]{result.directory}[/]")
    return {"paths": {"directory": result.directory}, "verdict": result.verdict, "mode": result.mode, "k": result.k,
            "metric": result.metric, "alpha": result.alpha, "a": result.name_a, "b": result.name_b,
            "metrics": [{"name": m.name, "mean_a": m.mean_a, "std_a": m.std_a, "mean_b": m.mean_b, "std_b": m.std_b,
                         "mean_diff": m.mean_diff, "p_value": m.p_value} for m in result.metrics]}


def register(app: typer.Typer) -> None:
    """Add ``scan`` and ``compare`` to ``app`` (errors mapped to exit codes like every other command)."""
    from edgenn.cli.common import handles_errors

    app.command("scan", rich_help_panel="Tools",
                epilog="Example: edgenn scan models/jet_mlp.yml --space benchmarks/scan/jet_mlp_space.yml --trials 30\n\n"
                       "Example: edgenn scan models/jet_mlp.yml --space benchmarks/scan/jet_mlp_space.yml --budget "
                       "firmware/budgets/jet_mlp.yml --json")(handles_errors(scan))
    app.command("compare", rich_help_panel="Tools",
                epilog="Example: edgenn compare models/jet_mlp.yml models/deepsets.yml --folds 5\n\n"
                       "Example: edgenn compare runs/a runs/b --seeds 3 --metric auc.t --json"
                )(handles_errors(compare))
