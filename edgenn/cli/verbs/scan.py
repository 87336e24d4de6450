"""``edgenn scan RECIPE --space S``: arguments -> one ``edgenn.api`` call -> the Pareto tables. No logic here."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from edgenn.cli.common import Verb


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
         sampler: Optional[str] = typer.Option(None, help="gp (Gaussian-process BO, scikit-learn), tpe or nsga2: "
                                                          "replaces the space file's sampler.kind."),
         json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
         ) -> dict:
    """Multi-objective search over bits, sparsity, widths, reuse factor and strategy (Optuna; resumable)."""
    from edgenn.api import scan as api_scan
    from edgenn.cli import render
    from edgenn.cli.common import console, settings

    result = api_scan(recipe, space, trials=trials, out=out, budget=budget, workers=workers,
                      ray_address=ray_address, export_best=export_best, progress=settings(ctx).progress,
                      sampler=sampler)
    render.pareto_tables(console, result)
    for line in result.unchecked_budget_lines:
        console.print(f"[yellow]budget line not checked by the scan:[/] {line}")
    console.print(f"written: [bold]{result.directory}[/] (trials.csv, pareto.csv, pareto.png, study.db)", soft_wrap=True)
    d = result.directory
    return {"paths": {"directory": d, **{f.split(".")[0]: d / f for f in ("trials.csv", "pareto.csv", "pareto.png",
                                                                          "study.db")}},
            "objectives": list(result.objectives), "num_trials": result.num_trials,
            "num_complete": result.num_complete, "pareto": [dict(r) for r in result.pareto],
            "unchecked_budget_lines": list(result.unchecked_budget_lines)}


VERB = Verb("scan", scan, panel="Tools",
            epilog="Example: edgenn scan models/jet_mlp.yml --space benchmarks/scan/jet_mlp_space.yml --trials 30\n\n"
                   "Example: edgenn scan models/jet_mlp.yml --space benchmarks/scan/jet_mlp_space.yml --budget "
                   "firmware/budgets/jet_mlp.yml --json")
