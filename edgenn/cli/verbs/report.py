"""``edgenn report PATH``: (re)generate report.html for a run, stage or export directory. No logic here."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from edgenn.cli.common import Verb


def report(path: Path = typer.Argument(..., help="runs/<name>, runs/<name>/train|compress, firmware/<name>/<target> or scans/<name>."),
           budget: Optional[Path] = typer.Option(None, help="Budget YAML for the budget table "
                                                             "(default for an export: firmware/budgets/<name>.yml).")
           , json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> dict:
    """Write a self-contained report.html (plots inline, no network) and print its path."""
    from edgenn.api import report as api_report
    from edgenn.cli.common import console

    out = api_report(path, budget=budget)
    console.print(f"report: [bold]{out}[/]", soft_wrap=True)
    return {"paths": {"report": out}}


VERB = Verb("report", report, panel="Tools",
            epilog="Example: edgenn report runs/jet_mlp\n\n"
                   "Example: edgenn report firmware/jet_mlp/fpga --budget firmware/budgets/jet_mlp.yml")
