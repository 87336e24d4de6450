"""``edgenn check EXPORT --budget B``: an export against a budget, exit 0/1/2, optional JUnit. No logic here."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from edgenn.cli.common import console, JSON_OPTION, Verb
from edgenn.cli import render


def check(export_dir: Path = typer.Argument(..., help="Export directory, e.g. firmware/jet_mlp/fpga."),
          budget: Path = typer.Option(..., help="Budget YAML, e.g. firmware/budgets/jet_mlp.yml."),
          junit: Optional[Path] = typer.Option(None, help="Also write a JUnit XML file for CI dashboards."),
          out: Optional[Path] = typer.Option(None, help="Also save the check report (a record with its content hash, "
                                                        "e.g. check.json), loadable with CheckReport.load."),
          compare: str = typer.Option("upper", help="Test max limits against the 'upper' end of an estimate's 90 % "
                                                    "interval (default) or the 'point' estimate."),
          json_out: bool = JSON_OPTION) -> dict:
    """Compare an export with a budget: exit 0 if every line holds, 1 if any fails, 2 on bad input."""
    from edgenn.api import check as api_check
    from edgenn.io import atomic_write_text

    report = api_check(export_dir, budget, compare=compare, out=out)
    if junit:
        atomic_write_text(junit, report.to_junit())
    render.check_table(console, report)
    lines = report.to_dict()["lines"]
    paths = {**({"junit": junit} if junit else {}), **({"check": out} if out else {})}
    return {"exit_code": 0 if report.passed else 1, "paths": paths,
            "figures": {x["figure"]: {"value": x["value"], "unit": x["unit"], "method": x["method"]} for x in lines},
            "source": report.source, "passed": report.passed, "lines": lines}


VERB = Verb("check",
            check,
            epilog="Example: edgenn check firmware/jet_mlp/fpga --budget firmware/budgets/jet_mlp.yml\n\n"
                   "Example (CI): edgenn check firmware/jet_mlp/fpga --budget firmware/budgets/jet_mlp.yml "
                 "--json --junit check.xml > check.json\n\n"
                 "Example (saved record): edgenn check firmware/jet_mlp/fpga --budget firmware/budgets/jet_mlp.yml "
                 "--out check.record.json",
            panel="Pipeline")
